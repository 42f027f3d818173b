package fastcpu

import (
	"runtime"
	"sync"
	"time"
)

// PeakGFLOPS measures the float32 FMA peak of `threads` cores: each runs independent register-only FMA chains
// (AVX-512 or AVX2, whichever the GEMM uses) for about d, and the best of `trials` runs is returned, in GFLOP/s
// summed over the threads. On a shared machine it measures what the cores give right now, not the data sheet.
// It returns 0 on CPUs without the assembly kernels.
func PeakGFLOPS(threads, trials int, d time.Duration) float64 {
	loop, flopsPerIter := fmaProbe()
	if loop == nil || threads < 1 || trials < 1 {
		return 0
	}
	// Calibrate the iteration count for about d on one thread.
	iters := 1 << 16
	for {
		t0 := time.Now()
		loop(iters)
		if el := time.Since(t0); el > d/4 || iters > 1<<30 {
			iters = max(1, int(float64(iters)*float64(d)/float64(max(el, time.Microsecond))))
			break
		}
		iters *= 4
	}
	best := 0.0
	for range trials {
		var wg sync.WaitGroup
		times := make([]time.Duration, threads)
		for t := range threads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				t0 := time.Now()
				loop(iters)
				times[t] = time.Since(t0)
			}()
		}
		wg.Wait()
		sum := 0.0
		for _, el := range times {
			sum += float64(iters) * flopsPerIter / el.Seconds() / 1e9
		}
		best = max(best, sum)
	}
	return best
}
