package api

import (
	"context"
	"testing"

	kindpkg "github.com/enspace-sync/enspace-sync/internal/kind"
)

// TestCountHookHearsTheCount: a counted listing tells the context's hook
// its count once, before paging; a listing without a count route does not.
func TestCountHookHearsTheCount(t *testing.T) {
	for _, counts := range []bool{true, false} {
		s := newListServer(42)
		s.counts = counts
		srv := serve(t, s.ServeHTTP)
		c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 10 })
		var heard []int
		ctx := WithCountHook(context.Background(), func(kind string, n int) {
			if kind != string(kindpkg.Members) {
				t.Errorf("kind %q", kind)
			}
			heard = append(heard, n)
		})
		if _, err := c.List(ctx, mustKind(t, "members"), "acme", Object{}, func([]Object) error { return nil }); err != nil {
			t.Fatal(err)
		}
		want := 0
		if counts {
			want = 1
		}
		if len(heard) != want || (want == 1 && heard[0] != 42) {
			t.Errorf("counts=%v: heard %v", counts, heard)
		}
	}
}
