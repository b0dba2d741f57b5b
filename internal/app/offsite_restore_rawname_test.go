package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/offsite"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// rawForged is item 7 as a holder of the key pushes it: JSON whose keys
// are not sorted (not the form ContentHash hashes), named by the SHA-256
// of these bytes.
var rawForged = []byte(`{"name":"forged","id":1}`)

type rawNamingSource struct{ dbSource }

func (f rawNamingSource) Walk(l offsite.Local, c string, fn func(string, offsite.ID) error) error {
	return f.dbSource.Walk(l, c, func(key string, id offsite.ID) error {
		if key == "1" {
			id = sha256.Sum256(rawForged)
		}
		return fn(key, id)
	})
}

func (f rawNamingSource) Read(l offsite.Local, c, key string, id offsite.ID) ([]byte, error) {
	if key == "1" {
		return rawForged, nil
	}
	return f.dbSource.Read(l, c, key, id)
}

// TestRestoreDBRefusesRawNamedObject: restore-db must refuse an object
// whose bytes do not hash (ContentHash) to the id the database would file
// them under: named by their own SHA-256, non-canonical bytes would be
// filed under an id the database's own verify --read-data calls damaged.
func TestRestoreDBRefusesRawNamedObject(t *testing.T) {
	dir := t.TempDir()
	db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	writeRoundTripDay(t, db, "acme", 1)
	ctx := context.Background()
	target := filepath.Join(dir, "target")
	lying := func(raw []byte) (offsite.ID, error) {
		if bytes.Equal(raw, rawForged) {
			return sha256.Sum256(raw), nil
		}
		return blobID(raw)
	}
	repo, err := offsite.OpenOrInit(ctx, offsite.NewFileBackend(target), offsite.Options{Password: "forged-Password-1", Name: "host-a", BlobID: lying})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Push(ctx, rawNamingSource{dbSource{db}}); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(dir, "restored.db")
	_, err = RestoreDB(ctx, RestoreDBRequest{From: "file://" + target, Password: "forged-Password-1", To: to})
	if err != nil {
		if !errors.Is(err, offsite.ErrCorrupt) {
			t.Fatalf("restore-db: %v, want it refused as corrupt", err)
		}
		return
	}
	got, err := snapshot.Open(to, snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	rep, err := got.Verify(true, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Errorf("restore-db accepted non-canonical bytes named by their raw hash; verify --read-data of the result: OK=%v problems=%v", rep.OK(), rep.Problems)
}
