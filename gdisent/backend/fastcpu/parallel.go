package fastcpu

import (
	"runtime"
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

// forJob is one parallelFor call: tasks are claimed from next and counted in done when finished.
type forJob struct {
	next, done atomic.Int64
	n          int64
	fn         func(i int)
	finished   chan struct{} // closed by whoever finishes the last task
}

// run claims and runs tasks until none are left.
func (j *forJob) run() {
	for {
		i := j.next.Add(1) - 1
		if i >= j.n {
			return
		}
		j.fn(int(i))
		if j.done.Add(1) == j.n {
			close(j.finished)
		}
	}
}

// parallelFor runs fn(0), ..., fn(n-1) on up to workers goroutines (the caller's included). Tasks are claimed one
// at a time, and the caller waits only for tasks that other goroutines have claimed, never for a goroutine to
// start: on a loaded machine a helper may get a core late, and then the caller simply runs more of the tasks
// itself (a WaitGroup would keep it waiting until every helper had been scheduled at least once).
func parallelFor(workers, n int, fn func(i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	j := &forJob{n: int64(n), fn: fn, finished: make(chan struct{})}
	for range workers - 1 {
		go j.run()
	}
	j.run()
	<-j.finished
}
