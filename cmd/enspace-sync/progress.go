package main

import (
	"fmt"
	"os"
	"sync"
	"time"
)

// progress shows a one-line count of stored objects on stderr while a
// backup runs, when stderr is a terminal; it prints nothing otherwise.
type progress struct {
	m         *Main
	workspace string
	on        bool
	start     time.Time

	mu   sync.Mutex
	last time.Time
}

func newProgress(m *Main, workspace string) *progress {
	return &progress{m: m, workspace: workspace, on: isTerminal(m.Stderr), start: time.Now()}
}

func (p *progress) update(kind string, objects int64) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	rate := float64(objects) / time.Since(p.start).Seconds()
	fmt.Fprintf(p.m.Stderr, "\r\033[K%s: %d objects (%s), %.0f objects/s", p.workspace, objects, kind, rate)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.m.Stderr, "\r\033[K")
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
