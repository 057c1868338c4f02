package cli

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
)

// progressDelay is how long work runs before a progress bar appears: short
// jobs stay quiet.
const progressDelay = 2 * time.Second

// progress shows a row counter on a terminal's stderr for work that runs
// longer than progressDelay; it prints nothing when stderr is not a
// terminal or with --quiet.
type progress struct {
	mu     sync.Mutex
	desc   string
	stage  string
	w      io.Writer
	start  time.Time
	bar    *progressbar.ProgressBar
	active bool
	count  int64 // bytes counted by bytes
}

func (a *app) newProgress(desc string) *progress {
	p := &progress{desc: desc, w: a.stderr, start: time.Now()}
	f, ok := a.stderr.(*os.File)
	p.active = !a.quiet && ok && isatty.IsTerminal(f.Fd())
	return p
}

// rows reports the number of rows done so far.
func (p *progress) rows(n int64) {
	if !p.active {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		if time.Since(p.start) < progressDelay {
			return
		}
		p.bar = p.newBar(-1, p.desc, progressbar.OptionSetItsString("rows"), progressbar.OptionShowIts())
	}
	p.bar.Set64(n)
}

// newBar makes a bar on stderr; unit says what it counts.
func (p *progress) newBar(total int64, desc string, unit ...progressbar.Option) *progressbar.ProgressBar {
	opts := append([]progressbar.Option{
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionClearOnFinish(),
	}, unit...)
	return progressbar.NewOptions64(total, opts...)
}

// done removes the bar.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}

// steps reports progress through a stage of known length; a new stage
// replaces the previous stage's bar.
func (p *progress) steps(stage string, done, total int) {
	if !p.active {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil && p.stage != stage {
		p.bar.Finish()
		p.bar = nil
	}
	if p.bar == nil {
		if time.Since(p.start) < progressDelay {
			return
		}
		p.stage = stage
		p.bar = p.newBar(int64(total), stageName(stage), progressbar.OptionSetItsString("steps"), progressbar.OptionShowIts())
	}
	p.bar.Set(done)
}

// bytes adds n bytes done; it may be called from several goroutines.
func (p *progress) bytes(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count += n
	if !p.active {
		return
	}
	if p.bar == nil {
		if time.Since(p.start) < progressDelay {
			return
		}
		p.bar = p.newBar(-1, p.desc, progressbar.OptionShowBytes(true))
	}
	p.bar.Set64(p.count)
}

// total is the number of bytes counted so far.
func (p *progress) total() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}
