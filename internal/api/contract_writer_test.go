package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// writer sends writes through Client.Do and reads objects back.
type writer struct {
	t    *testing.T
	e    *env
	ctx  context.Context
	snap *snapshot // the workspace before any write
}

// do sends route and wants a 2xx answer.
func (w *writer) do(route string, params map[string]string, body string) json.RawMessage {
	w.t.Helper()
	var b any
	if body != "" {
		b = json.RawMessage(body)
	}
	raw, err := w.e.c.Do(w.ctx, route, w.e.ws, params, b)
	noKey(w.t, err)
	if err != nil {
		w.t.Fatalf("%s %v: %v", route, params, err)
	}
	return raw
}

// get reads o of kind k back through the get route; the error is the
// client's.
func (w *writer) get(k *kind.Kind, parent, o api.Object) (api.Object, error) {
	w.t.Helper()
	got, err := w.e.c.Get(w.ctx, k, w.e.ws, objectParams(w.t, k.Get, k, parent, o))
	noKey(w.t, err)
	return got, err
}

// listed returns the object with o's key among the listing of k under
// parent, and whether there is one.
func (w *writer) listed(k *kind.Kind, parent, o api.Object) (api.Object, bool) {
	w.t.Helper()
	var found api.Object
	ok := false
	_, err := w.e.c.List(w.ctx, k, w.e.ws, parent, func(objs []api.Object) error {
		for _, x := range objs {
			if x.Key == o.Key {
				found, ok = x, true
			}
		}
		return nil
	})
	noKey(w.t, err)
	if err != nil {
		w.t.Fatalf("list %s: %v", k.Name, err)
	}
	return found, ok
}

// readBack gets o and finds it in its listing: both must hold the same
// bytes, which must have the fields of want.
func (w *writer) readBack(what string, k *kind.Kind, parent, o api.Object, want string) map[string]any {
	w.t.Helper()
	got, err := w.get(k, parent, o)
	if err != nil {
		w.t.Fatalf("%s: get: %v", what, err)
	}
	inList, ok := w.listed(k, parent, o)
	if !ok {
		w.t.Fatalf("%s: %s %s not listed", what, k.Name, o.Key)
	}
	if string(inList.Raw) != string(got.Raw) {
		w.t.Errorf("%s: get and list differ:\n get  %s\n list %s", what, got.Raw, inList.Raw)
	}
	m := decode(w.t, got.Raw)
	hasFields(w.t, what, m, want)
	return m
}

// gone wants o to answer 404 and to be missing from its listing.
func (w *writer) gone(what string, k *kind.Kind, parent, o api.Object) {
	w.t.Helper()
	_, err := w.get(k, parent, o)
	if api.StatusOf(err) != http.StatusNotFound {
		w.t.Errorf("%s: get after delete: %v, want 404", what, err)
	}
	if _, ok := w.listed(k, parent, o); ok {
		w.t.Errorf("%s: %s %s still listed", what, k.Name, o.Key)
	}
}

// hasFields checks that got has every top-level field of want (JSON) with
// the same value.
func hasFields(t *testing.T, what string, got map[string]any, want string) {
	t.Helper()
	for k, v := range decode(t, []byte(want)) {
		if !reflect.DeepEqual(got[k], v) {
			g, _ := json.Marshal(got[k])
			w, _ := json.Marshal(v)
			t.Errorf("%s: %s = %s, want %s", what, k, g, w)
		}
	}
}

func sorted(s ...string) []string {
	sort.Strings(s)
	return s
}

// ids returns the ids of the listed objects of a kind whose field has the
// value, in key order.
func (w *writer) ids(kind, field, value string) []string {
	var out []string
	for _, l := range w.snap.objs[kind] {
		if fmt.Sprint(decode(w.t, l.obj.Raw)[field]) == value {
			out = append(out, l.obj.ID)
		}
	}
	if len(out) == 0 {
		w.t.Fatalf("no %s with %s %s", kind, field, value)
	}
	return out
}

// demo are ids of the demo workspace the writes refer to.
type demo struct {
	analyst, carla, joao, finance string     // a role, two members, a group
	contract, contracts           api.Object // an item of contracts, and the type
}

func demoIDs(w *writer) demo {
	d := demo{
		analyst: w.ids("roles", "slug", "analyst")[0],
		carla:   w.ids("members", "email", "carla.mendes@acme.com")[0],
		joao:    w.ids("members", "email", "joao.prado@acme.com")[0],
		finance: w.ids("groups", "name", "Finance")[0],
	}
	for _, l := range w.snap.objs["items"] {
		if l.obj.Parent == "contracts" {
			d.contract = l.obj
			break
		}
	}
	for _, l := range w.snap.objs["types"] {
		if l.obj.Key == "contracts" {
			d.contracts = l.obj
		}
	}
	if d.contract.ID == "" || d.contracts.ID == "" {
		w.t.Fatal("no contracts in the demo workspace")
	}
	return d
}
