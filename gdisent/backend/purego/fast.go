package purego

// Importing kernels replaces SimpleGo's hot float32 executors (DotGeneral as a packed AVX2/AVX-512 GEMM, the
// im2col Gather/ScatterSum, Transpose, Slice, ReduceSum, Where, Sign, broadcasting arithmetic) with fast ones; it
// installs nothing, and logs why, if SimpleGo's internals differ from the GoMLX v0.26.0 it was written for.
import _ "github.com/gdisent/gdisent/gdisent/backend/fastcpu"
