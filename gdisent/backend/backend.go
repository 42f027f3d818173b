// Package backend picks the GoMLX backend gdisent computes on.
//
// The order is: $GOMLX_BACKEND when set; otherwise XLA/PJRT when a usable plugin is installed (CUDA before CPU);
// otherwise the pure-Go backend ("purego": SimpleGo plus gdisent's patches). Selection never downloads anything:
// XLA's plugin auto-install is switched off, so a missing plugin means falling back, not a network call.
//
// A broken plugin must not take the program down (go-xla v0.1.4 panics on a plugin file it cannot dlopen, and a
// plugin built for another PJRT C API version can crash in C), so gdisent looks for plugin files itself (see
// PluginDirs), checks each without loading it (CheckPluginFile), loads it first in a child process
// (ProbePlugin), and hands go-xla only a plugin that passed, by absolute path. A plugin that fails is skipped
// with a warning naming the file and the reason; when $GOMLX_BACKEND asked for XLA, New returns that as an error
// instead of falling back.
package backend

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/xla"
	"github.com/pkg/errors"

	"github.com/gdisent/gdisent/gdisent/backend/purego"
)

// EnvVar is GoMLX's own variable for choosing a backend, e.g. "go", "purego", "xla:cpu" or "xla:cuda".
const EnvVar = backends.ConfigEnvVar

func init() {
	if path, ok := os.LookupEnv(probeChildEnv); ok {
		probeChild(path) // This process is a plugin probe (see ProbePlugin): it exits here.
	}
	// Never let the XLA backend fetch plugins from the network behind the user's back.
	xla.EnableAutoInstall(false)
}

// xlaNames are the names GoMLX registers its XLA backend under.
var xlaNames = map[string]bool{xla.BackendName: true, "stablehlo": true, "hlo": true, "shlo": true}

// Choice says which backend configuration was picked and why.
type Choice struct {
	Config  string      // GoMLX backend configuration, e.g. "purego" or "xla:/abs/path/pjrt_c_api_cpu_plugin.so"
	Reason  string      // Human-readable reason for the pick.
	Plugin  *PluginFile // The PJRT plugin picked, for XLA.
	Skipped []string    // "PATH: why" for each PJRT plugin passed over as unusable.
	// Err is set when $GOMLX_BACKEND asks for XLA and no usable plugin matches; New returns it.
	Err error

	explicit bool // picked by $GOMLX_BACKEND
}

// Choose decides the backend configuration without creating it. It may probe PJRT plugins (see ProbePlugin) and
// never panics.
func Choose() (c Choice) {
	defer func() {
		if r := recover(); r != nil { // Last line of defence: selection must not take the program down.
			c = Choice{Config: purego.Name, Reason: fmt.Sprintf("backend selection failed (%v)", r)}
			if env := os.Getenv(EnvVar); strings.TrimSpace(env) != "" {
				c.Err, c.explicit = errors.Errorf("choosing the backend for $%s=%q failed: %v", EnvVar, env, r), true
			}
		}
	}()
	if env, ok := os.LookupEnv(EnvVar); ok && strings.TrimSpace(env) != "" {
		cfg := strings.TrimSpace(env)
		reason := fmt.Sprintf("$%s=%q", EnvVar, env)
		name, rest, _ := strings.Cut(cfg, ":")
		switch {
		case name == "go" || name == "simplego":
			// The stock SimpleGo cannot train convnets; the patched one is a superset of it.
			cfg = purego.Name
			if rest != "" {
				cfg += ":" + rest
			}
		case xlaNames[name]:
			c = chooseXLA(rest, reason)
			c.explicit = true
			return c
		}
		return Choice{Config: cfg, Reason: reason, explicit: true}
	}
	return chooseAuto()
}

// usable runs the checks a plugin must pass before go-xla may load it.
func usable(p PluginFile) (ProbeInfo, error) {
	if err := CheckPluginFile(p.Path); err != nil {
		return ProbeInfo{}, err
	}
	if v := os.Getenv(NoProbeEnv); v == "1" || v == "true" {
		return ProbeInfo{}, nil
	}
	return ProbePlugin(p.Path)
}

// xlaConfig is the GoMLX configuration loading p by absolute path, with the user's plugin options. go-xla turns
// on shared buffers when the plugin is called "cpu", which it is not when given by path, so it is asked for here.
func xlaConfig(p PluginFile, opts string) string {
	parts := []string{p.Path}
	var list []string
	if opts != "" {
		list = strings.Split(opts, ",")
	}
	if p.Name == "cpu" && !slices.Contains(list, "shared_buffers") && !slices.Contains(list, "noshared_buffers") {
		list = append(list, "shared_buffers")
	}
	return xla.BackendName + ":" + strings.Join(append(parts, list...), ",")
}

func describe(p PluginFile, info ProbeInfo) string {
	s := fmt.Sprintf("PJRT plugin %q at %s", p.Name, p.Path)
	if info.Major != 0 || info.Minor != 0 {
		s += fmt.Sprintf(", C API %d.%d", info.Major, info.Minor)
	}
	return s
}

// hasNvidiaDevice reports whether an NVIDIA device file exists, as go-xla checks before trying a CUDA plugin.
func hasNvidiaDevice() bool {
	m, _ := filepath.Glob("/dev/nvidia*")
	return len(m) > 0
}

