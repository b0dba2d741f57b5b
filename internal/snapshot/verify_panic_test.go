package snapshot

import (
	"os"
	"path/filepath"
	"testing"
)

// TestVerifyDamagedPageHeaders damages the type bytes of a page header,
// one page at a time for 20 pages: Verify reports the damage (or Open
// refuses the file) and never panics.
func TestVerifyDamagedPageHeaders(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "good.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		snapshotOf(t, db, "acme", 400, func(id int) int { return i })
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const pageSize = 4096
	pages := len(good) / pageSize
	if pages < 22 {
		t.Fatalf("the database has %d pages, want at least 22", pages)
	}
	reported := 0
	for page := 2; page < 22; page++ { // pages 0 and 1 are the meta pages
		bad := append([]byte(nil), good...)
		bad[page*pageSize+8], bad[page*pageSize+9] = 0xff, 0xff // the page's flags (its type)
		p := filepath.Join(dir, "bad.db")
		if err := os.WriteFile(p, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("page %d: panic: %v", page, r)
				}
			}()
			db, err := Open(p, Options{Logger: quiet, ReadOnly: true})
			if err != nil {
				reported++
				return
			}
			defer db.Close()
			rep, err := db.Verify(true, nil)
			if err != nil || !rep.OK() {
				reported++
			}
		}()
	}
	t.Logf("%d of 20 damaged pages reported (the others are free pages)", reported)
	if reported == 0 {
		t.Error("no damaged page was reported")
	}
}
