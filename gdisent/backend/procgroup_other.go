//go:build !unix

package backend

import "os/exec"

// setProcessGroup is a no-op where process groups are not available; the probe process itself is still killed
// on timeout.
func setProcessGroup(*exec.Cmd) {}
