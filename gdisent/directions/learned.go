// Pieces shared by the learned direction methods (Latent Discovery, Hessian discovery, the coordinate encoder).

package directions

import (
	"strings"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"

	"github.com/gdisent/gdisent/gdisent/training"
)

// minimize registers loss with the shared per-scope Adam of gdisent/training (Kingma & Ba 2015; β1 0.9, β2 0.999,
// ε 1e-8) over the trainable variables under the absolute scope. Its state lives under
// training.OptimizerScope/<scope>; only these variables change, everything else in ctx (e.g. G) stays frozen.
func minimize(ctx *context.Context, out *training.Outputs, scope string, loss *Node, lr float64) {
	out.Minimize("loss", loss, training.NewAdam(ctx.InAbsPath(scope)).LearningRate(lr).Betas(0.9, 0.999).Epsilon(1e-8))
}

// frozenGen calls the frozen generator in inference mode (batch-norm moving averages, no statistic updates),
// since training.Step marks its graphs as training; the training flag is restored afterwards.
func frozenGen(ctx *context.Context, gen Generator, z *Node) *Node {
	g := z.Graph()
	ctx.SetTraining(g, false)
	out := genReuse(ctx, gen, z)
	ctx.SetTraining(g, true)
	return out
}

// runStep runs a compiled directions step and returns its metrics, wrapping errors with what.
func runStep(s *training.Step, step *int64, what string) (training.Metrics, error) {
	m, err := s.Run(*step)
	*step++
	if err != nil {
		return m, errors.WithMessage(err, what)
	}
	return m, nil
}

func readDirections(ctx *context.Context, scope string, linear bool, k int, method string) (dirs Directions, err error) {
	defer training.Recover(&err, "directions: reading %s directions", method)
	name := "S"
	if linear {
		name = "A"
	}
	v := ctx.GetVariableByScopeAndName(scope, name)
	if v == nil {
		return dirs, errors.Errorf("directions: no variable %s/%s", scope, name)
	}
	t, err := v.Value()
	if err != nil {
		return dirs, err
	}
	m, err := WeightMatrix(t, 0)
	if err != nil {
		return dirs, err
	}
	d, _ := m.Dims()
	out := mat.NewDense(d, k, nil)
	if linear {
		out.Copy(m)
	} else {
		var skew, e mat.Dense
		skew.Sub(m, m.T())
		e.Exp(&skew)
		out.Copy(e.Slice(0, d, 0, k))
	}
	for j := 0; j < k; j++ {
		n := mat.Norm(out.ColView(j), 2)
		if n == 0 {
			return dirs, errors.Errorf("directions: %s direction %d is zero", method, j)
		}
		for i := 0; i < d; i++ {
			out.Set(i, j, out.At(i, j)/n)
		}
	}
	return Directions{Method: method, Vectors: out}, nil
}

// absScope returns scope as an absolute context scope, or def when scope is empty.
func absScope(scope, def string) string {
	if scope == "" {
		scope = def
	}
	if !strings.HasPrefix(scope, context.ScopeSeparator) {
		scope = context.ScopeSeparator + scope
	}
	return scope
}
