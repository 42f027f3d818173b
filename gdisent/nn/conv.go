// Package nn holds convolutional building blocks for GANs/VAEs on GoMLX, in NHWC layout and float32 (float64
// works too): Conv, ConvTranspose, Dense, BatchNorm, spectral normalisation and nearest upsampling.
//
// Convolutions and transposed convolutions are single ConvGeneral ops whose gradients (the transposed convolution
// and the kernel-gradient convolution, again ConvGeneral ops) are registered by this package rather than taken from
// GoMLX, whose v0.26 ConvGeneral gradient is wrong for even kernel sizes (e.g. the DCGAN 4x4) and has no second
// order (needed by unrolled GANs, R1 and Hessian penalties); see convgeneral.go. Gradients of any order are exact.
// gdisent/backend/fastcpu computes these ops on the CPU as implicit GEMMs, without materialising patches.
//
// Geometries these ConvGeneral forms cannot express (padding >= kernel size), and SimpleGo without gdisent's kernels
// (whose ConvGeneral is a naive loop), use im2col instead — a Gather of input patches followed by one DotGeneral,
// with padding taps pointed at an appended zero row — which is differentiable twice (not three times: that would
// need a VJP for Pad, which GoMLX lacks).
//
// Layers panic (GoMLX style, inside graph building) with an error naming the problem when given invalid arguments.
package nn

import (
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/backend/fastcpu"
)

func panicf(format string, args ...any) { panic(errors.Errorf(format, args...)) }

// convPath overrides the choice of useConvGeneral in tests: "im2col", "convgeneral", or "" (automatic).
var convPath = ""

// useConvGeneral reports whether convolutions of x should be ConvGeneral ops: on every backend except SimpleGo,
// where only float32 with gdisent's CPU kernels installed is fast (SimpleGo's own ConvGeneral, used for other
// dtypes and with $GDISENT_NO_KERNELS=1, is a naive loop much slower than im2col on its Gather and DotGeneral).
func useConvGeneral(x *Node) bool {
	switch convPath {
	case "im2col":
		return false
	case "convgeneral":
		return true
	}
	if !strings.Contains(strings.ToLower(x.Graph().Backend().Name()), "simplego") {
		return true
	}
	return fastcpu.Installed && x.DType() == dtypes.Float32
}

// ConvBuilder configures a 2D convolution (Conv) or transposed convolution (ConvTranspose); call Done to build it.
type ConvBuilder struct {
	ctx         *context.Context
	x           *Node
	outChannels int
	transposed  bool
	kernel      int
	stride      int
	padding     int
	outPadding  int
	same        bool
	bias        bool
	spectral    bool
	name        string
}

// Conv starts a 2D convolution of x [batch, height, width, channels] to outChannels channels. Defaults: kernel 3,
// stride 1, padding 0, with bias. Variables "weights" [k, k, inChannels, outChannels] and "biases" live in
// ctx.In("conv"): give each layer its own scope, e.g. Conv(ctx.In("d1"), x, 64).
func Conv(ctx *context.Context, x *Node, outChannels int) *ConvBuilder {
	return &ConvBuilder{ctx: ctx, x: x, outChannels: outChannels, kernel: 3, stride: 1, bias: true, name: "nn.Conv"}
}

// ConvTranspose starts a 2D transposed convolution with the semantics of PyTorch's ConvTranspose2d: the output
// spatial size is (H-1)*stride - 2*padding + kernel; kernel 4, stride 2, padding 1 doubles H and W (the DCGAN
// upsampler). The kernel variable is "weights" [k, k, inChannels, outChannels] in ctx.In("conv_transpose"):
// out[oh] = Σ x[ih]·K[kh] over oh = ih*stride - padding + kh.
func ConvTranspose(ctx *context.Context, x *Node, outChannels int) *ConvBuilder {
	b := Conv(ctx, x, outChannels)
	b.transposed, b.name = true, "nn.ConvTranspose"
	return b
}

