package backend

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/go-xla/pkg/pjrt"
	"github.com/gomlx/gomlx/backends/xla"
	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gdisent/gdisent/gdisent/backend/internal/modversion"
)

// Environment variables of the plugin probe.
const (
	// ProbeTimeoutEnv sets how long a plugin probe may take (a Go duration, default 60s).
	ProbeTimeoutEnv = "GDISENT_PJRT_PROBE_TIMEOUT"
	// NoProbeEnv set to "1" trusts plugins that pass the file checks without probing them in a child process.
	NoProbeEnv = "GDISENT_PJRT_NO_PROBE"

	probeChildEnv = "GDISENT_PJRT_PROBE_CHILD" // child mode: the plugin to probe
	probeOutEnv   = "GDISENT_PJRT_PROBE_OUT"   // child mode: where to write the result
	// probeVersion invalidates cached probe results when the probe changes.
	probeVersion = 1
)

// The PJRT C API version of the pjrt_c_api.h that go-xla v0.1.4 is compiled with. A plugin of another major
// version is ABI-incompatible (TestPJRTHeaderVersion checks these against go-xla's header).
const (
	pjrtAPIMajor = 0
	pjrtAPIMinor = 83
)

// DefaultProbeTimeout bounds a plugin probe unless $GDISENT_PJRT_PROBE_TIMEOUT says otherwise.
const DefaultProbeTimeout = 60 * time.Second

// ProbeInfo is what a successful probe learnt about a plugin.
type ProbeInfo struct {
	Major, Minor int    // PJRT C API version the plugin reports
	Devices      int    // addressable devices
	Description  string // GoMLX's description of the backend
}

// probeResult is the child's report.
type probeResult struct {
	OK  bool   `json:"ok"`
	Err string `json:"err,omitempty"`
	ProbeInfo
}

var (
	probeMu    sync.Mutex
	probeCache = map[string]probeOutcome{} // by fileKey
)

type probeOutcome struct {
	info ProbeInfo
	err  error
}

// ProbePlugin loads the PJRT plugin at path in a child process (this program re-executed with
// $GDISENT_PJRT_PROBE_CHILD set, which this package's init recognises), where it checks the plugin's PJRT C API
// version, creates a client and runs a tiny computation. A plugin that crashes, hangs past the timeout, or
// fails there is reported as an error and never loaded into this process. Results are cached per file (path,
// size, modification time) for the process, and successes also on disk under the user cache folder, so a
// notebook does not probe again in every cell. The child never touches the network (auto-install is off).
func ProbePlugin(path string) (ProbeInfo, error) {
	probeMu.Lock()
	defer probeMu.Unlock()
	key, err := fileKey(path)
	if err != nil {
		return ProbeInfo{}, err
	}
	if o, ok := probeCache[key]; ok {
		return o.info, o.err
	}
	if info, ok := readProbeCache(key); ok {
		probeCache[key] = probeOutcome{info: info}
		return info, nil
	}
	info, err := runProbe(path, probeTimeout())
	probeCache[key] = probeOutcome{info, err}
	if err == nil {
		writeProbeCache(key, info)
	}
	return info, err
}

func probeTimeout() time.Duration {
	if v := os.Getenv(ProbeTimeoutEnv); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d
		}
		warnOnce(fmt.Sprintf("gdisent: ignoring $%s=%q (want a duration such as 90s); using %s", ProbeTimeoutEnv, v,
			DefaultProbeTimeout))
	}
	return DefaultProbeTimeout
}

// fileKey identifies a plugin file's current contents cheaply, together with everything the verdict depends on.
func fileKey(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("cannot stat: %w", err)
	}
	return fmt.Sprintf("v%d|%s|%d|%d|%s/%s|go-xla %s|pjrt %d.%d", probeVersion, path, st.Size(),
		st.ModTime().UnixNano(), runtime.GOOS, runtime.GOARCH, goXLAVersion(), pjrtAPIMajor, pjrtAPIMinor), nil
}

// goXLAVersion is the go-xla module version linked into this program.
func goXLAVersion() string {
	if v := modversion.Of("github.com/gomlx/go-xla", pjrt.GetPlugin); v != "" {
		return v
	}
	return "(unknown version)"
}

func probeCacheFile(key string) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(dir, "gdisent", "pjrt-probe", hex.EncodeToString(sum[:12])+".json")
}

func readProbeCache(key string) (ProbeInfo, bool) {
	f := probeCacheFile(key)
	if f == "" {
		return ProbeInfo{}, false
	}
	data, err := os.ReadFile(f)
	if err != nil {
		return ProbeInfo{}, false
	}
	var c struct {
		Key  string
		Info ProbeInfo
	}
	if json.Unmarshal(data, &c) != nil || c.Key != key {
		return ProbeInfo{}, false
	}
	return c.Info, true
}

func writeProbeCache(key string, info ProbeInfo) {
	f := probeCacheFile(key)
	if f == "" || os.MkdirAll(filepath.Dir(f), 0o755) != nil {
		return
	}
	data, _ := json.Marshal(struct {
		Key  string
		Info ProbeInfo
	}{key, info})
	tmp := f + fmt.Sprintf(".%d.tmp", os.Getpid())
	if os.WriteFile(tmp, data, 0o644) == nil {
		_ = os.Rename(tmp, f)
	}
}

// logBuffer keeps the first and the last bytes written to it (a crash's reason is at the start of Go's dump, a
// C++ plugin's last words at the end).
type logBuffer struct {
	mu         sync.Mutex
	head, tail []byte
}

