package api

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// testKey is a key planted in every test client; no test output may hold it.
const testKey = Secret("en.Zq9X7LkP2mN4vB8cR1tY6wE3uI0oA5sDfG")

// fakeClock is a clock that only moves when something sleeps on it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
	// onSleep, if set, runs before a sleep returns (outside the lock).
	onSleep func(d time.Duration)
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	hook := c.onSleep
	c.mu.Unlock()
	if hook != nil {
		hook(d)
	}
	return ctx.Err()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// newTestClient returns a client of url with a fake clock; edit adjusts
// the options first.
func newTestClient(t *testing.T, url string, edit func(*Options)) (*Client, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	opts := Options{
		BaseURL:     url,
		APIKey:      testKey,
		Sleep:       clock.Sleep,
		Now:         clock.Now,
		BackoffBase: 100 * time.Millisecond,
		BackoffMax:  2 * time.Second,
		Timeout:     5 * time.Second,
	}
	if edit != nil {
		edit(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, clock
}

// serve starts an httptest server for h, closed when the test ends.
func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// writeJSON answers status with body.
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

// resetMidBody answers the headers and part of a body, then resets the
// connection.
func resetMidBody(w http.ResponseWriter) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n[{\"id\": 1},")
	buf.Flush()
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}

// truncatedBody promises more bytes than it writes.
func truncatedBody(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "500")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, `[{"id": 1}, {"id": 2`)
}

// objects returns n JSON objects with ids from first on.
func objects(first, n int) []string {
	out := make([]string, n)
	for i := range out {
		id := first + i
		out[i] = fmt.Sprintf(`{"id": %d, "email": "m%d@acme.com", "type": "standard"}`, id, id)
	}
	return out
}

// pageOf returns the page the query asks for, as a JSON array.
func pageOf(objs []string, r *http.Request) (string, int) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if page < 1 {
		page = 1
	}
	if limit < 1 {
		limit = 20
	}
	lo := min((page-1)*limit, len(objs))
	hi := min(lo+limit, len(objs))
	return "[" + join(objs[lo:hi]) + "]", page
}

func join(objs []string) string {
	s := ""
	for i, o := range objs {
		if i > 0 {
			s += ","
		}
		s += o
	}
	return s
}

// collect returns fn for List that keeps every object, and the list.
func collect() (func([]Object) error, *[]Object) {
	var got []Object
	return func(page []Object) error {
		got = append(got, page...)
		return nil
	}, &got
}

// ids returns the ids of objs in order.
func ids(objs []Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.ID
	}
	return out
}

func mustKind(t *testing.T, name string) *kind.Kind {
	t.Helper()
	k, err := kind.ByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
