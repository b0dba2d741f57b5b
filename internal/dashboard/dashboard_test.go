package dashboard_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/dashboard"
	"github.com/enspace-sync/enspace-sync/internal/dashboard/dashtest"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

func TestMain(m *testing.M) { os.Exit(dashtest.Main(m)) }

// demoHandler is the dashboard over the demo's database under base.
func demoHandler(t testing.TB, base string) http.Handler {
	t.Helper()
	svc := dashtest.Open(t, dashtest.Demo(t))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return dashboard.New(svc, dashboard.Options{Base: base, Now: func() time.Time { return now }})
}

func get(h http.Handler, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func TestPagesStatus(t *testing.T) {
	h := demoHandler(t, "")
	svc := dashtest.Open(t, dashtest.Demo(t))
	snaps := dashtest.Snapshots(t, svc, "acme")
	first, last := snaps[0], snaps[len(snaps)-1]
	for _, tc := range []struct {
		method, path string
		status       int
		want         string
	}{
		{"GET", "/", 200, `data-name="acme-stage"`},
		{"HEAD", "/", 200, ""},
		{"GET", "/workspaces/acme", 200, last.ID},
		{"GET", "/workspaces/acme/snapshots/" + last.ShortID(), 200, "Snapshot " + last.ShortID() + " of acme"},
		{"GET", "/workspaces/acme/snapshots/" + first.ID, 200, "The first snapshot of acme"},
		{"GET", "/workspaces/acme/snapshots/latest", 200, last.ID},
		{"GET", "/compare/" + first.ShortID() + "/" + last.ShortID(), 200, `class="change"`},
		{"GET", "/objects/item:clients/1001?workspace=acme", 200, `class="entry"`},
		{"GET", "/objects/type:contracts?workspace=acme", 200, `data-op="removed"`},
		{"GET", "/storage", 200, "Dedup ratio"},
		{"GET", "/workspaces/nowhere", 404, "nowhere"},
		{"GET", "/workspaces/acme/snapshots/ffffffff", 404, "ffffffff"},
		{"GET", "/workspaces/acme/snapshots/ab", 400, "at least 4 characters"},
		{"GET", "/compare/ffffffff/" + last.ShortID(), 404, "ffffffff"},
		{"GET", "/objects/nonsense:1?workspace=acme", 400, "unknown prefix"},
		{"GET", "/objects/item:clients/999999?workspace=acme", 404, "in none of the"},
		{"GET", "/objects/item:clients/1001", 400, "name the workspace with ?workspace=NAME"},
		{"GET", "/objects/item:clients/1001?workspace=nowhere", 404, "nowhere"},
		{"GET", "/no/such/page", 404, "no page at /no/such/page"},
		{"POST", "/", 405, ""},
	} {
		rec := get(h, tc.method, tc.path)
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s %s: %d, want %d with %q\n%.600s", tc.method, tc.path, rec.Code, tc.status, tc.want, rec.Body.String())
		}
	}
}

