package backup

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// TestRunRequests logs the requests a backup of the demo workspace sends,
// by route, with and without count routes (the figures of the package doc
// of internal/api).
func TestRunRequests(t *testing.T) {
	for _, opts := range []fakeapi.Options{{}, {NoCount: true}, {PageCap: 50}, {NoCount: true, PageCap: 20}} {
		srv, err := fakeapi.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		c, err := api.New(api.Options{BaseURL: hs.URL, APIKey: fakeapi.DemoAPIKey})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(context.Background(), c, newSink(), Options{Workspace: "acme"})
		hs.Close()
		if err != nil {
			t.Fatal(err)
		}
		rc := srv.Requests()
		t.Logf("nocount=%v cap=%d: %d requests, failed %v, by route %v", opts.NoCount, opts.PageCap, rc.Total, res.Failed, rc.ByRoute)
	}
}