// Kernel sets the (square) kernel size.
func (b *ConvBuilder) Kernel(k int) *ConvBuilder { b.kernel = k; return b }

// Stride sets the stride along height and width.
func (b *ConvBuilder) Stride(s int) *ConvBuilder { b.stride = s; return b }

// Padding sets explicit symmetric zero padding (for ConvTranspose: PyTorch's padding, i.e. cropping).
func (b *ConvBuilder) Padding(p int) *ConvBuilder { b.padding, b.same = p, false; return b }

// OutputPadding adds op rows and columns at the bottom and right of a ConvTranspose output (PyTorch's
// output_padding): the output is (H-1)*stride - 2*padding + kernel + op. It crops op less at the end, so it must
// not exceed the padding.
func (b *ConvBuilder) OutputPadding(op int) *ConvBuilder { b.outPadding = op; return b }

// PaddingSame pads so the output spatial size is ceil(H/stride) for Conv (TensorFlow "SAME"; extra padding goes
// at the end) or H*stride for ConvTranspose (which needs kernel >= stride).
func (b *ConvBuilder) PaddingSame() *ConvBuilder { b.same = true; return b }

// Bias sets whether a bias is added (default true).
func (b *ConvBuilder) Bias(useBias bool) *ConvBuilder { b.bias = useBias; return b }

// SpectralNorm divides the kernel by its largest singular value, see SpectralNormalize.
func (b *ConvBuilder) SpectralNorm() *ConvBuilder { b.spectral = true; return b }

// Done creates the variables and returns the output [batch, outHeight, outWidth, outChannels].
func (b *ConvBuilder) Done() *Node {
	x := b.x
	if x == nil {
		panicf("%s: input is nil", b.name)
	}
	if x.Rank() != 4 {
		panicf("%s: input must be rank 4 [batch, height, width, channels] (NHWC), got shape %s", b.name, x.Shape())
	}
	if !x.DType().IsFloat() {
		panicf("%s: input must be float, got %s", b.name, x.Shape())
	}
	if b.outChannels <= 0 {
		panicf("%s: outChannels must be positive, got %d", b.name, b.outChannels)
	}
	if b.kernel <= 0 {
		panicf("%s: kernel size must be positive, got %d", b.name, b.kernel)
	}
	if b.stride <= 0 {
		panicf("%s: stride must be positive, got %d", b.name, b.stride)
	}
	if b.padding < 0 {
		panicf("%s: padding must be >= 0, got %d", b.name, b.padding)
	}
	if b.outPadding != 0 && (!b.transposed || b.same || b.outPadding < 0 || b.outPadding > b.padding) {
		panicf("%s: OutputPadding %d needs a ConvTranspose with explicit Padding >= it (padding %d)", b.name,
			b.outPadding, b.padding)
	}
	k, s := b.kernel, b.stride
	end := b.padding - b.outPadding
	pads := [2][2]int{{b.padding, end}, {b.padding, end}}
	if b.same {
		for axis := range 2 {
			n := x.Shape().Dimensions[1+axis]
			if b.transposed {
				if k < s {
					panicf("%s: PaddingSame needs kernel (%d) >= stride (%d)", b.name, k, s)
				}
				pads[axis] = [2]int{(k - s) / 2, k - s - (k-s)/2} // (n-1)*s - (k-s) + k == n*s
			} else {
				pads[axis] = SamePadding(n, k, s)
			}
		}
	}
	scope := "conv"
	if b.transposed {
		scope = "conv_transpose"
	}
	ctx := b.ctx.In(scope)
	g := x.Graph()
	dtype := x.DType()
	inC := x.Shape().Dimensions[3]
	kernel := ctx.VariableWithShape("weights", shapes.Make(dtype, k, k, inC, b.outChannels)).ValueGraph(g)
	if b.spectral {
		kernel = spectralNormVar(ctx, kernel)
	}
	var y *Node
	if b.transposed {
		y = ConvTranspose2D(x, kernel, [2]int{s, s}, pads)
	} else {
		y = Conv2D(x, kernel, [2]int{s, s}, pads)
	}
	if b.bias {
		bias := ctx.WithInitializer(initializers.Zero).
			VariableWithShape("biases", shapes.Make(dtype, b.outChannels)).ValueGraph(g)
		y = Add(y, Reshape(bias, 1, 1, 1, b.outChannels))
	}
	return y
}

