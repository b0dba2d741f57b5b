package demo

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
			want: `demo step 2 failed (back up acme): snapshot [0-9a-f]{8} is partial, not complete: map\[integrations:`,
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
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			var stdout, stderr bytes.Buffer
			err := Run(t.Context(), Options{Stdout: &stdout, Stderr: &stderr, Fast: true, LogLevel: slog.LevelError,
				BeforeStep: func(step int, fake *fakeapi.Server) {
					if step == 2 {
						tt.before(t, fake)
					}
				}})
			if err == nil {
				t.Fatalf("the demo passed; stdout:\n%s", stdout.String())
			}
			if !regexp.MustCompile(`^` + regexpOf(tt.want)).MatchString(err.Error()) {
				t.Errorf("error = %q, want it to match %q", err, tt.want)
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

func TestTextHelpers(t *testing.T) {
	if got, want := shellJoin([]string{"diff", "--config", "/tmp/a b/config.yaml", "it's"}), `diff --config '/tmp/a b/config.yaml' 'it'\''s'`; got != want {
		t.Errorf("shellJoin = %s, want %s", got, want)
	}
	if got, want := wrapWords("one two three four", 9), []string{"one two", "three", "four"}; !cmp.Equal(got, want) {
		t.Errorf("wrapWords = %q, want %q", got, want)
	}
}
