package gan

import (
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/pkg/errors"
)

// Losses are graph-building functions: like GoMLX's own layers they panic (with an error naming the problem) on
// invalid shapes; the training code above them turns panics into errors.

func flatLogits(name string, x *Node) *Node {
	if x == nil || !x.DType().IsFloat() {
		panic(errors.Errorf("gan.%s: logits must be a float tensor", name))
	}
	if x.Rank() == 2 && x.Shape().Dimensions[1] == 1 {
		return Reshape(x, -1)
	}
	if x.Rank() != 1 {
		panic(errors.Errorf("gan.%s: logits must be [batch] or [batch, 1], got %s", name, x.Shape()))
	}
	return x
}

// DiscriminatorLoss is the standard GAN discriminator loss on logits (Goodfellow et al. 2014):
// −E log σ(realLogits) − E log(1 − σ(fakeLogits)) = E softplus(−real) + E softplus(fake).
// The logit form equals the sigmoid form of InfoGAN-CR's code without its ε = 1e-8.
func DiscriminatorLoss(realLogits, fakeLogits *Node) *Node {
	r := flatLogits("DiscriminatorLoss", realLogits)
	f := flatLogits("DiscriminatorLoss", fakeLogits)
	return Add(ReduceAllMean(Softplus(Neg(r))), ReduceAllMean(Softplus(f)))
}

// DiscriminatorLossJoint is DiscriminatorLoss for the logits of one pass over [real; fake] concatenated along the
// batch (the first numReal rows real). It uses constant masks rather than slicing, so it can be differentiated
// twice (GoMLX v0.26 has no gradient for Pad, which a Slice's gradient contains), as unrolling needs.
func DiscriminatorLossJoint(logits *Node, numReal int) *Node {
	l := flatLogits("DiscriminatorLossJoint", logits)
	n := l.Shape().Dimensions[0]
	if numReal <= 0 || numReal >= n {
		panic(errors.Errorf("gan.DiscriminatorLossJoint: numReal must be in (0, %d), got %d", n, numReal))
	}
	wr, wf := make([]float64, n), make([]float64, n)
	for i := range n {
		if i < numReal {
			wr[i] = 1 / float64(numReal)
		} else {
			wf[i] = 1 / float64(n-numReal)
		}
	}
	g := l.Graph()
	wReal := ConvertDType(Const(g, wr), l.DType())
	wFake := ConvertDType(Const(g, wf), l.DType())
	return ReduceAllSum(Add(Mul(wReal, Softplus(Neg(l))), Mul(wFake, Softplus(l))))
}

// GeneratorLoss is the non-saturating generator loss −E log σ(fakeLogits) = E softplus(−fake).
func GeneratorLoss(fakeLogits *Node) *Node {
	return ReduceAllMean(Softplus(Neg(flatLogits("GeneratorLoss", fakeLogits))))
}

// MinimaxGeneratorLoss is the generator's side of the original saddle objective (Goodfellow et al. 2014),
// E[log(1 − D(G(z)))] = −E softplus(logit), which the unrolled-GAN experiments of Metz et al. (2017) use; it
// gives weak gradients where the discriminator rejects the samples, which is why GeneratorLoss is the default.
func MinimaxGeneratorLoss(fakeLogits *Node) *Node {
	return Neg(ReduceAllMean(Softplus(flatLogits("MinimaxGeneratorLoss", fakeLogits))))
}

// GaussianNLL is the InfoGAN continuous-code term −E log q(c | x) for a factorised Gaussian q with the given mean
// [batch, m] and either a fixed standard deviation (logStd nil; std > 0) or per-element log std [batch, m]:
// Σ_j [(c_j − μ_j)² / (2σ_j²) + log σ_j + ½ log 2π], averaged over the batch.
func GaussianNLL(mean, logStd *Node, std float64, target *Node) *Node {
	if mean == nil || target == nil || mean.Rank() != 2 || !mean.Shape().Equal(target.Shape()) {
		panic(errors.Errorf("gan.GaussianNLL: mean and target must both be [batch, m], got %v and %v",
			shapeOf(mean), shapeOf(target)))
	}
	g := mean.Graph()
	dt := mean.DType()
	diff := Sub(target, mean)
	var perElem *Node
	if logStd == nil {
		if !(std > 0) || math.IsInf(std, 0) {
			panic(errors.Errorf("gan.GaussianNLL: fixed std must be finite and > 0, got %g", std))
		}
		perElem = AddScalar(MulScalar(Square(diff), 1/(2*std*std)), math.Log(std)+0.5*math.Log(2*math.Pi))
	} else {
		if !logStd.Shape().Equal(mean.Shape()) {
			panic(errors.Errorf("gan.GaussianNLL: logStd %s must match mean %s", logStd.Shape(), mean.Shape()))
		}
		inv := Exp(MulScalar(logStd, -2))
		perElem = AddScalar(Add(MulScalar(Mul(Square(diff), inv), 0.5), logStd), 0.5*math.Log(2*math.Pi))
	}
	batch := float64(mean.Shape().Dimensions[0])
	return Div(ReduceAllSum(perElem), Scalar(g, dt, batch))
}

// CategoricalNLL is the InfoGAN categorical-code term −E log q(c | x) = cross-entropy of softmax(logits) with the
// category labels: logits [batch, k] and labels int [batch], averaged over the batch.
func CategoricalNLL(logits, labels *Node) *Node {
	if logits == nil || labels == nil || logits.Rank() != 2 || labels.Rank() != 1 ||
		labels.Shape().Dimensions[0] != logits.Shape().Dimensions[0] || !labels.DType().IsInt() {
		panic(errors.Errorf("gan.CategoricalNLL: need logits [batch, k] and int labels [batch], got %v and %v",
			shapeOf(logits), shapeOf(labels)))
	}
	k := logits.Shape().Dimensions[1]
	oneHot := OneHot(labels, k, logits.DType())
	return Neg(ReduceAllMean(ReduceSum(Mul(oneHot, LogSoftmax(logits, -1)), -1)))
}

// CategoricalEntropy is H(c) of a uniform categorical code with k categories (log k nats): InfoGAN's mutual
// information lower bound is Î = H(c) − CategoricalNLL.
func CategoricalEntropy(k int) float64 { return math.Log(float64(k)) }

// Accuracy is the fraction of rows whose arg-max logit equals the label (logits [batch, k], int labels [batch]).
func Accuracy(logits, labels *Node) *Node {
	pred := ArgMax(logits, -1, labels.DType())
	return ReduceAllMean(ConvertDType(Equal(pred, labels), logits.DType()))
}

func shapeOf(x *Node) any {
	if x == nil {
		return "nil"
	}
	return x.Shape()
}
