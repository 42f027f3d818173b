package backend

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gdisent/gdisent/gdisent/backend/purego"
)

// isolate points every search location and the probe cache at fresh temporary folders.
func isolate(t *testing.T) {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv(PluginPathEnv, t.TempDir())
	t.Setenv("GDISENT_FAKE_PJRT_MODE", "")
	t.Setenv(EnvVar, "")
	t.Setenv(NoProbeEnv, "")
	reset()
	t.Cleanup(reset)
}

var (
	buildOnce sync.Once
	libs      map[string][]byte
	buildErr  error
)

// testLibs compiles testdata/fake_pjrt.c and testdata/not_pjrt.c into shared libraries with the C compiler cgo
// uses, once per test binary, and returns their contents by name ("fake_pjrt", "not_pjrt").
func testLibs(t *testing.T) map[string][]byte {
	t.Helper()
	buildOnce.Do(func() {
		cc := strings.Fields(goEnv("CC"))
		if len(cc) == 0 {
			cc = []string{"cc"}
		}
		dir, err := os.MkdirTemp("", "gdisent-fake-pjrt")
		if err != nil {
			buildErr = err
			return
		}
		defer os.RemoveAll(dir)
		libs = map[string][]byte{}
		for _, name := range []string{"fake_pjrt", "not_pjrt"} {
			out := filepath.Join(dir, name+".so")
			args := append(cc[1:], "-shared", "-fPIC", "-o", out, filepath.Join("testdata", name+".c"))
			if msg, err := exec.Command(cc[0], args...).CombinedOutput(); err != nil {
				buildErr = err
				t.Logf("%s %v: %s", cc[0], args, msg)
				return
			}
			if libs[name], buildErr = os.ReadFile(out); buildErr != nil {
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatalf("building the test libraries with the C compiler cgo uses: %v", buildErr)
	}
	return libs
}

func goEnv(key string) string {
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// foreignELF is a minimal ELF shared-library header for a machine other than this one.
func foreignELF(t *testing.T) []byte {
	t.Helper()
	m := elf.EM_AARCH64
	if runtime.GOARCH == "arm64" {
		m = elf.EM_X86_64
	}
	h := elf.Header64{Type: uint16(elf.ET_DYN), Machine: uint16(m), Version: uint32(elf.EV_CURRENT), Ehsize: 64,
		Phentsize: 56, Shentsize: 64}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS], h.Ident[elf.EI_DATA], h.Ident[elf.EI_VERSION] = byte(elf.ELFCLASS64),
		byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	var b bytes.Buffer
	if err := binary.Write(&b, binary.LittleEndian, h); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPluginNamesAndSearchOrder(t *testing.T) {
	for path, want := range map[string]string{
		"/x/pjrt_c_api_cpu_plugin.so":                "cpu",
		"/x/pjrt_c_api_cuda_plugin.so":               "cuda",
		"/x/pjrt-plugin-tpu.so":                      "tpu",
		"/x/pjrt_plugin_metal.so":                    "metal",
		"/jax_plugins/xla_cuda12/xla_cuda_plugin.so": "cuda",
		"/x/libm.so.6":                               "",
		"/x/pjrt_c_api_cpu_plugin.so.bak":            "",
	} {
		if got := PluginName(path); got != want {
			t.Errorf("PluginName(%q) = %q, want %q", path, got, want)
		}
	}
	a, b := t.TempDir(), t.TempDir()
	for _, f := range []string{filepath.Join(a, "pjrt_c_api_cpu_plugin.so"), filepath.Join(a, "README"),
		filepath.Join(b, "pjrt_c_api_cpu_plugin.so"), filepath.Join(b, "pjrt-plugin-cuda.so")} {
		writeFile(t, f, nil)
	}
	t.Setenv(PluginPathEnv, b+"::"+a)
	dirs := PluginDirs()
	if len(dirs) != 2 || dirs[0] != b || dirs[1] != a {
		t.Fatalf("PluginDirs() = %v, want [%s %s] from $%s", dirs, b, a, PluginPathEnv)
	}
	got := FindPlugins(dirs)
	want := []PluginFile{{"cuda", filepath.Join(b, "pjrt-plugin-cuda.so")}, {"cpu", filepath.Join(b, "pjrt_c_api_cpu_plugin.so")},
		{"cpu", filepath.Join(a, "pjrt_c_api_cpu_plugin.so")}}
	if len(got) != len(want) {
		t.Fatalf("FindPlugins = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("FindPlugins[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestDefaultPluginDirs(t *testing.T) {
	t.Setenv(PluginPathEnv, "")
	os.Unsetenv(PluginPathEnv) // t.Setenv restores it afterwards.
	t.Setenv("HOME", "/home/someone")
	t.Setenv("LD_LIBRARY_PATH", "relative/dir:/opt/lib")
	dirs := PluginDirs()
	for _, d := range []string{"/home/someone/.local/lib/go-xla", "/usr/local/lib/go-xla", "/opt/lib"} {
		if !containsStr(dirs, d) {
			t.Errorf("PluginDirs() = %v lacks %s", dirs, d)
		}
	}
	if containsStr(dirs, "relative/dir") {
		t.Errorf("PluginDirs() = %v keeps a relative $LD_LIBRARY_PATH entry (go-xla skips those)", dirs)
	}
	conf := filepath.Join(t.TempDir(), "ld.so.conf")
	writeFile(t, filepath.Join(filepath.Dir(conf), "extra.conf"), []byte("# comment\n/opt/extra\n"))
	writeFile(t, conf, []byte("include extra.conf\n/opt/main\n\n"))
	if got := ldConfDirs(nil, conf, 0); strings.Join(got, " ") != "/opt/extra /opt/main" {
		t.Errorf("ldConfDirs = %v, want [/opt/extra /opt/main]", got)
	}
}

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func TestCheckPluginFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ELF checks run on Linux")
	}
	l := testLibs(t)
	dir := t.TempDir()
	fake := l["fake_pjrt"]
	for _, c := range []struct {
		name string
		data []byte
		want string // "" = accepted
	}{
		{"empty", nil, "empty file"},
		{"text", []byte("not a library\n"), "not a valid ELF file"},
		{"header only", fake[:64], "truncated"},
		{"truncated", fake[:len(fake)*6/10], "truncated"},
		{"foreign machine", foreignELF(t), "built for"},
		{"not a PJRT plugin", l["not_pjrt"], "does not export the function GetPjrtApi"},
		{"fake plugin", fake, ""},
	} {
		path := writeFile(t, filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".so"), c.data)
		err := CheckPluginFile(path)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: rejected: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if err := CheckPluginFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a folder: error %v, want \"not a regular file\"", err)
	}
	if err := CheckPluginFile(filepath.Join(dir, "missing.so")); err == nil || !strings.Contains(err.Error(), "cannot open") {
		t.Errorf("a missing file: error %v, want \"cannot open\"", err)
	}
	// A system library (libm) is a valid ELF shared library without GetPjrtApi.
	if libm := findLibm(); libm != "" {
		if err := CheckPluginFile(libm); err == nil || !strings.Contains(err.Error(), "GetPjrtApi") {
			t.Errorf("%s: error %v, want it rejected for lacking GetPjrtApi", libm, err)
		}
	}
}

func findLibm() string {
	for _, p := range []string{"/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6",
		"/lib/aarch64-linux-gnu/libm.so.6", "/usr/lib64/libm.so.6", "/lib64/libm.so.6"} {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// TestChooseSkipsTruncatedPlugin is the reported failure: a truncated pjrt_c_api_cpu_plugin.so on
// $PJRT_PLUGIN_LIBRARY_PATH used to panic inside go-xla. Selection must fall back to purego with a warning, and
// an explicit GOMLX_BACKEND=xla:cpu must give an error naming the file.
func TestChooseSkipsTruncatedPlugin(t *testing.T) {
	isolate(t)
	fake := testLibs(t)["fake_pjrt"]
	dir := os.Getenv(PluginPathEnv)
	bad := writeFile(t, filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"), fake[:len(fake)/2])

	c := Choose()
	if c.Config != purego.Name || c.Err != nil {
		t.Fatalf("Choose() = %+v, want purego", c)
	}
	if len(c.Skipped) != 1 || !strings.Contains(c.Skipped[0], bad) || !strings.Contains(c.Skipped[0], "truncated") {
		t.Errorf("Choose().Skipped = %q, want the truncated %s", c.Skipped, bad)
	}
	var warn bytes.Buffer
	Warnings, Report = &warn, nil
	defer func() { Warnings, Report = os.Stderr, os.Stderr }()
	b, err := New()
	if err != nil {
		t.Fatalf("New(): %v", err)
	}
	if !strings.Contains(b.Name(), "purego") {
		t.Errorf("New() = %s, want purego", b.Name())
	}
	if !strings.Contains(warn.String(), "skipping PJRT plugin "+bad) {
		t.Errorf("warnings %q do not name %s", warn.String(), bad)
	}

	reset()
	t.Setenv(EnvVar, "xla:cpu")
	b, err = New()
	if err == nil || b != nil {
		t.Fatalf("New() with %s=xla:cpu and only a truncated plugin = (%v, %v), want an error", EnvVar, b, err)
	}
	for _, want := range []string{bad, "truncated", "xla:cpu"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	t.Setenv(EnvVar, "xla:"+bad)
	if c := Choose(); c.Err == nil || !strings.Contains(c.Err.Error(), "truncated") {
		t.Errorf("Choose() with the plugin's absolute path: Err = %v, want it rejected as truncated", c.Err)
	}
	t.Setenv(EnvVar, "xla:tpu")
	if c := Choose(); c.Err == nil || !strings.Contains(c.Err.Error(), "none was found") ||
		!strings.Contains(c.Err.Error(), dir) {
		t.Errorf("Choose() for a plugin that is not there: Err = %v, want \"none was found\" naming %s", c.Err, dir)
	}
}

// TestProbeRejectsMisbehavingPlugins loads a fake plugin (a valid ELF library exporting GetPjrtApi) in the probe
// process in each of its failure modes; none may hurt this process, and each gives a reason.
func TestProbeRejectsMisbehavingPlugins(t *testing.T) {
	if testing.Short() {
		t.Skip("starts probe processes")
	}
	isolate(t)
	fake := testLibs(t)["fake_pjrt"]
	t.Setenv(ProbeTimeoutEnv, "3s")
	for _, c := range []struct{ mode, want string }{
		{"null", "GetPjrtApi returned NULL"},
		{"major99", "PJRT C API 99.83"},
		{"segv", "crashed"},
		{"nofuncs", "crashed"}, // Right version, but go-xla's first call through its table crashes.
		{"hang", "did not finish within 3s"},
	} {
		t.Run(c.mode, func(t *testing.T) {
			t.Setenv("GDISENT_FAKE_PJRT_MODE", c.mode)
			path := writeFile(t, filepath.Join(t.TempDir(), "pjrt_c_api_cpu_plugin.so"), fake)
			_, err := ProbePlugin(path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ProbePlugin in mode %s: %v, want an error containing %q", c.mode, err, c.want)
			}
			t.Logf("%s: %v", c.mode, err)
		})
	}
}

// TestChooseWithCrashingPlugin: a plugin that passes the file checks but crashes when loaded is skipped by
// automatic selection and reported as an error for an explicit request; this process survives both.
func TestChooseWithCrashingPlugin(t *testing.T) {
	if testing.Short() {
		t.Skip("starts probe processes")
	}
	isolate(t)
	t.Setenv("GDISENT_FAKE_PJRT_MODE", "segv")
	dir := os.Getenv(PluginPathEnv)
	bad := writeFile(t, filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"), testLibs(t)["fake_pjrt"])
	c := Choose()
	if c.Config != purego.Name || len(c.Skipped) != 1 || !strings.Contains(c.Skipped[0], bad) ||
		!strings.Contains(c.Skipped[0], "crashed") {
		t.Errorf("Choose() = %+v, want purego with %s skipped as crashing", c, bad)
	}
	t.Setenv(EnvVar, "xla")
	c = Choose()
	if c.Err == nil || !strings.Contains(c.Err.Error(), bad) || !strings.Contains(c.Err.Error(), "crashed") {
		t.Errorf("Choose() with %s=xla: Err = %v, want one naming %s as crashing", EnvVar, c.Err, bad)
	}
	// With probing off, the file checks alone pass it and the choice is XLA on that path.
	t.Setenv(NoProbeEnv, "1")
	t.Setenv(EnvVar, "xla:cpu,tf32")
	c = Choose()
	if c.Err != nil || c.Config != "xla:"+bad+",tf32,shared_buffers" {
		t.Errorf("Choose() with %s=1: %+v, want config xla:%s,tf32,shared_buffers", NoProbeEnv, c, bad)
	}
}

// TestPJRTHeaderVersion checks pjrtAPIMajor/Minor against the pjrt_c_api.h of the go-xla this binary links.
func TestPJRTHeaderVersion(t *testing.T) {
	ver := goXLAVersion()
	if ver != "v0.1.4" {
		t.Fatalf("go-xla is %q; gdisent/backend's plugin search (PluginDirs, pluginPatterns) and PJRT version "+
			"constants were written for v0.1.4: re-check them against the new go-xla and update this test", ver)
	}
	header := filepath.Join(goEnv("GOMODCACHE"), "github.com", "gomlx", "go-xla@"+ver, "pkg", "pjrt", "pjrt_c_api.h")
	f, err := os.Open(header)
	if err != nil {
		t.Skipf("go-xla's header is not in the module cache: %v", err)
	}
	defer f.Close()
	re := regexp.MustCompile(`^#define PJRT_API_(MAJOR|MINOR) (\d+)`)
	got := map[string]int{}
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			got[m[1]], _ = strconv.Atoi(m[2])
		}
	}
	if got["MAJOR"] != pjrtAPIMajor || got["MINOR"] != pjrtAPIMinor {
		t.Errorf("%s says PJRT C API %d.%d, the constants say %d.%d", header, got["MAJOR"], got["MINOR"],
			pjrtAPIMajor, pjrtAPIMinor)
	}
}
