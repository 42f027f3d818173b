package purego

// DotRewrites returns how many matmul-gradient rewrites were done so far.
func DotRewrites() int64 { return dotRewrites.Load() }

var WithDefaultExecution = withDefaultExecution
