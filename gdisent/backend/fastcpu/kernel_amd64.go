package fastcpu

import "golang.org/x/sys/cpu"

// hasAVX2FMA says whether the CPU (and OS) support the AVX2+FMA micro-kernel.
var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// microKernel computes one mr×nr tile of C; see kernelGo for the contract.
var microKernel = func() kernelFn {
	if hasAVX2FMA {
		return kernelAVX2
	}
	return kernelGo
}()

// wideKernel computes an mr×2nr tile (AVX-512), or is nil when the CPU lacks AVX-512.
var wideKernel = func() kernelFn {
	if hasAVX2FMA && cpu.X86.HasAVX512F {
		return kernelAVX512
	}
	return nil
}()

// kernelAVX512 is kernelAVX2 for the 6×32 AVX-512 kernel.
func kernelAVX512(k int, a, b, c []float32, ldc int, accumulate bool) {
	_, _, _ = a[k*mr-1], b[k*2*nr-1], c[(mr-1)*ldc+2*nr-1]
	acc := 0
	if accumulate {
		acc = 1
	}
	kernel6x32(k, &a[0], &b[0], &c[0], ldc, acc)
}

// kernel6x32 is implemented in kernel512_amd64.s: kernel6x16 with 32 columns.
//
//go:noescape
func kernel6x32(k int, a, b, c *float32, ldc int, acc int)

// kernelAVX2 is kernelGo's contract on the assembly kernel, with the bounds checked once up front.
func kernelAVX2(k int, a, b, c []float32, ldc int, accumulate bool) {
	_, _, _ = a[k*mr-1], b[k*nr-1], c[(mr-1)*ldc+nr-1]
	acc := 0
	if accumulate {
		acc = 1
	}
	kernel6x16(k, &a[0], &b[0], &c[0], ldc, acc)
}

// kernel6x16 is implemented in kernel_amd64.s: c[r*ldc+q] (+ if acc != 0)= Σ_t a[t*6+r]·b[t*16+q], k >= 1.
//
//go:noescape
func kernel6x16(k int, a, b, c *float32, ldc int, acc int)

// dot8AVX2 is implemented in dot_amd64.s: Σ x[i]·y[i] for i < n, n a multiple of 8.
//
//go:noescape
func dot8AVX2(n int, x, y *float32) float32

// dot returns Σ x[i]·y[i] over len(x) elements (y at least as long).
func dot(x, y []float32) float32 {
	n := len(x)
	y = y[:n]
	var s float32
	n8 := n &^ 7
	if hasAVX2FMA && n8 > 0 {
		s = dot8AVX2(n8, &x[0], &y[0])
	} else {
		n8 = 0
	}
	for i := n8; i < n; i++ {
		s += x[i] * y[i]
	}
	return s
}

// kernelRuns6x32 is implemented in convkernel_amd64.s: one 6×32 tile of a convolution's implicit GEMM, reading the
// six rows of A in place (see convDirect).
//
//go:noescape
func kernelRuns6x32(runs *int32, nruns int, rows *[6]uintptr, aStride int, b *float32, bStride int, c *float32, acc int)

// hasRunsKernel says whether kernelRuns6x32 can run (AVX-512).
var hasRunsKernel = wideKernel != nil

// dotRuns6x1 is implemented in convkernel_amd64.s: six dot products of rows read in place with one vector, for a
// convolution with a single output channel.
//
//go:noescape
func dotRuns6x1(runs *int32, nruns int, rows *[6]uintptr, x *float32, out *[6]float32)
