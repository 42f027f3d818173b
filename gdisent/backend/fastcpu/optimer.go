package fastcpu

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// OpTime is the time spent in one op type's executor.
type OpTime struct {
	Op    backends.OpType
	Calls int
	Total time.Duration
}

// OpTimes is a per-op-type timing table, slowest first.
type OpTimes []OpTime

// String formats the table, dividing by steps (e.g. the number of training steps timed).
func (t OpTimes) String(steps int) string {
	var sb strings.Builder
	var sum time.Duration
	for _, o := range t {
		sum += o.Total
	}
	steps = max(1, steps)
	fmt.Fprintf(&sb, "%-18s %10s %8s\n", "op", "ms/step", "calls")
	for _, o := range t {
		fmt.Fprintf(&sb, "%-18s %10.2f %8d\n", o.Op, float64(o.Total)/1e6/float64(steps), o.Calls/steps)
	}
	fmt.Fprintf(&sb, "%-18s %10.2f\n", "total", float64(sum)/1e6/float64(steps))
	return sb.String()
}

// StartOpTimer wraps every SimpleGo executor with a timer; the returned function restores them and returns the
// table. For profiling only: call both while no graph is executing.
func StartOpTimer() (stop func() OpTimes) {
	var mu sync.Mutex
	var total [backends.OpTypeLast]time.Duration
	var calls [backends.OpTypeLast]int
	saved := nodeExecutors
	for op, orig := range saved {
		if orig == nil {
			continue
		}
		op := backends.OpType(op)
		nodeExecutors[op] = func(be *simplego.Backend, n *simplego.Node, in []*simplego.Buffer, owned []bool) (
			*simplego.Buffer, error) {
			t0 := time.Now()
			out, err := orig(be, n, in, owned)
			d := time.Since(t0)
			mu.Lock()
			total[op] += d
			calls[op]++
			mu.Unlock()
			return out, err
		}
	}
	return func() OpTimes {
		nodeExecutors = saved
		mu.Lock()
		defer mu.Unlock()
		var t OpTimes
		for op := range backends.OpTypeLast {
			if calls[op] > 0 {
				t = append(t, OpTime{Op: op, Calls: calls[op], Total: total[op]})
			}
		}
		sort.Slice(t, func(i, j int) bool { return t[i].Total > t[j].Total })
		return t
	}
}
