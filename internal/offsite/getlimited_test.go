package offsite

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// getCounter is a Backend without GetLimited that counts the bytes Get
// returned.
type getCounter struct {
	Backend
	read int
}

func (g *getCounter) Get(ctx context.Context, name string) ([]byte, error) {
	b, err := g.Backend.Get(ctx, name)
	g.read += len(b)
	return b, err
}

// TestSmallObjectsCapped: an oversized locks/ or keys/ object is refused
// as ErrCorrupt without being read whole, by the file and S3 backends
// and by a backend that only has Get; locks still lists it, and a
// password still opens the repository past an oversized key.
func TestSmallObjectsCapped(t *testing.T) {
	ctx := context.Background()
	big := bytes.Repeat([]byte("x"), 1<<20)
	dir := t.TempDir()
	fb := &fileBackend{dir: dir}
	newFileRepo(t, dir, "a")
	for _, n := range []string{"locks/big", "keys/0000-big"} {
		if err := fb.Put(ctx, n, big); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fb.GetLimited(ctx, "locks/big", maxLockFile); !errors.Is(err, ErrCorrupt) {
		t.Errorf("file GetLimited of an oversized object = %v", err)
	}
	if got, err := fb.GetLimited(ctx, "locks/big", 1<<20); err != nil || len(got) != 1<<20 {
		t.Errorf("file GetLimited at its size = %d bytes, %v", len(got), err)
	}
	gc := &getCounter{Backend: fb}
	r, err := Open(ctx, gc, testOptions("a"))
	if err != nil {
		t.Fatalf("open past an oversized key: %v", err)
	}
	locks, err := r.Locks(ctx)
	if err != nil || len(locks) != 1 || locks[0].Object != "big" {
		t.Errorf("locks = %+v, %v", locks, err)
	}
	if gc.read >= 1<<20 {
		t.Errorf("read %d bytes: an oversized object was read whole", gc.read)
	}

	l, _ := newFakeS3(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret-test-key")
	sb, err := OpenBackend(l, Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Put(ctx, "locks/big", big); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.(limitedGetter).GetLimited(ctx, "locks/big", maxLockFile); !errors.Is(err, ErrCorrupt) {
		t.Errorf("s3 GetLimited of an oversized object = %v", err)
	}
	if _, err := sb.(limitedGetter).GetLimited(ctx, "locks/absent", maxLockFile); !errors.Is(err, ErrNotExist) {
		t.Errorf("s3 GetLimited of an absent object = %v", err)
	}
}
