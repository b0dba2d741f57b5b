package s3fault

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
)

// Fault is what the proxy does to one request.
type Fault int

// The faults, from harmless to worst. Pass relays the request untouched.
const (
	Pass Fault = iota
	SlowDown
	Reset
	LoseAnswer
	Truncate
	Stall
)

var faultNames = [...]string{"pass", "slowdown", "reset", "lose-answer", "truncate", "stall"}

// String returns the fault's name as Stats keys it ("slowdown", "reset", ...).
func (f Fault) String() string {
	if f < 0 || int(f) >= len(faultNames) {
		return fmt.Sprintf("fault(%d)", int(f))
	}
	return faultNames[f]
}

// Request is what a Rule sees of one request: its sequence number (1 for
// the first request the proxy received), method and path (with the bucket
// for path-style requests).
type Request struct {
	N      int64
	Method string
	Path   string
}

// Rule picks the fault of a request. It must be safe for concurrent use.
type Rule func(Request) Fault

// Proxy is a fault-injecting HTTP proxy in front of one S3 endpoint. Its
// zero value is not usable: build it with Start.
type Proxy struct {
	srv      *http.Server
	ln       net.Listener
	rp       *httputil.ReverseProxy
	closed   chan struct{}
	stalled  chan Request
	seq      atomic.Int64
	uploaded atomic.Int64

	mu       sync.Mutex
	rule     Rule
	byMethod map[string]int
	byFault  map[Fault]int
	closeMu  sync.Once
}

// Start listens on 127.0.0.1 (a free port) and relays every request to
// target (an http:// URL of an S3 endpoint), passing them all until
// SetRule says otherwise. Close stops it.
func Start(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("parse target %q: %w", target, err)
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("target %q: want http://host:port", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	p := &Proxy{
		ln:       ln,
		closed:   make(chan struct{}),
		stalled:  make(chan Request, 64),
		byMethod: map[string]int{},
		byFault:  map[Fault]int{},
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.URL.Path, r.Out.URL.RawPath = r.In.URL.Path, r.In.URL.RawPath
			r.Out.Host = r.In.Host // SigV4 signed the address the client used
		},
		Transport:     &http.Transport{Proxy: nil, DisableCompression: true},
		FlushInterval: -1,
		ErrorHandler:  p.upstreamFailed,
	}
	p.srv = &http.Server{Handler: p}
	go p.srv.Serve(ln) //nolint:errcheck // Serve returns ErrServerClosed on Close
	return p, nil
}

// URL is the proxy's endpoint, http://127.0.0.1:PORT, for the client.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// SetRule replaces the rule; nil passes every request.
func (p *Proxy) SetRule(r Rule) {
	p.mu.Lock()
	p.rule = r
	p.mu.Unlock()
}

// Stalled receives each request that a Stall holds, once it is held (the
// channel keeps the last 64; older announcements are dropped).
func (p *Proxy) Stalled() <-chan Request { return p.stalled }

// Close stops the proxy: held requests end with a reset connection.
func (p *Proxy) Close() error {
	var err error
	p.closeMu.Do(func() {
		close(p.closed)
		err = p.srv.Close()
	})
	return err
}

// Stats is what the proxy counted since it started.
type Stats struct {
	// Requests is the number of requests received.
	Requests int
	// ByMethod counts the requests per HTTP method.
	ByMethod map[string]int
	// ByFault counts the requests per fault applied, passes included.
	ByFault map[string]int
	// UploadedBytes is the request-body bytes delivered to the server
	// (cut bodies count what was sent).
	UploadedBytes int64
}

// Stats returns a copy of the counters.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Stats{Requests: int(p.seq.Load()), ByMethod: map[string]int{}, ByFault: map[string]int{}, UploadedBytes: p.uploaded.Load()}
	for m, n := range p.byMethod {
		s.ByMethod[m] = n
	}
	for f, n := range p.byFault {
		s.ByFault[f.String()] = n
	}
	return s
}

// ServeHTTP applies the rule's fault to one request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := Request{N: p.seq.Add(1), Method: r.Method, Path: r.URL.Path}
	p.mu.Lock()
	f := Pass
	if p.rule != nil {
		f = p.rule(req)
	}
	p.byMethod[r.Method]++
	p.byFault[f]++
	p.mu.Unlock()

	switch f {
	case SlowDown:
		_, _ = io.Copy(io.Discard, r.Body)
		writeSlowDown(w, r.URL.Path)
	case Reset:
		reset(w)
	case Stall:
		// The server notices a closed connection only once the body is
		// read: drain it, so a killed client ends the stall.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case p.stalled <- req:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-p.closed:
		}
		reset(w)
	case Truncate:
		r.Body = &cutBody{r: r.Body, left: r.ContentLength / 2, counter: &p.uploaded}
		p.rp.ServeHTTP(&resetWriter{ResponseWriter: w}, r)
	case LoseAnswer:
		r.Body = &countBody{r: r.Body, counter: &p.uploaded}
		p.rp.ServeHTTP(&resetWriter{ResponseWriter: w}, r)
	default:
		r.Body = &countBody{r: r.Body, counter: &p.uploaded}
		p.rp.ServeHTTP(w, r)
	}
}

// upstreamFailed answers 502 when the server could not be reached, and
// resets the client's connection when the failure was injected (a cut body).
func (p *Proxy) upstreamFailed(w http.ResponseWriter, r *http.Request, err error) {
	if rw, ok := w.(*resetWriter); ok {
		if !rw.done {
			rw.done = true
			reset(rw.ResponseWriter)
		}
		return
	}
	http.Error(w, "s3fault: upstream: "+err.Error(), http.StatusBadGateway)
}

// writeSlowDown writes S3's 503 SlowDown error.
func writeSlowDown(w http.ResponseWriter, resource string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>`+
		`<Resource>%s</Resource><RequestId>s3fault</RequestId></Error>`, xmlEscape(resource))
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// reset closes the client's connection with a TCP RST (linger 0), or
// aborts the handler when the connection cannot be taken over.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// resetWriter relays nothing of the server's answer: its first write
// resets the client's connection, so the server acts but the client never
// learns it (LoseAnswer, Truncate).
type resetWriter struct {
	http.ResponseWriter
	done bool
}

func (w *resetWriter) WriteHeader(int) {
	if !w.done {
		w.done = true
		reset(w.ResponseWriter)
	}
}

func (w *resetWriter) Write(b []byte) (int, error) {
	w.WriteHeader(0)
	return len(b), nil
}

// Flush does nothing: nothing is relayed.
func (w *resetWriter) Flush() {}

var errCut = errors.New("s3fault: request body cut")

// cutBody yields the first left bytes of a body, then fails, which makes
// the transport drop the server connection mid-body.
type cutBody struct {
	r       io.ReadCloser
	left    int64
	counter *atomic.Int64
}

func (b *cutBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errCut
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	b.counter.Add(int64(n))
	if err == io.EOF && b.left > 0 {
		return n, nil
	}
	return n, err
}

func (b *cutBody) Close() error { return b.r.Close() }

// countBody counts the bytes read from a body.
type countBody struct {
	r       io.ReadCloser
	counter *atomic.Int64
}

func (b *countBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.counter.Add(int64(n))
	return n, err
}

func (b *countBody) Close() error { return b.r.Close() }
