package main

import (
	"context"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// demoConfig starts a fake with the demo data and writes a config for its
// workspace acme (writeTestConfig): the test's directory and config.
func demoConfig(t *testing.T) (dir, cfg string) {
	t.Helper()
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	dir = t.TempDir()
	return dir, writeTestConfig(t, dir, hs.URL, "")
}

// appendConfig adds text to the end of the config at cfg.
func appendConfig(t *testing.T, cfg, text string) {
	t.Helper()
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// runMain runs the program in-process with args under ctx: its exit
// status, stdout and stderr.
func runMain(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	m, out, errs := newTestMain()
	code = m.ReportError(m.Run(ctx, args))
	m.Close()
	return code, out.String(), errs.String()
}
