package pytorch

import (
	"github.com/gdisent/gdisent/gdisent/training"

	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers/activations"
	"github.com/pkg/errors"
	"gonum.org/v1/gonum/mat"

	"github.com/gdisent/gdisent/gdisent"
	"github.com/gdisent/gdisent/gdisent/directions"
	"github.com/gdisent/gdisent/gdisent/nn"
)

// Generator is a PyTorch generator rebuilt from gdisent/nn layers with its weights as variables of a GoMLX
// context. It implements gdisent.Generator (host-level, NHWC) and its Graph method is a directions.Generator.
type Generator struct {
	r    *resolved
	b    backends.Backend
	ctx  *context.Context
	mu   sync.Mutex
	exec *context.Exec
}

var _ gdisent.Generator = (*Generator)(nil)

// ReadStateDict reads a state dict from a .safetensors or .npz file, chosen by the extension.
func ReadStateDict(path string) (StateDict, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".safetensors":
		sd, _, err := ReadSafetensors(path)
		return sd, err
	case ".npz":
		return ReadNPZ(path)
	case ".pt", ".pth", ".ckpt", ".bin":
		return nil, errors.Errorf("pytorch: %s: %s files are Python pickles, which cannot be read without Python; "+
			"in PyTorch, save the state_dict with safetensors.torch.save_file(model.state_dict(), \"g.safetensors\") "+
			"or np.savez(\"g.npz\", **{k: v.cpu().numpy() for k, v in model.state_dict().items()})", path, ext)
	default:
		return nil, errors.Errorf("pytorch: %s: unknown extension %q; want .safetensors or .npz", path, ext)
	}
}

// Load reads the state dict at path (.safetensors or .npz) and builds the generator cfg describes.
func Load(b backends.Backend, path string, cfg Config) (*Generator, error) {
	sd, err := ReadStateDict(path)
	if err != nil {
		return nil, err
	}
	g, err := New(b, sd, cfg)
	return g, errors.WithMessage(err, path)
}

// New checks sd against cfg (names, shapes, layouts, finiteness) and builds the generator: weights are converted
// from PyTorch's layouts to gdisent/nn's and stored as variables under cfg.Scope of a new context.
func New(b backends.Backend, sd StateDict, cfg Config) (*Generator, error) {
	if b == nil {
		return nil, errors.New("pytorch: nil backend (use gdisent/backend.New())")
	}
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	if err := r.check(sd); err != nil {
		return nil, err
	}
	g := &Generator{r: r, b: b, ctx: context.New()}
	if err := g.setVariables(sd); err != nil {
		return nil, err
	}
	g.exec, err = context.NewExec(b, g.ctx, func(ctx *context.Context, z *graph.Node) *graph.Node {
		return graph.ConvertDType(g.Graph(ctx, z), dtypes.Float32)
	})
	if err != nil {
		return nil, errors.Wrap(err, "pytorch: compiling the generator")
	}
	return g, nil
}

// check compares the state dict with the expected tensors and collects every problem in one error.
func (r *resolved) check(sd StateDict) error {
	var problems []string
	used := map[string]bool{}
	for _, s := range r.specs {
		used[s.Name] = true
		t, ok := sd[s.Name]
		if !ok || t == nil {
			problems = append(problems, missingProblem(s, sd))
			continue
		}
		if fmt.Sprint(t.Shape) != fmt.Sprint(s.Shape) {
			problems = append(problems, shapeProblem(s, t, r))
			continue
		}
		if len(t.Data) != numel(s.Shape) {
			problems = append(problems, fmt.Sprintf("%q: %d values for shape %v", s.Name, len(t.Data), s.Shape))
			continue
		}
		for i, v := range t.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				problems = append(problems, fmt.Sprintf("%q (%s): element %d is %v", s.Name, s.Role, i, v))
				break
			}
		}
	}
	if !r.cfg.IgnoreUnused {
		var unused []string
		for _, n := range sd.Names() {
			if !used[n] && !strings.HasSuffix(n, "num_batches_tracked") {
				unused = append(unused, n)
			}
		}
		if len(unused) > 0 {
			problems = append(problems, fmt.Sprintf("the architecture does not use %d tensor(s): %s (check the Config "+
				"against the model, or set IgnoreUnused if the file holds other models too)", len(unused), listSome(unused, 8)))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	if len(problems) > 10 {
		problems = append(problems[:10], fmt.Sprintf("and %d more", len(problems)-10))
	}
	return errors.Errorf("pytorch: state dict does not match the architecture:\n  - %s", strings.Join(problems, "\n  - "))
}

func listSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(", … (%d in all)", len(names))
}

