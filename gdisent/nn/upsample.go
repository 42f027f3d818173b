package nn

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// UpsampleNearest repeats every pixel of x [B, H, W, C] factor times along height and width, giving
// [B, H·factor, W·factor, C]: PyTorch's nn.Upsample(scale_factor=factor, mode="nearest") for an integer factor.
// It is a Reshape and a broadcast, so its gradients of every order are exact (the first-order one sums each
// factor×factor block). A factor of 1 returns x.
func UpsampleNearest(x *Node, factor int) *Node {
	if x == nil {
		panicf("nn.UpsampleNearest: input is nil")
	}
	if x.Rank() != 4 {
		panicf("nn.UpsampleNearest: input must be rank 4 [batch, height, width, channels] (NHWC), got %s", x.Shape())
	}
	if factor < 1 {
		panicf("nn.UpsampleNearest: factor must be >= 1, got %d", factor)
	}
	if factor == 1 {
		return x
	}
	d := x.Shape().Dimensions
	y := Reshape(x, d[0], d[1], 1, d[2], 1, d[3])
	y = BroadcastToDims(y, d[0], d[1], factor, d[2], factor, d[3])
	return Reshape(y, d[0], d[1]*factor, d[2]*factor, d[3])
}
