package nn

import (
	"runtime"
	"sync"
	"weak"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Convolutions as single ConvGeneral ops with exact gradients.
//
// A convolution y = F(x, K), its input gradient dx = BI(dy, K) (a transposed convolution) and its kernel gradient
// dK = BF(x, dy) are bilinear, and each one's vector-Jacobian product is made of the other two (the adjoint
// identities ⟨F(x,K), g⟩ = ⟨x, BI(g,K)⟩ = ⟨K, BF(x,g)⟩). Building all three as ConvGeneral ops and registering that
// VJP for them gives exact gradients of any order while every op stays one backend convolution, which gdisent's
// CPU kernels (gdisent/backend/fastcpu) compute without materialising the im2col patch matrix. GoMLX's own
// ConvGeneral VJP (v0.26) is wrong for even kernels and has no second order, so it is replaced for the nodes built
// here only: GoMLX's VJP registry (graph.VJPRegistration, documented as replaceable) gets a dispatcher that looks
// the node up and falls back to the original for every other ConvGeneral.

// convGeom is the geometry of one convolution x [B, in..., C] ⊛ K → y [B, out..., O].
type convGeom struct {
	in, out, k, s [2]int
	pad           [2][2]int
	// swapped says the kernel is stored [kh, kw, O, C] (ConvTranspose2D's layout: the transposed convolution's
	// input channels are the convolution's outputs) instead of [kh, kw, C, O].
	swapped bool
}

// rem is the number of trailing padded input rows along axis a that no output reads.
func (g convGeom) rem(a int) int {
	return g.in[a] + g.pad[a][0] + g.pad[a][1] - g.k[a] - (g.out[a]-1)*g.s[a]
}

// supported reports whether the three ConvGeneral forms can express the geometry with non-negative paddings.
func (g convGeom) supported() bool {
	for a := range 2 {
		if g.pad[a][0] > g.k[a]-1 || g.pad[a][1] > g.k[a]-1 || g.rem(a) < 0 {
			return false
		}
	}
	return true
}

// kernelAxes returns the kernel's input and output channel axes for the convolution.
func (g convGeom) kernelAxes() (in, out int) {
	if g.swapped {
		return 3, 2
	}
	return 2, 3
}

type convForm int

const (
	formF  convForm = iota // y = F(x, K)
	formBI                 // dx = BI(dy, K)
	formBF                 // dK = BF(x, dy)
)

type convInfo struct {
	form convForm
	geom convGeom
	a, b *Node // the logical operands: (x, K), (dy, K) or (x, dy)
}

// The registry of the ConvGeneral nodes built here, keyed weakly so that finished graphs can be collected.
var (
	convMu  sync.Mutex
	convReg = map[weak.Pointer[Node]]convInfo{}
)

func registerConv(n *Node, info convInfo) {
	key := weak.Make(n)
	convMu.Lock()
	convReg[key] = info
	convMu.Unlock()
	runtime.AddCleanup(n, func(k weak.Pointer[Node]) {
		convMu.Lock()
		delete(convReg, k)
		convMu.Unlock()
	}, key)
}

func lookupConv(n *Node) (convInfo, bool) {
	convMu.Lock()
	defer convMu.Unlock()
	info, ok := convReg[weak.Make(n)]
	return info, ok
}

func init() {
	orig := VJPRegistration[NodeTypeConvGeneral]
	VJPRegistration[NodeTypeConvGeneral] = func(node *Node, v []*Node, outputShape shapes.Shape) []*Node {
		info, ok := lookupConv(node)
		if !ok {
			return orig(node, v, outputShape)
		}
		dy, g := v[0], info.geom
		switch info.form {
		case formF: // y = F(x, K): dx = BI(dy, K), dK = BF(x, dy)
			return []*Node{convBI(g, dy, info.b), convBF(g, info.a, dy)}
		case formBI: // dx = BI(g, K): dg = F(v, K), dK = BF(v, g); the node's kernel input is K reversed
			return []*Node{convF(g, dy, info.b), reverseTaps(convBF(g, dy, info.a))}
		default: // dK = BF(x, g): dx = BI(g, v), dg = F(x, v)
			return []*Node{convBI(g, info.b, dy), convF(g, info.a, dy)}
		}
	}
}

// convF is the convolution y = F(x, K): x [B, in..., C], K [kh, kw, C, O] (or [kh, kw, O, C] when swapped).
func convF(g convGeom, x, k *Node) *Node {
	kin, kout := g.kernelAxes()
	axes := ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
		KernelInputChannels: kin, KernelOutputChannels: kout, KernelSpatial: []int{0, 1},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
	}
	y := ConvGeneral(x, k, axes, g.s[:], [][2]int{g.pad[0], g.pad[1]}, []int{1, 1}, []int{1, 1}, 1, 1)
	registerConv(y, convInfo{formF, g, x, k})
	return y
}

// convBI is the input gradient dx = BI(dy, K) [B, in..., C] of dy [B, out..., O]: a convolution of dy dilated by
// the strides with the spatially reversed kernel, its channel axes exchanged.
func convBI(g convGeom, dy, k *Node) *Node {
	kin, kout := g.kernelAxes()
	axes := ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
		KernelInputChannels: kout, KernelOutputChannels: kin, KernelSpatial: []int{0, 1},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
	}
	var pads [][2]int
	for a := range 2 {
		pads = append(pads, [2]int{g.k[a] - 1 - g.pad[a][0], g.k[a] - 1 - g.pad[a][1] + g.rem(a)})
	}
	dx := ConvGeneral(dy, reverseTaps(k), axes, []int{1, 1}, pads, g.s[:], []int{1, 1}, 1, 1)
	registerConv(dx, convInfo{formBI, g, dy, k})
	return dx
}

// convBF is the kernel gradient dK = BF(x, dy), laid out like the kernel: a convolution of x, with batch and
// channel axes exchanged, by dy as the kernel dilated by the strides.
func convBF(g convGeom, x, dy *Node) *Node {
	kin, kout := g.kernelAxes()
	axes := ConvolveAxesConfig{
		InputBatch: 3, InputChannels: 0, InputSpatial: []int{1, 2},
		KernelInputChannels: 0, KernelOutputChannels: 3, KernelSpatial: []int{1, 2},
		OutputBatch: kin, OutputChannels: kout, OutputSpatial: []int{0, 1},
	}
	var pads [][2]int
	for a := range 2 {
		pads = append(pads, [2]int{g.pad[a][0], g.pad[a][1] - g.rem(a)})
	}
	dk := ConvGeneral(x, dy, axes, []int{1, 1}, pads, []int{1, 1}, g.s[:], 1, 1)
	registerConv(dk, convInfo{formBF, g, x, dy})
	return dk
}

// reverseTaps reverses a kernel [kh, kw, ...] along both spatial axes. It is a Gather of the taps (GoMLX v0.26 has
// no gradient for Reverse; Gather and its gradient ScatterSum are differentiable to any order).
func reverseTaps(k *Node) *Node {
	dims := k.Shape().Dimensions
	kh, kw := dims[0], dims[1]
	idx := make([]int32, kh*kw)
	for i := range idx {
		idx[i] = int32(kh*kw - 1 - i)
	}
	flat := Reshape(k, append([]int{kh * kw}, dims[2:]...)...)
	return Reshape(Gather(flat, Reshape(Const(k.Graph(), idx), kh*kw, 1)), dims...)
}
