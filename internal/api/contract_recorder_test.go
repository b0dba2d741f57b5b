package api_test

import (
	"bytes"
	"io"
	"net/http"
	"sync"
)

// recorder keeps every answer the client received: its status and body,
// or the error that cut it short. It records a body as the client reads
// it, so that a broken body still breaks in the client's own read.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen []exchange
}

// exchange is one request line and its answer.
type exchange struct {
	method, path string
	status       int   // 0 when no answer came
	err          error // the error of the round trip or of reading the body
	body         []byte
}

// failed reports whether the client saw no complete 2xx answer.
func (x exchange) failed() bool { return x.err != nil || x.status < 200 || x.status > 299 }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	x := exchange{method: req.Method, path: req.URL.RequestURI()}
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		x.err = err
		r.add(x)
		return nil, err
	}
	x.status = resp.StatusCode
	resp.Body = &recordedBody{ReadCloser: resp.Body, r: r, x: x}
	return resp, nil
}

func (r *recorder) add(x exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, x)
}

// recordedBody copies what the client reads and records the exchange at
// the end of the body, at its first error or when it is closed.
type recordedBody struct {
	io.ReadCloser
	r    *recorder
	x    exchange
	buf  bytes.Buffer
	done bool
}

func (b *recordedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.buf.Write(p[:n])
	if err != nil {
		b.finish(err)
	}
	return n, err
}

func (b *recordedBody) Close() error {
	b.finish(nil)
	return b.ReadCloser.Close()
}

func (b *recordedBody) finish(err error) {
	if b.done {
		return
	}
	b.done = true
	if err != io.EOF {
		b.x.err = err
	}
	b.x.body = b.buf.Bytes()
	b.r.add(b.x)
}

// exchanges returns the exchanges recorded from the n-th on.
func (r *recorder) exchanges(from int) []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.seen[from:]...)
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}
