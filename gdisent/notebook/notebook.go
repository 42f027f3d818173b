// Package notebook holds small conveniences shared by gdisent's GoNB notebooks: quick mode for tests and the
// directory figures are exported to.
package notebook

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// QuickEnv is the environment variable that switches notebooks to quick mode: tiny runs that exercise every cell,
// used by the test suite and CI.
const QuickEnv = "GDISENT_QUICK"

// OutEnv names the directory where notebooks export figures; unset means "figures" under the working directory.
const OutEnv = "GDISENT_OUT"

// Quick reports whether quick mode is on.
func Quick() bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv(QuickEnv)))
	return v != "" && v != "0" && v != "false" && v != "no"
}

// Pick returns quick in quick mode and full otherwise.
func Pick[T any](full, quick T) T {
	if Quick() {
		return quick
	}
	return full
}

// OutDir returns (and creates) the directory for a notebook's exported figures: $GDISENT_OUT/name, or
// figures/name when $GDISENT_OUT is unset.
func OutDir(name string) (string, error) {
	base := os.Getenv(OutEnv)
	if base == "" {
		base = "figures"
	}
	dir := filepath.Join(base, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating figure directory %q: %w", dir, err)
	}
	return dir, nil
}

// RunsEnv names the directory where notebooks keep checkpoints; unset means "runs" under the working directory.
const RunsEnv = "GDISENT_RUNS"

// RunDir returns (and creates) the checkpoint directory of a notebook's run: $GDISENT_RUNS/name, or runs/name.
// Cells find a model trained by an earlier cell there, since every GoNB cell runs in a fresh process.
func RunDir(name string) (string, error) {
	base := os.Getenv(RunsEnv)
	if base == "" {
		base = "runs"
	}
	dir := filepath.Join(base, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating run directory %q: %w", dir, err)
	}
	return dir, nil
}
