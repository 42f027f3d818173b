package notebook

import (
	"fmt"
	"html"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/backends"
	"github.com/janpfeifer/gonb/gonbui"

	"github.com/gdisent/gdisent/gdisent/backend"
)

func init() {
	if gonbui.IsNotebook {
		// Every GoNB cell is a process of its own: announcing the backend on stderr would repeat it, in red, under
		// each cell. Backend shows it once, where a notebook asks.
		backend.Report = nil
	}
}

// exit ends the cell; tests replace it.
var exit = os.Exit

// Check stops the cell when err is not nil, with one clear line — the error, which says what went wrong and what
// to do — instead of a panic's goroutine trace: in red in the notebook, on stderr elsewhere. The cell then exits
// with status 1, so later output of that cell never shows stale results.
func Check(err error) {
	if err == nil {
		return
	}
	if gonbui.IsNotebook {
		gonbui.DisplayHTML(`<div style="color:#b00020;font-family:monospace;white-space:pre-wrap"><b>error:</b> ` +
			html.EscapeString(err.Error()) + `</div>`)
	} else {
		fmt.Fprintln(os.Stderr, "error:", err)
	}
	exit(1)
}

// Must returns v, or stops the cell like Check when err is not nil.
func Must[T any](v T, err error) T {
	Check(err)
	return v
}

// Backend returns the process-wide backend (see package backend) and shows which one was picked and why as one
// grey line, once per kernel (the first cell that asks); a failure stops the cell like Check.
func Backend() backends.Backend {
	b, err := backend.New()
	Check(err)
	c := backend.Choose()
	msg := fmt.Sprintf("backend %s (%s)", c.Config, c.Reason)
	if gonbui.IsNotebook {
		if firstInKernel("backend") {
			gonbui.DisplayHTML(`<div style="color:#777;font-family:monospace;font-size:11px">` + html.EscapeString(msg) + `</div>`)
		}
	} else {
		fmt.Fprintln(os.Stderr, "gdisent:", msg)
	}
	return b
}

// firstInKernel reports whether this is the first cell of the running kernel to ask about key. GoNB runs each
// cell as a child process of the kernel, so a marker file named after the parent's pid outlives the cell but not
// a kernel restart. Where the marker cannot be written it answers true: showing a line twice beats hiding it.
func firstInKernel(key string) bool {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("gdisent-kernel-%d-%s", os.Getppid(), key))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return !os.IsExist(err)
	}
	f.Close()
	return true
}
