package backend

import (
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gdisent/gdisent/gdisent/backend/purego"
)

func reset() {
	mu.Lock()
	defer mu.Unlock()
	shared, reported = nil, false
	warnMu.Lock()
	defer warnMu.Unlock()
	warned = map[string]bool{}
}

func TestChooseHonoursEnv(t *testing.T) {
	isolate(t) // No PJRT plugin anywhere: an explicit XLA request must come back as an error.
	for env, want := range map[string]string{
		"go":              purego.Name,
		"simplego":        purego.Name,
		"purego":          purego.Name,
		"go:ops_parallel": purego.Name + ":ops_parallel",
		"xla:cuda":        "xla:cuda",
		"xla:cpu":         "xla:cpu",
		"stablehlo":       "xla:",
	} {
		t.Setenv(EnvVar, env)
		c := Choose()
		if c.Config != want {
			t.Errorf("%s=%q: Choose().Config = %q, want %q", EnvVar, env, c.Config, want)
		}
		if !strings.Contains(c.Reason, EnvVar) {
			t.Errorf("%s=%q: reason %q does not mention the variable", EnvVar, env, c.Reason)
		}
		if isXLA := strings.HasPrefix(want, "xla:"); isXLA != (c.Err != nil) {
			t.Errorf("%s=%q: Choose().Err = %v, want an error exactly for XLA without a plugin", EnvVar, env, c.Err)
		} else if isXLA && !strings.Contains(c.Err.Error(), "none was found") {
			t.Errorf("%s=%q: error %q does not say no plugin was found", EnvVar, env, c.Err)
		}
	}
}

func TestChooseWithoutEnvIsInstalledOnly(t *testing.T) {
	t.Setenv(EnvVar, "")
	done := make(chan Choice, 1)
	go func() { done <- Choose() }()
	select {
	case c := <-done:
		if c.Config != purego.Name && !strings.HasPrefix(c.Config, "xla:") {
			t.Errorf("Choose() = %q, want purego or an installed xla plugin", c.Config)
		}
		if c.Reason == "" {
			t.Error("Choose() gave no reason")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Choose() did not return within 30s (it must never download or hang)")
	}
}

func TestNewErrorsInsteadOfPanicking(t *testing.T) {
	reset()
	defer reset()
	t.Setenv(EnvVar, "no-such-backend")
	b, err := New()
	if err == nil || b != nil {
		t.Fatalf("New() with a bogus backend = (%v, %v), want an error", b, err)
	}
	if !strings.Contains(err.Error(), "no-such-backend") {
		t.Errorf("error %q does not name the configuration", err)
	}
}

func TestNewPureGoComputes(t *testing.T) {
	reset()
	defer reset()
	t.Setenv(EnvVar, "go")
	Report = nil
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if b2 := MustNew(); b2 != b {
		t.Error("MustNew() did not return the shared backend")
	}
	if !strings.Contains(strings.ToLower(b.Description()+b.Name()), "go") {
		t.Errorf("backend %q (%s) is not the pure-Go one", b.Name(), b.Description())
	}
	out, err := graph.ExecOnce(b, func(x *graph.Node) *graph.Node {
		return graph.ReduceAllSum(graph.Mul(x, x))
	}, []float32{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Value().(float32); got != 14 {
		t.Errorf("sum of squares of [1 2 3] on %s = %v, want 14", b.Name(), got)
	}
}
