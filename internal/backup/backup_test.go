package backup

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// memSource serves fixed objects per collection ("types", "items/contracts",
// "stages/4") and fails the collections named in fail.
type memSource struct {
	data map[string][]string // collection -> raw objects
	fail map[string]error
	mu   sync.Mutex
	seen []string
}

func (s *memSource) collection(k *kind.Kind, parent api.Object) string {
	if k.Parent == "" {
		return k.Name
	}
	params, _ := api.ParentParams(k, parent)
	return k.Name + "/" + params[k.ParentParam]
}

func (s *memSource) List(ctx context.Context, k *kind.Kind, ws string, parent api.Object, fn func([]api.Object) error) (api.ListResult, error) {
	c := s.collection(k, parent)
	s.mu.Lock()
	s.seen = append(s.seen, c)
	s.mu.Unlock()
	if err := s.fail[c]; err != nil {
		return api.ListResult{}, err
	}
	var objs []api.Object
	for _, raw := range s.data[c] {
		o, err := api.NewObject(k, "", []byte(raw))
		if err != nil {
			return api.ListResult{}, err
		}
		objs = append(objs, o)
	}
	if len(objs) > 0 {
		if err := fn(objs); err != nil {
			return api.ListResult{}, err
		}
	}
	return api.ListResult{Objects: len(objs), Pages: 1}, nil
}

func (s *memSource) Get(ctx context.Context, k *kind.Kind, ws string, params map[string]string) (api.Object, error) {
	if err := s.fail[k.Name]; err != nil {
		return api.Object{}, err
	}
	return api.NewObject(k, "", []byte(s.data[k.Name][0]))
}

type memSink struct {
	mu     sync.Mutex
	put    map[string]string // kind/parent/key -> raw
	failed map[string]error
}

func (s *memSink) Put(kind, parent, key string, raw []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put[kind+"/"+parent+"/"+key] = string(raw)
	return nil
}

func (s *memSink) Fail(kind string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed[kind] = err
}

func newSink() *memSink { return &memSink{put: map[string]string{}, failed: map[string]error{}} }

func demoSource() *memSource {
	return &memSource{data: map[string][]string{
		"workspace":        {`{"id":"ws-1","slug":"acme","name":"Acme"}`},
		"stats":            {`{"types":2}`},
		"types":            {`{"id":1,"slug":"clients"}`, `{"id":2,"slug":"contracts"}`},
		"fields/clients":   {`{"id":10,"slug":"name"}`},
		"fields/contracts": {`{"id":11,"slug":"client"}`},
		"items/clients":    {`{"id":100,"data":{"name":"A"}}`, `{"id":101,"data":{"name":"B"}}`},
		"items/contracts":  {`{"id":200,"data":{"client":100}}`},
		"flows/contracts":  {`{"id":4,"name":"Approval"}`},
		"stages/4":         {`{"id":40,"name":"Draft"}`},
		"tasks/40":         {`{"id":400,"name":"Fill"}`},
		"members":          {`{"id":12,"email":"ana@acme.com"}`},
		"roles":            {`{"id":5,"slug":"analyst"}`},
	}, fail: map[string]error{}}
}

