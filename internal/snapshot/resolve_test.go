package snapshot

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestResolve(t *testing.T) {
	db := openTest(t)
	for i, id := range []string{"abcd111111111111", "abcd222222222222", "ef01000000000000", "9999000000000000"} {
		ws := "acme"
		if i == 3 {
			ws = "beta"
		}
		putRecord(t, db, &Snapshot{ID: id, Workspace: ws, StartedAt: t0.Add(time.Duration(i) * time.Hour), Status: StatusComplete})
	}
	tests := []struct {
		ws, ref, want string
		err           error
	}{
		{"acme", "latest", "ef01000000000000", nil},
		{"acme", "latest~1", "abcd222222222222", nil},
		{"acme", "LATEST~2", "abcd111111111111", nil},
		{"acme", "latest~3", "", ErrNotFound},
		{"acme", "latest~x", "", ErrBadRef},
		{"", "latest", "9999000000000000", nil},
		{"acme", "abcd2", "abcd222222222222", nil},
		{"acme", "ef01", "ef01000000000000", nil},
		{"acme", "abcd111111111111", "abcd111111111111", nil},
		{"acme", "abcd", "", ErrAmbiguous},
		{"acme", "abc", "", ErrBadRef},
		{"acme", "9999", "", ErrNotFound},
		{"", "9999", "9999000000000000", nil},
	}
	for _, tt := range tests {
		s, err := db.Resolve(tt.ws, tt.ref)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("Resolve(%q, %q) error = %v, want %v", tt.ws, tt.ref, err, tt.err)
			}
			continue
		}
		if err != nil || s.ID != tt.want {
			t.Errorf("Resolve(%q, %q) = %v, %v; want %s", tt.ws, tt.ref, s, err, tt.want)
		}
	}
	_, err := db.Resolve("acme", "abcd")
	for _, want := range []string{"abcd111111111111", "abcd222222222222"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ambiguous error %v does not list %s", err, want)
		}
	}
}

// putRecord writes a snapshot record directly, with an id of the test's
// choosing.
func putRecord(t testing.TB, db *DB, s *Snapshot) {
	t.Helper()
	b, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketSnapshots).Put([]byte(s.ID), b) }); err != nil {
		t.Fatal(err)
	}
}
