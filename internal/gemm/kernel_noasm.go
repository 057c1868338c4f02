//go:build !amd64 || purego

package gemm

// archKernels returns no kernels: this build has no assembly.
func archKernels() []*kernel { return nil }
