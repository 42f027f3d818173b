package explore

import (
	"context"
	"io"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/nn"
)

// convGen is a GoMLX generator with the decoder architecture of Burgess et al. 2018 ("Understanding
// disentangling in β-VAE"): FC 256, FC 4·4·64, then four 4×4 stride-2 transposed convolutions (64, 32, 32, 1
// channels) up to a 64×64 gray image, sigmoid output. Its weights are random: it stands for a trained model's cost.
type convGen struct {
	exec *mlctx.Exec
	dim  int
}

func newConvGen(tb testing.TB, dim int) *convGen {
	tb.Helper()
	b, err := backend.New()
	if err != nil {
		tb.Fatal(err)
	}
	ctx := mlctx.New()
	ctx.SetParam(mlctx.ParamInitialSeed, int64(3))
	exec, err := mlctx.NewExec(b, ctx, func(ctx *mlctx.Context, z *Node) *Node {
		n := z.Shape().Dimensions[0]
		h := Max(nn.Dense(ctx.In("fc"), z, 256).Done(), ScalarZero(z.Graph(), z.DType()))
		h = Max(nn.Dense(ctx.In("fc_up"), h, 4*4*64).Done(), ScalarZero(z.Graph(), z.DType()))
		h = Reshape(h, n, 4, 4, 64)
		for i, ch := range []int{64, 32, 32, 1} {
			h = nn.ConvTranspose(ctx.Inf("deconv%d", i), h, ch).Kernel(4).Stride(2).Padding(1).Done()
			if i < 3 {
				h = Max(h, ScalarZero(z.Graph(), z.DType()))
			}
		}
		return Sigmoid(h)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &convGen{exec: exec, dim: dim}
}

func (g *convGen) LatentDim() int     { return g.dim }
func (g *convGen) ImageShape() [3]int { return [3]int{64, 64, 1} }
func (g *convGen) Generate(z []float32, n int) (out []float32, err error) {
	res, err := g.exec.Exec(tensors.FromFlatDataAndDimensions(z, n, g.dim))
	if err != nil {
		return nil, err
	}
	return tensors.MustCopyFlatData[float32](res[0]), nil
}

// discard is a frontEnd that only encodes what it is given, as GoNB's pipe writer would.
type discard struct{}

func (discard) Display(id, html string)    { _, _ = io.WriteString(io.Discard, html) }
func (discard) Send(address, value string) {}
func (discard) Script(js string)           {}

// BenchmarkSliderToImage is the cell program's share of a slider update for a 64×64 convolutional generator: the
// event is applied to the state, the latent generated (graph already compiled), PNG-encoded and put in the HTML
// handed to GoNB. The browser test measures the full round trip through Jupyter.
func BenchmarkSliderToImage(b *testing.B) {
	g := newConvGen(b, 10)
	e, err := New(g, Options{})
	if err != nil {
		b.Fatal(err)
	}
	w := newWidget(e, discard{}, "bench")
	if err := w.showImage(); err != nil { // compiles the graph for one latent
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		eff := w.handle(Event{Kind: "slider", Mode: "codes", Index: i % 10, Value: float64(i%7) - 3})
		if !eff.redraw {
			b.Fatal("a slider event must redraw")
		}
		if err := w.showImage(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConvGeneratorThroughTheWidget runs the widget loop on the 64×64 GoMLX generator and logs the latency of
// each update (event arrival → image handed to the front end); it checks the images change, not the timing.
func TestConvGeneratorThroughTheWidget(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a GoMLX graph")
	}
	g := newConvGen(t, 10)
	e, err := New(g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fe := newRecorder()
	events := make(chan Event, 100)
	done := make(chan Stats, 1)
	go func() {
		s, err := newWidget(e, fe, "conv").run(context.Background(), events)
		if err != nil {
			t.Error(err)
		}
		done <- s
	}()
	first := fe.next(t)
	fe.next(t) // panel
	fe.next(t) // script
	events <- Event{Kind: "ready"}
	fe.next(t) // state
	prev := srcRe.FindString(first.value)
	for i := range 5 {
		events <- Event{Kind: "slider", Mode: "codes", Index: i, Value: 2.5, at: time.Now()}
		img := fe.next(t)
		cur := srcRe.FindString(img.value)
		if cur == "" || cur == prev {
			t.Fatalf("update %d did not change the image", i)
		}
		prev = cur
	}
	events <- Event{Kind: "done"}
	s := <-done
	if s.Updates != 5 {
		t.Fatalf("%d timed updates, want 5", s.Updates)
	}
	t.Logf("64×64 conv generator: %d updates, event → image sent median %v, max %v (last generate+PNG %v)",
		s.Updates, s.Median, s.Max, s.LastGenerate)
}