// TestLinksUnderBase checks that every link of every page stays under the
// base the handler is mounted at, and that no page carries a script.
func TestLinksUnderBase(t *testing.T) {
	h := demoHandler(t, "/s3cret")
	svc := dashtest.Open(t, dashtest.Demo(t))
	snaps := dashtest.Snapshots(t, svc, "acme")
	href := regexp.MustCompile(`href="([^"]*)"`)
	for _, path := range []string{"/", "/workspaces/acme", "/workspaces/acme/snapshots/" + snaps[1].ID, "/storage",
		"/objects/item:clients/1001?workspace=acme", "/nowhere"} {
		rec := get(h, "GET", path)
		body := rec.Body.String()
		if strings.Contains(strings.ToLower(body), "<script") {
			t.Errorf("%s holds a script", path)
		}
		for _, m := range href.FindAllStringSubmatch(body, -1) {
			if l := m[1]; l != "data:," && l != "#main" && !strings.HasPrefix(l, "/s3cret/") {
				t.Errorf("%s links to %q, outside /s3cret/", path, l)
			}
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
	}
}

// TestSnapshotPageAnomaly checks the anomaly of the demo's second backup
// and its restore command from the snapshot before the drop.
func TestSnapshotPageAnomaly(t *testing.T) {
	h := demoHandler(t, "")
	svc := dashtest.Open(t, dashtest.Demo(t))
	for _, sn := range dashtest.Snapshots(t, svc, "acme") {
		if len(sn.Anomalies) == 0 {
			continue
		}
		body := get(h, "GET", "/workspaces/acme/snapshots/"+sn.ID).Body.String()
		for _, want := range []string{
			"type contracts disappeared",
			`<code class="restore">enspace-sync restore --workspace acme --snapshot ` + sn.Changes.Since[:8] + ` type:contracts</code>`,
			`data-op="removed" data-ref="contracts"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("snapshot %s's page lacks %q", sn.ShortID(), want)
			}
		}
		return
	}
	t.Fatal("the demo recorded no anomaly")
}

// FuzzPagePath sends any path to the dashboard: snapshot ids, selectors
// and workspace names come from the URL, which anyone who can reach the
// page writes. No path may make a page fail (500) or panic.
func FuzzPagePath(f *testing.F) {
	h := demoHandler(f, "")
	for _, s := range []string{"/", "/workspaces/acme", "/workspaces/acme/snapshots/latest~1", "/compare/latest/latest",
		"/objects/item:clients/1001?workspace=acme", "/objects/member:ana@acme.com", "/objects/type:%00", "/workspaces/%2e%2e/snapshots/x",
		"/compare/aaaa/bbbb", "/objects/item:/", "/storage?x=<script>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		req, err := http.NewRequest("GET", "http://dash"+path, nil)
		if err != nil || !strings.HasPrefix(req.URL.Path, "/") {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Errorf("GET %q: %d\n%.400s", path, rec.Code, rec.Body.String())
		}
	})
}

// TestPartialSnapshotMarked checks that a partial snapshot is marked in
// its workspace's list, and that its page names the kind it could not
// read, which the changes count as unknown rather than deleted.
func TestPartialSnapshotMarked(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "partial.db")
	db, err := snapshot.Open(path, snapshot.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	writeItems(t, db, t0, 20, 0, "members")
	partial := writeItems(t, db, t0.Add(time.Hour), 20, 5, "members")
	if partial.Status != snapshot.StatusPartial {
		t.Fatalf("status %s, want partial", partial.Status)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(strings.NewReader("database: "+path+"\nenvironments:\n  production: {base_url: \"http://127.0.0.1:1\", api_key_file: key}\nworkspaces:\n  - {name: acme, environment: production}\n"),
		"c.yaml", config.Options{NoSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	ro, err := snapshot.Open(path, snapshot.Options{ReadOnly: true, Timeout: time.Second, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	svc, err := app.New(app.Options{Config: cfg, DB: ro})
	if err != nil {
		t.Fatal(err)
	}
	h := dashboard.New(svc, dashboard.Options{})
	list := get(h, "GET", "/workspaces/acme").Body.String()
	if !strings.Contains(list, `data-id="`+partial.ID+`" data-status="partial"`) || !strings.Contains(list, "partial: 1 kind not read") {
		t.Errorf("the workspace page does not mark %s partial:\n%s", partial.ShortID(), list)
	}
	page := get(h, "GET", "/workspaces/acme/snapshots/"+partial.ID).Body.String()
	for _, want := range []string{"<strong>partial</strong>", "<code>members</code>: list members: 503 Service Unavailable", `data-op="changed" data-ref="clients/4"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the partial snapshot's page lacks %q", want)
		}
	}
}

// TestOverviewNextRun checks the next run the overview shows: the demo's
// workspaces back up @daily, so the next run after noon is the next
// midnight in the config's time zone.
func TestOverviewNextRun(t *testing.T) {
	svc := dashtest.Open(t, dashtest.Demo(t))
	loc := svc.Location()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, loc)
	h := dashboard.New(svc, dashboard.Options{Now: func() time.Time { return now }})
	body := get(h, "GET", "/").Body.String()
	want := `<time datetime="` + time.Date(2026, 3, 2, 0, 0, 0, 0, loc).UTC().Format(time.RFC3339) + `">2026-03-02 00:00:00</time>`
	if n := strings.Count(body, want); n != 2 {
		t.Errorf("the overview shows %q %d times, want once per workspace", want, n)
	}
}
