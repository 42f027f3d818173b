package fastcpu

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// TestConvGeneralMatchesStock compares the implicit-GEMM ConvGeneral with SimpleGo's loops on the three forms
// gdisent's nn builds (convolution, its input gradient with input dilation and a reversed kernel, its kernel
// gradient with kernel dilation and exchanged batch/channel axes) and on odd mixtures: negative paddings, both
// dilations at once, strides that do not divide the dilation, channels-first layouts — with the in-place AVX-512
// kernels and with the packed-GEMM path that CPUs without AVX-512 take.
func TestConvGeneralMatchesStock(t *testing.T) {
	for _, inPlace := range []bool{true, false} {
		if inPlace && !hasRunsKernel {
			continue
		}
		t.Run(fmt.Sprintf("in-place kernels %v", inPlace), func(t *testing.T) {
			saved := hasRunsKernel
			hasRunsKernel = inPlace // false: the packed-GEMM path that CPUs without AVX-512 take
			defer func() { hasRunsKernel = saved }()
			testConvGeneralMatchesStock(t)
		})
	}
}

func testConvGeneralMatchesStock(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 7))
	nhwc := ConvolveAxesConfig{InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
		KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2}}
	swappedKernel := nhwc
	swappedKernel.KernelInputChannels, swappedKernel.KernelOutputChannels = 3, 2
	kernelGrad := ConvolveAxesConfig{InputBatch: 3, InputChannels: 0, InputSpatial: []int{1, 2},
		KernelInputChannels: 0, KernelOutputChannels: 3, KernelSpatial: []int{1, 2},
		OutputBatch: 2, OutputChannels: 3, OutputSpatial: []int{0, 1}}
	nchw := ConvolveAxesConfig{InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
		KernelInputChannels: 1, KernelOutputChannels: 0, KernelSpatial: []int{2, 3},
		OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3}}
	type convCase struct {
		name          string
		x, k          []int
		axes          ConvolveAxesConfig
		strides       []int
		pads          [][2]int
		inDil, kerDil []int
	}
	cases := []convCase{
		{"conv k4 s2 p1 (DCGAN D)", []int{3, 16, 16, 5}, []int{4, 4, 5, 7}, nhwc, []int{2, 2}, [][2]int{{1, 1}, {1, 1}}, nil, nil},
		{"conv k4 s2 p1, 40 channels (several GEMM panels)", []int{2, 12, 10, 8}, []int{4, 4, 8, 40}, nhwc, []int{2, 2}, [][2]int{{1, 1}, {1, 1}}, nil, nil},
		{"conv k3 s1 p1, 1 input channel", []int{2, 9, 7, 1}, []int{3, 3, 1, 4}, nhwc, nil, [][2]int{{1, 1}, {1, 1}}, nil, nil},
		{"input gradient k4 s2 (transposed conv)", []int{3, 8, 8, 7}, []int{4, 4, 5, 7}, swappedKernel, nil, [][2]int{{2, 2}, {2, 2}}, []int{2, 2}, nil},
		{"input gradient k3 s2, odd sizes", []int{2, 5, 4, 3}, []int{3, 3, 2, 3}, swappedKernel, nil, [][2]int{{1, 2}, {2, 1}}, []int{2, 2}, nil},
		{"input gradient k5 s3", []int{1, 4, 5, 2}, []int{5, 5, 3, 2}, swappedKernel, nil, [][2]int{{3, 3}, {3, 4}}, []int{3, 3}, nil},
		{"kernel gradient k4 s2 p1", []int{3, 16, 16, 5}, []int{3, 8, 8, 7}, kernelGrad, nil, [][2]int{{1, 1}, {1, 1}}, nil, []int{2, 2}},
		{"kernel gradient, long K split over workers", []int{20, 32, 32, 3}, []int{20, 16, 16, 6}, kernelGrad, nil, [][2]int{{1, 1}, {1, 1}}, nil, []int{2, 2}},
		{"kernel gradient, 32 output channels read in place", []int{20, 32, 32, 3}, []int{20, 16, 16, 32}, kernelGrad, nil, [][2]int{{1, 1}, {1, 1}}, nil, []int{2, 2}},
		{"conv, 64 output channels read in place", []int{2, 12, 10, 8}, []int{4, 4, 8, 64}, nhwc, []int{2, 2}, [][2]int{{1, 1}, {1, 1}}, nil, nil},
		{"one output channel (transposed conv to an image)", []int{3, 8, 8, 32}, []int{4, 4, 1, 32}, swappedKernel, nil, [][2]int{{2, 2}, {2, 2}}, []int{2, 2}, nil},
		{"one output channel, 16 input channels", []int{2, 9, 7, 16}, []int{3, 3, 16, 1}, nhwc, []int{2, 1}, [][2]int{{1, 1}, {1, 1}}, nil, nil},
		{"kernel gradient, negative padding", []int{2, 7, 6, 3}, []int{2, 3, 3, 2}, kernelGrad, nil, [][2]int{{0, -1}, {0, 0}}, nil, []int{2, 2}},
		{"negative paddings", []int{2, 9, 9, 3}, []int{3, 3, 3, 2}, nhwc, []int{1, 2}, [][2]int{{-1, 2}, {1, -2}}, nil, nil},
		{"both dilations, stride 2 with input dilation 3", []int{2, 5, 6, 2}, []int{3, 2, 2, 3}, nhwc, []int{2, 1}, [][2]int{{2, 1}, {0, 3}}, []int{3, 2}, []int{2, 1}},
		{"channels first (NCHW, OIHW)", []int{2, 3, 8, 9}, []int{4, 3, 3, 3}, nchw, []int{2, 1}, [][2]int{{1, 1}, {0, 1}}, nil, nil},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%s: x%v k%v", c.name, c.x, c.k)
		one := []int{1, 1}
		if c.strides == nil {
			c.strides = one
		}
		if c.inDil == nil {
			c.inDil = one
		}
		if c.kerDil == nil {
			c.kerDil = one
		}
		compareToStock(t, name, func(in []*Node) []*Node {
			return []*Node{ConvGeneral(in[0], in[1], c.axes, c.strides, c.pads, c.inDil, c.kerDil, 1, 1)}
		}, []backends.OpType{backends.OpTypeConvGeneral}, randTensor(r, c.x...), randTensor(r, c.k...))
	}
}
