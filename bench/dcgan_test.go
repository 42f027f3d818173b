package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/gdisent/gdisent/gdisent/backend"
	"github.com/gdisent/gdisent/gdisent/backend/fastcpu"
)

func benchStep(b *testing.B, newStep func() *Step) {
	s := newStep()
	if _, err := s.Run(); err != nil { // Warm-up: builds and compiles the graph.
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0, flops0 := cpuTime(), fastcpu.MatmulFlops()
	for b.Loop() {
		if _, err := s.Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/1e6/float64(b.N), "cpu-ms/op")
	perStep := float64(fastcpu.MatmulFlops()-flops0) / float64(b.N)
	b.ReportMetric(perStep/1e9, "GFLOP/step")
	b.ReportMetric(perStep*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkDCGAN64DStep times one discriminator training step (forward + backward + Adam, batch 64).
func BenchmarkDCGAN64DStep(b *testing.B) {
	benchStep(b, func() *Step { return NewDStep(backend.MustNew()) })
}

// BenchmarkDCGAN64GStep times one generator training step (forward + backward + Adam, batch 64).
func BenchmarkDCGAN64GStep(b *testing.B) {
	benchStep(b, func() *Step { return NewGStep(backend.MustNew()) })
}

// BenchmarkMatmul1024 times a 1024³ float32 matrix product through GoMLX on backend.MustNew(), in GFLOP/s.
func BenchmarkMatmul1024(b *testing.B) {
	const n = 1024
	r := rand.New(rand.NewPCG(5, 6))
	x, y := randTensor(r, n, n), randTensor(r, n, n)
	exec, err := graph.NewExec(backend.MustNew(), func(x, y *graph.Node) *graph.Node { return graph.Dot(x, y) })
	if err != nil {
		b.Fatal(err)
	}
	run := func() {
		out, err := exec.Exec(x, y)
		if err != nil {
			b.Fatal(err)
		}
		out[0].FinalizeAll()
	}
	run()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
	b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// stepLosses runs three D and three G steps and returns their losses.
func stepLosses(t *testing.T) []float64 {
	var out []float64
	for _, s := range []*Step{NewDStep(backend.MustNew()), NewGStep(backend.MustNew())} {
		for i := range 3 {
			loss, err := s.Run()
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			out = append(out, loss)
		}
	}
	return out
}

// TestStepsMatchStock trains three D and three G steps with the fast kernels and, in a child process with
// $GDISENT_NO_KERNELS=1, with stock SimpleGo, and checks the losses agree (float32 summation order differs).
func TestStepsMatchStock(t *testing.T) {
	if os.Getenv("BENCH_STOCK_CHILD") == "1" {
		fmt.Println("LOSSES", strings.Trim(fmt.Sprint(stepLosses(t)), "[]"))
		return
	}
	if testing.Short() {
		t.Skip("runs stock SimpleGo steps (~10 s)")
	}
	if !fastcpu.Installed {
		t.Fatalf("fast kernels not installed: %v", fastcpu.InstallError)
	}
	fast := stepLosses(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestStepsMatchStock$", "-test.count=1")
	cmd.Env = append(os.Environ(), "BENCH_STOCK_CHILD=1", fastcpu.DisableEnv+"=1")
	outBytes, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("stock child: %v\n%s", err, outBytes)
	}
	var stock []float64
	for _, line := range strings.Split(string(outBytes), "\n") {
		if rest, ok := strings.CutPrefix(line, "LOSSES "); ok {
			for _, f := range strings.Fields(rest) {
				v, err := strconv.ParseFloat(f, 64)
				if err != nil {
					t.Fatal(err)
				}
				stock = append(stock, v)
			}
		}
	}
	if len(stock) != len(fast) {
		t.Fatalf("stock child printed %d losses, want %d:\n%s", len(stock), len(fast), outBytes)
	}
	for i := range fast {
		if math.IsNaN(fast[i]) || math.Abs(fast[i]-stock[i]) > 1e-4*(1+math.Abs(stock[i])) {
			t.Errorf("loss %d: fast %.7g, stock %.7g", i, fast[i], stock[i])
		}
	}
	t.Logf("losses fast %v\n       stock %v", fast, stock)
}

// TestOpProfile prints where a D and a G step spend their time, per op type (not a test: run with
// BENCH_OP_PROFILE=1 go test ./bench -run OpProfile -v).
func TestOpProfile(t *testing.T) {
	if os.Getenv("BENCH_OP_PROFILE") != "1" {
		t.Skip("set BENCH_OP_PROFILE=1")
	}
	const steps = 5
	for _, c := range []struct {
		name string
		mk   func() *Step
	}{{"D", func() *Step { return NewDStep(backend.MustNew()) }}, {"G", func() *Step { return NewGStep(backend.MustNew()) }}} {
		s := c.mk()
		if _, err := s.Run(); err != nil {
			t.Fatal(err)
		}
		stop := fastcpu.StartOpTimer()
		for range steps {
			if _, err := s.Run(); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Printf("== %s step, per op type:\n%s", c.name, stop().String(steps))
	}
}
