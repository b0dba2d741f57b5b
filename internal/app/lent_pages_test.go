package app

import (
	"compress/gzip"
	"context"
	"fmt"
	"github.com/enspace-sync/enspace-sync/internal/kind"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/backup"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/jsonv"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// refSink records what a plain (non-lending) listing gives.
type refSink struct {
	mu  sync.Mutex
	put map[[2]string]string // coll, key -> raw
}

func (s *refSink) Put(kind, parent, key string, raw []byte) error {
	coll := kind
	if parent != "" {
		coll += "/" + parent
	}
	s.mu.Lock()
	s.put[[2]string{coll, key}] = string(raw)
	s.mu.Unlock()
	return nil
}

func (s *refSink) Fail(kind string, err error) { panic(fmt.Sprint("ref listing failed: ", kind, err)) }

type lentEnv struct {
	srv *fakeapi.Server
	url string
	svc *Service
	db  *snapshot.DB
}

type gzipHandler struct{ h http.Handler }

type gzipWriter struct {
	http.ResponseWriter
	z *gzip.Writer
}

func (g *gzipWriter) Write(b []byte) (int, error) { return g.z.Write(b) }
func (g *gzipWriter) WriteHeader(code int) {
	g.Header().Del("Content-Length")
	g.Header().Set("Content-Encoding", "gzip")
	g.ResponseWriter.WriteHeader(code)
}

func (g gzipHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		g.h.ServeHTTP(w, r)
		return
	}
	z := gzip.NewWriter(w)
	defer z.Close()
	g.h.ServeHTTP(&gzipWriter{ResponseWriter: w, z: z}, r)
}

var lentGzip, lentEnvelope, lentGzipFaults bool

func newLentEnv(t *testing.T, items int, opts snapshot.Options) *lentEnv {
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Items: items, Envelope: lentEnvelope})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = srv
	if lentGzip {
		h = gzipHandler{srv}
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte(fakeapi.DemoAPIKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("database: %s\nenvironments:\n  local:\n    base_url: %s\n    api_key_file: key\n    requests_per_second: 0\n    concurrency: 6\n    page_size: 17\n"+
		"workspaces:\n  - name: acme\n    environment: local\n  - name: acme-stage\n    environment: local\n", filepath.Join(dir, "db"), hs.URL)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	db, err := snapshot.Open(cfg.Database, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	svc, err := New(Options{Config: cfg, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	return &lentEnv{srv: srv, url: hs.URL, svc: svc, db: db}
}

// check verifies --read-data and compares every object of snap with a plain
// listing of the fake.
func (e *lentEnv) check(t *testing.T, ws string, snap *snapshot.Snapshot) {
	t.Helper()
	rep, err := e.db.Verify(true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("verify --read-data: %+v", rep.Problems)
	}
	cl, err := api.New(api.Options{BaseURL: e.url, APIKey: api.Secret(fakeapi.DemoAPIKey), Logger: slog.New(slog.DiscardHandler), UserAgent: "lent-test"})
	if err != nil {
		t.Fatal(err)
	}
	ref := &refSink{put: map[[2]string]string{}}
	if _, err := backup.Run(context.Background(), cl, ref, backup.Options{Workspace: ws}); err != nil {
		t.Fatal(err)
	}
	bad, n := 0, 0
	for k, want := range ref.put {
		if k[0] == string(kind.RequestLogs) { // grows with every request
			continue
		}
		if _, failed := snap.Errors[strings.SplitN(k[0], "/", 2)[0]]; failed {
			continue // a partial snapshot: the kind failed (recorded)
		}
		n++
		got, ok, err := e.db.Lookup(snap, k[0], k[1])
		if err != nil || !ok {
			t.Errorf("%s %v: %v %v", ws, k, ok, err)
			bad++
		} else if g, _ := jsonv.Canonical(got); string(g) != func() string { w, _ := jsonv.Canonical([]byte(want)); return string(w) }() {
			t.Errorf("%s %v: stored %.80q, fake %.80q", ws, k, got, want)
			bad++
		}
		if bad > 5 {
			t.Fatal("too many")
		}
	}
	t.Logf("%s: %d objects compared of %d in the snapshot", ws, n, snap.Objects)
}

// TestLentPagesConcurrentRuns: two workspaces backed up at once into one
// database, tiny batches (so chunks and pack records are reused many
// times), faults that make the client retry pages into lent buffers.
func TestLentPagesConcurrentRuns(t *testing.T) {
	e := newLentEnv(t, 300, snapshot.Options{BatchObjects: 37, BatchBytes: 64 << 10})
	if !lentGzip || lentGzipFaults {
		e.srv.SetFaults(fakeapi.Faults{RateTruncate: 0.04, RateReset: 0.04, RateHTML: 0.03})
	}
	snaps := map[string]*snapshot.Snapshot{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, ws := range []string{"acme", "acme-stage"} {
		wg.Go(func() {
			res, err := e.svc.Backup(context.Background(), BackupRequest{Workspace: ws})
			if err != nil {
				t.Error(ws, err)
				return
			}
			mu.Lock()
			snaps[ws] = res.Snapshot
			mu.Unlock()
		})
	}
	wg.Wait()
	t.Logf("faults: %+v", e.srv.Requests().Faults)
	e.srv.SetFaults(fakeapi.Faults{})
	for ws, s := range snaps {
		if s.Status != snapshot.StatusComplete {
			t.Logf("%s: snapshot %s: %v", ws, s.Status, s.Errors)
		}
		e.check(t, ws, s)
	}
}

// TestLentPagesAbortedThenResumed: a backup cancelled mid-run, then a full one.
func TestLentPagesAbortedThenResumed(t *testing.T) {
	e := newLentEnv(t, 300, snapshot.Options{BatchObjects: 29, BatchBytes: 32 << 10})
	for _, d := range []time.Duration{30 * time.Millisecond, 120 * time.Millisecond, 300 * time.Millisecond} {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		_, err := e.svc.Backup(ctx, BackupRequest{Workspace: "acme"})
		cancel()
		t.Logf("cancelled after %s: %v", d, err)
	}
	res, err := e.svc.Backup(context.Background(), BackupRequest{Workspace: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	e.check(t, "acme", res.Snapshot)
}

func TestLentPagesGzip(t *testing.T) {
	lentGzip = true
	defer func() { lentGzip = false }()
	TestLentPagesConcurrentRuns(t)
}

func TestLentPagesEnvelope(t *testing.T) {
	lentEnvelope = true
	defer func() { lentEnvelope = false }()
	TestLentPagesConcurrentRuns(t)
}

// TestLentPagesGzipFaults: gzip and faults (the gzip wrapper turns the fake's
// truncate fault into a whole gzip stream of cut JSON, so a kind may fail
// and the snapshot be partial: its failed kinds are not compared).
func TestLentPagesGzipFaults(t *testing.T) {
	lentGzip, lentGzipFaults = true, true
	defer func() { lentGzip, lentGzipFaults = false, false }()
	TestLentPagesConcurrentRuns(t)
}
