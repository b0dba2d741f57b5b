package offsite

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"testing"
)

// canonID stands for the local store's ContentHash: the SHA-256 of a
// canonical form (here encoding/json's of the decoded value).
func canonID(b []byte) (ID, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return ID{}, err
	}
	c, err := json.Marshal(v)
	if err != nil {
		return ID{}, err
	}
	return sha256.Sum256(c), nil
}

// TestRestoreNamedByRawHash: whoever writes a tree chooses its names, so
// bytes not in the form BlobID hashes (or not JSON at all) named by
// their own SHA-256 are refused: a restore files an object only under
// the id BlobID gives it.
func TestRestoreNamedByRawHash(t *testing.T) {
	for _, forged := range [][]byte{[]byte(`{"name":"forged","id":7}`), []byte(`not json at all`)} {
		ctx := context.Background()
		dir := t.TempDir()
		s := day("d1", 1, 50, 0)
		s.colls["items/clients-slug"]["7"] = forged // the test push names it by sha256(forged)
		if _, err := newFileRepo(t, dir, "a").Push(ctx, &memSource{snaps: []*memSnap{s}}); err != nil {
			t.Fatal(err)
		}
		o := testOptions("a")
		o.BlobID = canonID
		r, err := Open(ctx, &fileBackend{dir: dir}, o)
		if err != nil {
			t.Fatal(err)
		}
		snaps, err := r.Snapshots(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := r.NewRestorer(ctx, snaps, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		err = rs.CollectionEntries(ctx, snaps[0], "items/clients-slug", func(string, ID) error { return nil })
		if err == nil {
			err = rs.Wait(ctx)
		}
		rs.Close()
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%q named by its raw hash: restore gave %v, want ErrCorrupt", forged, err)
		}
	}
}
