package listenauth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "listen.token")
	tok, err := LoadOrCreateToken(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("mode of the created token file = %04o, want 0600", got)
	}
	if len(tok) != 64 {
		t.Errorf("token %d characters long, want 64", len(tok))
	}
	again, err := LoadOrCreateToken(path)
	if err != nil || again != tok {
		t.Errorf("second LoadOrCreateToken = %v, a different token: %v", again != tok, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the directory holds %d files, want only the token", len(entries))
	}
}

func TestLoadOrCreateTokenRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "listen.token")
	toks := make([]string, 8)
	var wg sync.WaitGroup
	for i := range toks {
		wg.Go(func() {
			tok, err := LoadOrCreateToken(path)
			if err != nil {
				t.Error(err)
			}
			toks[i] = tok
		})
	}
	wg.Wait()
	for _, tok := range toks {
		if tok != toks[0] {
			t.Fatalf("racing creators read different tokens: %q", toks)
		}
	}
}

func TestReadTokenRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		content string
		mode    os.FileMode
		is      error
	}{
		{"group readable", "0123456789abcdef0123", 0o640, ErrTokenReadable},
		{"world readable", "0123456789abcdef0123", 0o604, ErrTokenReadable},
		{"empty", "", 0o600, ErrTokenInvalid},
		{"short", "short\n", 0o600, ErrTokenInvalid},
		{"two words", "0123456789abcdef 0123456789abcdef", 0o600, ErrTokenInvalid},
		{"missing", "", 0, os.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if tc.mode != 0 {
				if err := os.WriteFile(path, []byte(tc.content), tc.mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tc.mode); err != nil {
					t.Fatal(err)
				}
			}
			tok, err := ReadToken(path)
			if !errors.Is(err, tc.is) {
				t.Errorf("ReadToken = %q, %v; want %v", tok, err, tc.is)
			}
			if tc.content != "" && err != nil && strings.Contains(err.Error(), tc.content) {
				t.Errorf("the error shows the file's content: %v", err)
			}
		})
	}
	// LoadOrCreateToken does not replace a file it refuses.
	path := filepath.Join(dir, "group-readable")
	if _, err := LoadOrCreateToken(path); !errors.Is(err, ErrTokenReadable) {
		t.Errorf("LoadOrCreateToken of a group-readable file: %v", err)
	}
}

func TestReadTokenTrimsNewline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(path, []byte("  0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tok, err := ReadToken(path); err != nil || tok != "0123456789abcdef0123" {
		t.Errorf("ReadToken = %q, %v", tok, err)
	}
}
