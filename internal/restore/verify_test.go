package restore

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// liveTarget is the fake server behind an optional handler that changes
// its behaviour, with a client that counts requests by method.
type liveTarget struct {
	srv    *fakeapi.Server
	client *api.Client
	mu     sync.Mutex
	counts map[string]int
}

type countingTransport struct {
	lt   *liveTarget
	base http.RoundTripper
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.lt.mu.Lock()
	c.lt.counts[r.Method]++
	c.lt.mu.Unlock()
	return c.base.RoundTrip(r)
}

func newLiveTarget(t *testing.T, opts fakeapi.Options, wrap func(http.Handler) http.Handler) *liveTarget {
	t.Helper()
	opts.Items = 3
	srv, err := fakeapi.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	lt := &liveTarget{srv: srv, counts: map[string]int{}}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	lt.client, err = api.New(api.Options{BaseURL: hs.URL, APIKey: fakeapi.DemoAPIKey, Timeout: 10 * time.Second,
		MaxAttempts: 1, HTTPClient: &http.Client{Transport: countingTransport{lt, tr}}})
	if err != nil {
		t.Fatal(err)
	}
	return lt
}

func (lt *liveTarget) reset() map[string]int {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	out := lt.counts
	lt.counts = map[string]int{}
	return out
}

// read reads the types, fields and items of the given types of acme.
func (lt *liveTarget) read(t *testing.T, slugs ...string) *Set {
	t.Helper()
	ctx := context.Background()
	set := NewSet()
	put := func(objs []api.Object) error {
		for _, o := range objs {
			if err := set.Put(o.Kind, o.Parent, o.Key, o.Raw); err != nil {
				return err
			}
		}
		return nil
	}
	var types []api.Object
	if _, err := lt.client.List(ctx, kind.Of(kind.Types), "acme", api.Object{}, func(objs []api.Object) error {
		for _, o := range objs {
			if contains(slugs, o.Key) {
				types = append(types, o)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := put(types); err != nil {
		t.Fatal(err)
	}
	for _, ty := range types {
		for _, name := range []kind.Name{kind.Fields, kind.Items} {
			if _, err := lt.client.List(ctx, kind.Of(name), "acme", ty, put); err != nil {
				t.Fatal(err)
			}
		}
	}
	return set
}

// withoutKey returns set with key removed from the data of item id.
func withoutKey(t *testing.T, set *Set, id, key string) *Set {
	t.Helper()
	out := NewSet()
	for _, name := range []kind.Name{kind.Types, kind.Fields, kind.Items} {
		for _, o := range set.Of(name) {
			raw := o.Raw
			if name == kind.Items && o.ID == id {
				m := copyFields(o)
				delete(m["data"].(map[string]any), key)
				raw = marshalRaw(m)
			}
			if err := out.Put(name, o.Parent, o.Key, raw); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// staleCase restores into acme a snapshot in which one client and one
// contract (which has a relation value) lack a key the live items have.
type staleCase struct {
	lt               *liveTarget
	source           *Set
	ids              *memIDs
	client, contract string
	operation        string
	sameWorkspace    bool
}

func newStaleCase(t *testing.T, lt *liveTarget, operation string) *staleCase {
	t.Helper()
	live := lt.read(t, "clients", "contracts")
	c := &staleCase{lt: lt, ids: newMemIDs(), operation: operation, sameWorkspace: operation == "restore"}
	clients, contracts := live.Children(kind.Items, "clients"), live.Children(kind.Items, "contracts")
	if len(clients) == 0 || len(contracts) == 0 {
		t.Fatal("the demo has no clients or contracts")
	}
	c.client, c.contract = clients[0].ID, contracts[0].ID
	if d := contracts[0].Fields()["data"].(map[string]any); d["client"] == nil || d["status"] == nil {
		t.Fatalf("contract %s has no client or status: %v", c.contract, d)
	}
	src := withoutKey(t, live, c.client, "city")
	c.source = withoutKey(t, src, c.contract, "status")
	if !c.sameWorkspace {
		// A replicate matches items through the id map only.
		for _, o := range live.Of(kind.Items) {
			_ = c.ids.Put(kind.Items, o.ID, o.ID)
		}
	}
	return c
}

func (c *staleCase) plan(t *testing.T) *Plan {
	t.Helper()
	p, err := Build(Input{Operation: c.operation, Source: c.source, SourceName: "snap", Target: c.lt.read(t, "clients", "contracts"),
		TargetName: "acme", Select: SelectAll(), Same: c.sameWorkspace, IDs: c.ids})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (c *staleCase) apply(t *testing.T, p *Plan) (Summary, error) {
	t.Helper()
	c.lt.reset()
	e := &Engine{Client: c.lt.client, Workspace: "acme", IDs: c.ids}
	return e.Apply(context.Background(), p)
}

// TestVerifyMergingServerConverges: against a server that merges item data
// on update, a restore (and a replicate) of items whose snapshot lacks a
// key the live items have removes the key: every step is done, the key
// was sent again as null, and a second plan writes nothing. A relation
// value the plan leaves alone is kept, on a server that replaces data too.
func TestVerifyMergingServerConverges(t *testing.T) {
	for _, op := range []string{"restore", "replicate"} {
		for _, variant := range []string{"merge-on-update", "default", "replace-on-update"} {
			name := op + "/" + variant
			replace := variant == "replace-on-update"
			t.Run(name, func(t *testing.T) {
				lt := newLiveTarget(t, fakeapi.Options{MergeOnUpdate: variant == "merge-on-update", ReplaceOnUpdate: replace}, nil)
				c := newStaleCase(t, lt, op)
				p := c.plan(t)
				if w := p.Writes(); w != 2 {
					t.Fatalf("first plan writes %d, want 2: %s", w, dump(p))
				}
				sum, err := c.apply(t, p)
				if err != nil {
					t.Fatalf("apply: %v: %s", err, dump(p))
				}
				if sum[StatusDone] != 2 || sum[StatusFailed] != 0 {
					t.Errorf("summary %v, want 2 done", sum)
				}
				for _, key := range []string{c.client, c.contract} {
					s := stepFor(t, p, kind.Items, key)
					if s.Result == nil || s.Result.Status != StatusDone || replace == strings.Contains(s.Result.Note, "sent again as null") {
						t.Errorf("item %s: result %+v, want done, sent again as null unless the server replaces", key, s.Result)
					}
				}
				// Two updates per item: the write, and the kept key as
				// null; one on a server that replaces data.
				want := 4
				if replace {
					want = 2
				}
				if got := lt.reset(); got["PUT"] != want || got["GET"] != 0 {
					t.Errorf("requests %v, want %d PUT and no GET", got, want)
				}
				again := c.plan(t)
				if w := again.Writes(); w != 0 {
					t.Fatalf("second plan writes %d, want 0: %s", w, dump(again))
				}
				live := lt.read(t, "contracts")
				d := live.ByID(kind.Items, c.contract).Fields()["data"].(map[string]any)
				if d["client"] == nil {
					t.Errorf("the contract lost its client: %v", d)
				}
			})
		}
	}
}

// TestVerifyOneRequestPerWrite: a server that keeps nothing it should not
// costs one request per write.
func TestVerifyOneRequestPerWrite(t *testing.T) {
	lt := newLiveTarget(t, fakeapi.Options{MergeOnUpdate: true}, nil)
	live := lt.read(t, "clients")
	id := live.Children(kind.Items, "clients")[0].ID
	source := NewSet()
	for _, name := range []kind.Name{kind.Types, kind.Fields, kind.Items} {
		for _, o := range live.Of(name) {
			raw := o.Raw
			if o.ID == id && name == kind.Items {
				m := copyFields(o)
				m["data"].(map[string]any)["city"] = "Olinda"
				raw = marshalRaw(m)
			}
			if err := source.Put(name, o.Parent, o.Key, raw); err != nil {
				t.Fatal(err)
			}
		}
	}
	c := &staleCase{lt: lt, source: source, ids: newMemIDs(), operation: "restore", sameWorkspace: true}
	p := c.plan(t)
	if _, err := c.apply(t, p); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if got := lt.reset(); got["PUT"] != 1 || got["GET"] != 0 {
		t.Errorf("requests %v, want 1 PUT", got)
	}
	if s := stepFor(t, p, kind.Items, id); s.Result.Status != StatusDone || s.Result.Note != "" {
		t.Errorf("result %+v", s.Result)
	}
}

// keepNulls is a server that ignores nulls in item updates: it keeps the
// key even when sent null.
func keepNulls(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/items/") {
			var body map[string]map[string]any
			raw, _ := io.ReadAll(r.Body)
			if json.Unmarshal(raw, &body) == nil {
				for k, v := range body["data"] {
					if v == nil {
						delete(body["data"], k)
					}
				}
				raw, _ = json.Marshal(body)
			}
			r.Body = io.NopCloser(bytes.NewReader(raw))
			r.ContentLength = int64(len(raw))
		}
		next.ServeHTTP(w, r)
	})
}

// TestVerifyServerKeepsKey: a server that keeps a key even when it is sent
// as null fails the step, naming the key.
func TestVerifyServerKeepsKey(t *testing.T) {
	lt := newLiveTarget(t, fakeapi.Options{MergeOnUpdate: true}, keepNulls)
	c := newStaleCase(t, lt, "restore")
	p := c.plan(t)
	sum, err := c.apply(t, p)
	if err == nil || sum[StatusFailed] != 2 {
		t.Fatalf("apply: %v, %v; want 2 failed", err, sum)
	}
	for key, path := range map[string]string{c.client: "data.city", c.contract: "data.status"} {
		s := stepFor(t, p, kind.Items, key)
		if s.Result.Status != StatusFailed || s.Result.Error != "the server kept "+path {
			t.Errorf("item %s: result %+v, want failed: the server kept %s", key, s.Result, path)
		}
	}
}

// noContent is a server that answers updates with 204 and no body.
func noContent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if rec.Code/100 != 2 {
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// TestVerifyNoContentReadsBack: a server that answers an update without
// the object is asked for it before the step is judged.
func TestVerifyNoContentReadsBack(t *testing.T) {
	lt := newLiveTarget(t, fakeapi.Options{MergeOnUpdate: true}, noContent)
	c := newStaleCase(t, lt, "restore")
	p := c.plan(t)
	sum, err := c.apply(t, p)
	if err != nil || sum[StatusDone] != 2 {
		t.Fatalf("apply: %v, %v: %s", err, sum, dump(p))
	}
	// Per item: the write, a read back, the null, a read back.
	if got := lt.reset(); got["PUT"] != 4 || got["GET"] != 4 {
		t.Errorf("requests %v, want 4 PUT and 4 GET", got)
	}
	if w := c.plan(t).Writes(); w != 0 {
		t.Errorf("second plan writes %d, want 0", w)
	}
}
