package diff

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
)

// Compute turns the pairs of Input into a change set. Its cost follows the
// number of pairs and their size, never the size of the workspace: the
// caller passes only the objects whose stored content differs.
//
// A pair of a volatile kind is counted as noise without being parsed. A
// pair of a kind listed in UnknownOld or UnknownNew becomes an Unknown
// change, never Added or Removed: one side could not read that kind. Any
// other pair is parsed, and an invalid side is an error that names the
// object.
func Compute(in Input) (*Result, error) {
	r := &Result{
		Summary: map[string]Counts{},
		Changes: []Change{},
		Noise:   map[string]Noise{},
		Unknown: unknownKinds(in.UnknownOld, in.UnknownNew),
		Kinds:   map[string]KindInfo{},
	}
	for name, k := range in.Kinds {
		if k.Name == "" {
			k.Name = name
		}
		r.Kinds[name] = k
	}
	kinds := map[string]*compiled{}
	if in.Pairs != nil {
		for p := range in.Pairs {
			c, err := kindFor(kinds, r.Kinds, p.Kind)
			if err != nil {
				return nil, err
			}
			if err := r.add(c, p); err != nil {
				return nil, err
			}
		}
	}
	r.sort()
	for i := 1; i < len(r.Changes); i++ {
		a, b := r.Changes[i-1], r.Changes[i]
		if a.Kind == b.Kind && a.Parent == b.Parent && a.Key == b.Key {
			return nil, fmt.Errorf("%w: %s given twice", ErrBadPair, objectName(a.Kind, a.Parent, a.Key))
		}
	}
	return r, nil
}

// unknownKinds merges the two maps of unreadable kinds, saying which side
// could not read each.
func unknownKinds(old, new map[string]string) map[string]string {
	out := map[string]string{}
	for k, e := range old {
		out[k] = "older snapshot: " + e
	}
	for k, e := range new {
		if prev, ok := out[k]; ok {
			out[k] = prev + "; newer snapshot: " + e
		} else {
			out[k] = "newer snapshot: " + e
		}
	}
	return out
}

// kindFor returns the compiled kind of a name, compiling it on first use.
func kindFor(cache map[string]*compiled, infos map[string]KindInfo, name string) (*compiled, error) {
	if c, ok := cache[name]; ok {
		return c, nil
	}
	info, ok := infos[name]
	if !ok {
		info = KindInfo{Name: name}
	}
	if info.Label == "" {
		info.Label = info.Name
	}
	c, err := compile(info)
	if err != nil {
		return nil, err
	}
	cache[name] = c
	return c, nil
}

// add files one pair.
func (r *Result) add(c *compiled, p Pair) error {
	kind := p.Kind
	if p.Old == nil && p.New == nil {
		return fmt.Errorf("%w: %s has neither an old nor a new side", ErrBadPair, objectName(kind, p.Parent, p.Key))
	}
	if _, ok := r.Unknown[kind]; ok {
		label, err := c.labelOf(p, nil, nil)
		if err != nil {
			return err
		}
		r.count(kind, Unknown)
		r.Changes = append(r.Changes, Change{Kind: kind, Parent: p.Parent, Key: p.Key, Label: label, Op: Unknown})
		return nil
	}
	if c.info.Volatile {
		n := r.Noise[kind]
		n.Volatile++
		r.Noise[kind] = n
		return nil
	}
	ch := Change{Kind: kind, Parent: p.Parent, Key: p.Key}
	var oldV, newV any
	var err error
	if p.Old != nil {
		if oldV, err = decode(p.Old); err != nil {
			return fmt.Errorf("%s: old: %w", objectName(kind, p.Parent, p.Key), err)
		}
	}
	if p.New != nil {
		if newV, err = decode(p.New); err != nil {
			return fmt.Errorf("%s: new: %w", objectName(kind, p.Parent, p.Key), err)
		}
	}
	switch {
	case p.Old == nil:
		ch.Op = Added
	case p.New == nil:
		ch.Op = Removed
	default:
		fields, serverOnly := c.fields(oldV, newV)
		if len(fields) == 0 {
			n := r.Noise[kind]
			if serverOnly {
				n.ServerOnly++
			} else {
				n.Equivalent++
			}
			r.Noise[kind] = n
			return nil
		}
		ch.Op, ch.Fields = Changed, fields
	}
	ch.Label, _ = c.labelOf(p, oldV, newV)
	r.count(kind, ch.Op)
	r.Changes = append(r.Changes, ch)
	return nil
}

func (r *Result) count(kind string, op Op) {
	n := r.Summary[kind]
	switch op {
	case Added:
		n.Added++
	case Removed:
		n.Removed++
	case Changed:
		n.Changed++
	case Unknown:
		n.Unknown++
	}
	r.Summary[kind] = n
}

// objectName names an object in errors: "items clients/1011".
func objectName(kind, parent, key string) string {
	if parent == "" {
		return kind + " " + key
	}
	return kind + " " + parent + "/" + key
}

// labelOf returns the object's label: the first LabelFields value that is
// a non-empty string or a number, from the new side (the old one when the
// object was removed), else the key. Decoded sides are used when given;
// otherwise the raw side is parsed.
func (c *compiled) labelOf(p Pair, oldV, newV any) (string, error) {
	v, raw, side := newV, p.New, "new"
	if p.New == nil {
		v, raw, side = oldV, p.Old, "old"
	}
	if v == nil && len(c.labels) > 0 {
		var err error
		if v, err = decode(raw); err != nil {
			return "", fmt.Errorf("%s: %s: %w", objectName(p.Kind, p.Parent, p.Key), side, err)
		}
	}
	for _, pt := range c.labels {
		if s := lookup(v, pt); s != "" {
			return s, nil
		}
	}
	return p.Key, nil
}

// lookup returns the string or number at a pattern of member names, or "".
func lookup(v any, pt jsonv.Pattern) string {
	v, _ = pt.Get(v)
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return string(v)
	}
	return ""
}

// sort orders the changes by kind order, kind name, parent and key.
func (r *Result) sort() {
	slices.SortFunc(r.Changes, func(a, b Change) int {
		if a.Kind != b.Kind {
			return r.compareKinds(a.Kind, b.Kind)
		}
		return cmp.Or(compareKeys(a.Parent, b.Parent), compareKeys(a.Key, b.Key))
	})
}

// kindNames returns the kinds that appear in the result (summary, noise or
// unknown), in output order.
func (r *Result) kindNames() []string {
	set := map[string]bool{}
	for _, m := range []map[string]bool{keysOf(r.Summary), keysOf(r.Noise), keysOf(r.Unknown)} {
		maps.Copy(set, m)
	}
	names := slices.Collect(maps.Keys(set))
	slices.SortFunc(names, r.compareKinds)
	return names
}

// compareKinds orders kinds by their Order, then by name; kinds missing
// from the table come last.
func (r *Result) compareKinds(a, b string) int {
	order := func(kind string) (int, int) {
		if k, ok := r.Kinds[kind]; ok {
			return 0, k.Order
		}
		return 1, 0
	}
	ma, oa := order(a)
	mb, ob := order(b)
	return cmp.Or(cmp.Compare(ma, mb), cmp.Compare(oa, ob), strings.Compare(a, b))
}

func keysOf[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// compareKeys orders object keys as the store does: keys of decimal digits
// without a leading zero first, by value; then the others bytewise.
func compareKeys(a, b string) int {
	na, nb := isNumeric(a), isNumeric(b)
	switch {
	case na && nb:
		return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
	case na:
		return -1
	case nb:
		return 1
	}
	return strings.Compare(a, b)
}

func isNumeric(s string) bool {
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
