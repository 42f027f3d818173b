// Package purego registers "purego": GoMLX's pure-Go SimpleGo backend wrapped with the ops and fixes gdisent
// needs to train convnets on a CPU without XLA.
//
// SimpleGo (GoMLX v0.26.0) lacks Reverse and Pad (needed by every conv and slice gradient), crashes on
// ConvGeneral calls with nil strides or dilations (which GoMLX's own conv gradient emits), and executes the
// Dot/DotGeneral gradients as full outer products. The wrapper embeds SimpleGo's Backend and Builder and
// overrides just those methods:
//
//   - Reverse: per-element Slice + reversed Concatenate (Gather for long axes).
//   - Pad: interior padding by reshape + concatenate + slice; negative edges by Slice; positive edges by
//     concatenating a broadcast fill value.
//   - ConvGeneral: nil or zero strides/dilations become 1s.
//   - ReduceSum(Mul(broadcast a, broadcast b)) becomes one DotGeneral (+ Transpose), see dotrewrite.go.
//     Set GDISENT_NO_DOT_REWRITE=1 to disable it.
package purego

import (
	"maps"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/pkg/errors"
)

// Name under which the backend is registered with GoMLX.
const Name = "purego"

// NoDotRewriteEnv is the environment variable that, set to "1" (or "true"), disables the matmul-gradient
// rewrite when a Builder is created.
const NoDotRewriteEnv = "GDISENT_NO_DOT_REWRITE"

func init() { backends.Register(Name, New) }

// Backend is SimpleGo's backend with Builder replaced by the patched *Builder.
type Backend struct {
	*simplego.Backend
}

// Compile-time checks.
var (
	_ backends.Backend = (*Backend)(nil)
	_ backends.Builder = (*Builder)(nil)
)

// Capabilities of purego: SimpleGo's plus the ops added here.
var Capabilities = func() backends.Capabilities {
	c := simplego.Capabilities
	c.Operations = maps.Clone(c.Operations)
	c.Operations[backends.OpTypeReverse] = true
	c.Operations[backends.OpTypePad] = true
	return c
}()

// New creates the wrapped SimpleGo backend. config is passed to SimpleGo (e.g. "parallelism=2").
//
// Unless config chooses an execution mode (ops_parallel, ops_sequential or parallelism=N), ops run sequentially:
// SimpleGo's default mode runs independent ops concurrently, and several concurrent matrix products can take all
// of its worker slots while each waits for more, which deadlocks a training step (seen with GoMLX v0.26.0 on 2
// cores). Each op still uses all cores internally.
func New(config string) (backends.Backend, error) {
	config = withDefaultExecution(config)
	b, err := simplego.New(config)
	if err != nil {
		return nil, errors.WithMessagef(err, "purego: creating SimpleGo backend with config %q", config)
	}
	sb, ok := b.(*simplego.Backend)
	if !ok {
		return nil, errors.Errorf("purego: simplego.New returned %T, expected *simplego.Backend", b)
	}
	return &Backend{Backend: sb}, nil
}

// withDefaultExecution appends ops_sequential to config unless it already picks an execution mode.
func withDefaultExecution(config string) string {
	for _, opt := range strings.Split(config, ",") {
		key, _, _ := strings.Cut(strings.TrimSpace(opt), "=")
		if key == "ops_parallel" || key == "ops_sequential" || key == "parallelism" {
			return config
		}
	}
	if strings.TrimSpace(config) == "" {
		return "ops_sequential"
	}
	return config + ",ops_sequential"
}

// Name implements backends.Backend.
func (b *Backend) Name() string { return "purego (SimpleGo + gdisent patches)" }

// String implements backends.Backend: the name to use in GOMLX_BACKEND.
func (b *Backend) String() string { return Name }

// Description implements backends.Backend.
func (b *Backend) Description() string {
	return "purego: SimpleGo pure-Go backend + Reverse/Pad/ConvGeneral fixes and matmul-gradient rewrite"
}

// Capabilities implements backends.Backend.
func (b *Backend) Capabilities() backends.Capabilities { return Capabilities }

// Builder implements backends.Backend, returning the patched *Builder.
func (b *Backend) Builder(name string) backends.Builder {
	sb := b.Backend.Builder(name).(*simplego.Builder)
	return newBuilder(sb)
}

// Builder is SimpleGo's builder with the overrides described in the package documentation.
type Builder struct {
	*simplego.Builder

	dotRewrite bool
	// views records Reshape/Transpose/Broadcast/BroadcastInDim ops and muls records Mul ops, so ReduceSum can
	// recognise the matmul-gradient pattern (see dotrewrite.go).
	views map[backends.Op]viewRecord
	muls  map[backends.Op][2]backends.Op
}

func newBuilder(sb *simplego.Builder) *Builder {
	return &Builder{
		Builder:    sb,
		dotRewrite: dotRewriteEnabled(),
		views:      make(map[backends.Op]viewRecord),
		muls:       make(map[backends.Op][2]backends.Op),
	}
}

// Finalize releases the builder's resources.
func (b *Builder) Finalize() {
	b.views, b.muls = nil, nil
	b.Builder.Finalize()
}