func missingProblem(s TensorSpec, sd StateDict) string {
	msg := fmt.Sprintf("missing %q, the %s of shape %v", s.Name, s.Role, s.Shape)
	var similar []string
	for _, n := range sd.Names() {
		if strings.HasSuffix(n, "."+s.Name) {
			return msg + fmt.Sprintf("; the file has %q: set Config.Prefix (or the layer's Name) to match", n)
		}
		if strings.HasSuffix(n, s.Name[strings.LastIndex(s.Name, ".")+1:]) {
			similar = append(similar, fmt.Sprintf("%s %v", n, sd[n].Shape))
		}
	}
	if strings.HasSuffix(s.Name, ".bias") && !strings.Contains(s.Role, "BatchNorm") {
		msg += " (a layer built with bias=False? set Bias to false)"
	}
	if len(similar) > 0 {
		msg += "; candidates: " + listSome(similar, 6)
	}
	return msg
}

func shapeProblem(s TensorSpec, t *Tensor, r *resolved) string {
	msg := fmt.Sprintf("%q (%s): shape %v, want %v", s.Name, s.Role, t.Shape, s.Shape)
	got, want := t.Shape, s.Shape
	swapped := len(got) == len(want) && len(got) >= 2 && got[0] == want[1] && got[1] == want[0] && got[0] != got[1] &&
		fmt.Sprint(got[2:]) == fmt.Sprint(want[2:])
	switch {
	case swapped && strings.HasPrefix(s.Role, "ConvTranspose2d weight"):
		msg += ": this is the layout of a Conv2d weight (out, in, kH, kW); is the layer a Conv2d (Block.Kind)?"
	case swapped && strings.HasPrefix(s.Role, "Conv2d weight"):
		msg += ": this is the layout of a ConvTranspose2d weight (in, out, kH, kW); is the layer a ConvTranspose2d?"
	case swapped && strings.HasPrefix(s.Role, "Linear weight"):
		msg += ": stored transposed; nn.Linear keeps (out_features, in_features), save the state_dict unchanged"
	case len(got) == 4 && len(want) == 4 && got[0] == want[2] && got[1] == want[3] && numel(got) == numel(want):
		msg += ": this looks like an HWIO (TensorFlow/GoMLX) kernel; save PyTorch's state_dict unconverted"
	case strings.HasPrefix(s.Role, "BatchNorm") && r.cfg.Linear != nil && len(got) == 1:
		l := r.cfg.Linear
		if got[0] == l.Channels*l.Height*l.Width && !l.Norm1d {
			msg += ": a BatchNorm1d over the Linear's features; set Linear.Norm1d"
		} else if got[0] == l.Channels && l.Norm1d {
			msg += ": a BatchNorm2d over channels; unset Linear.Norm1d"
		} else {
			msg += ": check the channel counts"
		}
	default:
		msg += ": check LatentDim, Channels and Kernel against the model"
	}
	return msg
}

