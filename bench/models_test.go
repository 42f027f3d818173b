package bench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/backend/fastcpu"
	"github.com/gdisent/gdisent/gdisent/training"
)

// BenchmarkModels times one training step (VAEs) or iteration (GANs) of each ModelCase through the model's own
// Train loop: two untimed warm-up steps (they compile every step graph), then b.N steps. It reports the matrix
// product work per step (GFLOP/step, counted by the fast DotGeneral and ConvGeneral) and the achieved GFLOP/s. With
// BENCH_OP_LABELS=1 the timed steps' CPU profile samples are labelled by op (see fastcpu.StartOpLabels).
func BenchmarkModels(b *testing.B) {
	for _, c := range ModelCases {
		b.Run(c.Name, func(b *testing.B) {
			m, ds, err := c.New(backend.MustNew())
			if err != nil {
				b.Fatal(err)
			}
			if err := m.Train(ds, int(m.Step())+2, training.Silent()); err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			if os.Getenv("BENCH_OP_LABELS") == "1" {
				defer fastcpu.StartOpLabels()()
			}
			flops0, cpu0 := fastcpu.MatmulFlops(), cpuTime()
			b.ResetTimer()
			if err := m.Train(ds, int(m.Step())+b.N, training.Silent()); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
			perStep := float64(fastcpu.MatmulFlops()-flops0) / float64(b.N)
			b.ReportMetric(perStep/1e9, "GFLOP/step")
			b.ReportMetric(perStep*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// cpuTime is the process's user + system CPU time so far: on a shared machine the CPU time of a step varies much
// less than its wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFMAPeak reports the float32 FMA peak: one core's best of 40 runs of 5 ms (on a shared machine a short
// run is the likeliest to have the core to itself) times GOMAXPROCS, the denominator of the fractions of peak in
// run.sh's table.
func BenchmarkFMAPeak(b *testing.B) {
	var core float64
	for b.Loop() {
		core = fastcpu.PeakGFLOPS(1, 40, 5*time.Millisecond)
	}
	if core == 0 {
		b.Skip("no FMA probe on this CPU")
	}
	b.ReportMetric(core, "GFLOP/s/core")
	b.ReportMetric(core*float64(runtime.GOMAXPROCS(0)), "GFLOP/s")
}

// TestModelsTrain runs each ModelCase for one step after its first and checks the step counter moves: the cases
// stay buildable as the model packages change (run.sh would otherwise fail mid-way).
func TestModelsTrain(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles five models (about a minute)")
	}
	only := os.Getenv("BENCH_MODEL")
	for _, c := range ModelCases {
		if only != "" && only != c.Name {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			m, ds, err := c.New(backend.MustNew())
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Train(ds, 2, training.Silent()); err != nil {
				t.Fatal(err)
			}
			if m.Step() != 2 {
				t.Fatalf("after Train(2): step %d", m.Step())
			}
		})
	}
}

// TestModelOpProfile prints where one ModelCase's step spends its time per op type, or with BENCH_BY_SHAPE=1 per op
// and shapes (not a test: run with BENCH_OP_PROFILE=<case name> go test ./bench -run ModelOpProfile -v).
func TestModelOpProfile(t *testing.T) {
	name := os.Getenv("BENCH_OP_PROFILE")
	if name == "" || name == "1" {
		t.Skip("set BENCH_OP_PROFILE to a ModelCase name")
	}
	steps, _ := strconv.Atoi(os.Getenv("BENCH_STEPS"))
	steps = max(steps, 3)
	for _, c := range ModelCases {
		if c.Name != name {
			continue
		}
		m, ds, err := c.New(backend.MustNew())
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Train(ds, 2, training.Silent()); err != nil {
			t.Fatal(err)
		}
		start := fastcpu.StartOpTimer
		if os.Getenv("BENCH_BY_SHAPE") == "1" {
			start = fastcpu.StartNodeTimer
		}
		stop := start()
		if err := m.Train(ds, 2+steps, training.Silent()); err != nil {
			t.Fatal(err)
		}
		times := stop()
		fmt.Printf("== %s, per op type:\n%s", c.Name, times[:min(len(times), 60)].String(steps))
		return
	}
	t.Fatalf("no ModelCase %q", name)
}
