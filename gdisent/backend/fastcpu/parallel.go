package fastcpu

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// minFlopsPerWorker is the amount of work below which an extra goroutine costs more than it saves.
const minFlopsPerWorker = 1 << 18

// minElemsPerWorker is the same for memory-bound loops (about a nanosecond per element).
const minElemsPerWorker = 1 << 14

// numWorkers returns how many goroutines to use for a compute-bound job of the given number of flops.
func numWorkers(flops int) int {
	return max(1, min(runtime.GOMAXPROCS(0), flops/minFlopsPerWorker))
}

// numWorkersMem returns how many goroutines to use for a memory-bound loop over n elements.
func numWorkersMem(n int) int {
	return max(1, min(runtime.GOMAXPROCS(0), n/minElemsPerWorker))
}

// parallelFor runs fn(0), ..., fn(n-1) on up to workers goroutines (the caller's included).
func parallelFor(workers, n int, fn func(i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	run := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			fn(i)
		}
	}
	wg.Add(workers - 1)
	for range workers - 1 {
		go func() { defer wg.Done(); run() }()
	}
	run()
	wg.Wait()
}
