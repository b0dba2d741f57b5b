package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"go.etcd.io/bbolt"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// damageStoredObject flips one byte of the stored bytes of the first
// object of items/contracts in the database at path, and returns its key.
// Objects are stored compressed together in packs: the byte damages every
// object of the pack.
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
	var raw []byte
	if err == stop {
		raw, err = db.Blob(hash)
	}
	if cerr := db.Close(); cerr != nil || err != nil || key == "" {
		t.Fatalf("walk: %v %v %q", err, cerr, key)
	}
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bbolt.Tx) error {
		// A pack is a header, its objects as one zstd frame, and a
		// checksum; the pack that holds the object is found by its
		// bytes (format-4 headers listed hashes, format 5 does not).
		packs := tx.Bucket([]byte("packs"))
		c := packs.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if packHolds(v, raw) {
				rec := bytes.Clone(v)
				rec[len(rec)-3] ^= 0x20
				return packs.Put(bytes.Clone(k), rec)
			}
		}
		return errors.New("no pack holds the object's hash")
	})
	if cerr := bdb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// packHolds reports whether the zstd frame in the pack record rec holds
// the bytes raw.
func packHolds(rec, raw []byte) bool {
	at := bytes.Index(rec, []byte{0x28, 0xb5, 0x2f, 0xfd})
	if at < 0 {
		return false
	}
	dec, err := zstd.NewReader(bytes.NewReader(rec[at:]))
	if err != nil {
		return false
	}
	defer dec.Close()
	out, _ := io.ReadAll(dec) // the checksum after the frame reads as an error
	return bytes.Contains(out, raw)
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
	// Every object of the damaged pack is named, once (one snapshot).
	jout, _ := selfCommand("verify", "--config", cfg, "--read-data", "--json").Output()
	var rep struct {
		Problems []struct{ Collection, Key string } `json:"problems"`
	}
	if err := json.Unmarshal(jout, &rep); err != nil || len(rep.Problems) == 0 {
		t.Fatalf("verify --read-data --json: %v\n%s", err, jout)
	}
	out, err = runSelf(t, "verify", "--config", cfg, "--repair")
	if err != nil || !strings.Contains(out, "recorded") || !strings.Contains(out, named) {
		t.Fatalf("verify --repair: %v\n%s", err, out)
	}
	out, err = runSelf(t, "backup", "--config", cfg)
	if err != nil || strings.Contains(out, "partial") {
		t.Fatalf("backup after the repair: %v\n%s", err, out)
	}
	// The output lists the first objects healed and counts the rest;
	// snapshots --json lists them all.
	if !strings.Contains(out, "healed: ") || !strings.Contains(out, "its stored copy was damaged and is stored afresh") {
		t.Errorf("backup after the repair does not say what it healed:\n%s", out)
	}
	out, err = runSelf(t, "snapshots", "--config", cfg, "--json")
	var snaps []struct {
		Healed []struct{ Collection, Key, Hash string } `json:"healed"`
	}
	if err != nil || json.Unmarshal([]byte(out), &snaps) != nil || len(snaps) != 2 || len(snaps[0].Healed) != 0 ||
		len(snaps[1].Healed) != len(rep.Problems) {
		t.Fatalf("snapshots --json: %v, want the %d objects verify named healed\n%s", err, len(rep.Problems), out)
	}
	found := false
	for _, h := range snaps[1].Healed {
		found = found || (h.Key == key && h.Collection == "items/contracts" && len(h.Hash) == 64)
	}
	if !found {
		t.Errorf("snapshots --json does not list items/contracts %q healed:\n%s", key, out)
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
