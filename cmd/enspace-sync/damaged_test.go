package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// TestDaemonRefusesDamagedDatabase: with stored objects gone from the
// database (a pack deleted), verify names the damage and `run` refuses to start instead of
// writing new snapshots over it.
func TestDaemonRefusesDamagedDatabase(t *testing.T) {
	dir, cfg := backedUpDemo(t)
	deleteFirstRecord(t, filepath.Join(dir, "db", "enspace-sync.db"), "packs")

	out, err := runSelf(t, "verify", "--config", cfg)
	if err == nil || !strings.Contains(out, "blob") {
		t.Errorf("verify of a damaged database: %v\n%s", err, out)
	}
	// --json names each problem by snapshot, collection, key and error.
	jout, err := selfCommand("verify", "--config", cfg, "--json").Output()
	var rep struct {
		OK       bool `json:"ok"`
		Problems []struct {
			Snapshot, Collection, Key, Error string
		} `json:"problems"`
	}
	if jerr := json.Unmarshal(jout, &rep); err == nil || jerr != nil || rep.OK || len(rep.Problems) == 0 ||
		rep.Problems[0].Snapshot == "" || rep.Problems[0].Collection == "" || rep.Problems[0].Error == "" {
		t.Errorf("verify --json of a damaged database: %v, %v\n%s", err, jerr, jout)
	}
	out, err = runSelf(t, "run", "--config", cfg)
	if err == nil {
		t.Fatalf("run started on a damaged database:\n%s", out)
	}
	if !strings.Contains(out, "is damaged") || !strings.Contains(out, "the daemon does not write to it") {
		t.Errorf("run's refusal does not say why:\n%s", out)
	}
}

// backedUpDemo starts a fake with the demo data, writes a config for it and
// backs it up once: the test's directory and config.
func backedUpDemo(t *testing.T) (dir, cfg string) {
	t.Helper()
	dir, cfg = demoConfig(t)
	if out, err := runSelf(t, "backup", "--config", cfg); err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	return dir, cfg
}

// deleteFirstRecord deletes the first record of a bucket of the database
// file at path, as damage would.
func deleteFirstRecord(t *testing.T, path, bucket string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		c := tx.Bucket([]byte(bucket)).Cursor()
		k, _ := c.First()
		return c.Bucket().Delete(k)
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}
