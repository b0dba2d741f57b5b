package diff

import (
	"fmt"
	"slices"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
)

// Fields compares two versions of one object of kind k and returns its
// field changes, in path order (members sorted by name, lists by position
// or identity). Changes under server-assigned paths are left out;
// noiseOnly is true when such changes were the only differences. Two
// equivalent documents (members in another order, unordered lists in
// another order, 1.0 for 1) give no change and noiseOnly false.
func Fields(k KindInfo, old, new []byte) (changes []FieldChange, noiseOnly bool, err error) {
	c, err := compile(k)
	if err != nil {
		return nil, false, err
	}
	a, err := decode(old)
	if err != nil {
		return nil, false, fmt.Errorf("old: %w", err)
	}
	b, err := decode(new)
	if err != nil {
		return nil, false, fmt.Errorf("new: %w", err)
	}
	changes, noiseOnly = c.fields(a, b)
	return changes, noiseOnly, nil
}

// fields compares two decoded versions of an object.
func (c *compiled) fields(a, b any) ([]FieldChange, bool) {
	w := &walker{c: c}
	w.value(make(path, 0, 8), a, b)
	return w.changes, len(w.changes) == 0 && w.server
}

// walker collects the differences between two values.
type walker struct {
	c       *compiled
	changes []FieldChange
	server  bool // a server-assigned path differs
}

// emit records one difference at p, or notes it as server noise.
func (w *walker) emit(p path, op Op, old, new any) {
	if w.c.isServer(p) {
		w.server = true
		return
	}
	w.changes = append(w.changes, FieldChange{Path: p.String(), Op: op, Old: old, New: new})
}

// value compares a and b found at p.
func (w *walker) value(p path, a, b any) {
	if w.c.isServer(p) {
		if !jsonv.Equal(a, b) {
			w.server = true
		}
		return
	}
	switch a := a.(type) {
	case map[string]any:
		if b, ok := b.(map[string]any); ok {
			w.object(p, a, b)
			return
		}
	case []any:
		if b, ok := b.([]any); ok {
			if w.c.isUnordered(p) {
				w.unordered(p, a, b)
			} else {
				w.ordered(p, a, b)
			}
			return
		}
	}
	if !jsonv.Equal(a, b) {
		w.emit(p, Changed, a, b)
	}
}

// object compares the members of two objects, in name order.
func (w *walker) object(p path, a, b map[string]any) {
	keys := sortedKeys(a)
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	if len(keys) > len(a) {
		slices.Sort(keys)
	}
	for _, k := range keys {
		va, inA := a[k]
		vb, inB := b[k]
		switch {
		case inA && inB:
			w.value(p.key(k), va, vb)
		case inA && va == nil, inB && vb == nil:
			// A member set to null and an absent member are the same
			// value: a server may send either.
		case inA:
			w.emit(p.key(k), Removed, va, nil)
		default:
			w.emit(p.key(k), Added, nil, vb)
		}
	}
}
