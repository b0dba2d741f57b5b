package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// damageStoredObject flips one byte of the stored bytes of the first
// object of items/contracts in the database at path, and returns its key.
func damageStoredObject(t *testing.T, path string) string {
	t.Helper()
	db, err := snapshot.Open(path, snapshot.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := db.Snapshots("")
	if err != nil || len(snaps) == 0 {
		t.Fatalf("snapshots: %v %v", snaps, err)
	}
	var key string
	var hash snapshot.Hash
	stop := errors.New("stop")
	err = db.Walk(snaps[0], "items/contracts", func(k string, h snapshot.Hash) error {
		key, hash = k, h
		return stop
	})
	if cerr := db.Close(); cerr != nil || (err != nil && err != stop) || key == "" {
		t.Fatalf("walk: %v %v %q", err, cerr, key)
	}
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bbolt.Tx) error {
		// A blob record is a format byte, the hash, the compressed bytes;
		// its index entry may still wait, so the record is found by its hash.
		blobs := tx.Bucket([]byte("blobs"))
		c := blobs.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(v) > 33 && bytes.Equal(v[1:33], hash[:]) {
				rec := bytes.Clone(v)
				rec[len(rec)-3] ^= 0x20
				return blobs.Put(bytes.Clone(k), rec)
			}
		}
		return errors.New("no blob record holds the object's hash")
	})
	if cerr := bdb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// TestDamagedObjectHealsAfterRepair (issue 17): one byte of damage in a
// stored object is named by verify --read-data; verify --repair records it;
// the next backup, against an intact server, stores the object afresh under
// the same address, so every snapshot, the old ones too, verifies clean.
func TestDamagedObjectHealsAfterRepair(t *testing.T) {
	dir, cfg := backedUpDemo(t)
	key := damageStoredObject(t, filepath.Join(dir, "db", "enspace-sync.db"))
	named := `items/contracts key "` + key + `"`

	out, err := runSelf(t, "verify", "--config", cfg, "--read-data")
	if code := exitStatus(err); code != 1 || !strings.Contains(out, named) {
		t.Fatalf("verify --read-data of the damaged object: exit %d, want 1 naming %s\n%s", code, named, out)
	}
	out, err = runSelf(t, "verify", "--config", cfg, "--repair")
	if err != nil || !strings.Contains(out, "recorded") || !strings.Contains(out, named) {
		t.Fatalf("verify --repair: %v\n%s", err, out)
	}
	out, err = runSelf(t, "backup", "--config", cfg)
	if err != nil || strings.Contains(out, "partial") {
		t.Fatalf("backup after the repair: %v\n%s", err, out)
	}
	if healed := `healed: items/contracts "` + key + `"`; !strings.Contains(out, healed) {
		t.Errorf("backup after the repair does not say %s:\n%s", healed, out)
	}
	out, err = runSelf(t, "snapshots", "--config", cfg, "--json")
	var snaps []struct {
		Healed []struct{ Collection, Key, Hash string } `json:"healed"`
	}
	if err != nil || json.Unmarshal([]byte(out), &snaps) != nil || len(snaps) != 2 || len(snaps[0].Healed) != 0 ||
		len(snaps[1].Healed) != 1 || snaps[1].Healed[0].Key != key || snaps[1].Healed[0].Collection != "items/contracts" ||
		len(snaps[1].Healed[0].Hash) != 64 {
		t.Errorf("snapshots --json: %v\n%s", err, out)
	}
	out, err = runSelf(t, "verify", "--config", cfg, "--read-data")
	if err != nil || !strings.Contains(out, "checked structure and data of 2 snapshots") || !strings.Contains(out, "no damage found") {
		t.Fatalf("verify --read-data after the healing backup: %v\n%s", err, out)
	}
}

// TestBackupRefusesStructuralDamage: once verify --repair found damage no
// backup heals (a stored record gone), backup refuses, naming the command;
// the check's record is what it consults.
func TestBackupRefusesStructuralDamage(t *testing.T) {
	dir, cfg := backedUpDemo(t)
	deleteFirstRecord(t, filepath.Join(dir, "db", "enspace-sync.db"), "chunks")
	out, err := runSelf(t, "verify", "--config", cfg, "--repair")
	if code := exitStatus(err); code != 1 || !strings.Contains(out, "not repairable") {
		t.Fatalf("verify --repair of a missing chunk: exit %d\n%s", code, out)
	}
	out, err = runSelf(t, "backup", "--config", cfg)
	if err == nil || !strings.Contains(out, "enspace-sync verify --repair") || !strings.Contains(out, "structural") {
		t.Fatalf("backup into a structurally damaged database: %v\n%s", err, out)
	}
}
