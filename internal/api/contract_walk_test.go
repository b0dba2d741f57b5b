package api_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// listed is an object with the parent it was listed under.
type listed struct {
	parent api.Object
	obj    api.Object
}

// snapshot is everything a walk of a workspace listed.
type snapshot struct {
	raw      map[string]string         // kind/parent/key -> the object's bytes
	objs     map[string][]listed       // kind -> its objects in key order
	results  map[string]api.ListResult // kind/parent -> how its listing went
	requests map[string]int            // kind -> requests its listings sent
	failed   map[string]int            // kind -> those without a complete 2xx answer
}

func snapKey(o api.Object) string { return o.Kind + "/" + o.Parent + "/" + o.Key }

// walk lists every kind of kind.All() in workspace ws with e's client,
// child kinds under every object of their parent kind, one kind after the
// other. The first error ends it.
func walk(ctx context.Context, e *env, ws string) (*snapshot, error) {
	c := e.c
	s := &snapshot{raw: map[string]string{}, objs: map[string][]listed{}, results: map[string]api.ListResult{},
		requests: map[string]int{}, failed: map[string]int{}}
	for _, k := range kind.All() {
		mark := e.rec.len()
		parents := []api.Object{{}}
		if k.Parent != "" {
			parents = parents[:0]
			for _, p := range s.objs[k.Parent] {
				parents = append(parents, p.obj)
			}
		}
		for _, p := range parents {
			var got []listed
			res, err := c.List(ctx, k, ws, p, func(objs []api.Object) error {
				for _, o := range objs {
					got = append(got, listed{parent: p, obj: o})
				}
				return nil
			})
			if err != nil {
				return s, err
			}
			s.results[k.Name+"/"+p.Key] = res
			sort.Slice(got, func(i, j int) bool { return lessKey(got[i].obj.Key, got[j].obj.Key) })
			for _, l := range got {
				key := snapKey(l.obj)
				if _, dup := s.raw[key]; dup {
					return s, fmt.Errorf("%s listed twice", key)
				}
				s.raw[key] = string(l.obj.Raw)
			}
			s.objs[k.Name] = append(s.objs[k.Name], got...)
		}
		for _, x := range e.rec.exchanges(mark) {
			s.requests[k.Name]++
			if x.failed() {
				s.failed[k.Name]++
			}
		}
	}
	return s, nil
}

// lessKey orders numeric keys by value, others as text.
func lessKey(a, b string) bool {
	if len(a) != len(b) && strings.Trim(a+b, "0123456789") == "" {
		return len(a) < len(b)
	}
	return a < b
}

// without returns raw without the objects of the named kinds.
func without(raw map[string]string, kinds ...string) map[string]string {
	out := map[string]string{}
	for k, v := range raw {
		if !contains(kinds, k[:strings.IndexByte(k, '/')]) {
			out[k] = v
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// diffRaw describes how two snapshots differ, "" when they are equal.
func diffRaw(want, got map[string]string) string {
	var lines []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			lines = append(lines, "missing "+k)
		case g != w:
			lines = append(lines, fmt.Sprintf("%s differs:\n  want %s\n  got  %s", k, w, g))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			lines = append(lines, "extra "+k)
		}
	}
	sort.Strings(lines)
	if len(lines) > 10 {
		lines = append(lines[:10], fmt.Sprintf("... and %d more", len(lines)-10))
	}
	return strings.Join(lines, "\n")
}

// placeholders returns the {names} of a route's path.
func placeholders(path string) []string {
	var out []string
	for {
		i := strings.IndexByte(path, '{')
		j := strings.IndexByte(path, '}')
		if i < 0 || j < i {
			return out
		}
		out = append(out, path[i+1:j])
		path = path[j+1:]
	}
}

// objectParams fills the placeholders of route for object o of kind k
// under parent: the parent's parameter, and the object's own placeholder
// ({id} from its id, any other, such as a type's {type}, from its key).
func objectParams(t *testing.T, route string, k *kind.Kind, parent, o api.Object) map[string]string {
	t.Helper()
	params := map[string]string{}
	pp, err := api.ParentParams(k, parent)
	if err != nil {
		t.Fatalf("ParentParams(%s): %v", k.Name, err)
	}
	for n, v := range pp {
		params[n] = v
	}
	rt, ok := api.DefaultRoutes()[route]
	if !ok {
		t.Fatalf("no route %q", route)
	}
	for _, p := range placeholders(rt.Path) {
		if _, done := params[p]; done {
			continue
		}
		if p == "id" {
			params[p] = o.ID
		} else {
			params[p] = o.Key
		}
	}
	return params
}
