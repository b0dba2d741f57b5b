package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/offsite"
)

// pushPlan plays push jobs that report what it is given, in turn (nothing
// to push once they run out; nil: a failed push).
type pushPlan struct {
	b        *backend
	mu       sync.Mutex
	pushes   []*app.OffsitePush
	received time.Time // what the target's records say (zero: never)
	asked    int       // calls of lastReceived
}

func (pp *pushPlan) lastReceived(context.Context, string) (time.Time, error) {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	pp.asked++
	return pp.received, nil
}

func (pp *pushPlan) set(p ...*app.OffsitePush) {
	pp.mu.Lock()
	pp.pushes = p
	pp.mu.Unlock()
}

func (pp *pushPlan) push(_ context.Context, name string) Result {
	pp.b.record("push " + name)
	pp.mu.Lock()
	p := &app.OffsitePush{Target: strings.TrimPrefix(name, app.OffsiteJobPrefix)}
	if len(pp.pushes) > 0 {
		p, pp.pushes = pp.pushes[0], pp.pushes[1:]
	}
	pp.mu.Unlock()
	c := pp.b.clock
	r := Result{RunInfo: RunInfo{StartedAt: c.Now(), FinishedAt: c.Now(), Status: StatusComplete}, Offsite: p}
	if p == nil {
		r.Status, r.Error, r.Offsite = StatusFailed, "target unreachable", nil
	}
	return r
}