func TestRunStoresEveryKindUnderItsParent(t *testing.T) {
	sink := newSink()
	res, err := Run(context.Background(), demoSource(), sink, Options{Workspace: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"workspace//acme", "stats//", "types//contracts", "fields/contracts/11",
		"items/clients/101", "items/contracts/200", "flows/contracts/4", "stages/4/40", "tasks/40/400", "members//12"} {
		if _, ok := sink.put[want]; !ok {
			t.Errorf("not stored: %s (stored %v)", want, keys(sink.put))
		}
	}
	if n, ok := res.Counts["quick-tasks"]; !ok || n != 0 {
		t.Errorf("an empty kind must count 0, got %d, %v", n, ok)
	}
	if res.Counts["items"] != 3 || res.Counts["types"] != 2 || len(res.Failed) != 0 {
		t.Errorf("counts %v failed %v", res.Counts, res.Failed)
	}
	if got := sink.put["items/contracts/200"]; got != `{"id":200,"data":{"client":100}}` {
		t.Errorf("raw bytes changed: %s", got)
	}
}

func TestRunMarksFailedKindsAndTheirChildren(t *testing.T) {
	src := demoSource()
	src.fail["members"] = &api.Error{StatusCode: 500, Status: "Internal Server Error"}
	src.fail["flows/contracts"] = errors.New("connection reset")
	sink := newSink()
	res, err := Run(context.Background(), src, sink, Options{Workspace: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"members", "flows", "stages", "tasks"} {
		if sink.failed[kind] == nil || res.Failed[kind] == "" {
			t.Errorf("kind %s not marked failed: %v", kind, res.Failed)
		}
	}
	if !strings.Contains(res.Failed["flows"], "under types contracts: connection reset") {
		t.Errorf("flows error = %q", res.Failed["flows"])
	}
	if !strings.Contains(res.Failed["stages"], "parent kind flows could not be read") {
		t.Errorf("stages error = %q", res.Failed["stages"])
	}
	if _, ok := sink.put["items/contracts/200"]; !ok {
		t.Error("a failure in one kind stopped the others")
	}
}

func TestRunStopsOnAccessErrors(t *testing.T) {
	for _, status := range []int{401, 403} {
		src := demoSource()
		src.fail["roles"] = &api.Error{StatusCode: status}
		_, err := Run(context.Background(), src, newSink(), Options{Workspace: "acme"})
		if !errors.Is(err, ErrAccess) {
			t.Errorf("status %d: err = %v, want ErrAccess", status, err)
		}
	}
}

func TestRunFilter(t *testing.T) {
	src := demoSource()
	sink := newSink()
	// Only contracts' items and the tasks of its flows: types and flows are
	// still listed (they are parents) but not stored.
	filter := func(name, typeSlug string) bool {
		return (name == kind.Items || name == kind.Tasks) && typeSlug == "contracts"
	}
	if _, err := Run(context.Background(), src, sink, Options{Workspace: "acme", Filter: filter}); err != nil {
		t.Fatal(err)
	}
	got := keys(sink.put)
	want := []string{"items/contracts/200", "tasks/40/400"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stored %v, want %v", got, want)
	}
	for _, c := range src.seen {
		if c == kind.Items+"/clients" || c == kind.Members || c == kind.Fields+"/contracts" {
			t.Errorf("listed %s although the filter excludes it", c)
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// With no flows, stages and tasks are read (there is nothing to read) and
// empty, not unknown: a diff must call them removed, not unknown. With a
// filter naming a type, kinds under types say nothing for all types.
func TestRunCountsKindsUnderAnEmptyParent(t *testing.T) {
	src := demoSource()
	delete(src.data, "flows/contracts")
	res, err := Run(context.Background(), src, newSink(), Options{Workspace: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"flows", "stages", "tasks"} {
		if n, ok := res.Counts[kind]; !ok || n != 0 {
			t.Errorf("%s: count %d, recorded %v; want 0, recorded", kind, n, ok)
		}
	}
	src = demoSource()
	delete(src.data, "flows/contracts")
	res, err = Run(context.Background(), src, newSink(), Options{Workspace: "acme",
		Filter: func(name, typeSlug string) bool { return typeSlug == "contracts" || name == kind.Types }})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.Counts["stages"]; ok {
		t.Errorf("stages recorded as empty under a filter by type: %v", res.Counts)
	}
}

// holdingSource holds the types listing open after its page, as a listing
// does while it asks for the count again, until a kind below types is
// listed.
type holdingSource struct {
	*memSource
	child chan struct{}
	once  sync.Once
}

func (s *holdingSource) List(ctx context.Context, k *kind.Kind, ws string, parent api.Object, fn func([]api.Object) error) (api.ListResult, error) {
	if k.Parent == kind.Types {
		s.once.Do(func() { close(s.child) })
	}
	res, err := s.memSource.List(ctx, k, ws, parent, fn)
	if k.Name == kind.Types && err == nil {
		select {
		case <-s.child:
		case <-time.After(5 * time.Second):
			return res, errors.New("no kind below types was listed while the types listing was open")
		}
	}
	return res, err
}

// TestRunStartsChildrenEarly checks that the kinds below a parent start as
// soon as a page brings the parent, not when its whole listing ends, and
// that a parent listing does not wait for a collection slot.
func TestRunStartsChildrenEarly(t *testing.T) {
	src := &holdingSource{memSource: demoSource(), child: make(chan struct{})}
	sink := newSink()
	res, err := Run(context.Background(), src, sink, Options{Workspace: "acme", Collections: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) != 0 {
		t.Errorf("failed kinds: %v", res.Failed)
	}
	if _, ok := sink.put["tasks/40/400"]; !ok {
		t.Errorf("tasks under a flow's stage not stored: %v", sink.put)
	}
}

// TestRunLeavesOutKindsWhoseRouteIsOff: a kind whose list route the
// config switched off (api.ErrRouteOff) is left out as if excluded: not
// counted, not failed (the snapshot is complete), named in NotRead.
func TestRunLeavesOutKindsWhoseRouteIsOff(t *testing.T) {
	src := demoSource()
	src.fail["schedule-tasks"] = fmt.Errorf("list schedule-tasks: route %q is %w", "schedule-tasks.list", api.ErrRouteOff)
	sink := newSink()
	res, err := Run(context.Background(), src, sink, Options{Workspace: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) != 0 || len(sink.failed) != 0 {
		t.Errorf("failed kinds: %v, %v; want none", res.Failed, sink.failed)
	}
	if _, ok := res.Counts["schedule-tasks"]; ok {
		t.Errorf("schedule-tasks counted: %v", res.Counts)
	}
	if !strings.Contains(res.NotRead["schedule-tasks"], "switched off in the config") {
		t.Errorf("NotRead = %v", res.NotRead)
	}
	if _, ok := res.Counts["members"]; !ok {
		t.Errorf("the other kinds were not read: %v", res.Counts)
	}
}

// TestRunUserLevelKindsRefused: a 403 on the key's API keys or request
// logs (they need a key with global scope) fails only that kind, with an
// error naming the missing scope; the run goes on. A 401 there still ends
// the run.
func TestRunUserLevelKindsRefused(t *testing.T) {
	for _, name := range []string{"api-keys", "request-logs"} {
		src := demoSource()
		src.fail[name] = &api.Error{StatusCode: 403, Status: "Forbidden"}
		sink := newSink()
		res, err := Run(context.Background(), src, sink, Options{Workspace: "acme"})
		if err != nil {
			t.Fatalf("%s: 403 ended the run: %v", name, err)
		}
		if !strings.Contains(res.Failed[name], "global scope") || sink.failed[name] == nil || len(res.Failed) != 1 {
			t.Errorf("%s: failed = %v, want only %s, naming the global scope", name, res.Failed, name)
		}
		if _, ok := res.Counts["members"]; !ok {
			t.Errorf("%s: the other kinds were not read: %v", name, res.Counts)
		}
		src = demoSource()
		src.fail[name] = &api.Error{StatusCode: 401}
		if _, err := Run(context.Background(), src, newSink(), Options{Workspace: "acme"}); !errors.Is(err, ErrAccess) {
			t.Errorf("%s: 401: err = %v, want ErrAccess", name, err)
		}
	}
}

// lendingSource is a memSource whose ListLent hands out summed objects in
// one buffer it overwrites once fn returns, as the client reads its next
// page into it.
type lendingSource struct {
	*memSource
	lent atomic.Int64 // listings through ListLent
}

func (s *lendingSource) ListLent(ctx context.Context, k *kind.Kind, ws string, parent api.Object, fn func([]api.Object) error) (api.ListResult, error) {
	s.lent.Add(1)
	return s.List(ctx, k, ws, parent, func(objs []api.Object) error {
		var page []byte
		for _, o := range objs {
			page = append(page, o.Raw...)
		}
		lent := make([]api.Object, len(objs))
		at := 0
		for i, o := range objs {
			o.Raw = page[at : at+len(o.Raw)]
			at += len(o.Raw)
			o.Summed, o.Sum = true, sha256.Sum256(o.Raw)
			lent[i] = o
		}
		err := fn(lent)
		for i := range page {
			page[i] = '#' // the next page
		}
		return err
	})
}

// copyingSink records which of its methods the walker called.
type copyingSink struct {
	*memSink
	sums, copies atomic.Int64
}

func (s *copyingSink) PutSum(kind, parent, key string, sum [sha256.Size]byte, raw []byte) error {
	s.sums.Add(1)
	return s.Put(kind, parent, key, raw) // memSink.Put copies into a string
}

func (s *copyingSink) PutSumCopy(kind, parent, key string, sum [sha256.Size]byte, raw []byte) error {
	s.copies.Add(1)
	return s.Put(kind, parent, key, raw)
}

// TestRunLendsPagesToACopyingSink: the walker lists through ListLent, and
// files each summed object with PutSumCopy, only when the sink copies;
// either way the objects are stored as listed.
func TestRunLendsPagesToACopyingSink(t *testing.T) {
	for _, copying := range []bool{true, false} {
		src := &lendingSource{memSource: demoSource()}
		sink := &copyingSink{memSink: newSink()}
		var s Sink = sink
		if !copying {
			s = struct{ SummedSink }{sink} // no PutSumCopy
		}
		if _, err := Run(context.Background(), src, s, Options{Workspace: "acme"}); err != nil {
			t.Fatal(err)
		}
		lent, copies, sums := src.lent.Load(), sink.copies.Load(), sink.sums.Load()
		if copying && (lent == 0 || copies == 0 || sums != 0) || !copying && (lent != 0 || copies != 0) {
			t.Errorf("copying sink %v: %d listings lent, %d PutSumCopy, %d PutSum", copying, lent, copies, sums)
		}
		if got := sink.put["items/contracts/200"]; got != `{"id":200,"data":{"client":100}}` {
			t.Errorf("copying sink %v: stored %s", copying, got)
		}
	}
}
