//go:build !amd64

package fastcpu

func fmaProbe() (func(int), float64) { return nil, 0 }
