package s3fault

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// upstream is a stand-in S3 server that records what reached it.
type upstream struct {
	mu   sync.Mutex
	got  []seen
	srv  *httptest.Server
	done chan seen
}

type seen struct {
	method, path, host string
	declared           int64
	body               int
	bodyErr            error
	forwarded          string
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{done: make(chan seen, 16)}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		s := seen{method: r.Method, path: r.URL.Path, host: r.Host, declared: r.ContentLength, body: int(n), bodyErr: err,
			forwarded: r.Header.Get("X-Forwarded-For") + r.Header.Get("X-Forwarded-Host")}
		u.mu.Lock()
		u.got = append(u.got, s)
		u.mu.Unlock()
		u.done <- s
		if err != nil {
			return
		}
		w.Header().Set("ETag", `"abc"`)
		_, _ = io.WriteString(w, "stored")
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) requests() []seen {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seen(nil), u.got...)
}

func startProxy(t *testing.T, u *upstream) *Proxy {
	t.Helper()
	p, err := Start(u.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// client does not retry and keeps no idle connection, so each request's
// fate is its own.
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

func put(t *testing.T, url string, body []byte) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func TestPassRelaysWithClientHost(t *testing.T) {
	u := newUpstream(t)
	p := startProxy(t, u)
	body := bytes.Repeat([]byte("x"), 100_000)
	resp, got, err := put(t, p.URL()+"/bucket/key", body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || got != "stored" || resp.Header.Get("ETag") != `"abc"` {
		t.Fatalf("answer = %d %q etag %q, want 200 \"stored\" with the server's ETag", resp.StatusCode, got, resp.Header.Get("ETag"))
	}
	r := u.requests()
	if len(r) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(r))
	}
	want := strings.TrimPrefix(p.URL(), "http://")
	if r[0].host != want || r[0].path != "/bucket/key" || r[0].body != len(body) || r[0].forwarded != "" {
		t.Errorf("server saw host %q path %q body %d forwarded %q; want host %q (what the client signed), /bucket/key, %d, no X-Forwarded",
			r[0].host, r[0].path, r[0].body, r[0].forwarded, want, len(body))
	}
	s := p.Stats()
	if s.Requests != 1 || s.ByMethod["PUT"] != 1 || s.ByFault["pass"] != 1 || s.UploadedBytes != int64(len(body)) {
		t.Errorf("stats = %+v, want 1 PUT passed with %d bytes uploaded", s, len(body))
	}
}

func TestSlowDownAnswersS3ErrorWithoutForwarding(t *testing.T) {
	u := newUpstream(t)
	p := startProxy(t, u)
	p.SetRule(Nth(1, SlowDown))
	resp, body, err := put(t, p.URL()+"/bucket/a&b", []byte("data"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "<Code>SlowDown</Code>") ||
		!strings.Contains(body, "<Resource>/bucket/a&amp;b</Resource>") || resp.Header.Get("Content-Type") != "application/xml" {
		t.Errorf("answer = %d %q (%s), want 503 with S3's SlowDown XML", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
	if n := len(u.requests()); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
	if resp, _, err := put(t, p.URL()+"/bucket/b", []byte("data")); err != nil || resp.StatusCode != 200 {
		t.Errorf("second request: %v, want it passed", err)
	}
	if s := p.Stats(); s.ByFault["slowdown"] != 1 || s.ByFault["pass"] != 1 || s.UploadedBytes != 4 {
		t.Errorf("stats = %+v, want 1 slowdown, 1 pass, 4 bytes uploaded", s)
	}
}

func TestResetNeverReachesServer(t *testing.T) {
	u := newUpstream(t)
	p := startProxy(t, u)
	p.SetRule(Only("PUT", Nth(1, Reset)))
	_, _, err := put(t, p.URL()+"/bucket/key", []byte("data"))
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
		t.Fatalf("err = %v, want a reset connection", err)
	}
	if n := len(u.requests()); n != 0 {
		t.Errorf("server saw %d requests, want 0", n)
	}
}

func TestLoseAnswerLetsServerAct(t *testing.T) {
	u := newUpstream(t)
	p := startProxy(t, u)
	p.SetRule(Nth(1, LoseAnswer))
	_, _, err := put(t, p.URL()+"/bucket/key", []byte("payload"))
	if err == nil {
		t.Fatal("the client got an answer, want its connection reset")
	}
	r := u.requests()
	if len(r) != 1 || r[0].body != len("payload") || r[0].bodyErr != nil {
		t.Fatalf("server saw %+v, want the whole request", r)
	}
}

func TestTruncateCutsUploadMidBody(t *testing.T) {
	u := newUpstream(t)
	p := startProxy(t, u)
	p.SetRule(Only("PUT", Nth(1, Truncate)))
	body := bytes.Repeat([]byte("y"), 1<<20)
	_, _, err := put(t, p.URL()+"/bucket/pack", body)
	if err == nil {
		t.Fatal("the client got an answer, want its connection reset")
	}
	var s seen
	select {
	case s = <-u.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the server never saw the cut request")
	}
	if s.declared != int64(len(body)) || s.body >= len(body) || s.bodyErr == nil {
		t.Errorf("server read %d of %d declared bytes (err %v), want a body cut short with a read error", s.body, s.declared, s.bodyErr)
	}
	if st := p.Stats(); st.UploadedBytes != int64(len(body)/2) || st.ByFault["truncate"] != 1 {
		t.Errorf("stats = %+v, want 1 truncate with %d bytes delivered", st, len(body)/2)
	}
}

func TestStallHoldsUntilClientGoesAway(t *testing.T) {
	u := newUpstream(t)
	p := startProxy(t, u)
	p.SetRule(Only("PUT", Nth(2, Stall)))
	if _, _, err := put(t, p.URL()+"/bucket/1", []byte("a")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPut, p.URL()+"/bucket/2", strings.NewReader("b"))
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	select {
	case r := <-p.Stalled():
		if r.Method != "PUT" || r.Path != "/bucket/2" || r.N != 2 {
			t.Errorf("stalled %+v, want the second PUT", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no request stalled")
	}
	cancel()
	if err := <-errc; err == nil {
		t.Error("the stalled request got an answer")
	}
	if _, _, err := put(t, p.URL()+"/bucket/3", []byte("c")); err != nil {
		t.Fatalf("after the stall: %v", err)
	}
	if got := len(u.requests()); got != 2 {
		t.Errorf("server saw %d requests, want 2 (the stalled one never reached it)", got)
	}
}

func TestCloseEndsStalls(t *testing.T) {
	u := newUpstream(t)
	p := startProxy(t, u)
	p.SetRule(Nth(1, Stall))
	errc := make(chan error, 1)
	go func() {
		_, _, err := put(t, p.URL()+"/bucket/x", []byte("x"))
		errc <- err
	}()
	<-p.Stalled()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err == nil {
		t.Error("the stalled request got an answer after Close")
	}
}

func TestStartRefusesBadTarget(t *testing.T) {
	for _, target := range []string{"https://s3.example", "localhost:9000", "http://"} {
		if p, err := Start(target); err == nil {
			p.Close()
			t.Errorf("Start(%q) worked, want an error", target)
		}
	}
}
