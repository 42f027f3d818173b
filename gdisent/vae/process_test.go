package vae

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/training"
)

// lockChildEnv makes the test binary a training process: it trains a tiny VAE in the named run directory up to the
// step count in lockStepsEnv and prints the error, if any.
const (
	lockChildEnv = "GDISENT_VAE_LOCK_CHILD_DIR"
	lockStepsEnv = "GDISENT_VAE_LOCK_CHILD_STEPS"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(lockChildEnv); dir != "" {
		os.Exit(trainChild(dir, os.Getenv(lockStepsEnv)))
	}
	os.Exit(m.Run())
}

func trainChild(dir, steps string) int {
	backend.Report = nil
	b, err := backend.New()
	if err != nil {
		os.Stderr.WriteString("backend: " + err.Error() + "\n")
		return 2
	}
	cfg := tinyConfig()
	cfg.CheckpointDir, cfg.CheckpointEvery = dir, 5
	m, err := New(b, cfg)
	if err == nil {
		n := 1_000_000
		if steps == "few" {
			n = 3
		}
		err = m.Train(squares(16), n, training.Silent())
	}
	if err != nil {
		os.Stderr.WriteString("TRAIN ERROR: " + err.Error() + "\n")
		return 1
	}
	return 0
}

// TestTwoProcessesOneRunDir starts two real training processes on one run directory: the second refuses with an
// error naming the directory and the holder instead of interleaving checkpoints; once the first is killed, a new
// process resumes there.
func TestTwoProcessesOneRunDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	child := func(steps string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), lockChildEnv+"="+dir, lockStepsEnv+"="+steps)
		return cmd
	}
	first := child("many")
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = first.Process.Kill(); _ = first.Wait() }()
	// Wait until the first process holds the lock and has written a checkpoint.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		holder, _ := os.ReadFile(filepath.Join(dir, training.LockFile))
		ckpts, _ := training.ListCheckpoints(dir)
		if strings.HasPrefix(string(holder), "pid ") && len(ckpts) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("first process never locked the directory; its stderr: %s", firstErr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, err := child("few").CombinedOutput()
	if err == nil {
		t.Fatalf("second process trained in a locked directory: %s", out)
	}
	msg := string(out)
	if !strings.Contains(msg, "in use by another training process") || !strings.Contains(msg, dir) ||
		!strings.Contains(msg, "pid ") {
		t.Fatalf("second process: want a clear 'in use' error naming the directory and holder, got: %s", msg)
	}
	t.Logf("second process: %s", strings.TrimSpace(msg))
	_ = first.Process.Kill()
	_ = first.Wait()
	// The operating system released the dead process's lock: a new process resumes (it may already be past 3).
	if out, err := child("few").CombinedOutput(); err != nil {
		t.Fatalf("after the first process died, training failed: %v: %s", err, out)
	}
}
