package notebook

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/gdisent/gdisent/gdisent/reproduce"
)

// ResultsDir is where the finished experiments are: $GDISENT_ROOT/results (the kernel sets GDISENT_ROOT), else the
// first results/ folder in the working directory or a parent.
func ResultsDir() string {
	if root := os.Getenv("GDISENT_ROOT"); root != "" {
		return filepath.Join(root, "results")
	}
	wd, _ := os.Getwd()
	for dir := wd; ; dir = filepath.Dir(dir) {
		if st, err := os.Stat(filepath.Join(dir, "results")); err == nil && st.IsDir() {
			return filepath.Join(dir, "results")
		}
		if filepath.Dir(dir) == dir {
			return filepath.Join(wd, "results")
		}
	}
}

// ShowResults shows the finished result of an experiment (`gdisent reproduce name`) — its table beside the
// published numbers and its figures — and reports whether there was one; a notebook shows it before training its
// own small version.
func ShowResults(name string) bool {
	dir := ResultsDir()
	r, err := reproduce.Read(dir, name)
	if err != nil {
		msg := fmt.Sprintf("No finished results for %s yet: `gdisent reproduce %s` runs the experiment (resumable).", name, name)
		if gonbui.IsNotebook {
			gonbui.DisplayHTML(`<div style="color:#777">` + msg + `</div>`)
		} else {
			fmt.Println(msg)
		}
		return false
	}
	if !gonbui.IsNotebook {
		fmt.Print(reproduce.Table([]reproduce.Results{r}))
		return true
	}
	gonbui.DisplayHTML(reproduce.HTML(r))
	figs, _ := filepath.Glob(filepath.Join(dir, name, "*.png"))
	for _, f := range figs {
		if b, err := os.ReadFile(f); err == nil {
			gonbui.DisplayPNG(b)
		}
	}
	return true
}
