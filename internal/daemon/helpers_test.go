package daemon

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/app"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// backend plays the program's side of the daemon: backups, retention,
// history and the database, recording the calls.
type backend struct {
	clock *testClock

	mu        sync.Mutex
	calls     []string
	block     map[string]chan struct{} // a backup of the workspace waits for this, or for its ctx
	status    map[string]app.Status    // the status of the next backups (default complete)
	snapshots map[string]int
	lastOK    map[string]time.Time
	notified  []Result
}

func newBackend(clock *testClock) *backend {
	return &backend{clock: clock, block: map[string]chan struct{}{}, status: map[string]app.Status{},
		snapshots: map[string]int{}, lastOK: map[string]time.Time{}}
}

func (b *backend) record(call string) {
	b.mu.Lock()
	b.calls = append(b.calls, call)
	b.mu.Unlock()
}

func (b *backend) Calls() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.calls, ",")
}

func (b *backend) Backup(ctx context.Context, ws string) Result {
	b.record("backup " + ws)
	b.mu.Lock()
	block, status := b.block[ws], b.status[ws]
	b.mu.Unlock()
	start := b.clock.Now()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return Result{RunInfo: RunInfo{StartedAt: start, FinishedAt: b.clock.Now(), Status: StatusAborted, Error: ctx.Err().Error()}}
		}
	}
	if status == "" {
		status = StatusComplete
	}
	r := Result{RunInfo: RunInfo{StartedAt: start, FinishedAt: b.clock.Now(), Status: status},
		Counts: map[string]int{"types": 3, "items": 40}, API: APIStats{ByStatus: map[int]int{200: 10, 429: 2}, Retries: 2, Pauses: 1, PausedFor: 1500 * time.Millisecond}}
	if status == StatusFailed {
		r.Error = "boom"
		return r
	}
	b.mu.Lock()
	b.snapshots[ws]++
	r.Snapshot = "snap" + string(rune('0'+b.snapshots[ws]))
	if status == StatusComplete {
		b.lastOK[ws] = r.FinishedAt
	}
	b.mu.Unlock()
	return r
}

func (b *backend) Replicate(_ context.Context, name string) Result {
	b.record("replicate " + name)
	b.mu.Lock()
	status := b.status[name]
	b.mu.Unlock()
	if status == "" {
		status = StatusComplete
	}
	return Result{RunInfo: RunInfo{StartedAt: b.clock.Now(), FinishedAt: b.clock.Now(), Status: status},
		Summary: "2 to create, 0 to update"}
}

// Scrub finds one damaged object, reading 4096 bytes.
func (b *backend) Scrub(_ context.Context) Result {
	b.record("scrub")
	return Result{RunInfo: RunInfo{StartedAt: b.clock.Now(), FinishedAt: b.clock.Now(), Status: StatusFailed, Error: "found 1 damaged object"},
		Scrub: &app.ScrubStats{BytesRead: 4096, Damaged: 1, Snapshots: []string{"snap1"}}}
}

func (b *backend) Offsite(ctx context.Context, name string) Result {
	b.record("push " + name)
	b.mu.Lock()
	block := b.block[name]
	b.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return Result{RunInfo: RunInfo{StartedAt: b.clock.Now(), FinishedAt: b.clock.Now(), Status: StatusAborted, Error: ctx.Err().Error()}}
		}
	}
	return Result{RunInfo: RunInfo{StartedAt: b.clock.Now(), FinishedAt: b.clock.Now(), Status: StatusComplete}, Summary: "pushed 1 snapshots"}
}

func (b *backend) Retain(ctx context.Context, ws string) (Retention, error) {
	b.record("retain " + ws)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.snapshots[ws] > 2 {
		b.snapshots[ws] = 2
		return Retention{Removed: 1, PrunedBytes: 100}, nil
	}
	return Retention{}, nil
}

func (b *backend) History(ws string) (History, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return History{Snapshots: b.snapshots[ws], LastOK: b.lastOK[ws]}, nil
}

func (b *backend) Notify(_ context.Context, r Result) {
	b.mu.Lock()
	b.notified = append(b.notified, r)
	b.mu.Unlock()
}

// fakeDB is the database: a fixed content.
type fakeDB struct{ content string }

func (f fakeDB) WriteTo(w io.Writer) (int64, error) {
	n, err := io.WriteString(w, f.content)
	return int64(n), err
}

func (f fakeDB) Size() (int64, error) { return int64(len(f.content)), nil }

// start builds and starts a daemon over b with the given workspaces.
// testToken is the listener's token in tests.
const testToken = "test-token-0123456789abcdef0123456789"

func start(t *testing.T, b *backend, env map[string]string, ws ...Workspace) *Daemon {
	t.Helper()
	d, err := New(Options{
		Jobs: JobFuncs{Backup: b.Backup, Replicate: b.Replicate, ScrubFn: b.Scrub, OffsiteFn: b.Offsite, Retain: b.Retain, History: b.History, NotifyFn: b.Notify},
		DB:   fakeDB{"bbolt-bytes"}, Version: "test", Clock: b.clock,
		Logger: slog.New(slog.DiscardHandler),
		Getenv: func(k string) string { return env[k] },
		Listen: "127.0.0.1:9464", Token: testToken,
	}, Settings{Workspaces: ws, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = d.Stop(ctx)
	})
	return d
}

// idle waits until no run of the daemon is in progress and every
// workspace's scheduler loop has armed its timer.
func idle(t *testing.T, d *Daemon, c *testClock, loops int) {
	t.Helper()
	eventually(t, "the daemon to be idle", func() bool {
		for _, w := range d.Status().Workspaces {
			if w.Running {
				return false
			}
		}
		d.mu.Lock()
		sched := d.sched
		d.mu.Unlock()
		for _, js := range sched.Status() {
			if js.Running || js.Waiting {
				return false
			}
		}
		return c.pending() >= loops
	})
}
