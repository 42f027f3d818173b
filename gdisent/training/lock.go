package training

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/errors"
)

// LockFile is the file in a run directory that the training process holding it has locked.
const LockFile = ".lock"

// RunDirLock is an exclusive lock on a run directory, held by one training process at a time: a second process
// (a re-run notebook cell while the old kernel still trains, two sweep workers given the same index) gets a
// *RunDirBusyError instead of interleaving checkpoints. The operating system releases it when the process dies.
type RunDirLock struct {
	f *os.File
}

// RunDirBusyError says which process holds a run directory.
type RunDirBusyError struct {
	Dir    string
	Holder string // "pid 1234 since 2026-12-01T21:00:00Z", as the holder recorded it
}

func (e *RunDirBusyError) Error() string {
	return fmt.Sprintf("run directory %s is in use by another training process (%s): wait for it to finish or stop "+
		"it (in a notebook: interrupt or restart the kernel that trains), or train in another directory",
		e.Dir, e.Holder)
}

// LockRunDir takes dir's lock without waiting, creating dir if needed.
func LockRunDir(dir string) (*RunDirLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, errors.Wrapf(err, "training: creating run directory %q", dir)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, errors.Wrapf(err, "training: opening %q", path)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			h := strings.TrimSpace(string(holder))
			if h == "" {
				h = "unknown process"
			}
			return nil, &RunDirBusyError{Dir: dir, Holder: h}
		}
		return nil, errors.Wrapf(err, "training: locking %q", path)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d since %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))), 0)
	return &RunDirLock{f: f}, nil
}

// Unlock releases the lock (nil-safe, idempotent).
func (l *RunDirLock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}
