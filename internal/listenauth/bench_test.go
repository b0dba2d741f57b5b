package listenauth

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkGuard measures the guard's cost per request: a bearer request,
// a session request, and one refused for its Host.
func BenchmarkGuard(b *testing.B) {
	g := newGuard(b, nil)
	h := g.Protect(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	bearer := httptest.NewRequest("GET", "/v1/status", nil)
	bearer.Host = "127.0.0.1:9464"
	bearer = at(bearer, "127.0.0.1:9464")
	bearer.Header.Set("Authorization", "Bearer "+testToken)

	path, _ := g.LoginURL()
	rec := httptest.NewRecorder()
	g.HandleLogin(rec, httptest.NewRequest("GET", "http://localhost"+path, nil))
	session := httptest.NewRequest("GET", "/", nil)
	session.Host = "localhost"
	session.AddCookie(rec.Result().Cookies()[0])

	evil := httptest.NewRequest("GET", "/v1/db", nil)
	evil.Host = "evil.example"
	for _, bc := range []struct {
		name string
		r    *http.Request
		want int
	}{{"bearer", bearer, 200}, {"session", session, 200}, {"misdirected", evil, 421}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			w := &discard{h: http.Header{}}
			for b.Loop() {
				w.code = 200
				h.ServeHTTP(w, bc.r)
			}
			if w.code != bc.want {
				b.Fatalf("answered %d, want %d", w.code, bc.want)
			}
		})
	}
}

// discard is a ResponseWriter that keeps only the status.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(code int)        { d.code = code }
