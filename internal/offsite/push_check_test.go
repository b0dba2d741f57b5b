package offsite

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// damagedSource returns bytes for one key that do not hash to the id
// its Walk gives, as a local database with a damaged object would.
type damagedSource struct {
	memSource
	damaged bool
}

func (d *damagedSource) Read(l Local, c, key string, id ID) ([]byte, error) {
	raw, err := d.memSource.Read(l, c, key, id)
	if d.damaged && key == "7" {
		raw = append([]byte(nil), raw...)
		raw[0] ^= 1
	}
	return raw, err
}

// TestPushRefusesDamagedLocal: local bytes that do not hash to their id
// fail the push naming the object, nothing is published, and once the
// local copy is fixed the next push uploads the right bytes.
func TestPushRefusesDamagedLocal(t *testing.T) {
	ctx := context.Background()
	r := newFileRepo(t, t.TempDir(), "a")
	src := &damagedSource{memSource: memSource{snaps: []*memSnap{day("s1", 1, 50, 0)}}, damaged: true}
	_, err := r.Push(ctx, src)
	if !errors.Is(err, ErrLocalCorrupt) || !strings.Contains(err.Error(), `"7"`) || !strings.Contains(err.Error(), "verify --repair") {
		t.Fatalf("push of damaged bytes = %v", err)
	}
	if snaps, _ := r.Snapshots(ctx); len(snaps) != 0 {
		t.Fatalf("%d snapshots published", len(snaps))
	}
	src.damaged = false
	if _, err := r.Push(ctx, src); err != nil {
		t.Fatal(err)
	}
	if got := restoreAll(t, r); !reflect.DeepEqual(got["a/s1"], want(src.snaps[0])) {
		t.Error("s1 does not restore after the local copy was fixed")
	}
	if v, err := r.Verify(ctx, true); err != nil || len(v.Problems) != 0 {
		t.Errorf("verify = %+v, %v", v, err)
	}
}
