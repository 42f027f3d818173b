package vae

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// DIPCovariance is the covariance DIP-VAE (Kumar et al. 2018, "Variational Inference of Disentangled Latent
// Concepts from Unlabeled Observations", ICLR) pushes towards the identity, estimated on a batch [B, L]:
//
//	DIP-VAE-I:  Cov[μ(x)]                       (the posterior means' covariance)
//	DIP-VAE-II: Cov[μ(x)] + E[diag σ²(x)]       (the aggregate posterior's covariance)
func DIPCovariance(mean, logVar *Node, second bool) *Node {
	b := float64(mean.Shape().Dimensions[0])
	centred := Sub(mean, ReduceAndKeep(mean, ReduceMean, 0))
	cov := DivScalar(Einsum("bi,bj->ij", centred, centred), b) // [L, L], the biased (1/B) estimate
	if second {
		cov = Add(cov, MatrixDiag(ReduceMean(Exp(logVar), 0)))
	}
	return cov
}

// MatrixDiag is the square matrix with v [L] on its diagonal.
func MatrixDiag(v *Node) *Node {
	l := v.Shape().Dimensions[0]
	return Mul(identity(v.Graph(), l, v), InsertAxes(v, 0))
}

// DIPPenalty is λ_od·Σ_{i≠j} C_ij² + λ_d·Σ_i (C_ii − 1)² for a covariance C [L, L].
func DIPPenalty(cov *Node, lambdaOD, lambdaD float64) *Node {
	l := cov.Shape().Dimensions[0]
	eye := identity(cov.Graph(), l, cov)
	diag := ReduceSum(Mul(cov, eye), 1) // [L]
	off := Sub(cov, Mul(cov, eye))
	return Add(MulScalar(ReduceAllSum(Square(off)), lambdaOD), MulScalar(ReduceAllSum(Square(AddScalar(diag, -1))), lambdaD))
}

// identity is the l×l identity matrix in like's dtype.
func identity(g *Graph, l int, like *Node) *Node {
	return DiagonalWithValue(ScalarOne(g, like.DType()), l)
}
