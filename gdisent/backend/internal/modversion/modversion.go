// Package modversion tells which version of a Go module is linked into the running program, for code that
// depends on another module's internals and must refuse to run against any other version.
package modversion

import (
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
)

// Of returns the version of module mod linked into this program. It reads the build information and, where that
// has no dependency list (test binaries), the source path the toolchain recorded for fn, a function of mod: for
// a module-cache build it is ".../mod@version/...", also with -trimpath; for a vendored build (without
// -trimpath) the version is read from vendor/modules.txt. A module replaced by another one comes
// back as "=> path version"; "" means unknown (e.g. replaced by a local folder), which callers should treat as
// "not the version I was written for".
func Of(mod string, fn any) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path != mod {
				continue
			}
			if d.Replace != nil {
				return strings.TrimSpace("=> " + d.Replace.Path + " " + d.Replace.Version)
			}
			return d.Version
		}
	}
	return fromSourcePath(mod, fn)
}

func fromSourcePath(mod string, fn any) string {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return ""
	}
	f := runtime.FuncForPC(v.Pointer())
	if f == nil {
		return ""
	}
	file, _ := f.FileLine(v.Pointer())
	file = strings.ReplaceAll(file, "\\", "/")
	if i := strings.Index(file, "/vendor/"+mod+"/"); i >= 0 {
		return vendoredVersion(file[:i]+"/vendor/modules.txt", mod)
	}
	_, rest, ok := strings.Cut(file, mod+"@")
	if !ok {
		return ""
	}
	ver, _, _ := strings.Cut(rest, "/")
	return ver
}

// vendoredVersion reads mod's version from a vendor/modules.txt ("# path version [=> replacement]" lines).
func vendoredVersion(modulesTxt, mod string) string {
	data, err := os.ReadFile(modulesTxt)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "#" || f[1] != mod {
			continue
		}
		if len(f) > 3 && f[3] == "=>" {
			return strings.Join(append([]string{"=>"}, f[4:]...), " ")
		}
		return f[2]
	}
	return ""
}
