package gemm

import "os"

// active is the kernel Sgemm uses, chosen once when the program starts.
var active = choose(os.Getenv("POISONGUARD_GEMM"))

// choose returns the kernel named by want if this CPU runs it, else the
// fastest one it runs.
func choose(want string) *kernel {
	ks := kernels()
	for _, k := range ks {
		if k.name == want {
			return k
		}
	}
	return ks[0]
}

// kernels lists the kernels this CPU runs, fastest first; the last is
// always the Go one.
func kernels() []*kernel {
	return append(archKernels(), &goKernel)
}
