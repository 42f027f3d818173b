//go:build !amd64

package fastcpu

var hasAVX2FMA = false

// microKernel computes one mr×nr tile of C; see kernelGo for the contract.
var microKernel kernelFn = kernelGo

// wideKernel (an mr×2nr kernel) exists only on amd64 with AVX-512.
var wideKernel kernelFn

// dot returns Σ x[i]·y[i] over len(x) elements (y at least as long).
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

var hasRunsKernel = false

func kernelRuns6x32(runs *int32, nruns int, rows *[6]uintptr, aStride int, b *float32, bStride int, c *float32, acc int) {
	panic("fastcpu: kernelRuns6x32 needs amd64")
}

func dotRuns6x1(runs *int32, nruns int, rows *[6]uintptr, x *float32, out *[6]float32) {
	panic("fastcpu: dotRuns6x1 needs amd64")
}
