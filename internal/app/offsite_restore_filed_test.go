package app

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
	"go.etcd.io/bbolt"
)

// TestRestoreDBFilesBlobIndex: the database restore-db links into place
// has no blob index entry waiting (snapshot.DB.FileBlobIndex before it
// closes it): the watermark of filed entries is the last blob id, and no
// record of waiting prefixes is left for the next open to read back.
func TestRestoreDBFilesBlobIndex(t *testing.T) {
	dir := t.TempDir()
	db, err := snapshot.Open(filepath.Join(dir, "orig.db"), snapshot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for d := 1; d <= 3; d++ {
		writeChainDay(t, db, d)
	}
	svc := offsiteTestService(t, dir, db, "filed-Password-1")
	ctx := context.Background()
	if _, err := svc.OffsitePush(ctx, ""); err != nil {
		t.Fatal(err)
	}
	rep, err := RestoreDB(ctx, RestoreDBRequest{From: "file://" + dir + "/target", Password: "filed-Password-1", To: filepath.Join(dir, "restored.db")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bbolt.Open(rep.To, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.View(func(tx *bbolt.Tx) error {
		seq := tx.Bucket([]byte("blobs")).Sequence()
		wm, err := strconv.ParseUint(string(tx.Bucket([]byte("meta")).Get([]byte("blobs-filed"))), 10, 64)
		if err != nil || seq == 0 || wm != seq {
			t.Errorf("blobs filed through %d (%v), want %d: the last blob id", wm, err, seq)
		}
		if wp := tx.Bucket([]byte("wait-prefixes")); wp != nil {
			if k, _ := wp.Cursor().First(); k != nil {
				t.Errorf("waiting prefixes left from blob %x on", k)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
