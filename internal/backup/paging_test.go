package backup

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// walkFake backs up workspace acme of a demo fake served with opts (60 + 90
// + 120 items) through a real client of page size 100.
func walkFake(t *testing.T, opts fakeapi.Options, noContinuation bool) (*Result, *memSink) {
	t.Helper()
	srv, err := fakeapi.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c, err := api.New(api.Options{BaseURL: hs.URL, APIKey: fakeapi.DemoAPIKey, NoPageContinuation: noContinuation})
	if err != nil {
		t.Fatal(err)
	}
	sink := newSink()
	res, err := Run(context.Background(), c, sink, Options{Workspace: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	return res, sink
}

// itemsStored counts the items in the sink.
func itemsStored(s *memSink) int {
	n := 0
	for k := range s.put {
		if strings.HasPrefix(k, kind.Items+"/") {
			n++
		}
	}
	return n
}

// TestRunPageCap: against a server capping pages at 50, every kind is read
// and every item stored; with continuation off, items fail with the
// figures, so the snapshot is partial, never complete with half the items.
func TestRunPageCap(t *testing.T) {
	res, sink := walkFake(t, fakeapi.Options{PageCap: 50}, false)
	if len(res.Failed) != 0 || len(sink.failed) != 0 {
		t.Fatalf("failed kinds: %v", res.Failed)
	}
	if got := itemsStored(sink); got != 270 || res.Counts[kind.Items] != 270 {
		t.Errorf("items stored %d (counted %d), want 270", got, res.Counts[kind.Items])
	}

	res, sink = walkFake(t, fakeapi.Options{PageCap: 50}, true)
	msg := res.Failed[kind.Items]
	if !strings.Contains(msg, "listed 100 of 120 items of type invoices: the server returned fewer than its count") ||
		!strings.Contains(msg, "listed 50 of 90 items of type contracts") || !strings.Contains(msg, "listed 50 of 60 items of type clients") {
		t.Errorf("items failure = %q, want the listed/count figures of each type", msg)
	}
	if err := sink.failed[kind.Items]; !errors.Is(err, api.ErrShortListing) {
		t.Errorf("sink failure of items = %v, want ErrShortListing (the snapshot is partial)", err)
	}
	if got := itemsStored(sink); got != 200 {
		t.Errorf("items stored %d, want the 200 listed", got)
	}
}

// TestRunShortPage: one page per collection comes back one object short,
// once: the walk re-reads it and stores every item, or would fail the kind;
// it never stores a complete kind with an item missing.
func TestRunShortPage(t *testing.T) {
	res, sink := walkFake(t, fakeapi.Options{ShortPage: true, Items: 250}, false)
	if len(res.Failed) != 0 {
		t.Fatalf("failed kinds: %v", res.Failed)
	}
	if got := itemsStored(sink); got != 750 {
		t.Errorf("items stored %d, want 750", got)
	}
	res, _ = walkFake(t, fakeapi.Options{ShortPage: true, Items: 250}, true)
	if msg := res.Failed[kind.Items]; !strings.Contains(msg, "listed 249 of 250 items of type") {
		t.Errorf("without continuation: items failure = %q, want listed 249 of 250", msg)
	}
}
