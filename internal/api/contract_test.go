package api_test

// The contract suite runs the real Client against the fake Enspace server
// (fakeapi) over loopback HTTP, or against a real Enspace named by the
// environment (contract_target_test.go), for every kind of the kind table and every
// operation the table declares. contract_read_test.go lists, gets and
// counts; contract_write_test.go writes and reads back;
// contract_errors_test.go checks the documented errors; and
// contract_faults_test.go lists a workspace through injected faults.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// plantedKey is the key of every client of the suite; no error text and no
// log line may hold it.
var plantedKey = api.Secret("en.PlantedContractKey" + strings.Repeat("7", 16))

var allScopes = []string{"read", "write", "delete"}

// clock is the one clock of a client and its server: it moves only when
// the client sleeps, so retries and Retry-After waits take no real time.
// A sleep of d moves the clock to at least the moment it started plus d
// times scale; a scale below 1 makes a client that wakes too early.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	scale float64
	slept time.Duration // the sum of the durations asked for
	waits int
}

func newClock(scale float64) *clock {
	return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), scale: scale}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits++
	c.slept += d
	if end := c.now.Add(time.Duration(float64(d) * c.scale)); end.After(c.now) {
		c.now = end
	}
	return nil
}

// syncBuffer collects log output from concurrent requests.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// setup configures an env.
type setup struct {
	fake     fakeapi.Options // Now and Sleep are set by newEnv
	pageSize int             // 0 means 7, so that every collection of the demo spans pages
	key      api.Secret      // "" means plantedKey
	routes   api.Routes      // the client's; nil means the default
	scale    float64         // of the clock; 0 means 1
}

// env is a fake server on loopback and a client of it sharing one clock,
// or a client of the real server the environment names (srv is nil then).
type env struct {
	srv   *fakeapi.Server // nil against a real server
	ws    string          // the workspace the suite reads (and writes)
	base  string          // the server's base URL
	c     *api.Client
	clock *clock
	rec   *recorder
	logs  *syncBuffer
}

func newEnv(t *testing.T, s setup) *env {
	t.Helper()
	if s.scale == 0 {
		s.scale = 1
	}
	if s.pageSize == 0 {
		s.pageSize = 7
	}
	if s.key == "" {
		s.key = plantedKey
	}
	if s.fake.APIKeys == nil {
		s.fake.APIKeys = []fakeapi.Key{{Secret: plantedKey.Reveal(), Scopes: allScopes}}
	}
	e := &env{clock: newClock(s.scale), logs: &syncBuffer{}, ws: "acme"}
	if tg, ok := contractTarget(t); ok {
		return newRealEnv(t, e, tg, s)
	}
	s.fake.Now = e.clock.Now
	s.fake.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	srv, err := fakeapi.New(s.fake)
	if err != nil {
		t.Fatalf("fakeapi.New: %v", err)
	}
	e.srv = srv
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e.base = hs.URL
	return e.connect(t, s, api.Options{Sleep: e.clock.Sleep, Now: e.clock.Now})
}

// newRealEnv connects e to the server tg names. Time is real there: the
// fake clock only moves with the fake server.
func newRealEnv(t *testing.T, e *env, tg target, s setup) *env {
	t.Helper()
	e.ws, e.base = tg.workspace, tg.baseURL
	if s.key == plantedKey {
		s.key = tg.key
	}
	return e.connect(t, s, api.Options{})
}

// connect builds e's client of e.base with the options of s; o carries
// the clock.
func (e *env) connect(t *testing.T, s setup, o api.Options) *env {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	t.Cleanup(tr.CloseIdleConnections)
	e.rec = &recorder{base: tr}
	c, err := api.New(api.Options{
		BaseURL:  e.base,
		APIKey:   s.key,
		Routes:   s.routes,
		PageSize: s.pageSize,
		// Well below the client's 60s, far above any loopback answer.
		Timeout:    20 * time.Second,
		HTTPClient: &http.Client{Transport: e.rec},
		Logger:     slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Sleep:      o.Sleep,
		Now:        o.Now,
	})
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	e.c = c
	t.Cleanup(func() {
		for _, k := range []api.Secret{plantedKey, s.key} { // s.key is the real key against a real server
			if strings.Contains(e.logs.String(), k.Reveal()) {
				t.Errorf("the client's log holds the API key")
			}
		}
	})
	return e
}

// noKey fails the test when err's text holds a key of the suite.
func noKey(t *testing.T, err error, keys ...api.Secret) {
	t.Helper()
	if err == nil {
		return
	}
	for _, k := range append(keys, plantedKey) {
		if strings.Contains(err.Error(), k.Reveal()) {
			t.Errorf("error text holds the API key: %q", strings.ReplaceAll(err.Error(), k.Reveal(), "<KEY>"))
		}
	}
}

// apiError returns the *api.Error in err's chain or fails the test.
func apiError(t *testing.T, err error) *api.Error {
	t.Helper()
	var e *api.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *api.Error", err, err)
	}
	return e
}

// decode decodes JSON into a map or fails the test.
func decode(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return m
}

// kindOf returns the kind with that name or fails the test.
func kindOf(t *testing.T, name string) *kind.Kind {
	t.Helper()
	k, err := kind.ByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
