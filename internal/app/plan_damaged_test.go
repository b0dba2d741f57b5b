package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/enspace-sync/enspace-sync/internal/selector"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// TestPlanRefusesPackFailingChecksum: a restore plan reads the snapshot a
// chunk at a time (WalkObjects) or by key (Lookup), where no hash is
// compared with what is read. A pack whose checksum fails, though its
// record still decodes and decompresses, must stop the plan with the
// damage named (ErrCorrupt), never lend its bytes to the live workspace.
func TestPlanRefusesPackFailingChecksum(t *testing.T) {
	f := newPlanFixture(t, 30)
	cfg := f.svc.cfg
	path := cfg.Database
	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	bdb, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("packs"))
		var keys, recs [][]byte
		_ = b.ForEach(func(k, v []byte) error {
			rec := bytes.Clone(v)
			rec[1] ^= 0x01 // the checksum, not the content: it still decodes
			keys, recs = append(keys, bytes.Clone(k)), append(recs, rec)
			return nil
		})
		for i := range keys {
			if err := b.Put(keys[i], recs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := bdb.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	db, err := snapshot.Open(path, snapshot.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	svc, err := New(Options{Config: cfg, DB: db})
	if err != nil {
		t.Fatal(err)
	}
	for _, sel := range []string{"type:contracts", "item:contracts/" + f.contract} {
		s, err := selector.Parse(sel)
		if err != nil {
			t.Fatal(err)
		}
		p, err := svc.PlanRestore(context.Background(), RestoreRequest{Workspace: "acme", Selectors: []selector.Selector{s}})
		if !errors.Is(err, snapshot.ErrCorrupt) {
			steps := 0
			if p != nil && p.Plan != nil {
				steps = len(p.Plan.Steps)
			}
			t.Errorf("plan of %s over packs failing their checksum: %v (%d steps), want ErrCorrupt", sel, err, steps)
		}
	}
}
