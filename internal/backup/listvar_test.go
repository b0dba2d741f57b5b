package backup

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// TestRunPageCapWithoutCount: a server without count routes that serves at
// most 20 rows a page, whatever the limit asked: every item is stored and
// no kind fails, where the first short page used to end each type's items
// at 20, in a snapshot that looked complete.
func TestRunPageCapWithoutCount(t *testing.T) {
	res, sink := walkFake(t, fakeapi.Options{NoCount: true, PageCap: 20}, false)
	if len(res.Failed) != 0 || len(sink.failed) != 0 {
		t.Fatalf("failed kinds: %v", res.Failed)
	}
	if got := itemsStored(sink); got != 270 || res.Counts[kind.Items] != 270 {
		t.Errorf("items stored %d (counted %d), want 270", got, res.Counts[kind.Items])
	}
}

// TestRunEnvelopeTotalShort: a server without count routes whose envelope
// gives a total drops a row from the first page of each type's items, once:
// the listing, short of the total, goes on and stores every item, where it
// used to stop at the short page and store 99 items of each type in a
// snapshot that looked complete.
func TestRunEnvelopeTotalShort(t *testing.T) {
	res, sink := walkFake(t, fakeapi.Options{NoCount: true, Envelope: true, Items: 250, ShortPage: true}, false)
	if len(res.Failed) != 0 {
		t.Fatalf("failed kinds: %v", res.Failed)
	}
	if got := itemsStored(sink); got != 750 {
		t.Errorf("items stored %d, want 750", got)
	}
}

// itemIDs lists the item ids of every type of acme on srv, without faults:
// "items/<type>/<id>", the sink's keys.
func itemIDs(t *testing.T, srv *fakeapi.Server) map[string]bool {
	t.Helper()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c, err := api.New(api.Options{BaseURL: hs.URL, APIKey: fakeapi.DemoAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	k, _ := kind.ByName(kind.Items)
	for _, slug := range []string{"clients", "contracts", "invoices"} {
		parent := api.Object{Kind: kind.Types, Key: slug}
		_, err := c.List(context.Background(), k, "acme", parent, func(objs []api.Object) error {
			for _, o := range objs {
				ids[kind.Items+"/"+slug+"/"+o.Key] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// TestRunDriftSkipsRows: items are inserted and deleted while they are
// paged (half the item pages), which makes offset paging skip rows that
// were there before and after the walk. Those rows are stored (the walk
// reads a listing whose data moved once more) or the items kind fails,
// naming the figures (the snapshot is partial); the walk used to store the
// kind complete with rows missing, so the next diff showed them removed.
// One request at a time keeps each seed's story the same from run to run.
// Seeds 7 and 8 are left out: a type there has as many rows inserted as
// deleted, and lists as many rows as its count, so nothing tells (the
// caveat in the package doc of internal/api).
func TestRunDriftSkipsRows(t *testing.T) {
	for _, seed := range []int64{1, 2, 3, 4, 5, 6, 9, 10, 11, 12} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { driftSkips(t, seed) })
	}
}

func driftSkips(t *testing.T, seed int64) {
	opts := fakeapi.Options{Items: 250, Seed: seed}
	twin, err := fakeapi.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	before := itemIDs(t, twin)
	opts.Faults = fakeapi.Faults{RateDrift: 0.5}
	srv, err := fakeapi.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c, err := api.New(api.Options{BaseURL: hs.URL, APIKey: fakeapi.DemoAPIKey, PageSize: 25, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	sink := newSink()
	res, err := Run(context.Background(), c, sink, Options{Workspace: "acme", Collections: 1})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetFaults(fakeapi.Faults{})
	after := itemIDs(t, srv)
	var missing []string
	for id := range before {
		if after[id] && sink.put[id] == "" {
			missing = append(missing, id)
		}
	}
	msg := res.Failed[kind.Items]
	if len(missing) > 0 && msg == "" {
		t.Errorf("items %v were there before and after the walk, are missing, and items did not fail (failed: %q, drift: %v)", missing, msg, res.Drift)
	}
	if len(missing) == 0 && msg == "" {
		t.Log("no row skipped with this seed")
	}
	if len(missing) > 0 && !errors.Is(sink.failed[kind.Items], api.ErrShortListing) {
		t.Errorf("sink failure of items = %v, want ErrShortListing", sink.failed[kind.Items])
	}
	t.Logf("missing %d, items failure: %s", len(missing), msg)
}

// TestRunCountRouteAnswers400: a server whose count routes answer 400 (an
// assumed /items/count reaching /items/{id}, whose id check refuses
// "count"): every kind is read without counts and every item stored, where
// each counted kind used to fail on every run.
func TestRunCountRouteAnswers400(t *testing.T) {
	res, sink := walkFake(t, fakeapi.Options{CountStatus: 400}, false)
	if len(res.Failed) != 0 || len(sink.failed) != 0 {
		t.Fatalf("failed kinds: %v", res.Failed)
	}
	if got := itemsStored(sink); got != 270 {
		t.Errorf("items stored %d, want 270", got)
	}
}

// TestRunCountRouteSwitchedOff: a server that serves no items count route,
// so /items/count reaches the item route, and a client whose config
// switches the count route off: every item is stored, nothing fails.
func TestRunCountRouteSwitchedOff(t *testing.T) {
	off := map[string]string{"items.count": "none"}
	srv, err := fakeapi.New(fakeapi.Options{MovedRoutes: off})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	routes, err := api.DefaultRoutes().WithOverrides(off)
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.New(api.Options{BaseURL: hs.URL, APIKey: fakeapi.DemoAPIKey, Routes: routes})
	if err != nil {
		t.Fatal(err)
	}
	sink := newSink()
	res, err := Run(context.Background(), c, sink, Options{Workspace: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) != 0 || itemsStored(sink) != 270 {
		t.Errorf("failed %v, items stored %d; want none failed, 270", res.Failed, itemsStored(sink))
	}
	if n := srv.Requests().ByRoute["items.count"]; n != 0 {
		t.Errorf("%d items.count requests, want 0", n)
	}
}
