package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/offsite"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// forged is what forgingSource pushes for item 7.
var forged = []byte(`{"id":7,"name":"forged"}`)

// forgingSource pushes other bytes than the hash it names for one object,
// as a target whose data was swapped under a valid pack would hold.
type forgingSource struct{ dbSource }

func (f forgingSource) Read(l offsite.Local, collection, key string, id offsite.ID) ([]byte, error) {
	if key == "7" {
		return forged, nil
	}
	return f.dbSource.Read(l, collection, key, id)
}

// TestRestoreDBRefusesForgedObject: restore-db stores no object whose
// bytes do not hash to the id the repository's index gives it; it fails,
// names the object's pack, and leaves no database behind.
func TestRestoreDBRefusesForgedObject(t *testing.T) {
	dir := t.TempDir()
	db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	writeRoundTripDay(t, db, "acme", 1) // one snapshot: item 7 has one id
	ctx := context.Background()
	target := filepath.Join(dir, "target")
	// Push checks what it uploads against its id: the forger's check
	// lies about the forged bytes, so they go up under item 7's id.
	var item7 offsite.ID
	snaps, err := db.Snapshots("acme")
	if err != nil || len(snaps) != 1 {
		t.Fatalf("snapshots: %d, %v", len(snaps), err)
	}
	if err := db.WalkObjects(snaps[0], "items/clients", func(key string, raw []byte) error {
		if key == "7" {
			item7, err = blobID(raw)
		}
		return err
	}); err != nil || item7 == (offsite.ID{}) {
		t.Fatalf("item 7: %v", err)
	}
	lying := func(raw []byte) (offsite.ID, error) {
		if bytes.Equal(raw, forged) {
			return item7, nil
		}
		return blobID(raw)
	}
	repo, err := offsite.OpenOrInit(ctx, offsite.NewFileBackend(target), offsite.Options{Password: "forged-Password-1", Name: "host-a", BlobID: lying})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Push(ctx, forgingSource{dbSource{db}}); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(dir, "restored.db")
	_, err = RestoreDB(ctx, RestoreDBRequest{From: "file://" + target, Password: "forged-Password-1", To: to})
	if !errors.Is(err, offsite.ErrCorrupt) || !strings.Contains(err.Error(), "does not hash to its id") {
		t.Fatalf("restore-db of a forged object: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "restored.db*"))
	if len(left) != 0 {
		t.Errorf("restore-db left %v", left)
	}
}

// TestPublishDBReplacesNothing: restore-db puts the rebuilt database at
// --to only when nothing is there; a file that appeared at that path
// while it rebuilt is left as it was.
func TestPublishDBReplacesNothing(t *testing.T) {
	dir := t.TempDir()
	tmp, to := filepath.Join(dir, "db.restoring"), filepath.Join(dir, "db")
	if err := os.WriteFile(tmp, []byte("rebuilt"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, []byte("someone else's"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := publishDB(tmp, to); err == nil || !strings.Contains(err.Error(), "appeared while the database was rebuilt") {
		t.Errorf("publishDB over an existing file = %v", err)
	}
	if b, _ := os.ReadFile(to); string(b) != "someone else's" {
		t.Errorf("the file at --to now holds %q", b)
	}
	if err := os.Remove(to); err != nil {
		t.Fatal(err)
	}
	if err := publishDB(tmp, to); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(to); string(b) != "rebuilt" {
		t.Errorf("the file at --to holds %q, want the rebuilt database", b)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the temporary file is still there: %v", err)
	}
}
