package vae

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gdisent/gdisent/gdisent/training"
)

// TestStepTiming measures ms/step at batch 64 on 64×64×1 images; it runs only with GDISENT_BENCH=steps.
func TestStepTiming(t *testing.T) {
	steps, _ := strconv.Atoi(os.Getenv("GDISENT_BENCH"))
	if steps <= 0 {
		t.Skip("set GDISENT_BENCH=<steps> to time the VAE train step")
	}
	b := testBackend(t)
	for _, c := range []struct {
		name string
		cfg  Config
	}{{"small (MLP)", SmallConfig()}, {"full (conv)", DefaultConfig()}} {
		m, err := New(b, c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := m.Train(squares(64), 1, training.Silent()); err != nil { // compile + first step
			t.Fatal(err)
		}
		first := time.Since(start)
		start = time.Now()
		if err := m.Train(squares(64), 1+steps, training.Silent()); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: first step (with compile) %v, then %.1f ms/step over %d steps", c.name, first,
			float64(time.Since(start).Milliseconds())/float64(steps), steps)
	}
}
