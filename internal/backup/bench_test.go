package backup

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

type discardSink struct{}

func (discardSink) Put(kind, parent, key string, raw []byte) error { return nil }
func (discardSink) Fail(kind string, err error)                    {}

// BenchmarkWalk walks 100,000 items of the fake at 20 ms latency with
// concurrency 8 into a sink that stores nothing: the floor that the API,
// the client and the walker set, before storage costs anything.
//
//	go test ./internal/backup -run '^$' -bench Walk -benchtime 1x
func BenchmarkWalk(b *testing.B) {
	const latency, concurrency = 20 * time.Millisecond, 8
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Items: 33_334, Faults: fakeapi.Faults{Latency: latency}})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	for i := 0; i < b.N; i++ {
		c, err := api.New(api.Options{BaseURL: hs.URL, APIKey: fakeapi.DemoAPIKey, Concurrency: concurrency})
		if err != nil {
			b.Fatal(err)
		}
		before := srv.Requests()
		start := time.Now()
		res, err := Run(context.Background(), c, discardSink{}, Options{Workspace: "acme"})
		wall := time.Since(start)
		if err != nil || len(res.Failed) > 0 {
			b.Fatalf("walk: %v %v", err, res.Failed)
		}
		after := srv.Requests()
		var pages int64
		for name, n := range after.ByRoute {
			if len(name) > 5 && name[len(name)-5:] == ".list" {
				pages += n - before.ByRoute[name]
			}
		}
		ideal := time.Duration(pages) * latency / concurrency
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(ideal.Seconds(), "ideal-s")
		b.ReportMetric(wall.Seconds()/ideal.Seconds(), "x-ideal")
		b.ReportMetric(float64(res.Counts["items"]), "items")
	}
}