// Conv2D convolves x [B, H, W, C] with kernel [kh, kw, C, O] (cross-correlation, as in every DL framework) with
// the given strides and zero paddings {{top, bottom}, {left, right}}. Output [B, Ho, Wo, O] with
// Ho = (H + top + bottom - kh)/strideH + 1. Gradients of first and second order are exact.
func Conv2D(x, kernel *Node, strides [2]int, paddings [2][2]int) *Node {
	checkConvArgs("nn.Conv2D", x, kernel, strides, paddings)
	var axes [2]axisMap
	var g convGeom
	for a := range 2 {
		n, k := x.Shape().Dimensions[1+a], kernel.Shape().Dimensions[a]
		out := (n+paddings[a][0]+paddings[a][1]-k)/strides[a] + 1
		if n+paddings[a][0]+paddings[a][1] < k || out < 1 {
			panicf("nn.Conv2D: kernel %d larger than padded input %d+%d+%d on spatial axis %d",
				k, n, paddings[a][0], paddings[a][1], a)
		}
		axes[a] = convAxis(n, k, strides[a], paddings[a][0], out)
		g.in[a], g.out[a], g.k[a], g.s[a], g.pad[a] = n, out, k, strides[a], paddings[a]
	}
	if g.supported() && useConvGeneral(x) {
		return convF(g, x, kernel)
	}
	return im2colConv(x, kernel, axes)
}

// ConvTranspose2D is the transposed convolution (the gradient of Conv2D wrt its input, PyTorch ConvTranspose2d) of
// x [B, H, W, C] with kernel [kh, kw, C, O]: out[oh, ow] = Σ x[ih, iw]·K[kh, kw] over oh = ih*sh - top + kh and
// ow = iw*sw - left + kw. Output [B, Ho, Wo, O] with Ho = (H-1)*sh - top - bottom + kh.
//
// When Ho and Wo are multiples of the strides the computation is split into stride² phases (sub-pixel
// decomposition), each a small dense convolution, so no multiplications by inserted zeros are done.
func ConvTranspose2D(x, kernel *Node, strides [2]int, paddings [2][2]int) *Node {
	checkConvArgs("nn.ConvTranspose2D", x, kernel, strides, paddings)
	var axes [2]axisMap
	var g convGeom
	for a := range 2 {
		n, k := x.Shape().Dimensions[1+a], kernel.Shape().Dimensions[a]
		out := (n-1)*strides[a] - paddings[a][0] - paddings[a][1] + k
		if out < 1 {
			panicf("nn.ConvTranspose2D: output size %d < 1 on spatial axis %d (input %d, kernel %d, stride %d, padding %v)",
				out, a, n, k, strides[a], paddings[a])
		}
		axes[a] = convTransposeAxis(n, k, strides[a], paddings[a][0], out)
		// The transposed convolution is the input gradient of the convolution mapping out → n.
		g.in[a], g.out[a], g.k[a], g.s[a], g.pad[a] = out, n, k, strides[a], paddings[a]
	}
	g.swapped = true
	if g.supported() && useConvGeneral(x) {
		return convBI(g, x, kernel)
	}
	return im2colConv(x, kernel, axes)
}