const logKeep = 8 << 10

func (t *logBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := min(len(p), logKeep-len(t.head)); n > 0 {
		t.head = append(t.head, p[:n]...)
	}
	t.tail = append(t.tail, p...)
	if len(t.tail) > logKeep {
		t.tail = append(t.tail[:0], t.tail[len(t.tail)-logKeep:]...)
	}
	return len(p), nil
}

var crashLine = regexp.MustCompile(`^(SIG[A-Z]+: |signal arrived|fatal error:|panic:|terminate called|.*Check failed|F\d{4} )`)

// summary returns the lines that say why the process died (Go's "SIGSEGV: ..." and "fatal error:" lines, a
// panic, a C++ terminate or absl fatal message), else its last non-empty lines; at most 3, joined by " | ".
func (t *logBuffer) summary() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var picked, last []string
	for _, part := range [][]byte{t.head, t.tail} {
		for _, l := range strings.Split(string(part), "\n") {
			l = strings.TrimSpace(l)
			if crashLine.MatchString(l) && len(picked) < 3 && !slices.Contains(picked, l) {
				picked = append(picked, l)
			}
		}
	}
	if len(picked) > 0 {
		return strings.Join(picked, " | ")
	}
	for _, l := range strings.Split(string(bytes.TrimSpace(t.tail)), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			last = append(last, l)
		}
	}
	return strings.Join(last[max(0, len(last)-3):], " | ")
}

// runProbe runs the child process and interprets its outcome.
func runProbe(path string, timeout time.Duration) (ProbeInfo, error) {
	exe, err := os.Executable()
	if err != nil {
		return ProbeInfo{}, fmt.Errorf("cannot probe it in a child process (no executable path: %v); set %s=1 to "+
			"load it unprobed", err, NoProbeEnv)
	}
	out, err := os.CreateTemp("", "gdisent-pjrt-probe-*.json")
	if err != nil {
		return ProbeInfo{}, fmt.Errorf("cannot create the probe's result file: %w", err)
	}
	out.Close()
	defer os.Remove(out.Name())

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), probeChildEnv+"="+path, probeOutEnv+"="+out.Name(), xla.NoAutoInstallEnv+"=1")
	logs := &logBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.WaitDelay = 2 * time.Second
	setProcessGroup(cmd)
	start := time.Now()
	runErr := cmd.Run()

	if ctx.Err() == context.DeadlineExceeded {
		return ProbeInfo{}, fmt.Errorf("loading it did not finish within %s (hung?); set %s to wait longer",
			timeout, ProbeTimeoutEnv)
	}
	var res probeResult
	data, _ := os.ReadFile(out.Name())
	if len(data) > 0 && json.Unmarshal(data, &res) == nil {
		if res.OK {
			return res.ProbeInfo, nil
		}
		return ProbeInfo{}, fmt.Errorf("%s", res.Err)
	}
	detail := logs.summary()
	if detail != "" {
		detail = ": " + detail
	}
	if runErr != nil {
		return ProbeInfo{}, fmt.Errorf("loading it crashed the probe process after %s (%v)%s",
			time.Since(start).Round(time.Millisecond), runErr, detail)
	}
	return ProbeInfo{}, fmt.Errorf("the probe process exited without a result%s", detail)
}

// probeChild is the child side of ProbePlugin: it probes the plugin, writes the result and exits.
func probeChild(path string) {
	res := probeInProcess(path)
	data, _ := json.Marshal(res)
	if err := os.WriteFile(os.Getenv(probeOutEnv), data, 0o600); err != nil {
		fmt.Fprintf(os.Stderr, "gdisent: PJRT probe: writing result: %v\n", err)
		os.Exit(3)
	}
	os.Exit(0)
}

// probeInProcess checks the plugin's PJRT C API version before go-xla touches it, then creates an XLA backend
// on it and computes 2x+1 of [1 2 3].
func probeInProcess(path string) (res probeResult) {
	defer func() {
		if r := recover(); r != nil {
			res = probeResult{Err: fmt.Sprintf("go-xla panicked while loading it: %v", r)}
		}
	}()
	xla.EnableAutoInstall(false)
	major, minor, err := pjrtAPIVersion(path)
	if err != nil {
		return probeResult{Err: err.Error()}
	}
	res.Major, res.Minor = major, minor
	if major != pjrtAPIMajor {
		res.Err = fmt.Sprintf("it implements PJRT C API %d.%d, but go-xla %s speaks %d.%d (major versions must match)",
			major, minor, goXLAVersion(), pjrtAPIMajor, pjrtAPIMinor)
		return res
	}
	b, err := xla.New(path)
	if err != nil {
		res.Err = fmt.Sprintf("go-xla cannot use it: %v", err)
		return res
	}
	defer b.Finalize()
	out, err := graph.ExecOnce(b, func(x *graph.Node) *graph.Node {
		return graph.AddScalar(graph.MulScalar(x, 2), 1)
	}, []float32{1, 2, 3})
	if err != nil {
		res.Err = fmt.Sprintf("a test computation failed: %v", err)
		return res
	}
	got, ok := out.Value().([]float32)
	if !ok || len(got) != 3 || got[0] != 3 || got[1] != 5 || got[2] != 7 {
		res.Err = fmt.Sprintf("a test computation gave %v, want [3 5 7]", out.Value())
		return res
	}
	res.OK, res.Devices, res.Description = true, b.NumDevices(), b.Description()
	return res
}
