package backend

import (
	"bufio"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// PluginPathEnv is go-xla's variable listing the folders (":"-separated) searched for PJRT plugins.
const PluginPathEnv = "PJRT_PLUGIN_LIBRARY_PATH"

// PluginFile is a PJRT plugin file found on disk: its name ("cpu", "cuda", ...) and absolute path.
type PluginFile struct {
	Name, Path string
}

// PluginDirs returns the folders searched for PJRT plugins, in order. They are go-xla v0.1.4's: the
// $PJRT_PLUGIN_LIBRARY_PATH entries when the variable is set; otherwise ~/.local/lib/go-xla (and its nvidia/
// subfolder), ~/.local/lib/gomlx/pjrt, /usr/local/lib/go-xla (and nvidia/), /usr/local/lib/gomlx/pjrt, the
// absolute $LD_LIBRARY_PATH entries and the folders of /etc/ld.so.conf (with its includes).
func PluginDirs() []string {
	if v, ok := os.LookupEnv(PluginPathEnv); ok {
		return slices.DeleteFunc(strings.Split(v, ":"), func(p string) bool { return p == "" })
	}
	var dirs []string
	if home, err := os.UserHomeDir(); err == nil {
		x := filepath.Join(home, ".local", "lib", "go-xla")
		dirs = append(dirs, x, filepath.Join(x, "nvidia"), filepath.Join(home, ".local", "lib", "gomlx", "pjrt"))
	}
	dirs = append(dirs, "/usr/local/lib/go-xla", "/usr/local/lib/go-xla/nvidia", "/usr/local/lib/gomlx/pjrt")
	for _, p := range strings.Split(os.Getenv("LD_LIBRARY_PATH"), ":") {
		if p != "" && filepath.IsAbs(p) {
			dirs = append(dirs, p)
		}
	}
	return ldConfDirs(dirs, "/etc/ld.so.conf", 0)
}

var (
	ldInclude = regexp.MustCompile(`^\s*include\s+(.*?)\s*$`)
	ldComment = regexp.MustCompile(`^\s*(#|$)`)
)

// ldConfDirs appends the folders listed in an ld.so.conf-style file, following include lines.
func ldConfDirs(dirs []string, file string, depth int) []string {
	f, err := os.Open(file)
	if err != nil || depth > 8 {
		return dirs
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case ldComment.MatchString(line):
		case ldInclude.MatchString(line):
			pattern := ldInclude.FindStringSubmatch(line)[1]
			if !filepath.IsAbs(pattern) {
				pattern = filepath.Join(filepath.Dir(file), pattern)
			}
			files, _ := filepath.Glob(pattern)
			for _, inc := range files {
				dirs = ldConfDirs(dirs, inc, depth+1)
			}
		default:
			dirs = append(dirs, strings.TrimSpace(line))
		}
	}
	return dirs
}

// pluginPatterns are the file names go-xla recognises (pjrt-plugin-NAME.so, pjrt_plugin_NAME.so,
// pjrt_c_api_NAME_plugin.so), in its order, plus JAX's xla_NAME_plugin.so (jax_plugins/xla_cuda12/
// xla_cuda_plugin.so), which go-xla does not look for; gdisent hands plugins to go-xla by absolute path, so any
// of these names works.
var pluginPatterns = []struct {
	glob string
	name *regexp.Regexp
}{
	{"pjrt-plugin-*", regexp.MustCompile(`^pjrt-plugin-(.+)$`)},
	{"pjrt_plugin_*", regexp.MustCompile(`^pjrt_plugin_(.+)$`)},
	{"pjrt_c_api_*_plugin", regexp.MustCompile(`^pjrt_c_api_(.+)_plugin$`)},
	{"xla_*_plugin", regexp.MustCompile(`^xla_(.+)_plugin$`)},
}

// libExt is the shared-library extension go-xla looks for on this OS.
func libExt() string {
	switch runtime.GOOS {
	case "darwin":
		return ".dylib"
	case "windows":
		return ".dll"
	}
	return ".so"
}

// PluginName returns the plugin name encoded in a plugin file name ("cpu" for pjrt_c_api_cpu_plugin.so), or "".
func PluginName(path string) string {
	base, ok := strings.CutSuffix(filepath.Base(path), libExt())
	if !ok {
		return ""
	}
	for _, p := range pluginPatterns {
		if m := p.name.FindStringSubmatch(base); m != nil {
			return m[1]
		}
	}
	return ""
}