func checkConvArgs(name string, x, kernel *Node, strides [2]int, paddings [2][2]int) {
	if x == nil || kernel == nil {
		panicf("%s: nil input or kernel", name)
	}
	if x.Rank() != 4 {
		panicf("%s: input must be rank 4 [batch, height, width, channels], got %s", name, x.Shape())
	}
	if kernel.Rank() != 4 {
		panicf("%s: kernel must be rank 4 [kh, kw, inChannels, outChannels], got %s", name, kernel.Shape())
	}
	if x.DType() != kernel.DType() {
		panicf("%s: input dtype %s != kernel dtype %s", name, x.DType(), kernel.DType())
	}
	if x.Shape().Dimensions[3] != kernel.Shape().Dimensions[2] {
		panicf("%s: input has %d channels but kernel %s expects %d", name, x.Shape().Dimensions[3],
			kernel.Shape(), kernel.Shape().Dimensions[2])
	}
	for a := range 2 {
		if strides[a] <= 0 {
			panicf("%s: strides must be positive, got %v", name, strides)
		}
		if paddings[a][0] < 0 || paddings[a][1] < 0 {
			panicf("%s: paddings must be >= 0, got %v", name, paddings)
		}
	}
}

// axisMap describes one spatial axis of an im2col convolution: for each phase, output position (within the phase)
// and tap, the input index it reads (-1: zero padding) and the kernel index it uses (-1: none).
// Output position o of phase ph is at ph + phases*o in the final output.
type axisMap struct {
	phases, positions, taps int
	input, kernel           []int // indexed [(phase*positions+position)*taps+tap]
}

func (m axisMap) at(phase, pos, tap int) (in, ker int) {
	i := (phase*m.positions+pos)*m.taps + tap
	return m.input[i], m.kernel[i]
}

func newAxisMap(phases, positions, taps int) axisMap {
	n := phases * positions * taps
	return axisMap{phases: phases, positions: positions, taps: taps, input: make([]int, n), kernel: make([]int, n)}
}

// convAxis: output o reads input o*s - p0 + t with kernel tap t.
func convAxis(n, k, s, p0, out int) axisMap {
	m := newAxisMap(1, out, k)
	for o := range out {
		for t := range k {
			in := o*s - p0 + t
			if in < 0 || in >= n {
				in = -1
			}
			m.input[o*k+t], m.kernel[o*k+t] = in, t
		}
	}
	return m
}

// convTransposeAxis: output o receives input i through kernel tap t when o = i*s - p0 + t.
func convTransposeAxis(n, k, s, p0, out int) axisMap {
	if s > 1 && out%s == 0 {
		// Sub-pixel phases: output o = ph + s*q only meets taps t ≡ (o + p0) mod s.
		taps := (k + s - 1) / s
		m := newAxisMap(s, out/s, taps)
		for ph := range s {
			r := (ph + p0) % s
			for q := range out / s {
				o := ph + s*q
				for j := range taps {
					idx := (ph*m.positions+q)*taps + j
					t := r + j*s
					m.input[idx], m.kernel[idx] = -1, -1
					if t >= k {
						continue // Phase has fewer taps: reads the zero row.
					}
					m.kernel[idx] = t
					num := o + p0 - t // divisible by s by construction
					if i := num / s; num >= 0 && i < n {
						m.input[idx] = i
					}
				}
			}
		}
		return m
	}
	m := newAxisMap(1, out, k)
	for o := range out {
		for t := range k {
			idx := o*k + t
			m.input[idx], m.kernel[idx] = -1, t
			num := o + p0 - t
			if num >= 0 && num%s == 0 && num/s < n {
				m.input[idx] = num / s
			}
		}
	}
	return m
}

