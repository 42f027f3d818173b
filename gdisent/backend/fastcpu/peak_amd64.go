package fastcpu

import "golang.org/x/sys/cpu"

// fmaLoop512 and fmaLoop256 are implemented in peak_amd64.s.
//
//go:noescape
func fmaLoop512(n int)

//go:noescape
func fmaLoop256(n int)

func fmaProbe() (func(int), float64) {
	switch {
	case wideKernel != nil && cpu.X86.HasAVX512F:
		return fmaLoop512, 12 * 16 * 2
	case hasAVX2FMA:
		return fmaLoop256, 12 * 8 * 2
	}
	return nil, 0
}