// FindPlugins lists the plugin files in dirs, in search order (folder by folder, then by file-name pattern and
// name), without loading or checking them. Several files may carry the same name; the first usable one wins.
func FindPlugins(dirs []string) []PluginFile {
	var out []PluginFile
	seen := map[string]bool{}
	for _, dir := range dirs {
		for _, p := range pluginPatterns {
			matches, _ := filepath.Glob(filepath.Join(dir, p.glob+libExt()))
			for _, m := range matches {
				abs, err := filepath.Abs(m)
				if err != nil || seen[abs] {
					continue
				}
				if name := PluginName(abs); name != "" {
					seen[abs] = true
					out = append(out, PluginFile{Name: name, Path: abs})
				}
			}
		}
	}
	return out
}

// elfMachines maps GOARCH to the ELF machine of its shared libraries.
var elfMachines = map[string]elf.Machine{
	"amd64": elf.EM_X86_64, "386": elf.EM_386, "arm64": elf.EM_AARCH64, "arm": elf.EM_ARM,
	"riscv64": elf.EM_RISCV, "ppc64": elf.EM_PPC64, "ppc64le": elf.EM_PPC64, "s390x": elf.EM_S390,
	"loong64": elf.EM_LOONGARCH, "mips": elf.EM_MIPS, "mipsle": elf.EM_MIPS, "mips64": elf.EM_MIPS,
	"mips64le": elf.EM_MIPS,
}

// CheckPluginFile validates a plugin file without loading it: it must be a readable regular file, and on ELF
// systems a complete ELF shared library for this machine's architecture that exports the function GetPjrtApi.
// These checks catch empty, truncated and foreign-architecture files and libraries that are not PJRT plugins,
// any of which would make go-xla fail or crash. A nil error does not mean the plugin loads: see ProbePlugin.
func CheckPluginFile(path string) (err error) {
	defer func() {
		if r := recover(); r != nil { // debug/elf on a malformed file
			err = fmt.Errorf("unreadable ELF file: %v", r)
		}
	}()
	if strings.Contains(path, ",") {
		return fmt.Errorf("path contains a comma, which GoMLX's backend configuration cannot carry")
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot open: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("cannot stat: %w", err)
	}
	switch {
	case !st.Mode().IsRegular():
		return fmt.Errorf("not a regular file (%s)", st.Mode().Type())
	case st.Size() == 0:
		return fmt.Errorf("empty file")
	case runtime.GOOS == "darwin" || runtime.GOOS == "windows":
		return nil // Mach-O / PE: left to the child-process probe.
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return fmt.Errorf("not a valid ELF file (truncated or corrupt?): %w", err)
	}
	if ef.Type != elf.ET_DYN {
		return fmt.Errorf("not a shared library (ELF type %s)", ef.Type)
	}
	if want, ok := elfMachines[runtime.GOARCH]; ok && ef.Machine != want {
		return fmt.Errorf("built for %s, but this program runs on %s (%s)", ef.Machine, runtime.GOARCH, want)
	}
	if (ef.Class == elf.ELFCLASS64) != (strconv.IntSize == 64) {
		return fmt.Errorf("%s library, but this program is %d-bit", ef.Class, strconv.IntSize)
	}
	size := uint64(st.Size())
	for _, p := range ef.Progs {
		if p.Off+p.Filesz > size {
			return fmt.Errorf("truncated: a %s segment ends at byte %d, the file has %d", p.Type, p.Off+p.Filesz, size)
		}
	}
	for _, s := range ef.Sections {
		if s.Type != elf.SHT_NOBITS && s.Offset+s.FileSize > size {
			return fmt.Errorf("truncated: section %s ends at byte %d, the file has %d", s.Name, s.Offset+s.FileSize, size)
		}
	}
	syms, err := ef.DynamicSymbols()
	if err != nil {
		return fmt.Errorf("cannot read its dynamic symbols (truncated or corrupt?): %w", err)
	}
	for _, s := range syms {
		if s.Name == "GetPjrtApi" && elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Section != elf.SHN_UNDEF {
			return nil
		}
	}
	return fmt.Errorf("does not export the function GetPjrtApi: not a PJRT plugin")
}
