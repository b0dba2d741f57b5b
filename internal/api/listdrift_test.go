package api

import (
	"errors"
	"slices"
	"testing"
)

// TestListShortOfBothCounts: the server loses a row of page 2 every time,
// and a row is deleted once the count was taken: the listing holds 43
// objects, fewer than the count before (45) and after (44). It fails with
// ErrShortListing, naming both counts, where it used to end as drift only
// and the kind was stored complete.
func TestListShortOfBothCounts(t *testing.T) {
	s := newListServer(45)
	s.counts, s.dropPage, s.dropAlways = true, 2, true
	deleted := false
	s.afterCount = func(s *listServer) {
		if !deleted {
			s.objs, deleted = s.objs[:44], true
		}
	}
	res, _, err := listAll(t, s, "members", Object{}, nil)
	const want = "listed 43 members, fewer than the count before paging (45) and after (44): rows went missing while the data changed: the server returned fewer than its count"
	if !errors.Is(err, ErrShortListing) || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	if res.Objects != 43 || !res.Drift {
		t.Errorf("result = %+v, want 43 objects with drift", res)
	}
}

// TestListRereadsAfterDrift: two listed rows are deleted after page 1, so
// offset paging skips the two rows that move into page 1's place. The
// count moved, so the listing reads the pages once more and holds every
// row that is still there (and the two it listed before they went).
func TestListRereadsAfterDrift(t *testing.T) {
	s := newListServer(45)
	s.counts = true
	deleted := false
	s.afterPage = func(s *listServer, page int) {
		if page == 1 && !deleted {
			s.objs, deleted = s.objs[2:], true
		}
	}
	res, got, err := listAll(t, s, "members", Object{}, func(o *Options) { o.Concurrency = 1 })
	if err != nil {
		t.Fatal(err)
	}
	if ids := sortedIDs(got); !slices.Equal(ids, seq(1, 45)) {
		t.Errorf("ids = %v, want 1..45 (rows 11 and 12 were skipped by the first pass)", ids)
	}
	if res.Count != 45 || !res.Drift {
		t.Errorf("result = %+v, want count 45 and drift", res)
	}
}