// im2colConv gathers the patches of x described by the two axis maps and contracts them with the kernel.
func im2colConv(x, kernel *Node, axes [2]axisMap) *Node {
	g := x.Graph()
	dims := x.Shape().Dimensions
	batch, h, w, c := dims[0], dims[1], dims[2], dims[3]
	kh, kw, outC := kernel.Shape().Dimensions[0], kernel.Shape().Dimensions[1], kernel.Shape().Dimensions[3]
	mh, mw := axes[0], axes[1]
	phases := mh.phases * mw.phases
	zeroRow := batch * h * w

	// Input patch indices [phases, B, Ph, Pw, Th, Tw, 1] into x flattened to [B*H*W + 1, C] (last row: zeros).
	inIdx := make([]int32, 0, phases*batch*mh.positions*mw.positions*mh.taps*mw.taps)
	// Kernel tap indices [phases, Th, Tw, 1] into the kernel flattened to [kh*kw, C, O]; identity if unphased.
	kerIdx := make([]int32, 0, phases*mh.taps*mw.taps)
	for ph := range mh.phases {
		for pw := range mw.phases {
			for th := range mh.taps {
				for tw := range mw.taps {
					_, kh0 := mh.at(ph, 0, th)
					_, kw0 := mw.at(pw, 0, tw)
					kerIdx = append(kerIdx, int32(max(kh0, 0)*kw+max(kw0, 0)))
				}
			}
			for b := range batch {
				for i := range mh.positions {
					for j := range mw.positions {
						for th := range mh.taps {
							ih, _ := mh.at(ph, i, th)
							for tw := range mw.taps {
								iw, _ := mw.at(pw, j, tw)
								idx := zeroRow
								if ih >= 0 && iw >= 0 {
									idx = (b*h+ih)*w + iw
								}
								inIdx = append(inIdx, int32(idx))
							}
						}
					}
				}
			}
		}
	}
	flat := Reshape(x, batch*h*w, c)
	flat = Concatenate([]*Node{flat, Zeros(g, shapes.Make(x.DType(), 1, c))}, 0)
	// Indices stay rank 2 ([n, 1]): GoMLX v0.26's Gather shape inference rejects index ranks > operand rank + 1.
	patches := Gather(flat, Reshape(Const(g, inIdx), len(inIdx), 1))
	patches = Reshape(patches, phases, batch, mh.positions, mw.positions, mh.taps, mw.taps, c)

	var kern *Node
	if phases == 1 && mh.taps == kh && mw.taps == kw && isIdentity(kerIdx) {
		kern = Reshape(kernel, 1, kh, kw, c, outC)
	} else {
		kern = Gather(Reshape(kernel, kh*kw, c, outC), Reshape(Const(g, kerIdx), len(kerIdx), 1))
		kern = Reshape(kern, phases, mh.taps, mw.taps, c, outC)
	}
	y := DotGeneral(patches, []int{4, 5, 6}, []int{0}, kern, []int{1, 2, 3}, []int{0}) // [phases, B, Ph, Pw, O]
	ho, wo := mh.phases*mh.positions, mw.phases*mw.positions
	if phases == 1 {
		return Reshape(y, batch, ho, wo, outC)
	}
	// Interleave the phases: [sh, sw, B, Ph, Pw, O] -> [B, Ph, sh, Pw, sw, O] -> [B, Ho, Wo, O].
	y = Reshape(y, mh.phases, mw.phases, batch, mh.positions, mw.positions, outC)
	y = TransposeAllAxes(y, 2, 3, 0, 4, 1, 5)
	return Reshape(y, batch, ho, wo, outC)
}

func isIdentity(idx []int32) bool {
	for i, v := range idx {
		if int(v) != i {
			return false
		}
	}
	return true
}

// SamePadding returns the {before, after} zero padding that makes a convolution of an axis of the given size
// produce ceil(size/stride) outputs (TensorFlow's "SAME"; the odd element goes after).
//
// It never panics: a stride < 1 is treated as 1 and a negative size or kernel as 0 (the layers reject such
// arguments before calling it).
func SamePadding(size, kernel, stride int) [2]int {
	size, kernel, stride = max(size, 0), max(kernel, 0), max(stride, 1)
	total := max(((size+stride-1)/stride-1)*stride+kernel-size, 0)
	return [2]int{total / 2, total - total/2}
}
