package fastcpu

import (
	"context"
	"fmt"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// OpTime is the time spent in one op type's executor (or, from StartNodeTimer, in one op with given shapes).
type OpTime struct {
	Op    backends.OpType
	Key   string // StartNodeTimer: the op's input and output shapes
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
		fmt.Fprintf(&sb, "%-18s %10.2f %8d %s\n", o.Op, float64(o.Total)/1e6/float64(steps), o.Calls/steps, o.Key)
	}
	fmt.Fprintf(&sb, "%-18s %10.2f\n", "total", float64(sum)/1e6/float64(steps))
	return sb.String()
}

// StartOpTimer wraps every SimpleGo executor with a timer; the returned function restores them and returns the
// table. For profiling only: call both while no graph is executing.
func StartOpTimer() (stop func() OpTimes) {
	return startTimer(func(*simplego.Node, []*simplego.Buffer) string { return "" })
}

// StartNodeTimer is StartOpTimer keyed by op type and shapes (inputs -> output), to find the costly instances of
// an op.
func StartNodeTimer() (stop func() OpTimes) { return startTimer(shapeKey) }

// startTimer wraps every executor with a wall-clock timer whose totals are kept per op type and key(node, inputs).
func startTimer(key func(*simplego.Node, []*simplego.Buffer) string) (stop func() OpTimes) {
	type slot struct {
		op  backends.OpType
		key string
	}
	var mu sync.Mutex
	total := map[slot]time.Duration{}
	calls := map[slot]int{}
	restore := wrapExecutors(func(op backends.OpType, orig executor) executor {
		return func(be *simplego.Backend, n *simplego.Node, in []*simplego.Buffer, owned []bool) (
			*simplego.Buffer, error) {
			k := slot{op, key(n, in)}
			t0 := time.Now()
			out, err := orig(be, n, in, owned)
			d := time.Since(t0)
			mu.Lock()
			total[k] += d
			calls[k]++
			mu.Unlock()
			return out, err
		}
	})
	return func() OpTimes {
		restore()
		mu.Lock()
		defer mu.Unlock()
		var t OpTimes
		for k, d := range total {
			t = append(t, OpTime{Op: k.op, Key: k.key, Calls: calls[k], Total: d})
		}
		sort.Slice(t, func(i, j int) bool { return t[i].Total > t[j].Total })
		return t
	}
}

// shapeKey names a node by its input and output shapes: "[2 3], [3 4] -> [2 4]".
func shapeKey(n *simplego.Node, in []*simplego.Buffer) string {
	var sb strings.Builder
	for i, b := range in {
		if i > 0 {
			sb.WriteString(", ")
		}
		if b != nil {
			sb.WriteString(bufOf(b).shape.String())
		}
	}
	sb.WriteString(" -> ")
	sb.WriteString(nodeOf(n).shape.String())
	return sb.String()
}

// StartOpLabels wraps every SimpleGo executor so that CPU profile samples carry pprof labels "op" (the op type) and
// "node" (op type and shapes, as in StartNodeTimer); the returned function restores the executors. Read the CPU
// time per op with `go tool pprof -tags`: unlike the wall-clock timers it is not skewed by other jobs on the
// machine. For profiling only: call both while no graph is executing.
func StartOpLabels() (stop func()) {
	return wrapExecutors(func(op backends.OpType, orig executor) executor {
		return func(be *simplego.Backend, n *simplego.Node, in []*simplego.Buffer, owned []bool) (
			out *simplego.Buffer, err error) {
			node := op.String() + " " + shapeKey(n, in)
			pprof.Do(context.Background(), pprof.Labels("op", op.String(), "node", node), func(context.Context) {
				out, err = orig(be, n, in, owned)
			})
			return out, err
		}
	})
}

// wrapExecutors replaces every installed SimpleGo executor by wrap(op, executor) and returns the function that
// puts the originals back (shared by the op timers and the pprof labels).
func wrapExecutors(wrap func(op backends.OpType, orig executor) executor) (restore func()) {
	saved := nodeExecutors
	for op, orig := range saved {
		if orig != nil {
			nodeExecutors[op] = wrap(backends.OpType(op), orig)
		}
	}
	return func() { nodeExecutors = saved }
}
