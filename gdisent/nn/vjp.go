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
// first operand, as in GoMLX), and both select against a scalar zero. Inputs with a broadcast shape keep GoMLX's
// original VJP. The only difference is for non-finite inputs of Max/Min (e.g. a NaN operand), where GoMLX's
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
		zero := ScalarZero(node.Graph(), v[0].DType())
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
