package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

func TestReloadsWhileClientsRun(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"count": 1}`)
	}))
	defer hs.Close()
	dir := t.TempDir()
	cfgs := []func(){}
	_ = cfgs
	a := pauseConfig(t, t.TempDir(), map[string]string{"local": "    base_url: " + hs.URL + "\n    concurrency: 2\n", "b": "    base_url: " + hs.URL + "/\n"})()
	b := pauseConfig(t, dir, map[string]string{"local": "    base_url: " + hs.URL + "\n    concurrency: 3\n", "b": "    base_url: " + hs.URL + "/\n"})()
	s, err := New(Options{Config: a})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := kind.ByName("types")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				if i == 0 {
					if j%2 == 0 {
						s.Reload(b)
					} else {
						s.Reload(a)
					}
					continue
				}
				name := "ws-local"
				if i%2 == 0 {
					name = "ws-b"
				}
				w, err := s.Workspace(name, "count")
				if err != nil {
					t.Error(err)
					return
				}
				c, err := s.Client(w)
				if err != nil {
					t.Error(err)
					return
				}
				if _, _, err := c.Count(context.Background(), k, w.Slug, nil); err != nil {
					t.Error(err)
				}
				_ = c.Stats()
				_ = c.PausedUntil()
			}
		})
	}
	wg.Wait()
}
