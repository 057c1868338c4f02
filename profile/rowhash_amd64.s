//go:build amd64 && !purego

#include "textflag.h"

// Constants of numToken and step (rowhash.go).
DATA hashk<>+0(SB)/8, $0x9e3779b97f4a7c15  // step: lane 1 multiplier
DATA hashk<>+8(SB)/8, $0xc2b2ae3d27d4eb4f  // step: lane 2 multiplier
DATA hashk<>+16(SB)/8, $0x7ff800000badf00d // dataset.Missing's bits
DATA hashk<>+24(SB)/8, $0x6d697373696e6721 // tokenMiss
DATA hashk<>+32(SB)/8, $0x7fc00000         // tokenNaN
GLOBL hashk<>(SB), RODATA|NOPTR, $40

// func hashNum8(h1, h2 *uint64, xs *float64, n int, c uint64)
TEXT ·hashNum8(SB), NOSPLIT, $0-40
	MOVQ h1+0(FP), DI
	MOVQ h2+8(FP), SI
	MOVQ xs+16(FP), DX
	MOVQ n+24(FP), CX
	VPBROADCASTQ c+32(FP), Z10
	VPBROADCASTQ hashk<>+0(SB), Z11
	VPBROADCASTQ hashk<>+8(SB), Z12
	VPBROADCASTQ hashk<>+16(SB), Z13
	VPBROADCASTQ hashk<>+24(SB), Z14
	VPBROADCASTQ hashk<>+32(SB), Z15
	VPXORQ Z9, Z9, Z9
	SHRQ $3, CX
	JZ done

loop:
	// token = numToken(x): float32 bits, 0 for ±0 (and values that round
	// to it), tokenNaN for a NaN, tokenMiss for dataset.Missing.
	VMOVUPD (DX), Z0
	VPCMPEQQ Z13, Z0, K1
	VCMPPD $3, Z0, Z0, K2
	VCVTPD2PS Z0, Y1
	VCMPPS $0, Z9, Z1, K3
	VPMOVZXDQ Y1, Z2
	VMOVDQA64 Z9, K3, Z2
	VMOVDQA64 Z15, K2, Z2
	VMOVDQA64 Z14, K1, Z2
	VPXORQ Z10, Z2, Z2

	// h1 = rotl((h1 ^ t) * k1, 31); h2 = rotl((h2 + t) * k2, 29) ^ t>>17.
	VMOVDQU64 (DI), Z3
	VMOVDQU64 (SI), Z4
	VPXORQ Z2, Z3, Z3
	VPMULLQ Z11, Z3, Z3
	VPROLQ $31, Z3, Z3
	VPADDQ Z2, Z4, Z4
	VPMULLQ Z12, Z4, Z4
	VPROLQ $29, Z4, Z4
	VPSRLQ $17, Z2, Z5
	VPXORQ Z5, Z4, Z4
	VMOVDQU64 Z3, (DI)
	VMOVDQU64 Z4, (SI)

	ADDQ $64, DI
	ADDQ $64, SI
	ADDQ $64, DX
	DECQ CX
	JNZ loop

done:
	VZEROUPPER
	RET
