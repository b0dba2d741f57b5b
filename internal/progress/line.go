// Package progress draws the one-line progress of long work on a terminal:
// objects so far, the share done and the time left when the total is known,
// and a server's Retry-After pause while one holds the requests. It
// implements app.Progress. On anything but a terminal (a log file, a pipe,
// the journal) it prints the same text as a plain line every 10 seconds,
// so that a long run is never silent and never fills a log with \r.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Line shows a one-line count of objects on w while a backup, an export or
// an apply runs, when w is a terminal; it prints nothing otherwise.
// When the total is known (an export of a snapshot: exactly; a backup:
// about, from the previous snapshot) it also shows the share done and the
// time left.
type Line struct {
	w         io.Writer
	workspace string
	on        bool // drawn in place on a terminal
	plain     bool // printed as a line every PlainEvery, on anything else
	start     time.Time
	now       func() time.Time

	mu         sync.Mutex
	last       time.Time
	total      int64            // 0: unknown
	estimated  bool             // total is a guess (the previous snapshot's size)
	kindTotals map[string]int   // objects per kind, when known
	kindDone   map[string]int64 // objects per kind so far, counted by step
	count      int64            // objects so far, counted by step

	// paused is the client's PausedUntil (nil: not watched); lastKind,
	// lastObjects and lastOfKind redraw the line while a pause holds the
	// counts still; noted says the line shows a pause.
	paused                  func() time.Time
	stop                    chan struct{}
	lastKind                string
	lastObjects, lastOfKind int64
	noted                   bool
}

// New returns the progress line of workspace's work, drawn on w when w is a
// terminal and quiet is false.
// On anything else, unless quiet, it prints a plain line every PlainEvery.
func New(w io.Writer, workspace string, quiet bool) *Line {
	term := isTerminal(w)
	p := &Line{w: w, workspace: workspace, on: !quiet && term, plain: !quiet && !term, now: time.Now,
		kindDone: map[string]int64{}}
	p.start = p.now()
	p.last = p.start
	return p
}

// PlainEvery is how often a progress line is printed when its writer is
// not a terminal.
const PlainEvery = 10 * time.Second

// Expect sets the total number of objects, and per kind when known.
func (p *Line) Expect(total int64, perKind map[string]int, estimated bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.kindTotals, p.estimated = total, perKind, estimated
}

// Update shows objects stored so far, the latest being of kind.
func (p *Line) Update(kind string, objects int64) {
	if !p.on && !p.plain {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.show(kind, objects, -1)
}

// Step counts one object of kind and shows the count.
func (p *Line) Step(kind string) {
	if !p.on && !p.plain {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count++
	p.kindDone[kind]++
	p.show(kind, p.count, p.kindDone[kind])
}

// show prints the line at most five times a second. The caller holds p.mu.
func (p *Line) show(kind string, objects, ofKind int64) {
	p.lastKind, p.lastObjects, p.lastOfKind = kind, objects, ofKind
	now := p.now()
	if p.plain {
		if now.Sub(p.last) >= PlainEvery {
			p.last = now
			fmt.Fprintln(p.w, progressLine(p.workspace, kind, objects, ofKind, p.total,
				int64(p.kindTotals[kind]), p.estimated, now.Sub(p.start)))
		}
		return
	}
	if now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.draw(now)
}

// draw prints the line. The caller holds p.mu.
func (p *Line) draw(now time.Time) {
	p.last = now
	kind := p.lastKind
	line := progressLine(p.workspace, kind, p.lastObjects, p.lastOfKind, p.total, int64(p.kindTotals[kind]), p.estimated, now.Sub(p.start))
	var note string
	if p.paused != nil {
		note = pauseNote(p.paused(), now)
	}
	p.noted = note != ""
	fmt.Fprint(p.w, "\r\033[K"+line+note)
}

// WatchPauses shows on the line when pausedUntil (a client's PausedUntil)
// says a server's Retry-After holds the requests, redrawing it while the
// pause lasts and once when it ends, until done.
func (p *Line) WatchPauses(pausedUntil func() time.Time) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused, p.stop = pausedUntil, make(chan struct{})
	go func(stop <-chan struct{}) {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				p.mu.Lock()
				if p.noted || pausedUntil().After(now) {
					p.draw(now)
				}
				p.mu.Unlock()
			}
		}
	}(p.stop)
}

// pauseNote is what the line says while the client is paused until until:
// ", paused by the server's Retry-After until 15:04:05" (local time), or
// nothing.
func pauseNote(until, now time.Time) string {
	if !until.After(now) {
		return ""
	}
	return ", paused by the server's Retry-After until " + until.Local().Format("15:04:05")
}

// progressLine is the text of the progress line: "acme: 12000 of 100002
// objects (12%; items 11000 of 90000), 3100 objects/s, 29s left".
func progressLine(workspace, kind string, objects, ofKind, total, kindTotal int64, estimated bool, elapsed time.Duration) string {
	rate := 0.0
	if elapsed > 0 {
		rate = float64(objects) / elapsed.Seconds()
	}
	if total <= 0 {
		return fmt.Sprintf("%s: %d objects (%s), %.0f objects/s", workspace, objects, kind, rate)
	}
	about := ""
	if estimated {
		about = "about "
	}
	pct := min(100, 100*objects/total)
	what := kind
	if ofKind >= 0 && kindTotal > 0 {
		what = fmt.Sprintf("%s %d of %d", kind, ofKind, kindTotal)
	}
	left := ""
	if rate > 0 && objects < total && elapsed >= time.Second { // a rate over less than a second says little
		secs := float64(total-objects) / rate
		left = ", " + time.Duration(secs*float64(time.Second)).Round(time.Second).String() + " left"
	}
	return fmt.Sprintf("%s: %d of %s%d objects (%d%%; %s), %.0f objects/s%s", workspace, objects, about, total, pct, what, rate, left)
}

// Done clears the line.
func (p *Line) Done() {
	p.mu.Lock()
	if p.stop != nil {
		close(p.stop)
		p.stop = nil
	}
	p.mu.Unlock()
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
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
