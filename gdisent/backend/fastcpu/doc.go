// Package fastcpu holds fast float32 CPU kernels for GoMLX's pure-Go backend (SimpleGo, GoMLX v0.26.0) and, on
// import, installs them as SimpleGo's op executors at the "user" priority: DotGeneral (a packed, cache-blocked,
// multi-threaded GEMM with 6×16 AVX2+FMA and 6×32 AVX-512 micro-kernels chosen at run time, and a pure-Go
// fallback), ConvGeneral (an implicit GEMM that reads the patches in place from a padded copy of the input, with
// a 6×32 AVX-512 kernel; see conv.go), row Gather and row ScatterSum (the im2col convolution and its gradient),
// Transpose, Slice, ReduceSum, BroadcastInDim, Where, Sign and the broadcasting Add/Sub/Mul/Div/Max/Min. Cases
// outside the fast paths (other dtypes, other gather patterns) go to SimpleGo's own executors.
//
// SimpleGo has no public way to replace an op's executor, so this package reaches its unexported dispatch table
// with go:linkname and reads its Buffer and Node structs through mirror structs (see simplego.go). Both are pinned
// to GoMLX v0.26.0: at init, when the linked GoMLX is another version (or its version is unknown) nothing is
// installed; otherwise the mirrors are compared field by field (name, type, offset) with SimpleGo's real
// structs, and on any mismatch nothing is installed either. Either way a line is logged and stock SimpleGo stays.
// Set GDISENT_NO_KERNELS=1 to skip installing them.
package fastcpu
