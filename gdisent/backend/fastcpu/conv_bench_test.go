package fastcpu

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"
)

// convBenchCase is one of the β-VAE's second-layer convolutions (64×32×32×32 → 64×16×16×32, 4×4 stride 2) in the
// three forms nn builds.
func convBenchCase(form string) (*convPlan, []float32, []float32, []float32) {
	nhwc := backends.ConvolveAxesConfig{InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
		KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2}}
	one := []int{1, 1}
	var p convData
	var xd, kd, yd []int
	switch form {
	case "F":
		p = convData{axes: nhwc, strides: []int{2, 2}, paddings: [][2]int{{1, 1}, {1, 1}}, inputDilations: one, kernelDilations: one}
		xd, kd, yd = []int{64, 32, 32, 32}, []int{4, 4, 32, 32}, []int{64, 16, 16, 32}
	case "BI":
		a := nhwc
		a.KernelInputChannels, a.KernelOutputChannels = 3, 2
		p = convData{axes: a, strides: one, paddings: [][2]int{{2, 2}, {2, 2}}, inputDilations: []int{2, 2}, kernelDilations: one}
		xd, kd, yd = []int{64, 16, 16, 32}, []int{4, 4, 32, 32}, []int{64, 32, 32, 32}
	case "BF":
		a := backends.ConvolveAxesConfig{InputBatch: 3, InputChannels: 0, InputSpatial: []int{1, 2},
			KernelInputChannels: 0, KernelOutputChannels: 3, KernelSpatial: []int{1, 2},
			OutputBatch: 2, OutputChannels: 3, OutputSpatial: []int{0, 1}}
		p = convData{axes: a, strides: one, paddings: [][2]int{{1, 1}, {1, 1}}, inputDilations: one, kernelDilations: []int{2, 2}}
		xd, kd, yd = []int{64, 32, 32, 32}, []int{64, 16, 16, 32}, []int{4, 4, 32, 32}
	}
	pl, ok := newConvPlan(&p, xd, kd, yd)
	if !ok {
		panic("no plan")
	}
	r := rand.New(rand.NewPCG(1, 2))
	return pl, randFloats(r, prod(xd)), randFloats(r, prod(kd)), make([]float32, prod(yd))
}

func benchConv(b *testing.B, form string) {
	pl, x, k, y := convBenchCase(form)
	cpu0 := cpuTime()
	for b.Loop() {
		pl.run(y, x, k)
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(pl.flops)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	b.ReportMetric(float64(cpu)/1e6/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(pl.flops)*float64(b.N)/cpu.Seconds()/1e9, "GFLOP/cpu-s")
}

// BenchmarkConvF, BenchmarkConvBI and BenchmarkConvBF time the β-VAE's second convolution, its input gradient and
// its kernel gradient.
func BenchmarkConvF(b *testing.B)  { benchConv(b, "F") }
func BenchmarkConvBI(b *testing.B) { benchConv(b, "BI") }
func BenchmarkConvBF(b *testing.B) { benchConv(b, "BF") }

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
