//go:build unix

package backend

import (
	"os/exec"
	"syscall"
)

// setProcessGroup runs the probe in its own process group and, on timeout, kills the whole group, so helper
// processes a plugin may start cannot outlive it.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
