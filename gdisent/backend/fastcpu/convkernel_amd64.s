//go:build amd64

#include "textflag.h"

// func kernelRuns6x32(runs *int32, nruns int, rows *[6]uintptr, aStride int, b *float32, bStride int, c *float32, acc int)
// One 6×32 tile of an implicit GEMM whose operands are read in place: row r of A starts at rows[r] and B at b.
// K is the concatenation of nruns runs, run j = (runs[3j], runs[3j+1], runs[3j+2]) = (A offset, B offset, length
// >= 1), in float32 elements; within a run step t reads A(r) at rows[r] + 4·(aOff + t·aStride) bytes and the
// 32 floats of B at b + 4·(bOff + t·bStride). c[r*32+q] (+ if acc != 0)= Σ A(r)·B(q) over all steps.
// Accumulators Z0..Z11 (row r in Z(2r), Z(2r+1)); Z12, Z13: B row; Z14, Z15: broadcast A values.
TEXT ·kernelRuns6x32(SB), NOSPLIT, $0-64
	MOVQ runs+0(FP), SI
	MOVQ nruns+8(FP), BX
	MOVQ rows+16(FP), DX
	MOVQ 0(DX), R8
	MOVQ 8(DX), R9
	MOVQ 16(DX), R10
	MOVQ 24(DX), R11
	MOVQ 32(DX), R12
	MOVQ 40(DX), R13
	SHLQ $2, aStride+24(FP)
	SHLQ $2, bStride+40(FP)
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
run:
	MOVLQSX 0(SI), AX
	SHLQ $2, AX
	MOVLQSX 4(SI), DI
	SHLQ $2, DI
	ADDQ b+32(FP), DI
	MOVLQSX 8(SI), CX
	ADDQ $12, SI
step:
	VMOVUPS 0(DI), Z12
	VMOVUPS 64(DI), Z13
	VBROADCASTSS (R8)(AX*1), Z14
	VFMADD231PS Z12, Z14, Z0
	VFMADD231PS Z13, Z14, Z1
	VBROADCASTSS (R9)(AX*1), Z15
	VFMADD231PS Z12, Z15, Z2
	VFMADD231PS Z13, Z15, Z3
	VBROADCASTSS (R10)(AX*1), Z14
	VFMADD231PS Z12, Z14, Z4
	VFMADD231PS Z13, Z14, Z5
	VBROADCASTSS (R11)(AX*1), Z15
	VFMADD231PS Z12, Z15, Z6
	VFMADD231PS Z13, Z15, Z7
	VBROADCASTSS (R12)(AX*1), Z14
	VFMADD231PS Z12, Z14, Z8
	VFMADD231PS Z13, Z14, Z9
	VBROADCASTSS (R13)(AX*1), Z15
	VFMADD231PS Z12, Z15, Z10
	VFMADD231PS Z13, Z15, Z11
	ADDQ aStride+24(FP), AX
	ADDQ bStride+40(FP), DI
	DECQ CX
	JNZ step
	DECQ BX
	JNZ run
	MOVQ c+48(FP), DX
	MOVQ acc+56(FP), AX
	TESTQ AX, AX
	JEQ overwrite
	VADDPS 0(DX), Z0, Z0
	VADDPS 64(DX), Z1, Z1
	VADDPS 128(DX), Z2, Z2
	VADDPS 192(DX), Z3, Z3
	VADDPS 256(DX), Z4, Z4
	VADDPS 320(DX), Z5, Z5
	VADDPS 384(DX), Z6, Z6
	VADDPS 448(DX), Z7, Z7
	VADDPS 512(DX), Z8, Z8
	VADDPS 576(DX), Z9, Z9
	VADDPS 640(DX), Z10, Z10
	VADDPS 704(DX), Z11, Z11
overwrite:
	VMOVUPS Z0, 0(DX)
	VMOVUPS Z1, 64(DX)
	VMOVUPS Z2, 128(DX)
	VMOVUPS Z3, 192(DX)
	VMOVUPS Z4, 256(DX)
	VMOVUPS Z5, 320(DX)
	VMOVUPS Z6, 384(DX)
	VMOVUPS Z7, 448(DX)
	VMOVUPS Z8, 512(DX)
	VMOVUPS Z9, 576(DX)
	VMOVUPS Z10, 640(DX)
	VMOVUPS Z11, 704(DX)
	VZEROUPPER
	RET
