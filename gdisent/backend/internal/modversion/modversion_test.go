package modversion

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/pkg/errors"
)

// goModVersion reads the required version of mod from the repository's go.mod.
func goModVersion(t *testing.T, mod string) string {
	t.Helper()
	_, self, _, _ := runtime.Caller(0)
	f, err := os.Open(filepath.Join(filepath.Dir(self), "..", "..", "..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for sc := bufio.NewScanner(f); sc.Scan(); {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "require "))
		if len(fields) >= 2 && fields[0] == mod {
			return fields[1]
		}
	}
	t.Fatalf("go.mod does not require %s", mod)
	return ""
}

func TestOfMatchesGoMod(t *testing.T) {
	for mod, fn := range map[string]any{"github.com/gomlx/gomlx": simplego.New, "github.com/pkg/errors": errors.New} {
		if got, want := Of(mod, fn), goModVersion(t, mod); got != want {
			t.Errorf("Of(%s) = %q, go.mod requires %q", mod, got, want)
		}
	}
}

func TestFromSourcePath(t *testing.T) {
	if got := fromSourcePath("github.com/gomlx/gomlx", simplego.New); got != goModVersion(t, "github.com/gomlx/gomlx") {
		t.Errorf("fromSourcePath = %q", got)
	}
	if got := fromSourcePath("github.com/gomlx/gomlx", errors.New); got != "" {
		t.Errorf("fromSourcePath with a function of another module = %q, want \"\"", got)
	}
	if got := fromSourcePath("github.com/gomlx/gomlx", nil); got != "" {
		t.Errorf("fromSourcePath(nil) = %q, want \"\"", got)
	}
}

func TestVendoredVersion(t *testing.T) {
	f := filepath.Join(t.TempDir(), "modules.txt")
	txt := "# github.com/gomlx/gomlx v0.26.0\n## explicit; go 1.24\ngithub.com/gomlx/gomlx/backends\n" +
		"# github.com/pkg/errors v0.9.1 => ../errors\n"
	if err := os.WriteFile(f, []byte(txt), 0o644); err != nil {
		t.Fatal(err)
	}
	for mod, want := range map[string]string{"github.com/gomlx/gomlx": "v0.26.0", "github.com/pkg/errors": "=> ../errors",
		"github.com/gomlx/go-xla": ""} {
		if got := vendoredVersion(f, mod); got != want {
			t.Errorf("vendoredVersion(%s) = %q, want %q", mod, got, want)
		}
	}
	if got := vendoredVersion(filepath.Join(t.TempDir(), "none.txt"), "github.com/gomlx/gomlx"); got != "" {
		t.Errorf("missing modules.txt: %q, want \"\"", got)
	}
}
