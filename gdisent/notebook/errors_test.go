package notebook

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheck: a nil error passes; an error prints one line naming it and exits with status 1, no trace.
func TestCheck(t *testing.T) {
	code := -1
	exit = func(c int) { code = c }
	defer func() { exit = os.Exit }()
	Check(nil)
	if code != -1 {
		t.Fatal("Check(nil) exited")
	}
	r, w, _ := os.Pipe()
	stderr := os.Stderr
	os.Stderr = w
	v := Must(42, errors.New("the run directory x was trained with other hyperparameters: use a new one"))
	os.Stderr = stderr
	_ = w.Close()
	out, _ := io.ReadAll(r)
	if code != 1 || v != 42 {
		t.Fatalf("exit code %d, value %d", code, v)
	}
	if got := string(out); strings.Count(got, "\n") != 1 || !strings.Contains(got, "error: the run directory x") ||
		strings.Contains(got, "goroutine") {
		t.Errorf("printed %q, want one error line", got)
	}
}

func TestFirstInKernel(t *testing.T) {
	key := fmt.Sprintf("test-%d", os.Getpid())
	t.Cleanup(func() {
		os.Remove(filepath.Join(os.TempDir(), fmt.Sprintf("gdisent-kernel-%d-%s", os.Getppid(), key)))
	})
	if !firstInKernel(key) {
		t.Fatal("first call: false, want true")
	}
	if firstInKernel(key) || firstInKernel(key) {
		t.Error("later calls under the same parent: true, want false")
	}
}
