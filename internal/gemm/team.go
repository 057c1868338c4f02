package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// spinFor is how long an idle worker polls for the next product before it
// sleeps. Waking a sleeping goroutine takes tens of microseconds here, as
// long as a whole product of the sizes the project uses, so workers that
// poll through the gaps between the back-to-back products of a training
// step keep those products parallel.
const spinFor = time.Millisecond

// team is the set of goroutines that help the calling goroutine with a
// product. They live between calls and poll for work, so handing out a
// product takes well under a microsecond. The caller and the workers claim
// regions of C from a shared counter, so a worker that is asleep or busy
// elsewhere delays nothing: the caller takes its regions. One call uses
// the team at a time; a concurrent call runs on its own goroutine.
type team struct {
	mu      sync.Mutex
	gen     atomic.Uint64       // products handed out so far
	cur     atomic.Pointer[job] // the latest of them
	workers []*worker
}

// crew is the team Sgemm uses.
var crew team

// worker is one goroutine of a team.
type worker struct {
	sleeping atomic.Bool
	wake     chan struct{}
}

// do runs j on all of its regions with the help of up to helpers workers,
// fewer if GOMAXPROCS leaves no processor for them, and returns when all
// are done.
func (t *team) do(j *job, helpers int) {
	helpers = min(helpers, runtime.GOMAXPROCS(0)-1)
	if helpers < 1 || !t.mu.TryLock() {
		j.work()
		return
	}
	defer t.mu.Unlock()
	for len(t.workers) < helpers {
		w := &worker{wake: make(chan struct{}, 1)}
		t.workers = append(t.workers, w)
		go w.loop(t, t.gen.Load())
	}
	t.cur.Store(j)
	t.gen.Add(1)
	for _, w := range t.workers[:helpers] {
		if w.sleeping.CompareAndSwap(true, false) {
			w.wake <- struct{}{}
		}
	}
	j.work()
	// Every region is claimed now, and those not yet finished are running
	// on workers that are awake: poll, yielding now and then in case one
	// of them waits for this processor.
	for i := 1; j.finished.Load() != int64(len(j.regions)); i++ {
		if i%4096 == 0 {
			runtime.Gosched()
		}
	}
	t.cur.Store(nil)
}

// work claims regions of j and runs them until none is left.
func (j *job) work() {
	for {
		i := int(j.next.Add(1) - 1)
		if i >= len(j.regions) {
			return
		}
		if r := j.regions[i]; j.each != nil {
			j.each(r.i0, r.i1)
		} else {
			j.run(r)
		}
		j.finished.Add(1)
	}
}

func (w *worker) loop(t *team, seen uint64) {
	for {
		seen = w.next(t, seen)
		if j := t.cur.Load(); j != nil {
			j.work()
		}
	}
}

// next waits until the team has handed out a product after the seen'th
// and returns the new count: polling for spinFor, then asleep.
func (w *worker) next(t *team, seen uint64) uint64 {
	start := time.Now()
	for i := 0; ; i++ {
		if g := t.gen.Load(); g != seen {
			return g
		}
		if i%1024 == 1023 && time.Since(start) > spinFor {
			break
		}
	}
	w.sleeping.Store(true)
	if g := t.gen.Load(); g != seen {
		// A product came meanwhile. If its caller already saw us asleep,
		// it has sent a wake-up too: take it so the next sleep does not
		// end at once.
		if !w.sleeping.CompareAndSwap(true, false) {
			<-w.wake
		}
		return g
	}
	<-w.wake
	return t.gen.Load()
}

// Parallel runs fn over [0, n) split into contiguous parts, one per
// thread of the SetThreads setting, on the goroutines that help Sgemm:
// between products they are awake and polling, so elementwise work
// placed between products (an optimizer step, an activation) starts at
// once instead of competing with them for the processors. Every index is
// visited exactly once; parts must write disjoint outputs. Parallel
// returns when all parts are done.
func Parallel(n int, fn func(lo, hi int)) {
	nt := min(numThreads(), n)
	if nt <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	j := &job{each: fn, regions: make([]region, nt)}
	for p := range nt {
		j.regions[p] = region{i0: p * n / nt, i1: (p + 1) * n / nt}
	}
	crew.do(j, nt-1)
}
