package app

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/offsite"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// forgingSource pushes other bytes than the hash it names for one object,
// as a target whose data was swapped under a valid pack would hold.
type forgingSource struct{ dbSource }

func (f forgingSource) Read(l offsite.Local, collection, key string) ([]byte, error) {
	if key == "7" {
		return []byte(`{"id":7,"name":"forged"}`), nil
	}
	return f.dbSource.Read(l, collection, key)
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
	for d := 1; d <= 2; d++ {
		writeRoundTripDay(t, db, "acme", d)
	}
	ctx := context.Background()
	target := filepath.Join(dir, "target")
	repo, err := offsite.OpenOrInit(ctx, offsite.NewFileBackend(target), offsite.Options{Password: "forged-Password-1", Name: "host-a", BlobID: blobID})
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
