package daemon

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestScrubJob: the scrub never runs at start for a database never
// scrubbed; a trigger runs it (no retention), status shows it apart from
// the workspaces, readiness ignores it, metrics and notifications hear of
// what it found.
func TestScrubJob(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	b.lastOK["acme"] = t0
	d := start(t, b, nil, Workspace{Name: "acme", Schedule: "@every 1h"},
		Workspace{Name: "scrub", Schedule: "@weekly", Scrub: true})
	idle(t, d, c, 2)
	if strings.Contains(b.Calls(), "scrub") {
		t.Fatalf("a scrub ran at start: %s", b.Calls())
	}
	h := d.Handler()
	if code, body := get(t, h, "POST", "/v1/trigger/scrub"); code != 202 {
		t.Fatalf("trigger scrub = %d %s, want 202", code, body)
	}
	eventually(t, "the scrub to finish", func() bool {
		st := d.Status()
		return st.Scrub != nil && st.Scrub.LastRun != nil
	})
	if calls := b.Calls(); strings.Contains(calls, "retain scrub") || strings.Contains(calls, "backup scrub") {
		t.Errorf("calls %q: the scrub ran a backup or retention", calls)
	}
	code, body := get(t, h, "GET", "/v1/status")
	var st Status
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
		t.Fatalf("/v1/status = %d %s (%v)", code, body, err)
	}
	if len(st.Workspaces) != 1 || st.Scrub == nil || st.Scrub.Kind != "scrub" || st.Scrub.Schedule != "@weekly" ||
		st.Scrub.LastRun.Status != StatusFailed || st.Scrub.NextRun == nil {
		t.Errorf("/v1/status = %s", body)
	}
	if r := d.Ready(); len(r.Workspaces) != 1 || r.Workspaces[0].Name != "acme" {
		t.Errorf("readiness covers %+v, want only acme", r.Workspaces)
	}
	_, metrics := get(t, h, "GET", "/metrics")
	for _, want := range []string{
		`enspace_sync_scrub_runs_total{status="failed"} 1`,
		`enspace_sync_scrub_damaged{kind="content"} 1`,
		`enspace_sync_scrub_damaged{kind="structural"} 0`,
		`enspace_sync_scrub_read_bytes_total 4096`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if want := fmt.Sprintf("enspace_sync_scrub_last_run_timestamp_seconds %g", float64(t0.Unix())); !strings.Contains(metrics, strings.Replace(want, "e+", "e+0", 1)) && !strings.Contains(metrics, want) {
		t.Errorf("metrics lack %q:\n%s", want, grepLines(metrics, "scrub_last"))
	}
	if strings.Contains(metrics, `workspace="scrub"`) && !strings.Contains(metrics, `enspace_sync_scheduler_skipped_total{workspace="scrub"}`) {
		t.Errorf("the scrub shows as a workspace in the metrics")
	}
	b.mu.Lock()
	n := b.notified
	b.mu.Unlock()
	if len(n) == 0 || n[len(n)-1].Scrub == nil || n[len(n)-1].Scrub.Damaged != 1 {
		t.Errorf("notified %+v, want the scrub's damage", n)
	}
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
