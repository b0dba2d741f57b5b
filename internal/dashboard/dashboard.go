package dashboard

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/app"
)

// Source is what the dashboard reads; *app.Service implements it.
type Source interface {
	Overview(now time.Time) ([]app.JobView, error)
	WorkspaceHistory(name string) (*app.WorkspaceView, error)
	SnapshotChanges(workspace, ref string) (*app.ChangesView, error)
	CompareRefs(from, to string) (*app.ChangesView, error)
	History(req app.HistoryRequest) (*app.HistoryResult, error)
	Storage() (*app.StorageView, error)
	Location() *time.Location
}

var _ Source = (*app.Service)(nil)

// Options configure the dashboard's handler.
type Options struct {
	// Base is the path prefix the handler is reached under, without a
	// trailing slash ("" at the root, "/SECRET" behind a path guard). The
	// handler serves paths with Base already removed (http.StripPrefix)
	// and writes every link with it.
	Base string
	// Now is the clock for next runs; nil means time.Now.
	Now func() time.Time
	// Logger receives the errors of pages that failed; nil discards them.
	Logger *slog.Logger
}

//go:embed templates/*.html
var files embed.FS

// handler serves the pages.
type handler struct {
	src   Source
	opts  Options
	pages map[string]*template.Template
	mux   *http.ServeMux
}

// New returns the dashboard's handler over src. It only reads: every page
// is a GET (or HEAD), and others get 405.
func New(src Source, opts Options) http.Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{src: src, opts: opts, pages: map[string]*template.Template{}, mux: http.NewServeMux()}
	funcs := h.funcs()
	for _, name := range []string{"overview", "workspace", "changes", "object", "storage", "error"} {
		h.pages[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+name+".html"))
	}
	h.mux.HandleFunc("GET /{$}", h.overview)
	h.mux.HandleFunc("GET /workspaces/{ws}", h.workspace)
	h.mux.HandleFunc("GET /workspaces/{ws}/snapshots/{id}", h.snapshot)
	h.mux.HandleFunc("GET /compare/{from}/{to}", h.compare)
	h.mux.HandleFunc("GET /objects/{selector...}", h.object)
	h.mux.HandleFunc("GET /storage", h.storage)
	h.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h.mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, http.StatusNotFound, fmt.Errorf("no page at %s", r.URL.Path))
	})
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// page is what every template gets: the title, the base for links, and
// the page's own data.
type page struct {
	Title string
	Nav   string // "overview", "storage" or "": the current entry of the menu
	Base  string
	Data  any
	// List, when set, writes what the template marks with listMarker.
	List func(w io.Writer) error
}

// render executes a page into a buffer first, so a template error becomes
// a 500 page rather than half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, name string, status int, p page) {
	p.Base = h.opts.Base
	buf := buffers.Get().(*bytes.Buffer)
	defer putBuffer(buf)
	if err := h.pages[name].Execute(buf, p); err != nil {
		h.opts.Logger.Error("dashboard page failed", "path", r.URL.Path, "err", err)
		http.Error(w, "the page could not be drawn: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	page := buf.Bytes()
	if i := bytes.Index(page, []byte(listMarker)); i >= 0 && p.List != nil {
		if _, err := w.Write(page[:i]); err != nil {
			return
		}
		if err := p.List(w); err != nil {
			return // the reader went away
		}
		page = page[i+len(listMarker):]
	}
	_, _ = w.Write(page)
}

// buffers keeps the pages' buffers between requests.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > 32<<20 {
		return // let a rare huge page's buffer go
	}
	b.Reset()
	buffers.Put(b)
}

// fail renders the error page. Not found and bad input are the reader's;
// anything else is logged.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	if status == 0 {
		status = statusOf(err)
	}
	if status >= 500 {
		h.opts.Logger.Error("dashboard page failed", "path", r.URL.Path, "err", err)
	}
	h.render(w, r, "error", status, page{Title: http.StatusText(status), Data: err.Error()})
}

// statusOf maps the core's errors to HTTP statuses.
func statusOf(err error) int {
	var in *app.InputError
	switch {
	case isNotFound(err):
		return http.StatusNotFound
	case errors.As(err, &in) && in.Absent:
		return http.StatusNotFound
	case errors.As(err, &in):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}