// setVariables converts the PyTorch tensors to gdisent/nn's layouts and creates the context variables.
func (g *Generator) setVariables(sd StateDict) (err error) {
	defer training.Recover(&err, "pytorch: creating the weight variables")
	r := g.r
	scope := g.ctx.InAbsPath(r.cfg.Scope)
	set := func(ctx *context.Context, name string, data []float32, dims ...int) *context.Variable {
		var t *tensors.Tensor
		if r.cfg.DType == dtypes.Float64 {
			f := make([]float64, len(data))
			for i, v := range data {
				f[i] = float64(v)
			}
			t = tensors.FromFlatDataAndDimensions(f, dims...)
		} else {
			t = tensors.FromFlatDataAndDimensions(append([]float32(nil), data...), dims...)
		}
		return ctx.VariableWithValue(name, t)
	}
	for _, l := range r.layers {
		w := sd[l.name+".weight"].Data
		lc := scope.In(l.name)
		switch {
		case l.linear:
			dc := lc.In("dense")
			set(dc, "weights", transpose2D(w, l.out, l.in), l.in, l.out)
			if r.cfg.Linear.Bias {
				set(dc, "biases", sd[l.name+".bias"].Data, l.out)
			}
		default:
			k := l.block.Kernel
			sub, kernel := "conv_transpose", ioHWToHWIO(w, l.in, l.out, k)
			if l.block.Kind == Conv2d {
				sub, kernel = "conv", oiHWToHWIO(w, l.out, l.in, k)
			}
			cc := lc.In(sub)
			set(cc, "weights", kernel, k, k, l.in, l.out)
			if l.block.Bias {
				set(cc, "biases", sd[l.name+".bias"].Data, l.out)
			}
		}
		if l.normName != "" {
			bc := scope.In(l.normName).In("batch_norm")
			n := len(sd[l.normName+".weight"].Data)
			set(bc, "scale", sd[l.normName+".weight"].Data, n)
			set(bc, "offset", sd[l.normName+".bias"].Data, n)
			set(bc, "mean", sd[l.normName+".running_mean"].Data, n).SetTrainable(false)
			set(bc, "variance", sd[l.normName+".running_var"].Data, n).SetTrainable(false)
		}
	}
	return nil
}

// transpose2D turns a row-major [rows, cols] matrix into [cols, rows] (nn.Linear's (out, in) → Dense's (in, out)).
func transpose2D(w []float32, rows, cols int) []float32 {
	out := make([]float32, len(w))
	for i := range rows {
		for j := range cols {
			out[j*rows+i] = w[i*cols+j]
		}
	}
	return out
}

// ioHWToHWIO reorders a ConvTranspose2d weight [in, out, k, k] to gdisent/nn's [k, k, in, out]. No kernel flip is
// needed: nn.ConvTranspose2D scatters x[i]·K[t] to output i·stride − padding + t, PyTorch's own definition (a flip
// only appears when a transposed convolution is written as a convolution of the zero-dilated input).
func ioHWToHWIO(w []float32, in, out, k int) []float32 {
	dst := make([]float32, len(w))
	for i := range in {
		for o := range out {
			for y := range k {
				for x := range k {
					dst[((y*k+x)*in+i)*out+o] = w[((i*out+o)*k+y)*k+x]
				}
			}
		}
	}
	return dst
}

// oiHWToHWIO reorders a Conv2d weight [out, in, k, k] to [k, k, in, out]; both are cross-correlations.
func oiHWToHWIO(w []float32, out, in, k int) []float32 {
	dst := make([]float32, len(w))
	for o := range out {
		for i := range in {
			for y := range k {
				for x := range k {
					dst[((y*k+x)*in+i)*out+o] = w[((o*in+i)*k+y)*k+x]
				}
			}
		}
	}
	return dst
}

// Graph is the generator as a GoMLX graph function, a directions.Generator: z [B, LatentDim] → images
// [B, H, W, C] (NHWC; PyTorch's output permuted by (0, 2, 3, 1)). ctx must hold the weights: pass Context() or a
// context derived from it (e.g. ctx.Reuse()). Batch norm always uses the running statistics, even inside
// training graphs (the training flag is switched off around G and restored), so the imported weights never
// change. z of another float dtype than Config.DType is converted, and the output has z's dtype.
func (g *Generator) Graph(ctx *context.Context, z *graph.Node) *graph.Node {
	return g.forward(ctx, z, len(g.r.layers))
}

// NumLayers is the number of layers (the Linear, if any, and the blocks).
func (g *Generator) NumLayers() int { return len(g.r.layers) }

