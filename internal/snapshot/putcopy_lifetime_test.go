package snapshot

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPutCopySameDBConcurrent: two runs of one database at once, of
// overlapping content (so batches find blobs the other run stored
// meanwhile: recheck, dropStored), from one scribbled buffer each, tiny
// batches: every object reads back as put, verify --read-data is clean.
func TestPutCopySameDBConcurrent(t *testing.T) {
	const n = 3000
	db := openTestOpts(t, Options{BatchObjects: 23, BatchBytes: 1 << 30})
	raw := func(i int) []byte {
		return fmt.Appendf(nil, `{"id":%d,"text":%q}`, i, strings.Repeat(string(rune('a'+i%26)), i%700))
	}
	snaps := make([]*Snapshot, 2)
	var wg sync.WaitGroup
	for r, ws := range []string{"acme", "acme-stage"} {
		wg.Go(func() {
			w, err := db.Begin(ws, t0)
			if err != nil {
				t.Error(err)
				return
			}
			var page []byte
			for j := 1; j <= n; j++ {
				i := j
				if r == 1 {
					i = n + 1 - j // the other order
				}
				b := raw(i)
				h, _ := ContentHash(b)
				page = append(page[:0], b...)
				if err := w.PutCopy("items", "contracts", fmt.Sprint(i), h, page); err != nil {
					t.Error(err)
					return
				}
				for k := range page {
					page[k] = '#'
				}
			}
			s, err := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Minute)})
			if err != nil {
				t.Error(err)
				return
			}
			snaps[r] = s
		})
	}
	wg.Wait()
	for r, s := range snaps {
		if s == nil {
			t.Fatal("no snapshot")
		}
		for i := 1; i <= n; i++ {
			got, ok, err := db.Lookup(s, "items/contracts", fmt.Sprint(i))
			if err != nil || !ok || string(got) != string(raw(i)) {
				t.Fatalf("run %d: lookup %d = %.40q, %v, %v", r, i, got, ok, err)
			}
		}
	}
	rep, err := db.Verify(true, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %+v", err, rep.Problems)
	}
}

// TestPutCopyEmpty: PutCopy of empty, non-nil bytes.
func TestPutCopyEmpty(t *testing.T) {
	db := openTestOpts(t, Options{BatchObjects: 10, BatchBytes: 1 << 30})
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := ContentHash([]byte(`{"x":1}`))
	err = w.PutCopy("items", "contracts", "1", h, []byte{})
	t.Logf("PutCopy(empty): %v", err)
	_, cerr := w.Commit(CommitInfo{FinishedAt: t0.Add(time.Minute)})
	t.Logf("Commit: %v", cerr)
	if err == nil {
		t.Errorf("PutCopy accepted empty bytes, then the run failed at commit: %v", cerr)
	}
}