// chooseXLA resolves "xla:SPEC" from $GOMLX_BACKEND: SPEC is "", a plugin name or an absolute path, optionally
// followed by ",options".
func chooseXLA(spec, reason string) Choice {
	want, opts, _ := strings.Cut(spec, ",")
	var candidates []PluginFile
	var where string
	switch {
	case filepath.IsAbs(want):
		candidates = []PluginFile{{Name: PluginName(want), Path: filepath.Clean(want)}}
		where = want
	default:
		dirs := PluginDirs()
		where = fmt.Sprintf("%v (from $%s or go-xla's default folders)", dirs, PluginPathEnv)
		found := FindPlugins(dirs)
		if want == "" { // go-xla's default: cuda, then cpu, then any other.
			rank := func(p PluginFile) int {
				switch {
				case p.Name == "cuda" && hasNvidiaDevice():
					return 0
				case p.Name == "cpu":
					return 1
				case p.Name == "cuda":
					return 3
				}
				return 2
			}
			slices.SortStableFunc(found, func(a, b PluginFile) int { return rank(a) - rank(b) })
			candidates = found
		} else {
			for _, p := range found {
				if p.Name == want {
					candidates = append(candidates, p)
				}
			}
		}
	}
	var skipped []string
	for _, p := range candidates {
		info, err := usable(p)
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("%s: %v", p.Path, err))
			continue
		}
		return Choice{Config: xlaConfig(p, opts), Reason: reason + ": " + describe(p, info), Plugin: &p,
			Skipped: skipped}
	}
	label := fmt.Sprintf("PJRT plugin %q", want)
	if want == "" {
		label = "a PJRT plugin"
	}
	var err error
	if len(candidates) == 0 {
		err = errors.Errorf("%s asks for %s, but none was found in %s; point $%s at the plugin's folder, or set "+
			"%s=go for the pure-Go backend", reason, label, where, PluginPathEnv, EnvVar)
	} else {
		err = errors.Errorf("%s asks for %s, but no usable one was found (%s); fix or remove it, or set %s=go for "+
			"the pure-Go backend", reason, label, strings.Join(skipped, "; "), EnvVar)
	}
	return Choice{Config: xla.BackendName + ":" + spec, Reason: reason, Skipped: skipped, Err: err}
}

// chooseAuto picks an installed, usable CUDA (when an NVIDIA device is present) or CPU plugin, else purego.
func chooseAuto() Choice {
	found := FindPlugins(PluginDirs())
	var skipped []string
	for _, want := range []string{"cuda", "cpu"} {
		if want == "cuda" && !hasNvidiaDevice() {
			continue
		}
		for _, p := range found {
			if p.Name != want {
				continue
			}
			info, err := usable(p)
			if err != nil {
				skipped = append(skipped, fmt.Sprintf("%s: %v", p.Path, err))
				continue
			}
			return Choice{Config: xlaConfig(p, ""), Reason: describe(p, info) + " is installed", Plugin: &p,
				Skipped: skipped}
		}
	}
	reason := "no PJRT plugin installed"
	if len(skipped) > 0 {
		reason = fmt.Sprintf("no usable PJRT plugin (%d skipped)", len(skipped))
	}
	return Choice{Config: purego.Name, Reason: reason, Skipped: skipped}
}

var (
	mu       sync.Mutex
	shared   backends.Backend
	reported bool
	// Report is where New announces its pick, once per process. Set to io.Discard or nil to silence it.
	Report io.Writer = os.Stderr
	// Warnings is where skipped PJRT plugins are reported, once per plugin and process. nil silences them.
	Warnings io.Writer = os.Stderr

	warnMu sync.Mutex
	warned = map[string]bool{}
)

func warnOnce(msg string) {
	warnMu.Lock()
	defer warnMu.Unlock()
	if warned[msg] || Warnings == nil {
		return
	}
	warned[msg] = true
	fmt.Fprintln(Warnings, msg)
}

func warnSkipped(c Choice) {
	for _, s := range c.Skipped {
		warnOnce("gdisent: skipping PJRT plugin " + s)
	}
}

// New returns the process-wide backend, creating it on the first call. It never panics: a bad $GOMLX_BACKEND or a
// broken plugin comes back as an error naming the configuration. When the XLA plugin was picked automatically and
// still fails to start, New warns and falls back to purego.
func New() (b backends.Backend, err error) {
	mu.Lock()
	defer mu.Unlock()
	if shared != nil && !shared.IsFinalized() {
		return shared, nil
	}
	c := Choose()
	if c.Err != nil {
		return nil, c.Err // It names the skipped plugins.
	}
	warnSkipped(c)
	b, err = create(c.Config)
	if err != nil && !c.explicit && c.Config != purego.Name {
		warnOnce(fmt.Sprintf("gdisent: %v; falling back to %s", errors.WithMessage(err, c.Reason), purego.Name))
		c = Choice{Config: purego.Name, Reason: fmt.Sprintf("%s failed to start", c.Config)}
		b, err = create(c.Config)
	}
	if err != nil {
		return nil, errors.WithMessagef(err, "creating backend %q (%s)", c.Config, c.Reason)
	}
	shared = b
	if !reported && Report != nil {
		fmt.Fprintf(Report, "gdisent: backend %s (%s)\n", c.Config, c.Reason)
		reported = true
	}
	return b, nil
}

// Open creates a new (not shared) backend for a Choice, e.g. to compare two backends in one process. Like New it
// never panics, and it returns c.Err when the choice failed.
func Open(c Choice) (backends.Backend, error) {
	if c.Err != nil {
		return nil, c.Err
	}
	b, err := create(c.Config)
	if err != nil {
		return nil, errors.WithMessagef(err, "creating backend %q (%s)", c.Config, c.Reason)
	}
	return b, nil
}

// create calls GoMLX, turning a panic (GoMLX and go-xla report some failures by panicking) into an error.
func create(config string) (b backends.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, errors.Errorf("%v", r)
		}
	}()
	return backends.NewWithConfig(config)
}

// MustNew is New for programs and tests that cannot go on without a backend.
func MustNew() backends.Backend {
	b, err := New()
	if err != nil {
		panic(err)
	}
	return b
}
