package offsite

import (
	"context"
	"testing"
)

// listHook runs hook once, just before the first listing of prefix.
type listHook struct {
	Backend
	prefix string
	hook   func()
}

func (h *listHook) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	if prefix == h.prefix && h.hook != nil {
		f := h.hook
		h.hook = nil
		f()
	}
	return h.Backend.List(ctx, prefix, fn)
}

// TestVerifyBesideAPush: a push that completes while verify lists the
// target (a cron'd verify while the daemon pushes after a backup) is not
// reported as damage, whichever listing it lands between.
func TestVerifyBesideAPush(t *testing.T) {
	for _, prefix := range []string{"snapshots/", "index/", "data/"} {
		t.Run(prefix, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			a := newFileRepo(t, dir, "a")
			s1 := day("s1", 1, 500, 0)
			if _, err := a.Push(ctx, &memSource{snaps: []*memSnap{s1}}); err != nil {
				t.Fatal(err)
			}
			hb := &listHook{Backend: &fileBackend{dir: dir}, prefix: prefix}
			v, err := Open(ctx, hb, testOptions("v"))
			if err != nil {
				t.Fatal(err)
			}
			hb.hook = func() {
				if _, err := a.Push(ctx, &memSource{snaps: []*memSnap{s1, day("s2", 2, 500, 500)}}); err != nil {
					t.Error(err)
				}
			}
			for _, readData := range []bool{false, true} {
				rep, err := v.Verify(ctx, readData)
				if err != nil || len(rep.Problems) != 0 {
					t.Errorf("verify (read data %v) beside a push = %v, %+v", readData, err, rep.Problems)
				}
			}
			if hb.hook != nil {
				t.Fatal("the push never ran")
			}
		})
	}
}
