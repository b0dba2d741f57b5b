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

// TestSharedPauseHoldsEveryClientOfTheServer: two clients of one server
// with different keys (a read key and a write key) and one Pause. A 429
// with Retry-After: 2 to the first holds the second's next request until
// the two seconds are over; each client still has its own slots.
func TestSharedPauseHoldsEveryClientOfTheServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var mu sync.Mutex
		type arrival struct {
			key string
			at  time.Duration
		}
		var arrivals []arrival
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			arrivals = append(arrivals, arrival{r.Header.Get("x-api-key"), time.Since(start)})
			first := len(arrivals) == 1
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
		pause := api.NewPause()
		client := func(key string, concurrency int) *api.Client {
			c, err := api.New(api.Options{BaseURL: "http://fake.invalid", APIKey: api.Secret(key), Pause: pause,
				Concurrency: concurrency, MaxAttempts: 1, HTTPClient: &http.Client{Transport: inMemory{h}}})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		read, write := client("en.read00000000000000000000000000000", 2), client("en.write0000000000000000000000000000", 1)
		k := kindOf(t, "types")
		if _, _, err := read.Count(context.Background(), k, "acme", nil); err == nil {
			t.Fatal("the read key's count succeeded; the server answered 429")
		}
		if got, want := write.PausedUntil(), start.Add(2*time.Second); !got.Equal(want) {
			t.Errorf("the write key's client is paused until %s after the start, want %s",
				got.Sub(start), want.Sub(start))
		}
		if _, _, err := write.Count(context.Background(), k, "acme", nil); err != nil {
			t.Fatal(err)
		}
		if len(arrivals) != 2 || arrivals[1].key == arrivals[0].key || arrivals[1].at < 2*time.Second {
			t.Errorf("arrivals %+v: want the write key's request 2s after the read key's 429", arrivals)
		}
	})
}
