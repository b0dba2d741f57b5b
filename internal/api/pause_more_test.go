package api_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
)

// TestNoRequestBetweenARetryAfterAndItsPause: concurrency 1, two requests. The
// first gets 429 Retry-After: 2. The second must not reach the server
// before the 2 seconds are over.
func TestNoRequestBetweenARetryAfterAndItsPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var mu sync.Mutex
		var at []time.Duration
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			at = append(at, time.Since(start))
			first := len(at) == 1
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			if first {
				w.Header().Set("Retry-After", "2")
				w.WriteHeader(http.StatusTooManyRequests)
				w.Write([]byte(`{"statusCode":429,"error":"Too Many Requests","message":"slow down"}`))
				return
			}
			w.Write([]byte(`{"count": 1}`))
		})
		c, err := api.New(api.Options{BaseURL: "http://fake.invalid", APIKey: api.Secret("en.read00000000000000000000000000000"),
			Concurrency: 1, MaxAttempts: 1, HTTPClient: &http.Client{Transport: inMemory{h}}})
		if err != nil {
			t.Fatal(err)
		}
		k := kindOf(t, "types")
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() { c.Count(context.Background(), k, "acme", nil) })
		}
		wg.Wait()
		if len(at) != 2 || at[1] < 2*time.Second {
			t.Errorf("arrivals %v: the second request went out inside the 2s Retry-After the first got", at)
		}
	})
}
