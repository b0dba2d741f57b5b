package app

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/offsite"
)

// TestRestoreDBPacksMissing: restore-db reads the trees while it files
// objects; a target whose packs (trees and objects) are gone fails it
// with the missing object's error and leaves nothing at --to.
func TestRestoreDBPacksMissing(t *testing.T) {
	dir := t.TempDir()
	db := openOrigDB(t, dir)
	writeRoundTripDay(t, db, "acme", 1)
	ctx := context.Background()
	target := filepath.Join(dir, "target")
	repo, err := offsite.OpenOrInit(ctx, offsite.NewFileBackend(target), offsite.Options{Password: "missing-Password-1", Name: "host-a", BlobID: blobID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Push(ctx, dbSource{db}); err != nil {
		t.Fatal(err)
	}
	packs, _ := filepath.Glob(filepath.Join(target, "data", "*"))
	if len(packs) == 0 {
		t.Fatal("no pack on the target")
	}
	for _, p := range packs {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	to := filepath.Join(dir, "restored.db")
	_, err = RestoreDB(ctx, RestoreDBRequest{From: "file://" + target, Password: "missing-Password-1", To: to})
	if !errors.Is(err, offsite.ErrNotExist) {
		t.Fatalf("restore-db without packs: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "restored.db*"))
	if len(left) != 0 {
		t.Errorf("restore-db left %v", left)
	}
}