// Features returns the graph function that stops after the first n layers (1 ≤ n ≤ NumLayers()), with its
// activations (after batch norm and activation) as [B, h, w, c] NHWC; e.g. for GANSpace on an early layer or the
// Jacobian of an intermediate feature map. Features(NumLayers()) is Graph.
func (g *Generator) Features(n int) directions.Generator {
	return func(ctx *context.Context, z *graph.Node) *graph.Node {
		if n < 1 || n > len(g.r.layers) {
			panicf("pytorch: Features(%d): n must be in [1, %d]", n, len(g.r.layers))
		}
		return g.forward(ctx, z, n)
	}
}

func panicf(format string, args ...any) { panic(errors.Errorf(format, args...)) }

func (g *Generator) forward(ctx *context.Context, z *graph.Node, upto int) *graph.Node {
	r := g.r
	c := r.cfg
	if ctx == nil || z == nil {
		panicf("pytorch: Generator.Graph: nil context or latent")
	}
	if z.Rank() != 2 || z.Shape().Dimensions[1] != c.LatentDim || !z.DType().IsFloat() {
		panicf("pytorch: Generator.Graph: z must be float [batch, %d], got %s", c.LatentDim, z.Shape())
	}
	first := r.layers[0]
	if ctx.GetVariableByScopeAndName(c.Scope+"/"+first.name+"/"+varScope(first), "weights") == nil {
		panicf("pytorch: Generator.Graph: the context has no generator weights under %q: pass Generator.Context() "+
			"or a context derived from it", c.Scope)
	}
	gr := z.Graph()
	if ctx.IsTraining(gr) {
		ctx.SetTraining(gr, false)
		defer ctx.SetTraining(gr, true)
	}
	sc := ctx.InAbsPath(c.Scope).Reuse()
	inType := z.DType()
	x := z
	if inType != c.DType {
		x = graph.ConvertDType(z, c.DType)
	}
	bsz := z.Shape().Dimensions[0]
	norm := func(name string, h *graph.Node) *graph.Node {
		if name == "" {
			return h
		}
		return nn.BatchNorm(sc.In(name), h).Epsilon(c.Eps).Done()
	}
	var h *graph.Node
	i := 0
	if first.linear {
		l, lin := first, c.Linear
		h = nn.Dense(sc.In(l.name), x, l.out).Bias(lin.Bias).Done() // [B, C·H·W] in PyTorch's (c, h, w) order
		toNHWC := func(h *graph.Node) *graph.Node {
			return graph.TransposeAllAxes(graph.Reshape(h, bsz, lin.Channels, lin.Height, lin.Width), 0, 2, 3, 1)
		}
		if lin.Norm1d {
			h = toNHWC(activate(norm(l.normName, h), l.act, c.LeakySlope))
		} else {
			h = activate(norm(l.normName, toNHWC(h)), l.act, c.LeakySlope)
		}
		i = 1
	} else {
		h = graph.Reshape(x, bsz, 1, 1, c.LatentDim) // z.view(-1, nz, 1, 1) in NHWC
	}
	for ; i < upto; i++ {
		l := r.layers[i]
		b := l.block
		if b.Upsample > 1 {
			h = nn.UpsampleNearest(h, b.Upsample)
		}
		lc := sc.In(l.name)
		if b.Kind == Conv2d {
			h = nn.Conv(lc, h, l.out).Kernel(b.Kernel).Stride(b.Stride).Padding(b.Padding).Bias(b.Bias).Done()
		} else {
			h = nn.ConvTranspose(lc, h, l.out).Kernel(b.Kernel).Stride(b.Stride).Padding(b.Padding).
				OutputPadding(b.OutputPadding).Bias(b.Bias).Done()
		}
		h = activate(norm(l.normName, h), l.act, c.LeakySlope)
	}
	if h.DType() != inType {
		h = graph.ConvertDType(h, inType)
	}
	return h
}

func varScope(l layer) string {
	switch {
	case l.linear:
		return "dense"
	case l.block.Kind == Conv2d:
		return "conv"
	}
	return "conv_transpose"
}

