package nn

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Leaner gradients for Max, Min and Where.
//
// GoMLX v0.26 differentiates Max(a, b) (ReLU is Max(x, 0)) through the indicator Sign(Sign(a−b)+1) and its
// complement, five full-size passes over the activation, and Where(c, x, y) (LeakyReLU is a Where) by selecting
// against a materialised tensor of zeros. On the CPU these elementwise passes cost as much as the convolutions of a
// small network. This package re-registers the two VJPs (graph.VJPRegistration, which GoMLX documents as
// replaceable) with the same values built from fewer ops: Max routes v by one GreaterOrEqual mask (ties go to the
// first operand, as in GoMLX), both select against a scalar zero, and a LeakyReLU-shaped Where(c, x, a·x) sends x
// its whole gradient v·(c ? 1 : a) in one product. Inputs with a broadcast shape keep GoMLX's original VJP. The only difference is for non-finite inputs of Max/Min (e.g. a NaN operand), where GoMLX's
// gradient is NaN and this one is v or 0.

func init() {
	origMax, origMin := VJPRegistration[NodeTypeMax], VJPRegistration[NodeTypeMin]
	minMax := func(isMax bool, orig VJP) VJP {
		return func(node *Node, v []*Node, outputShape shapes.Shape) []*Node {
			in := node.Inputs()
			if len(v) != 1 || !sameShapes(node, in...) || !node.DType().IsFloat() {
				return orig(node, v, outputShape)
			}
			// Ties (a == b) go to the first operand for Max (a >= b) and for Min (a <= b).
			var first *Node
			if isMax {
				first = GreaterOrEqual(in[0], in[1])
			} else {
				first = LessOrEqual(in[0], in[1])
			}
			zero := ScalarZero(node.Graph(), v[0].DType())
			return []*Node{Where(first, v[0], zero), Where(first, zero, v[0])}
		}
	}
	VJPRegistration[NodeTypeMax] = minMax(true, origMax)
	VJPRegistration[NodeTypeMin] = minMax(false, origMin)

	origWhere := VJPRegistration[NodeTypeWhere]
	VJPRegistration[NodeTypeWhere] = func(node *Node, v []*Node, outputShape shapes.Shape) []*Node {
		in := node.Inputs()
		if len(v) != 1 || !sameShapes(node, in...) {
			return origWhere(node, v, outputShape)
		}
		g := node.Graph()
		zero := ScalarZero(g, v[0].DType())
		if a := scaledBy(in[2], in[1]); a != nil {
			// LeakyReLU-like Where(c, x, a·x) with a constant scalar a: x's whole gradient v·(c ? 1 : a) in one
			// product; the a·x branch gets none of it (its only other input is the constant).
			return []*Node{nil, Mul(v[0], Where(in[0], ScalarOne(g, v[0].DType()), a)), nil}
		}
		return []*Node{nil, Where(in[0], v[0], zero), Where(in[0], zero, v[0])}
	}
}

// sameShapes reports whether every input has the node's dimensions (no broadcasting involved).
func sameShapes(node *Node, in ...*Node) bool {
	for _, x := range in {
		if !x.Shape().EqualDimensions(node.Shape()) {
			return false
		}
	}
	return true
}

// scaledBy returns the constant scalar a when m is Mul(x, a) or Mul(a, x), else nil.
func scaledBy(m, x *Node) *Node {
	if m.Type() != NodeTypeMul {
		return nil
	}
	in := m.Inputs()
	for i := range 2 {
		if in[i] == x && in[1-i].Type() == NodeTypeConstant && in[1-i].Shape().IsScalar() {
			return in[1-i]
		}
	}
	return nil
}
