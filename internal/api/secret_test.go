package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// echoServer fails in every way it can, quoting the key it received.
func echoServer(t *testing.T, stolen *atomic.Int32) *httptest.Server {
	thief := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != "" {
			stolen.Add(1)
		}
		writeJSON(w, 200, `[]`)
	})
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("x-api-key")
		switch r.URL.Path {
		case "/e400":
			writeJSON(w, 400, fmt.Sprintf(`{"statusCode":400,"error":"Bad Request","message":["key %s is odd","x"]}`, key))
		case "/e401":
			writeJSON(w, 401, "<html>who is "+key+"?</html>")
		case "/e500":
			writeJSON(w, 500, `{"statusCode":500,"message":"`+key+`"}`)
		case "/e429":
			w.Header().Set("Retry-After", "99999")
			writeJSON(w, 429, key)
		case "/html":
			writeJSON(w, 200, "<html>"+key+"</html>")
		case "/list":
			writeJSON(w, 200, `["`+key+`"]`)
		case "/object":
			writeJSON(w, 200, `{"id": 1, "echo": "`+key+`"}`)
		case "/count":
			writeJSON(w, 200, `{"count": "`+key+`"}`)
		case "/reset":
			resetMidBody(w)
		case "/cut":
			truncatedBody(w)
		case "/hang":
			hang(w, r)
		case "/big":
			writeJSON(w, 200, `{"id": 1, "k": "`+key+strings.Repeat(" ", 200)+`"}`)
		case "/redirect":
			http.Redirect(w, r, thief.URL+"/steal", http.StatusFound)
		default:
			writeJSON(w, 404, `{}`)
		}
	})
}

func leakRoutes() Routes {
	r := DefaultRoutes()
	for _, p := range []string{"e400", "e401", "e500", "e429", "html", "list", "object", "count", "reset", "cut", "hang", "big", "redirect"} {
		r[p] = Route{Method: "GET", Path: "/" + p, Workspace: true}
	}
	r["types.list"] = Route{Method: "GET", Path: "/list", Workspace: true}
	r["types.get"] = Route{Method: "GET", Path: "/object", Workspace: true}
	r["types.count"] = Route{Method: "GET", Path: "/count", Workspace: true}
	return r
}

func TestKeyNeverLeaks(t *testing.T) {
	key := testKey.Reveal()
	var stolen atomic.Int32
	srv := echoServer(t, &stolen)
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	defer tlsSrv.Close()

	for _, format := range []string{"text", "json"} {
		var logs bytes.Buffer
		hopts := &slog.HandlerOptions{Level: slog.LevelDebug}
		logger := slog.New(slog.NewTextHandler(&logs, hopts))
		if format == "json" {
			logger = slog.New(slog.NewJSONHandler(&logs, hopts))
		}
		edit := func(o *Options) {
			o.Logger, o.Routes, o.MaxAttempts = logger, leakRoutes(), 3
			o.Timeout, o.MaxResponseBytes = 20*time.Millisecond, 100
		}
		c, _ := newTestClient(t, srv.URL, edit)
		tc, _ := newTestClient(t, tlsSrv.URL, edit)
		ctx := context.Background()
		types := mustKind(t, "types")

		var errs []error
		for _, route := range []string{"e400", "e401", "e500", "e429", "html", "reset", "cut", "hang", "big", "redirect", "object", "nope"} {
			_, err := c.Do(ctx, route, "acme", nil, nil)
			errs = append(errs, err)
		}
		_, err := c.Do(ctx, "e400", "", nil, nil) // no workspace
		errs = append(errs, err)
		_, err = c.Do(ctx, "types.update", "acme", map[string]string{"type": "x"}, map[string]any{"bad": func() {}})
		errs = append(errs, err)
		_, err = tc.Do(ctx, "e400", "acme", nil, nil)
		errs = append(errs, err)
		_, err = c.Get(ctx, types, "acme", map[string]string{"type": "x"})
		errs = append(errs, err)
		_, _, err = c.Count(ctx, types, "acme", nil)
		errs = append(errs, err)
		_, err = c.List(ctx, types, "acme", Object{}, func([]Object) error { return nil })
		errs = append(errs, err)
		logger.Info("options", "opts", Options{BaseURL: srv.URL, APIKey: testKey})

		for i, err := range errs {
			if err == nil {
				t.Errorf("%s: case %d did not fail", format, i)
				continue
			}
			for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
				if strings.Contains(text, key) {
					t.Errorf("%s: error %d holds the key: %s", format, i, text)
				}
			}
		}
		if !strings.Contains(logs.String(), "api request") {
			t.Errorf("%s: no debug lines logged", format)
		}
		if strings.Contains(logs.String(), key) {
			t.Errorf("%s: the logs hold the key:\n%s", format, logs.String())
		}
	}
	if stolen.Load() != 0 {
		t.Errorf("the key followed a redirect to another host %d times", stolen.Load())
	}
}

func TestKeyNeverPrints(t *testing.T) {
	key := testKey.Reveal()
	opts := Options{BaseURL: "https://api.leif.enspace.io", APIKey: testKey}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	holder := struct {
		C    *Client
		O    Options
		OP   *Options
		Keys []Secret
	}{c, opts, &opts, []Secret{testKey}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %[1]v"} {
		for name, v := range map[string]any{"client": c, "options": opts, "*options": &opts, "holder": holder, "key": testKey} {
			if out := fmt.Sprintf(verb, v); strings.Contains(out, key) || strings.Contains(strings.ToLower(out), fmt.Sprintf("%x", key)) {
				t.Errorf("Sprintf(%q, %s) = %s", verb, name, out)
			}
		}
	}
	if got, want := fmt.Sprint(c), "api.Client{base: https://api.leif.enspace.io, key: [redacted]}"; got != want {
		t.Errorf("Sprint(client) = %q, want %q", got, want)
	}
}