func activate(h *graph.Node, a Activation, slope float64) *graph.Node {
	switch a {
	case ReLU:
		return activations.Relu(h)
	case LeakyReLU:
		return activations.LeakyReluWithAlpha(h, slope)
	case Tanh:
		return graph.Tanh(h)
	case Sigmoid:
		return graph.Sigmoid(h)
	}
	return h
}

// LatentDim is the length of z.
func (g *Generator) LatentDim() int { return g.r.cfg.LatentDim }

// ImageShape is the output's [H, W, C].
func (g *Generator) ImageShape() [3]int { return g.r.shape }

// Config returns the configuration with every default filled in.
func (g *Generator) Config() Config { return g.r.cfg }

// Context holds the weights (under Config().Scope); pass it to the directions methods with Graph.
func (g *Generator) Context() *context.Context { return g.ctx }

// Backend is the backend Generate runs on.
func (g *Generator) Backend() backends.Backend { return g.b }

// Generate maps n latents (row-major n×LatentDim) to n images, flat float32 [n, H, W, C] (NHWC: PyTorch's
// [n, C, H, W] output permuted by (0, 2, 3, 1); see ToNCHW to go back). Batch norm uses the running statistics.
func (g *Generator) Generate(z []float32, n int) (out []float32, err error) {
	d := g.r.cfg.LatentDim
	if n <= 0 || len(z) != n*d {
		return nil, errors.Errorf("pytorch: Generate: %d latent values for n=%d, want n×%d", len(z), n, d)
	}
	defer training.Recover(&err, "pytorch: Generate")
	g.mu.Lock()
	defer g.mu.Unlock()
	res, err := g.exec.Exec(tensors.FromFlatDataAndDimensions(append([]float32(nil), z...), n, d))
	if err != nil {
		return nil, errors.Wrap(err, "pytorch: Generate")
	}
	return tensors.CopyFlatData[float32](res[0])
}

// FirstLayer returns the scope and name of the weight of the layer that reads z, for directions.LatentWeight:
// the Linear's "weights" [LatentDim, M] or the first kernel [k, k, LatentDim, out].
func (g *Generator) FirstLayer() (scope, name string) {
	l := g.r.layers[0]
	return g.r.cfg.Scope + "/" + l.name + "/" + varScope(l), "weights"
}

// LatentWeight is the first layer's weight as the LatentDim×M matrix that SeFa (Shen & Zhou 2021) factorises.
// For a ConvTranspose2d from a 1×1 map its columns are the (kH, kW, out) entries, a permutation of the columns of
// PyTorch's weight.view(nz, -1), so SeFa's directions are the same as on the PyTorch weight.
func (g *Generator) LatentWeight() (*mat.Dense, error) {
	scope, name := g.FirstLayer()
	return directions.LatentWeight(g.ctx, scope, name, -1)
}

// ToNHWC permutes n images from PyTorch's [n, C, H, W] to gdisent's [n, H, W, C] (flat, row-major).
func ToNHWC(x []float32, n, c, h, w int) ([]float32, error) {
	if len(x) != n*c*h*w {
		return nil, errors.Errorf("pytorch: ToNHWC: %d values for %d×%d×%d×%d", len(x), n, c, h, w)
	}
	out := make([]float32, len(x))
	for b := range n {
		for ch := range c {
			for y := range h {
				for xx := range w {
					out[((b*h+y)*w+xx)*c+ch] = x[((b*c+ch)*h+y)*w+xx]
				}
			}
		}
	}
	return out, nil
}

// ToNCHW permutes n images from gdisent's [n, H, W, C] to PyTorch's [n, C, H, W] (flat, row-major).
func ToNCHW(x []float32, n, h, w, c int) ([]float32, error) {
	if len(x) != n*c*h*w {
		return nil, errors.Errorf("pytorch: ToNCHW: %d values for %d×%d×%d×%d", len(x), n, h, w, c)
	}
	out := make([]float32, len(x))
	for b := range n {
		for ch := range c {
			for y := range h {
				for xx := range w {
					out[((b*c+ch)*h+y)*w+xx] = x[((b*h+y)*w+xx)*c+ch]
				}
			}
		}
	}
	return out, nil
}
