package fastcpu

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkGemm1024 times a 1024³ float32 product through Gemm directly (no GoMLX), reporting GFLOP/s.
func BenchmarkGemm1024(b *testing.B) {
	const n = 1024
	r := rand.New(rand.NewPCG(1, 2))
	dims := []int{1, n, n}
	a := Operand{Data: randFloats(r, n*n), Batch: offsets(dims, 0), Rows: offsets(dims, 1), K: offsets(dims, 2)}
	bt := Operand{Data: randFloats(r, n*n), Batch: offsets(dims, 0), Rows: offsets(dims, 2), K: offsets(dims, 1)}
	c := make([]float32, n*n)
	for b.Loop() {
		Gemm(c, a, bt)
	}
	b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGemmWeightGrad times the weight gradient of the DCGAN D's second conv: [16384 positions, 32]ᵀ ×
// [16384, 512] (contraction over batch × positions).
func BenchmarkGemmWeightGrad(b *testing.B) {
	const m, n, k = 32, 512, 16384
	r := rand.New(rand.NewPCG(1, 2))
	ad, bd := []int{1, k, m}, []int{1, k, n}
	a := Operand{Data: randFloats(r, m*k), Batch: offsets(ad, 0), Rows: offsets(ad, 2), K: offsets(ad, 1)}
	bt := Operand{Data: randFloats(r, n*k), Batch: offsets(bd, 0), Rows: offsets(bd, 2), K: offsets(bd, 1)}
	c := make([]float32, m*n)
	for b.Loop() {
		Gemm(c, a, bt)
	}
	b.ReportMetric(2*m*n*k*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
