package restore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/backup"
)

// setOf builds a Set from lines of kind, parent, key and JSON.
func setOf(t *testing.T, objs ...[4]string) *Set {
	t.Helper()
	s := NewSet()
	for _, o := range objs {
		if err := s.Put(o[0], o[1], o[2], []byte(o[3])); err != nil {
			t.Fatalf("put %v: %v", o, err)
		}
	}
	return s
}

// memIDs is an id map in memory.
type memIDs struct {
	mu      sync.Mutex
	ids     map[string]string
	pending map[string]bool
	marked  []string
}

func newMemIDs() *memIDs { return &memIDs{ids: map[string]string{}, pending: map[string]bool{}} }

func (m *memIDs) Target(kind, id string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.ids[kind+"/"+id]
	return v, ok
}
func (m *memIDs) Pending(kind, id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pending[kind+"/"+id]
}
func (m *memIDs) Source(kind, target string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range m.ids {
		if v == target && len(k) > len(kind) && k[:len(kind)+1] == kind+"/" {
			return k[len(kind)+1:], true
		}
	}
	return "", false
}

// MarkPending marks for a later load; Pending reads only the marks of an
// earlier process (set by the tests in pending).
func (m *memIDs) MarkPending(kind string, ids ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		m.marked = append(m.marked, kind+"/"+id)
	}
	return nil
}

// Unmark takes back marks set by MarkPending.
func (m *memIDs) Unmark(kind string, ids ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		if i := slices.Index(m.marked, kind+"/"+id); i >= 0 {
			m.marked = slices.Delete(m.marked, i, i+1)
		}
	}
	return nil
}

func (m *memIDs) Flush() error { return nil }
func (m *memIDs) Put(kind, id, target string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ids[kind+"/"+id] = target
	delete(m.pending, kind+"/"+id)
	return nil
}

// secretsOf is a Secrets with fixed values.
type secretsOf map[string]map[string]string

func (s secretsOf) Names(p string) []string {
	var out []string
	for k := range s[p] {
		out = append(out, k)
	}
	return out
}
func (s secretsOf) Value(p, k string) (string, bool) { v, ok := s[p][k]; return v, ok }
func (s secretsOf) Where(p string) string            { return "environments.prod.secrets." + p }

// stepFor returns the step of kind and key, failing the test if absent.
func stepFor(t *testing.T, p *Plan, kind, key string) *Step {
	t.Helper()
	for _, s := range p.Steps {
		if s.Kind == kind && s.Key == key && s.Phase == "" {
			return s
		}
	}
	t.Fatalf("no step for %s %s in %s", kind, key, dump(p))
	return nil
}

func dump(p *Plan) string {
	b, _ := json.MarshalIndent(p.Steps, "", " ")
	return string(b)
}

func item(id int, typ string, data string) [4]string {
	return [4]string{"items", typ, fmt.Sprint(id), fmt.Sprintf(`{"id":%d,"type":%q,"data":%s}`, id, typ, data)}
}

// readAll backs up the workspace acme through c.
func readAll(t *testing.T, c *api.Client) *Set {
	t.Helper()
	set := NewSet()
	if _, err := backup.Run(context.Background(), c, set, backup.Options{Workspace: "acme"}); err != nil {
		t.Fatal(err)
	}
	if f := set.Failed(); len(f) > 0 {
		t.Fatalf("failed: %v", f)
	}
	return set
}
