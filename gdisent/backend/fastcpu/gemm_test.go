package fastcpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// offsets returns the offset table of the listed axes (row-major over them) of a row-major tensor of dims.
func offsets(dims []int, axes ...int) []int {
	strides := make([]int, len(dims))
	s := 1
	for i := len(dims) - 1; i >= 0; i-- {
		strides[i], s = s, s*dims[i]
	}
	out := []int{0}
	for _, ax := range axes {
		next := make([]int, 0, len(out)*dims[ax])
		for _, o := range out {
			for i := range dims[ax] {
				next = append(next, o+i*strides[ax])
			}
		}
		out = next
	}
	return out
}

func randFloats(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func naiveGemm(a, b Operand) []float64 {
	batch, m, n, k := len(a.Batch), len(a.Rows), len(b.Rows), len(a.K)
	c := make([]float64, batch*m*n)
	for bi := range batch {
		for i := range m {
			for j := range n {
				var s float64
				for t := range k {
					s += float64(a.Data[a.Batch[bi]+a.Rows[i]+a.K[t]]) * float64(b.Data[b.Batch[bi]+b.Rows[j]+b.K[t]])
				}
				c[(bi*m+i)*n+j] = s
			}
		}
	}
	return c
}

func checkClose(t *testing.T, name string, got []float32, want []float64, k int) {
	t.Helper()
	tol := 1e-5 * math.Sqrt(float64(k)+1) * 4
	for i, w := range want {
		if d := math.Abs(float64(got[i]) - w); d > tol*(1+math.Abs(w)) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s: c[%d] = %v, want %v (|diff| %.3g > tol %.3g)", name, i, got[i], w, d, tol)
		}
	}
}

// gemmCase lays a out as [batch, m, k] or [batch, k, m] (transA) and b as [batch, n, k] or [batch, k, n].
func gemmCase(r *rand.Rand, batch, m, n, k int, transA, transB bool) (Operand, Operand) {
	mk := func(rows, transposed bool, nr int) Operand {
		dims := []int{batch, nr, k}
		rowAx, kAx := 1, 2
		if transposed {
			dims = []int{batch, k, nr}
			rowAx, kAx = 2, 1
		}
		return Operand{Data: randFloats(r, batch*nr*k), Batch: offsets(dims, 0), Rows: offsets(dims, rowAx),
			K: offsets(dims, kAx)}
	}
	return mk(true, transA, m), mk(false, transB, n)
}

// TestGemmAgainstNaive compares Gemm (the AVX2 kernel where available) with a float64 triple loop over random
// shapes, odd sizes, transposed layouts and batches.
func TestGemmAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	shapes := [][4]int{ // batch, m, n, k
		{1, 1, 1, 1}, {1, 6, 16, 1}, {1, 7, 17, 3}, {2, 5, 33, 257}, {3, 13, 1, 40}, {1, 1, 50, 9},
		{1, 100, 31, 600}, {4, 37, 64, 128}, {1, 200, 300, 70}, {2, 96, 16, 513}, {1, 513, 2, 5},
		{1, 20, 40, 5000}, {2, 7, 33, 2100}, // long contraction: split over K
	}
	for trial := range 12 {
		shapes = append(shapes, [4]int{1 + r.IntN(3), 1 + r.IntN(150), 1 + r.IntN(150), 1 + r.IntN(300)})
		_ = trial
	}
	for _, s := range shapes {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				a, b := gemmCase(r, s[0], s[1], s[2], s[3], ta, tb)
				want := naiveGemm(a, b)
				got := randFloats(r, len(want)) // garbage: Gemm must overwrite
				Gemm(got, a, b)
				checkClose(t, fmt.Sprintf("batch=%d m=%d n=%d k=%d transA=%v transB=%v", s[0], s[1], s[2], s[3], ta, tb),
					got, want, s[3])
			}
		}
	}
}

// TestGemmGeneralOffsets uses non-contiguous, permuted offset tables (several axes per group, as DotGeneral
// produces for e.g. contracting over [h, w] of an NHWC tensor).
func TestGemmGeneralOffsets(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	// a: [2(k), 3(batch), 5(m), 4(k)] contracting over axes (3, 0); b: [4(k), 7(n), 3(batch), 2(k)].
	ad, bd := []int{2, 3, 5, 4}, []int{4, 7, 3, 2}
	a := Operand{Data: randFloats(r, 120), Batch: offsets(ad, 1), Rows: offsets(ad, 2), K: offsets(ad, 3, 0)}
	b := Operand{Data: randFloats(r, 168), Batch: offsets(bd, 2), Rows: offsets(bd, 1), K: offsets(bd, 0, 3)}
	want := naiveGemm(a, b)
	got := make([]float32, len(want))
	Gemm(got, a, b)
	checkClose(t, "general offsets", got, want, 8)
}

// TestMicroKernels checks the assembly and Go micro-kernels against each other and a naive loop, both overwrite
// and accumulate modes.
func TestMicroKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	type kern struct {
		fn    kernelFn
		width int
	}
	kernels := map[string]kern{"go": {kernelGo, nr}}
	if hasAVX2FMA {
		kernels["avx2"] = kern{microKernel, nr}
	} else {
		t.Log("no AVX2+FMA: only the Go kernel is tested")
	}
	if wideKernel != nil {
		kernels["avx512"] = kern{wideKernel, 2 * nr}
	}
	for name, kk := range kernels {
		kern, nr := kk.fn, kk.width
		for _, k := range []int{1, 2, 3, 4, 5, 8, 9, 256} {
			a, b := randFloats(r, k*mr), randFloats(r, k*nr)
			ldc := nr + 3
			c0 := randFloats(r, mr*ldc)
			for _, acc := range []bool{false, true} {
				c := append([]float32(nil), c0...)
				kern(k, a, b, c, ldc, acc)
				want := make([]float64, mr*nr)
				got := make([]float32, mr*nr)
				for i := range mr {
					for j := range nr {
						var s float64
						if acc {
							s = float64(c0[i*ldc+j])
						}
						for p := range k {
							s += float64(a[p*mr+i]) * float64(b[p*nr+j])
						}
						want[i*nr+j], got[i*nr+j] = s, c[i*ldc+j]
					}
					for j := nr; j < ldc; j++ {
						if c[i*ldc+j] != c0[i*ldc+j] {
							t.Fatalf("%s k=%d: wrote outside the tile at row %d col %d", name, k, i, j)
						}
					}
				}
				checkClose(t, fmt.Sprintf("%s k=%d acc=%v", name, k, acc), got, want, k)
			}
		}
	}
}
