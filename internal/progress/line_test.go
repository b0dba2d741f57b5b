package progress

import (
	"strings"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	cases := []struct {
		name                              string
		objects, ofKind, total, kindTotal int64
		estimated                         bool
		elapsed                           time.Duration
		want                              string
	}{
		{"unknown total", 500, -1, 0, 0, false, 2 * time.Second, "acme: 500 objects (items), 250 objects/s"},
		{"snapshot export", 25000, 20000, 100002, 90000, false, 5 * time.Second,
			"acme: 25000 of 100002 objects (24%; items 20000 of 90000), 5000 objects/s, 15s left"},
		{"backup, total from the last snapshot", 900, -1, 1000, 0, true, 3 * time.Second,
			"acme: 900 of about 1000 objects (90%; items), 300 objects/s, 0s left"},
		{"more than the estimate", 1200, -1, 1000, 0, true, 4 * time.Second,
			"acme: 1200 of about 1000 objects (100%; items), 300 objects/s"},
	}
	for _, c := range cases {
		got := progressLine("acme", "items", c.objects, c.ofKind, c.total, c.kindTotal, c.estimated, c.elapsed)
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func TestPauseNote(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.Local)
	if got := pauseNote(now.Add(-time.Second), now); got != "" {
		t.Errorf("a pause that ended: %q, want nothing", got)
	}
	if got := pauseNote(now, now); got != "" {
		t.Errorf("a pause ending now: %q, want nothing", got)
	}
	want := ", paused by the server's Retry-After until 12:00:03"
	if got := pauseNote(now.Add(3*time.Second), now); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestProgressShowsAPause: while the client is paused the line says until
// when; once the pause is over the note goes.
func TestProgressShowsAPause(t *testing.T) {
	var out strings.Builder
	p := New(&out, "acme", false)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.Local)
	p.start = now.Add(-2 * time.Second)
	until := now.Add(3 * time.Second)
	p.paused = func() time.Time { return until }
	p.lastKind, p.lastObjects, p.lastOfKind = "items", 500, -1
	p.draw(now)
	p.draw(until)
	want := "\r\033[Kacme: 500 objects (items), 250 objects/s, paused by the server's Retry-After until 12:00:03" +
		"\r\033[Kacme: 500 objects (items), 100 objects/s"
	if out.String() != want {
		t.Errorf("got %q\nwant %q", out.String(), want)
	}
}

// TestProgressPlainLines: on a writer that is not a terminal, a plain line
// (no \r, no escape codes) every PlainEvery, nothing in between, and
// nothing at all when quiet.
func TestProgressPlainLines(t *testing.T) {
	var out strings.Builder
	p := New(&out, "acme", false)
	now := p.start
	p.now = func() time.Time { return now }
	p.Expect(1000, nil, false)
	now = now.Add(5 * time.Second)
	p.Update("items", 100)
	if out.Len() != 0 {
		t.Fatalf("a line before %s: %q", PlainEvery, out.String())
	}
	now = now.Add(5 * time.Second)
	p.Update("items", 200)
	now = now.Add(time.Second)
	p.Update("items", 250)
	p.Done()
	want := "acme: 200 of 1000 objects (20%; items), 20 objects/s, 40s left\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}

	var quiet strings.Builder
	q := New(&quiet, "acme", true)
	q.now = func() time.Time { return now.Add(time.Hour) }
	q.Update("items", 1)
	if quiet.Len() != 0 {
		t.Errorf("quiet printed %q", quiet.String())
	}
}
