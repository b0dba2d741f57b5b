package snapshot

import (
	"path/filepath"
	"sync"
	"testing"
)

func TestIDMapSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.IDMap("acme", "acme-stage")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.MarkPending("types", "7"); err != nil {
		t.Fatal(err)
	}
	if err := m.Put("types", "7", "70"); err != nil {
		t.Fatal(err)
	}
	if m.Pending("types", "7") || m.Pending("items", "1001") {
		t.Error("a mark of this process reads as pending from an earlier one")
	}
	if err := m.MarkPending("items", "1001"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.Put("members", string(rune('a'+i)), "x"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err = db.IDMap("acme", "acme-stage")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := m.Target("types", "7"); !ok || got != "70" {
		t.Errorf("types 7 -> %q %v, want 70", got, ok)
	}
	if src, ok := m.Source("types", "70"); !ok || src != "7" {
		t.Errorf("source of types 70 = %q %v, want 7", src, ok)
	}
	if m.Pending("types", "7") {
		t.Error("types 7 still pending after Put")
	}
	if !m.Pending("items", "1001") {
		t.Error("items 1001 not pending after reopen")
	}
	if _, ok := m.Target("items", "1001"); ok {
		t.Error("a pending entry has a target")
	}
	if m.Len() != 21 {
		t.Errorf("Len = %d, want 21", m.Len())
	}
	if err := m.MarkPending("types", "8"); err != ErrIDMapReadOnly {
		t.Errorf("MarkPending on a read-only database: %v", err)
	}
	other, err := db.IDMap("acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	if other.Len() != 0 {
		t.Errorf("map from another source has %d entries", other.Len())
	}
}

// Entries recorded with Put but never flushed are lost with the process;
// their pending marks stay, so a later apply looks them up.
func TestIDMapUnflushedStayPending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.IDMap("acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.MarkPending("items", "1", "2"); err != nil {
		t.Fatal(err)
	}
	_ = m.Put("items", "1", "100")
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	_ = m.Put("items", "2", "200") // the process dies before the next flush
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err = db.IDMap("acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := m.Target("items", "1"); !ok || id != "100" || m.Pending("items", "1") {
		t.Errorf("flushed entry: %q %v pending=%v", id, ok, m.Pending("items", "1"))
	}
	if _, ok := m.Target("items", "2"); ok || !m.Pending("items", "2") {
		t.Errorf("unflushed entry: mapped=%v pending=%v, want only pending", ok, m.Pending("items", "2"))
	}
}

// A create sent over a stale entry (its target object was deleted since)
// is marked pending like any other: the entry is dropped, and a process
// that dies before the new id is written finds the create pending, to be
// looked up, never the stale id.
func TestIDMapMarkPendingReplacesAStaleEntry(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := db.IDMap("acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Put("types", "7", "70"); err != nil {
		t.Fatal(err)
	}
	if err := m.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := m.MarkPending("types", "7"); err != nil {
		t.Fatal(err)
	}
	if id, ok := m.Target("types", "7"); ok {
		t.Errorf("types 7 -> %s after its create was marked, want no entry", id)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if m, err = db.IDMap("acme", "acme"); err != nil {
		t.Fatal(err)
	}
	if id, ok := m.Target("types", "7"); ok || !m.Pending("types", "7") {
		t.Errorf("after reopening: types 7 -> %q %v, pending %v; want pending", id, ok, m.Pending("types", "7"))
	}
}