// startPushes is start with the push jobs of pp.
func startPushes(t *testing.T, pp *pushPlan, ws ...Workspace) *Daemon {
	t.Helper()
	b := pp.b
	d, err := New(Options{
		Jobs: JobFuncs{Backup: b.Backup, Replicate: b.Replicate, ScrubFn: b.Scrub, OffsiteFn: pp.push, LastReceivedFn: pp.lastReceived, Retain: b.Retain, History: b.History, NotifyFn: b.Notify},
		DB:   fakeDB{"bbolt-bytes"}, Version: "test", Clock: b.clock, Logger: slog.New(slog.DiscardHandler),
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

func pushed(target string, ids []string, uploaded int64, pending int) *app.OffsitePush {
	return &app.OffsitePush{Target: target, PushReport: offsite.PushReport{Pushed: ids, Uploaded: uploaded, Pending: pending}}
}

// TestOffsitePushMetricsStatusAndStaleness: the push job's metrics and
// status follow its reports; a target that has received no snapshot for
// longer than stale_after is notified once, as an anomaly of the push that
// found it, and again only after a snapshot reached it.
func TestOffsitePushMetricsStatusAndStaleness(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	pp := &pushPlan{b: b}
	d := startPushes(t, pp, Workspace{Name: "offsite:nas", Schedule: "@yearly", Offsite: true, StaleAfter: 2 * time.Hour})
	idle(t, d, c, 1) // the catch-up push at start found nothing to push
	pp.set(pushed("nas", []string{"s1", "s2"}, 5000, 0), pushed("nas", nil, 200, 0), nil,
		pushed("nas", nil, 200, 3), pushed("nas", []string{"s3"}, 700, 0))
	push := func() Result {
		t.Helper()
		// Wait returns once the run is recorded; the scheduler releases
		// the job's name a moment later, so a trigger right after it may
		// still find the run in flight.
		ticket, err := d.Trigger("offsite:nas")
		for deadline := time.Now().Add(5 * time.Second); errors.Is(err, ErrBusy) && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
			ticket, err = d.Trigger("offsite:nas")
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Wait(context.Background(), ticket); err != nil {
			t.Fatal(err)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.notified[len(b.notified)-1]
	}
	h := d.Handler()
	metric := func(name string) string {
		t.Helper()
		_, body := get(t, h, "GET", "/metrics")
		return grepLines(body, "enspace_sync_offsite_"+name+"{")
	}

	if r := push(); len(r.Anomalies) != 0 {
		t.Errorf("first push notified anomalies %q", r.Anomalies)
	}
	c.Advance(time.Hour)
	push() // nothing new: 1 h since the last snapshot arrived
	for name, want := range map[string]string{
		"pushes_total":                    `enspace_sync_offsite_pushes_total{status="complete",target="nas"} 3`,
		"uploaded_bytes_total":            `enspace_sync_offsite_uploaded_bytes_total{target="nas"} 5200`,
		"pending_snapshots":               `enspace_sync_offsite_pending_snapshots{target="nas"} 0`,
		"stale":                           `enspace_sync_offsite_stale{target="nas"} 0`,
		"last_push_timestamp_seconds":     fmt.Sprintf(`enspace_sync_offsite_last_push_timestamp_seconds{target="nas"} %g`, float64(t0.Add(time.Hour).Unix())),
		"last_received_timestamp_seconds": fmt.Sprintf(`enspace_sync_offsite_last_received_timestamp_seconds{target="nas"} %g`, float64(t0.Unix())),
	} {
		if got := metric(name); got != strings.Replace(want, "e+", "e+0", 1) && got != want {
			t.Errorf("metric %s = %q, want %q", name, got, want)
		}
	}

	c.Advance(90 * time.Minute) // 2.5 h: stale; this push fails
	r := push()
	if r.Status != StatusFailed || len(r.Anomalies) != 1 || !strings.Contains(r.Anomalies[0], "offsite target nas has received no snapshot for 2h30m0s (stale_after 2h0m0s)") {
		t.Errorf("stale push notified %s %q, want failed with the stale notice", r.Status, r.Anomalies)
	}
	if got := metric("stale"); got != `enspace_sync_offsite_stale{target="nas"} 1` {
		t.Errorf("stale metric = %q", got)
	}
	if got := metric("pushes_total"); !strings.Contains(got, `enspace_sync_offsite_pushes_total{status="failed",target="nas"} 1`) {
		t.Errorf("pushes_total = %q, want one failed", got)
	}
	code, body := get(t, h, "GET", "/v1/status")
	var st Status
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil || len(st.Workspaces) != 1 {
		t.Fatalf("/v1/status = %d %s (%v)", code, body, err)
	}
	if o := st.Workspaces[0].Offsite; st.Workspaces[0].Kind != "offsite" || o == nil || !o.Stale || o.StaleAfterSeconds != 7200 ||
		!o.LastReceived.Equal(t0) || o.LastPush == nil || !o.LastPush.Equal(t0.Add(time.Hour)) {
		t.Errorf("/v1/status = %s, want the target stale since %s, last push an hour after", body, t0)
	}

	c.Advance(time.Hour)
	if r := push(); len(r.Anomalies) != 0 {
		t.Errorf("still stale: notified again %q, want one notice until a snapshot arrives", r.Anomalies)
	}
	if got := metric("pending_snapshots"); got != `enspace_sync_offsite_pending_snapshots{target="nas"} 3` {
		t.Errorf("pending = %q, want 3", got)
	}
	if r := push(); len(r.Anomalies) != 0 {
		t.Errorf("the push that delivered a snapshot notified %q", r.Anomalies)
	}
	if got := metric("stale"); got != `enspace_sync_offsite_stale{target="nas"} 0` {
		t.Errorf("after a snapshot arrived: %q, want 0", got)
	}
	if _, body := get(t, h, "GET", "/metrics"); strings.Contains(body, `workspace="offsite:nas"`) && !strings.Contains(body, `enspace_sync_scheduler_skipped_total{workspace="offsite:nas"}`) {
		t.Errorf("the push job shows as a workspace in the metrics:\n%s", grepLines(body, "offsite:nas"))
	}
}

// TestOffsiteStaleAfterZeroNeverNotifies: without stale_after a target is
// never stale.
func TestOffsiteStaleAfterZeroNeverNotifies(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	d := startPushes(t, &pushPlan{b: b}, Workspace{Name: "offsite:s3", Schedule: "@yearly", Offsite: true})
	idle(t, d, c, 1) // after the catch-up push at start
	c.Advance(30 * 24 * time.Hour)
	ticket, err := d.Trigger("offsite:s3")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(context.Background(), ticket); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range b.notified {
		if len(n.Anomalies) != 0 {
			t.Errorf("notified %q after 30 days without stale_after", n.Anomalies)
		}
	}
	if len(b.notified) != 2 {
		t.Errorf("%d pushes notified, want 2 (at start, then the trigger)", len(b.notified))
	}
}

// TestOffsiteStaleAcrossRestart: a daemon that starts long after the
// target last received a snapshot (its records say so) notifies at its
// first push, and asks the records once.
func TestOffsiteStaleAcrossRestart(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	pp := &pushPlan{b: b, received: t0.Add(-5 * time.Hour)}
	d := startPushes(t, pp, Workspace{Name: "offsite:nas", Schedule: "@yearly", Offsite: true, StaleAfter: 2 * time.Hour})
	idle(t, d, c, 1) // the catch-up push at start: nothing to push
	b.mu.Lock()
	n := append([]Result(nil), b.notified...)
	b.mu.Unlock()
	if len(n) != 1 || len(n[0].Anomalies) != 1 || !strings.Contains(n[0].Anomalies[0], "has received no snapshot for 5h0m0s") {
		t.Fatalf("notified %+v, want the push at start to find the target stale for 5h", n)
	}
	ticket, err := d.Trigger("offsite:nas")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(context.Background(), ticket); err != nil {
		t.Fatal(err)
	}
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if pp.asked != 1 {
		t.Errorf("the target's records were read %d times, want once", pp.asked)
	}
	if o := d.Status().Workspaces[0].Offsite; o == nil || !o.Stale || !o.LastReceived.Equal(t0.Add(-5*time.Hour)) {
		t.Errorf("status = %+v, want stale, last received 5 h before the start", o)
	}
}
