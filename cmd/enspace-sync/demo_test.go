package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// TestDemoStepFails makes a step of the demo fail, once through a command
// that fails and once through a check that does not hold: the demo stops
// there with "demo step N failed", exit status 1, and removes its files.
func TestDemoStepFails(t *testing.T) {
	tests := []struct {
		name   string
		before func(t *testing.T, fake *fakeapi.Server)
		want   string
	}{
		{
			name: "command fails",
			before: func(t *testing.T, fake *fakeapi.Server) {
				fake.SetFaults(fakeapi.Faults{FailRoutes: map[string]int{"integrations.list": 400}})
			},
			want: `demo step 2 failed (back up acme): enspace-sync backup exited with status 3: not read: integrations: `,
		},
		{
			name: "check fails",
			before: func(t *testing.T, fake *fakeapi.Server) {
				req := httptest.NewRequest(http.MethodDelete, "/ws/types/contracts", nil)
				req.Header.Set("x-api-key", fakeapi.DemoAPIKey)
				req.Header.Set("en-workspace", "acme")
				rec := httptest.NewRecorder()
				fake.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					t.Errorf("delete the type contracts: %d %s", rec.Code, rec.Body)
				}
			},
			want: `demo step 2 failed (back up acme): snapshot [0-9a-f]{8} holds no fields or items of the type contracts`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			demoBeforeStep = func(step int, fake *fakeapi.Server) {
				if step == 2 {
					tt.before(t, fake)
				}
			}
			defer func() { demoBeforeStep = nil }()
			tmp := t.TempDir()
			var stdout, stderr bytes.Buffer
			m := &Main{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
				Getenv: func(string) string { return "" }, log: slog.New(slog.DiscardHandler)}
			t.Setenv("TMPDIR", tmp)
			err := m.Run(t.Context(), []string{"demo", "--fast"})
			if got := m.ReportError(err); got != ExitError {
				t.Fatalf("exit status %d, want %d; stdout:\n%s", got, ExitError, stdout.String())
			}
			if !regexp.MustCompile(`^enspace-sync: ` + regexpOf(tt.want)).MatchString(stderr.String()) {
				t.Errorf("stderr = %q, want it to match %q", stderr.String(), tt.want)
			}
			if !strings.Contains(stdout.String(), "   ✗ ") || strings.Contains(stdout.String(), "Step 3 of 8") {
				t.Errorf("stdout does not stop at a failed step 2:\n%s", stdout.String())
			}
			if left, _ := os.ReadDir(tmp); len(left) > 0 {
				t.Errorf("the demo left %s in the temporary directory", left[0].Name())
			}
		})
	}
}

// regexpOf keeps the regular expressions of want but quotes its parentheses.
func regexpOf(want string) string {
	return strings.NewReplacer("(", `\(`, ")", `\)`).Replace(want)
}

func TestCollapseRuns(t *testing.T) {
	in := []string{
		"types:",
		"  - type contracts \"Contracts\"",
		"items:",
		"  type contracts:",
		"    - item contracts/1061 \"CT-1\"",
		"    - item contracts/1062 \"CT-2\"",
		"    - item contracts/1063 \"CT-3\"",
		"    - item contracts/1064 \"CT-4\"",
		"    ~ item contracts/1065 \"CT-5\": data.value: 1 -> 2",
		"  type clients:",
		"    ~ item clients/1001 \"A\": data.city: \"X\" -> \"Y\"",
		"    ~ item clients/1002 \"B\": data.city: \"X\" -> \"Y\"",
		"    ~ item clients/1003 \"C\": data.city: \"X\" -> \"Y\"",
	}
	want := []string{
		"types:",
		"  - type contracts \"Contracts\"",
		"items:",
		"  type contracts:",
		"    - item contracts/1061 \"CT-1\"",
		"    - item contracts/1062 \"CT-2\"",
		"    … and 2 more",
		"    ~ item contracts/1065 \"CT-5\": data.value: 1 -> 2",
		"  type clients:",
		"    ~ item clients/1001 \"A\": data.city: \"X\" -> \"Y\"",
		"    ~ item clients/1002 \"B\": data.city: \"X\" -> \"Y\"",
		"    ~ item clients/1003 \"C\": data.city: \"X\" -> \"Y\"",
	}
	if diff := cmp.Diff(want, collapseRuns(in, 2)); diff != "" {
		t.Errorf("collapseRuns (-want +got):\n%s", diff)
	}
}

func TestCapSections(t *testing.T) {
	in := []string{
		"Plan: restore acme (snapshot 1234abcd of 2026-11-27 09:59) into acme",
		"  3 to create, 1 to update, 0 to delete, 0 manual, 2 already equal",
		"",
		"Create:",
		"  + type a",
		"  + type b",
		"  + type c",
		"",
		"Update:",
		"  ~ role r",
		"",
		"Nothing to apply.",
	}
	want := []string{
		"Plan: restore acme (snapshot 1234abcd of 2026-11-27 09:59) into acme",
		"  3 to create, 1 to update, 0 to delete, 0 manual, 2 already equal",
		"Create:",
		"  + type a",
		"  + type b",
		"  … and 1 more",
		"Update:",
		"  ~ role r",
		"Nothing to apply.",
	}
	if diff := cmp.Diff(want, capSections(in, 2)); diff != "" {
		t.Errorf("capSections (-want +got):\n%s", diff)
	}
}

func TestDemoReaders(t *testing.T) {
	out := "Plan: x\n  5 to create, 1 to update, 0 to delete, 9 manual, 28 already equal\n\nApplied: 6 done, 0 failed, 9 manual, 28 already equal\n"
	plan, line, err := readPlanCounts(out)
	if err != nil || plan != (planCounts{create: 5, update: 1, manual: 9, equal: 28}) || !strings.HasPrefix(line, "  5 to create") {
		t.Errorf("readPlanCounts = %+v, %q, %v", plan, line, err)
	}
	applied, line, err := readApplied(out)
	if err != nil || applied != (appliedCounts{done: 6, manual: 9, equal: 28}) || !strings.HasPrefix(line, "Applied:") {
		t.Errorf("readApplied = %+v, %q, %v", applied, line, err)
	}
	if _, _, err := readApplied("Plan: x\n"); err == nil {
		t.Error("readApplied found a line in output without one")
	}

	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Warn("anomaly: x", "snapshot", "1234abcd", "hint", `run "enspace-sync restore" now`)
	for key, want := range map[string]string{"hint": `run "enspace-sync restore" now`, "snapshot": "1234abcd", "none": ""} {
		if got := slogTextValue(strings.TrimSpace(buf.String()), key); got != want {
			t.Errorf("slogTextValue(%s) = %q, want %q", key, got, want)
		}
	}

	if got, want := shellJoin([]string{"diff", "--config", "/tmp/a b/config.yaml", "it's"}), `diff --config '/tmp/a b/config.yaml' 'it'\''s'`; got != want {
		t.Errorf("shellJoin = %s, want %s", got, want)
	}
	if got, want := wrapWords("one two three four", 9), []string{"one two", "three", "four"}; !cmp.Equal(got, want) {
		t.Errorf("wrapWords = %q, want %q", got, want)
	}
}
