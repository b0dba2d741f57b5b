package daemon

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, h http.Handler, method, target string) (int, string) {
	t.Helper()
	req := arriving(httptest.NewRequest(method, target, nil), "127.0.0.1:9464")
	req.Host = "127.0.0.1:9464"
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

func TestEndpoints(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	release := make(chan struct{})
	b.block["acme"] = release
	d := start(t, b, nil, Workspace{Name: "acme", Schedule: "@every 1h"})
	h := d.Handler()
	eventually(t, "the catch-up run", func() bool { return d.Status().Workspaces[0].Running })

	if code, body := get(t, h, "GET", "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get(t, h, "GET", "/readyz"); code != 503 || !strings.Contains(body, "no backup yet") {
		t.Errorf("/readyz before any backup = %d %s, want 503 no backup yet", code, body)
	}
	if code, body := get(t, h, "POST", "/v1/trigger/acme"); code != 409 {
		t.Errorf("trigger during a run = %d %s, want 409", code, body)
	}
	if code, _ := get(t, h, "POST", "/v1/trigger/nope"); code != 404 {
		t.Errorf("trigger of an unknown workspace = %d, want 404", code)
	}
	close(release)
	idle(t, d, c, 1)

	if code, body := get(t, h, "GET", "/readyz"); code != 200 {
		t.Errorf("/readyz after a complete backup = %d %s, want 200", code, body)
	}
	code, body := get(t, h, "GET", "/v1/status")
	var st Status
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
		t.Fatalf("/v1/status = %d %s (%v)", code, body, err)
	}
	w := st.Workspaces[0]
	if w.Name != "acme" || w.Schedule != "@every 1h" || w.LastRun == nil || w.LastRun.Status != "complete" ||
		w.LastRun.Snapshot != "snap1" || w.Snapshots != 1 || w.NextRun == nil || st.Version != "test" {
		t.Errorf("/v1/status = %s", body)
	}
	for _, key := range []string{`"next_run"`, `"last_run"`, `"started_at"`, `"finished_at"`, `"running"`, `"snapshots"`, `"error"`} {
		if !strings.Contains(body, key) {
			t.Errorf("/v1/status lacks %s: %s", key, body)
		}
	}

	code, body = get(t, h, "GET", "/metrics")
	for _, line := range []string{
		`enspace_sync_runs_total{status="complete",workspace="acme"} 1`,
		`enspace_sync_run_duration_seconds_count{workspace="acme"} 1`,
		`enspace_sync_objects{kind="items",workspace="acme"} 40`,
		`enspace_sync_api_requests_total{code="200",workspace="acme"} 10`,
		`enspace_sync_api_requests_total{code="429",workspace="acme"} 2`,
		`enspace_sync_api_retries_total{workspace="acme"} 2`,
		`enspace_sync_api_throttled_total{workspace="acme"} 2`,
		`enspace_sync_api_pauses_total{workspace="acme"} 1`,
		`enspace_sync_api_paused_seconds_total{workspace="acme"} 1.5`,
		`enspace_sync_last_success_timestamp_seconds{workspace="acme"} 1.7724456e+09`,
		`enspace_sync_database_bytes 11`,
		`enspace_sync_snapshots{workspace="acme"} 1`,
		`enspace_sync_pruned_bytes_total 0`,
		// The trigger refused with 409 during the catch-up run is a skipped start.
		`enspace_sync_scheduler_skipped_total{workspace="acme"} 1`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("/metrics lacks %s", line)
		}
	}
	if code != 200 {
		t.Errorf("/metrics = %d", code)
	}
	if code, body := get(t, h, "GET", "/v1/db"); code != 200 || body != "bbolt-bytes" {
		t.Errorf("/v1/db = %d %q", code, body)
	}

	// Older than twice the period: not ready.
	c.Advance(150 * time.Minute)
	eventually(t, "the scheduled runs", func() bool { return d.Status().Workspaces[0].Snapshots == 2 })
	idle(t, d, c, 1)
	b.mu.Lock()
	b.status["acme"] = StatusPartial
	b.mu.Unlock()
	if code, body := get(t, h, "POST", "/v1/trigger/acme?wait=1"); code != 200 || !strings.Contains(body, `"status": "partial"`) {
		t.Errorf("trigger --wait = %d %s, want 200 and the partial run", code, body)
	}
	if code, body := get(t, h, "GET", "/readyz"); code != 503 || !strings.Contains(body, "the last backup is partial") {
		t.Errorf("/readyz after a partial backup = %d %s, want 503", code, body)
	}
}

func TestReadyzAge(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	b.lastOK["acme"] = t0
	d := start(t, b, nil, Workspace{Name: "acme", Schedule: "@every 1h"})
	ticket, err := d.Trigger("acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Wait(t.Context(), ticket); err != nil {
		t.Fatal(err)
	}
	if r := d.Ready(); !r.Ready {
		t.Fatalf("Ready right after a complete backup = %+v", r)
	}
	// No more runs: let the backup grow old. The scheduler is stopped
	// outside the daemon's lock: the triggered run may still be in its
	// tail (pushAfterBackup takes the lock), and Stop waits for it.
	d.mu.Lock()
	sched := d.sched
	d.mu.Unlock()
	sched.Stop(t.Context())
	c.Advance(2 * time.Hour)
	if r := d.Ready(); r.Ready || !strings.Contains(r.Workspaces[0].Reason, "more than twice") {
		t.Errorf("Ready two periods later = %+v, want not ready, too old", r)
	}
}

func TestHostCheckAndCrossOrigin(t *testing.T) {
	c := newTestClock(t0)
	b := newBackend(c)
	b.lastOK["acme"] = t0
	d := start(t, b, nil, Workspace{Name: "acme", Schedule: "@daily"})
	h := d.Handler()
	for _, tc := range []struct {
		host, origin string
		method, path string
		want         int
	}{
		{"127.0.0.1:9464", "", "GET", "/healthz", 200},
		{"localhost:9464", "", "GET", "/healthz", 200},
		{"[::1]:9464", "", "GET", "/healthz", 200}, // arrived at [::1]: see below
		{"evil.example:9464", "", "GET", "/v1/db", http.StatusMisdirectedRequest},
		{"127.0.0.1:9464", "https://evil.example", "POST", "/v1/trigger/acme", http.StatusForbidden},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if strings.HasPrefix(tc.host, "[::1]") {
			req = arriving(req, "[::1]:9464")
		}
		req.Host = tc.host
		req.Header.Set("Authorization", "Bearer "+testToken)
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s %s Host %s Origin %q = %d, want %d", tc.method, tc.path, tc.host, tc.origin, rec.Code, tc.want)
		}
	}
}
