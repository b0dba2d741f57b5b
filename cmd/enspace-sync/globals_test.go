package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLeadingGlobals(t *testing.T) {
	cases := []struct {
		args          []string
		globals, rest []string
	}{
		{[]string{"snapshots"}, nil, []string{"snapshots"}},
		{[]string{"--config", "c.yaml", "snapshots", "--json"}, []string{"--config", "c.yaml"}, []string{"snapshots", "--json"}},
		{[]string{"--json", "-log-level=debug", "config", "check"}, []string{"--json", "-log-level=debug"}, []string{"config", "check"}},
		{[]string{"--config=c.yaml", "--log-level", "warn", "diff", "a"}, []string{"--config=c.yaml", "--log-level", "warn"}, []string{"diff", "a"}},
		{[]string{"--workspace", "acme", "backup"}, nil, []string{"--workspace", "acme", "backup"}}, // not a global flag
		{[]string{"--config"}, nil, []string{"--config"}},
		{[]string{"-q", "--verbose", "backup"}, []string{"-q", "--verbose"}, []string{"backup"}},
	}
	for _, c := range cases {
		g, r := leadingGlobals(c.args)
		if !cmp.Equal(g, c.globals) || !cmp.Equal(r, c.rest) {
			t.Errorf("leadingGlobals(%q) = %q, %q; want %q, %q", c.args, g, r, c.globals, c.rest)
		}
	}
}

// TestGlobalsBeforeCommand: global flags before the command reach it, and
// a flag the command does not take is refused as it would be after it.
func TestGlobalsBeforeCommand(t *testing.T) {
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		m := NewMain()
		m.Stdout, m.Stderr = &out, &errOut
		m.Getenv = func(string) string { return "" }
		code := m.ReportError(m.Run(context.Background(), args))
		return code, out.String() + errOut.String()
	}
	if code, out := run("--config", "/nonexistent/c.yaml", "snapshots"); code != ExitUsage || !strings.Contains(out, "/nonexistent/c.yaml") {
		t.Errorf("--config before snapshots: exit %d, %s", code, out)
	}
	if code, out := run("--json", "version"); code != ExitOK || !strings.Contains(out, `"version"`) {
		t.Errorf("--json version: exit %d, %s", code, out)
	}
	if code, out := run("--config", "c.yaml", "demo"); code != ExitUsage || !strings.Contains(out, "-config") {
		t.Errorf("--config demo: exit %d, %s", code, out)
	}
	if code, out := run("-v"); code != ExitOK || !strings.Contains(out, "enspace-sync") {
		t.Errorf("-v alone: exit %d, %s, want the version", code, out)
	}
	if code, out := run("-q", "-v", "--config", "/nonexistent/c.yaml", "snapshots"); code != ExitUsage || !strings.Contains(out, "/nonexistent/c.yaml") {
		t.Errorf("-q -v before snapshots: exit %d, %s, want them taken as snapshots' flags", code, out)
	}
	if code, out := run("--json"); code != ExitUsage || !strings.Contains(out, "no command after --json") {
		t.Errorf("--json alone: exit %d, %s", code, out)
	}
}
