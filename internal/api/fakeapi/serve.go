package fakeapi

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// maxBody bounds a request body, like a NestJS body parser.
const maxBody = 1 << 20

// call is one request on its way through a handler.
type call struct {
	s      *Server
	route  *entry
	method string
	uri    string // path and query, as recorded in request logs
	params map[string]string
	query  url.Values
	body   []byte
	now    int64 // unix ms when the request arrived
	key    *keyRec
	user   *user
	ws     *Workspace
	// shuffle reorders unordered lists (Options.ShuffleLists); nil when off.
	shuffle *shuffler
}

// ServeHTTP answers one request: route, authenticate, inject faults, run
// the handler and write (or break) its answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := s.now()
	c := &call{s: s, method: r.Method, uri: r.URL.RequestURI(), query: r.URL.Query(), now: at.UnixMilli()}
	c.route, c.params = s.router.match(r.Method, r.URL.EscapedPath(), c.query)
	routeName := ""
	if c.route != nil {
		routeName = c.route.name
	}
	s.counters.arrive(routeName, r.Method)
	if s.timeline != nil {
		s.timeline.start(at, keyID(s.keys[r.Header.Get("x-api-key")]), routeName)
	}
	if c.route == nil {
		if k := s.keys[r.Header.Get("x-api-key")]; k != nil && !k.expired(c.now) {
			c.key = k
		}
		s.finish(w, r, c, cannot(r.Method, c.uri))
		return
	}
	if res, ok := s.authenticate(c, r); !ok {
		s.finish(w, r, c, res)
		return
	}
	line := r.Method + " " + c.uri
	keyLine := waitLine(c.key.id, line)
	s.counters.checkWait(keyLine, at.UnixNano())
	f := s.faults.Load()
	n := s.counters.nth(line)
	d := f.decide(s.opts.Seed, r.Method, c.uri, n)
	c.shuffle = s.newShuffler(r.Method, c.uri, n)
	if err := s.sleep(r.Context(), d.delay); err != nil {
		return // the client went away
	}
	// Drift is another user's change: it happens whatever this request's
	// own answer is.
	if d.drift && routeName == "items.list" && c.ws.drift(c, d.driftDraw) {
		s.counters.fault(FaultDrift)
	}
	if status, ok := f.FailRoutes[routeName]; ok {
		s.counters.fault(FaultFailRoute)
		s.finish(w, r, c, failStatus(status))
		return
	}
	switch d.kind {
	case FaultRateLimit, FaultServerError, FaultHTML:
		s.counters.fault(d.kind)
		res, until, waits := faultAnswer(f, d, at)
		if waits {
			// Noted before the answer leaves, so the retry finds it.
			s.counters.waitUntil(keyLine, until)
		}
		s.finish(w, r, c, res)
		if waits && s.timeline != nil {
			s.noteWindow(w, c, res.status, until)
		}
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.finish(w, r, c, fail(http.StatusRequestEntityTooLarge, "request entity too large"))
		} else {
			s.finish(w, r, c, badRequest("could not read the request body"))
		}
		return
	}
	c.body = body
	if res, refused := s.refuseExtra(r.Method, body); refused {
		s.finish(w, r, c, res)
		return
	}
	h := handlers[routeName]
	if h == nil {
		h = s.extra[routeName]
	}
	res := s.wire(r.Method, s.createAnswer(routeName, h(c)))
	if d.lost && r.Method != http.MethodGet && !res.isFailure() {
		s.counters.fault(FaultLostWrite)
		if d.lostDrop {
			if conn, ok := hijack(w); ok {
				s.counters.answered(0) // counted before the client can see the close
				s.logLine(r, c, 0, FaultLostWrite)
				conn.Close()
				return
			}
		}
		if ls := f.LostWriteStatus; ls != 0 {
			s.finish(w, r, c, failStatus(ls))
			return
		}
		s.finish(w, r, c, fail(http.StatusInternalServerError, "Internal server error"))
		return
	}
	switch d.kind {
	case FaultReset, FaultTruncate:
		s.counters.fault(d.kind)
		s.counters.answered(res.status)
		s.logRequest(c, res.status)
		s.logLine(r, c, res.status, d.kind)
		writeBroken(w, res, d.kind == FaultReset, d.cut)
		return
	}
	s.finish(w, r, c, res)
}

// finish writes an answer, counts it and records it in the key's log.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, c *call, res resp) {
	s.counters.answered(res.status)
	s.logRequest(c, res.status)
	h := w.Header()
	ctype := res.ctype
	if ctype == "" {
		ctype = "application/json; charset=utf-8"
	}
	h.Set("Content-Type", ctype)
	for k, v := range res.header {
		h.Set(k, v)
	}
	body, zipped := s.gzipped(r, res.body)
	if zipped {
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
	}
	if res.status != http.StatusNoContent {
		h.Set("Content-Length", formatLen(len(body)))
	}
	w.WriteHeader(res.status)
	if r.Method != http.MethodHead && res.status != http.StatusNoContent {
		w.Write(body)
	}
	s.logLine(r, c, res.status, "", slog.String("retry_after", res.header["Retry-After"]))
}

// noteWindow records the Retry-After window of an answer just written,
// from now (after flushing it, so that it has left) until until (unix ns).
func (s *Server) noteWindow(w http.ResponseWriter, c *call, status int, until int64) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	s.timeline.window(Window{Sent: s.now(), Until: time.Unix(0, until), Key: c.key.id, Status: status})
}

// keyID is k's id, or 0 for no key.
func keyID(k *keyRec) int64 {
	if k == nil {
		return 0
	}
	return k.id
}

// logLine logs one answered request at debug level: never a request
// header, so never the API key. extra attributes (the Retry-After sent) are
// added unless their value is empty.
func (s *Server) logLine(r *http.Request, c *call, status int, fault string, extra ...slog.Attr) {
	if !s.log.Enabled(r.Context(), slog.LevelDebug) {
		return
	}
	route := "unmatched"
	if c.route != nil {
		route = c.route.name
	}
	attrs := []slog.Attr{slog.String("method", r.Method), slog.String("path", c.uri),
		slog.String("route", route), slog.Int("status", status)}
	if fault != "" {
		attrs = append(attrs, slog.String("fault", fault))
	}
	for _, a := range extra {
		if a.Value.String() != "" {
			attrs = append(attrs, a)
		}
	}
	s.log.LogAttrs(r.Context(), slog.LevelDebug, "request", attrs...)
}
