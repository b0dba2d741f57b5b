package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// server is the local HTTP listener.
type server struct {
	hs   *http.Server
	done chan struct{} // closed when Serve returns
}

// Serve starts serving the listener's endpoints on ln in the background;
// Stop shuts it down.
func (d *Daemon) Serve(ln net.Listener) {
	hs := &http.Server{
		Handler:           d.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          nil,
	}
	s := &server{hs: hs, done: make(chan struct{})}
	d.mu.Lock()
	d.server = s
	d.mu.Unlock()
	go func() {
		defer close(s.done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("the listener stopped", "err", err)
		}
	}()
	d.log.Info("listening", "addr", ln.Addr().String())
}

// shutdown stops the server gracefully, then closes what is left when ctx ends.
func (s *server) shutdown(ctx context.Context) error {
	err := s.hs.Shutdown(ctx)
	if err != nil {
		_ = s.hs.Close() // a slow /v1/db download must not hold the database open
	}
	<-s.done
	if err != nil {
		return fmt.Errorf("daemon: shut the listener down: %w", err)
	}
	return nil
}

// Handler returns the listener's endpoints behind the guard; see the
// package documentation.
func (d *Daemon) Handler() http.Handler {
	g := d.auth
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", g.Open(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})))
	mux.Handle("GET /readyz", g.Open(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ready := d.Ready()
		status := http.StatusOK
		if !ready.Ready {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, ready)
	})))
	mux.Handle("GET /metrics", g.Metrics(promhttp.HandlerFor(d.metrics.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})))
	mux.Handle("GET /v1/status", g.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, d.Status())
	})))
	mux.Handle("POST /v1/trigger/{name}", g.Protect(http.HandlerFunc(d.handleTrigger)))
	mux.Handle("GET /v1/db", g.Protect(http.HandlerFunc(d.handleDB)))
	mux.Handle("POST /v1/login-url", g.Token(http.HandlerFunc(d.handleLoginURL)))
	mux.Handle("GET /login", g.Open(http.HandlerFunc(g.HandleLogin)))
	ui := d.opts.UI
	if ui == nil {
		ui = http.NotFoundHandler()
	}
	mux.Handle("/", g.Protect(ui))
	return http.NewCrossOriginProtection().Handler(mux)
}

// LoginURL is the body of POST /v1/login-url: a one-time login path for a
// browser, and when it expires.
type LoginURL struct {
	Path      string    `json:"path"`
	URL       string    `json:"url,omitempty"` // filled in by the client, which knows the address
	ExpiresAt time.Time `json:"expires_at"`
}

func (d *Daemon) handleLoginURL(w http.ResponseWriter, r *http.Request) {
	path, expires := d.auth.LoginURL()
	d.log.Info("a one-time login URL was handed out", "expires_at", expires)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, LoginURL{Path: path, ExpiresAt: expires})
}

// TriggerAnswer is the body of POST /v1/trigger/{name}.
type TriggerAnswer struct {
	Started bool     `json:"started"`
	Error   string   `json:"error,omitempty"`
	Run     *RunInfo `json:"run,omitempty"` // with ?wait=1: the run's outcome
}

func (d *Daemon) handleTrigger(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ticket, err := d.Trigger(name)
	switch {
	case errors.Is(err, ErrUnknownWorkspace):
		writeJSON(w, http.StatusNotFound, TriggerAnswer{Error: err.Error()})
		return
	case errors.Is(err, ErrBusy):
		writeJSON(w, http.StatusConflict, TriggerAnswer{Error: err.Error()})
		return
	case err != nil:
		writeJSON(w, http.StatusServiceUnavailable, TriggerAnswer{Error: err.Error()})
		return
	}
	d.log.Info("run triggered through the listener", "workspace", name)
	if v := r.URL.Query().Get("wait"); v == "" || v == "0" || v == "false" {
		writeJSON(w, http.StatusAccepted, TriggerAnswer{Started: true})
		return
	}
	info, err := d.Wait(r.Context(), ticket)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, TriggerAnswer{Started: true, Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, TriggerAnswer{Started: true, Run: &info})
}

// handleDB streams a consistent copy of the database from one read
// transaction; a backup may commit meanwhile. A copy that fails half-way
// aborts the connection, so the client sees a truncated body, never a
// short file that looks whole.
func (d *Daemon) handleDB(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	n, err := d.opts.DB.WriteTo(w)
	if err != nil {
		d.log.Warn("copy of the database for a reader failed", "bytes", n, "err", err)
		panic(http.ErrAbortHandler)
	}
	d.log.Debug("served a copy of the database", "bytes", n)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
