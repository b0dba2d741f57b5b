package restore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/jsonv"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// Obj is one object of a workspace, as listed or as stored.
type Obj struct {
	Kind   string // the kind's Name
	Parent string // the parent's key ("contracts" for an item, a flow id for a stage)
	Key    string // the key in its collection (a type's slug, else the id)
	ID     string // the server-assigned id as text
	Raw    json.RawMessage

	// fields is the decoded object once Fields was called: one word, not
	// a sync.Once beside a map (96 bytes an object instead of 112; a type
	// plan holds hundreds of thousands, most never decoded).
	fields atomic.Pointer[map[string]any]
}

// Fields returns the object decoded by jsonv.Decode, numbers as
// json.Number; an object that does not decode is empty. The map is shared:
// callers copy before changing it. Callers at the same time may both
// decode; all get the map that was stored first.
func (o *Obj) Fields() map[string]any {
	if p := o.fields.Load(); p != nil {
		return *p
	}
	m := decodeFields(o.Raw)
	if o.fields.CompareAndSwap(nil, &m) {
		return m
	}
	return *o.fields.Load()
}

// decodeFields decodes raw as Fields does, into a map of its own that
// nothing keeps: for reading every object of a large set once (the
// fingerprint, relation values) without holding them all decoded.
func decodeFields(raw []byte) map[string]any {
	v, _ := jsonv.Decode(raw)
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// Set holds the objects of one workspace by kind, in memory. It
// implements the backup walker's sink, so a live workspace is read into a
// Set with the same walk as a backup.
type Set struct {
	mu     sync.Mutex
	byKind map[string][]*Obj
	// The indexes share the objects' own strings: no key is built per
	// object (a type plan holds hundreds of thousands).
	byKey  map[kindParent]map[string]*Obj // kind, parent -> key -> object
	byID   map[string]map[string]*Obj     // kind -> id -> object
	n      int
	failed map[string]string

	// Built on first use after the last Put: the objects of a kind sorted,
	// and of a kind under one parent.
	sorted   map[string][]*Obj
	children map[string][]*Obj // kind \x00 parent

	beside *Set // NewSetBeside's source, whose equal objects' bytes are shared
}

// NewSet returns an empty Set.
func NewSet() *Set {
	return &Set{byKind: map[string][]*Obj{}, byKey: map[kindParent]map[string]*Obj{}, byID: map[string]map[string]*Obj{}, failed: map[string]string{}}
}

// kindParent files the objects of one kind under one parent.
type kindParent struct{ kind, parent string }

// NewSetBeside returns an empty Set for the target of a plan whose source
// is source (nil: NewSet): an object Put into it that is byte for byte
// the source's object of the same kind, parent and key keeps the source's
// bytes and strings instead of a copy. Most objects of a workspace are
// unchanged since its snapshot, so a restore's target then costs little
// more than its objects' headers. source must not change meanwhile.
func NewSetBeside(source *Set) *Set {
	s := NewSet()
	s.beside = source
	return s
}

// Put adds an object of kind under parent with key. The id is read from
// the object.
func (s *Set) Put(name, parent, key string, raw []byte) error {
	if s.beside != nil {
		if o := s.beside.ByKey(name, parent, key); o != nil && bytes.Equal(o.Raw, raw) {
			return s.put(name, o.Parent, o.Key, o.Raw)
		}
	}
	return s.put(name, parent, key, append(json.RawMessage(nil), raw...))
}

// PutOwned is Put for raw bytes that are the Set's to keep (nothing else
// holds or changes them, as a snapshot's WalkObjects hands them over): they
// are not copied.
func (s *Set) PutOwned(name, parent, key string, raw []byte) error {
	return s.put(name, parent, key, raw)
}

func (s *Set) put(name, parent, key string, raw json.RawMessage) error {
	k, err := kind.ByName(name)
	if err != nil {
		return err
	}
	o := &Obj{Kind: k.Name, Parent: parent, Key: key, Raw: raw}
	if k.IDField != "" {
		ao, err := api.NewObject(k, parent, o.Raw)
		if err != nil {
			return fmt.Errorf("%s %s: %w", name, key, err)
		}
		o.ID = ao.ID
		if o.ID == key {
			o.ID = key // an item's key is its id: one string for both
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	kp := kindParent{k.Name, parent}
	keys := s.byKey[kp]
	if _, dup := keys[key]; dup {
		return nil
	}
	if keys == nil {
		keys = map[string]*Obj{}
		s.byKey[kp] = keys
	}
	keys[key] = o
	s.n++
	s.byKind[k.Name] = append(s.byKind[k.Name], o)
	s.sorted, s.children = nil, nil
	if o.ID != "" {
		ids := s.byID[k.Name]
		if ids == nil {
			ids = map[string]*Obj{}
			s.byID[k.Name] = ids
		}
		ids[o.ID] = o
	}
	return nil
}

// Fail records that kind could not be read.
func (s *Set) Fail(kind string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.failed[kind]; !ok {
		s.failed[kind] = err.Error()
	}
}

// Failed returns the kinds that could not be read, with their errors.
func (s *Set) Failed() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for k, v := range s.failed {
		out[k] = v
	}
	return out
}

// Of returns the objects of kind, sorted by parent then key (numerically
// when both are numbers), so that plans are stable. The slice is shared:
// callers do not change it.
func (s *Set) Of(kind string) []*Obj {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sortedLocked(kind)
}

func (s *Set) sortedLocked(kind string) []*Obj {
	if objs, ok := s.sorted[kind]; ok {
		return objs
	}
	objs := append([]*Obj(nil), s.byKind[kind]...)
	sort.Slice(objs, func(i, j int) bool {
		if objs[i].Parent != objs[j].Parent {
			return lessKey(objs[i].Parent, objs[j].Parent)
		}
		return lessKey(objs[i].Key, objs[j].Key)
	})
	if s.sorted == nil {
		s.sorted = map[string][]*Obj{}
	}
	s.sorted[kind] = objs
	return objs
}

// Children returns the objects of kind under parent, sorted by key.
func (s *Set) Children(kind, parent string) []*Obj {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.children == nil {
		s.children = map[string][]*Obj{}
	}
	if _, built := s.children[kind+"\x00"]; !built {
		s.children[kind+"\x00"] = nil // marks the kind as indexed
		for _, o := range s.sortedLocked(kind) {
			if o.Parent != "" {
				s.children[kind+"\x00"+o.Parent] = append(s.children[kind+"\x00"+o.Parent], o)
			}
		}
	}
	if parent == "" {
		var out []*Obj
		for _, o := range s.sortedLocked(kind) {
			if o.Parent == "" {
				out = append(out, o)
			}
		}
		return out
	}
	return s.children[kind+"\x00"+parent]
}

// ByID returns the object of kind with the given id.
func (s *Set) ByID(kind, id string) *Obj {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID[kind][id]
}

// ByKey returns the object of kind under parent with the given key.
func (s *Set) ByKey(kind, parent, key string) *Obj {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byKey[kindParent{kind, parent}][key]
}

// Len returns the number of objects.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// lessKey orders numbers numerically and before text.
func lessKey(a, b string) bool {
	na, aok := number(a)
	nb, bok := number(b)
	switch {
	case aok && bok:
		return na < nb
	case aok != bok:
		return aok
	}
	return a < b
}

func number(s string) (uint64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// all returns every object, ordered as the strings kind \x00 parent \x00
// key sort (what the fingerprint hashes them in), without building those
// strings.
func (s *Set) all() []*Obj {
	s.mu.Lock()
	out := make([]*Obj, 0, s.n)
	for _, keys := range s.byKey {
		for _, o := range keys {
			out = append(out, o)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b *Obj) int {
		if strings.IndexByte(a.Parent, 0) < 0 && strings.IndexByte(a.Key, 0) < 0 &&
			strings.IndexByte(b.Parent, 0) < 0 && strings.IndexByte(b.Key, 0) < 0 {
			// Without a NUL inside, comparing the parts in turn is
			// comparing the joined strings (NUL sorts first).
			if c := strings.Compare(a.Kind, b.Kind); c != 0 {
				return c
			}
			if c := strings.Compare(a.Parent, b.Parent); c != 0 {
				return c
			}
			return strings.Compare(a.Key, b.Key)
		}
		return strings.Compare(a.Kind+"\x00"+a.Parent+"\x00"+a.Key, b.Kind+"\x00"+b.Parent+"\x00"+b.Key)
	})
	return out
}
