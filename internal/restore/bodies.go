package restore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sort"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// createBody returns what a create of o sends, with source ids in its
// references: the kind's view, shaped as the create route wants it (the
// kind's CreateBody), without the references to its own kind, which a
// links pass sets.
func createBody(k *kind.Kind, o *Obj, source *Set) map[string]any {
	v := view(k, o)
	if len(k.SelfRefs()) > 0 {
		return plainData(v, relationsOf(source, o.Parent))
	}
	if k.CreateBody != nil {
		return k.CreateBody(k, copyFields(o), v)
	}
	return v
}

// updateBody returns what an update of o sends: its view, without the
// references to its own kind.
func updateBody(k *kind.Kind, o *Obj, source *Set) map[string]any {
	v := view(k, o)
	if len(k.SelfRefs()) > 0 {
		return plainData(v, relationsOf(source, o.Parent))
	}
	return v
}

// relationsOf returns the relation fields of a type in set: slug -> target type.
func relationsOf(set *Set, typeSlug string) map[string]string {
	out := map[string]string{}
	for _, f := range set.Children(kind.Fields, typeSlug) {
		if ok, target := isRelationField(f); ok {
			out[text(f.Fields()["slug"])] = target
		}
	}
	return out
}

// plainData returns an item view without its relation values.
func plainData(v map[string]any, relations map[string]string) map[string]any {
	data, _ := v["data"].(map[string]any)
	plain := map[string]any{}
	for key, val := range data {
		if _, rel := relations[key]; !rel {
			plain[key] = val
		}
	}
	return map[string]any{"data": plain}
}

// linkData returns an item's relation values among fields, source ids.
func linkData(o *Obj, fields map[string]string) map[string]any {
	out := dataValues(o.Raw, fields)
	if out == nil {
		out = map[string]any{}
	}
	return out
}

// Fingerprint returns a hash of every object of set: two reads of an
// unchanged workspace give the same fingerprint. The lists whose order
// the API does not promise (kind.Kind.UnorderedPaths: a role's
// permissions, a group's users, assignees) are hashed sorted, so a server
// that answers them in another order on every read changes nothing; the
// order of every other list is part of the hash.
func Fingerprint(set *Set) string { return fingerprint(set, true) }

// SameFingerprint reports whether set is what a plan with fingerprint fp
// was built against. A plan saved by an earlier build hashed lists in the
// order they were read: that fingerprint is accepted too.
func SameFingerprint(set *Set, fp string) bool {
	return fingerprint(set, true) == fp || fingerprint(set, false) == fp
}

func fingerprint(set *Set, sortLists bool) string {
	h := sha256.New()
	paths := map[string][]string{} // kind -> its unordered paths, deepest first
	var buf []byte
	for _, o := range set.all() {
		var p []string
		if sortLists {
			var ok bool
			if p, ok = paths[o.Kind]; !ok {
				p = unorderedPaths(o.Kind)
				paths[o.Kind] = p
			}
		}
		buf = append(buf[:0], o.Kind...)
		buf = append(append(append(buf, 0), o.Parent...), 0)
		buf = append(append(buf, o.Key...), 0)
		if len(p) == 0 {
			buf = appendExactText(buf, o.Raw)
		} else {
			fields := decodeFields(o.Raw)
			sortUnordered(p, fields)
			buf = append(buf, exactText(fields)...)
		}
		h.Write(append(buf, '\n'))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// appendExactText appends exactText(decodeFields(raw)) to dst without
// decoding raw: its canonical form (jsonv.AppendCanonical: members sorted,
// numbers as written, no whitespace) is what encoding/json writes for the
// decoded object, except that encoding/json escapes <, > and & inside
// strings (they occur nowhere else in canonical JSON), which is done
// here. Only what is not a JSON object (which decodeFields reads as {})
// is decoded the slow way. The fingerprint reads every target object
// through it: decoding each one into maps cost most of a type plan's
// hashing.
func appendExactText(dst, raw []byte) []byte {
	start := len(dst)
	out, err := jsonv.AppendCanonical(dst, raw)
	if err != nil || len(out) == start || out[start] != '{' {
		return append(dst[:start], exactText(decodeFields(raw))...)
	}
	if bytes.ContainsAny(out[start:], "<>&") {
		var esc []byte
		for _, c := range out[start:] {
			switch c {
			case '<':
				esc = append(esc, `\u003c`...)
			case '>':
				esc = append(esc, `\u003e`...)
			case '&':
				esc = append(esc, `\u0026`...)
			default:
				esc = append(esc, c)
			}
		}
		out = append(out[:start], esc...)
	}
	return out
}

// unorderedPaths returns the paths of the lists whose order the API does
// not promise in objects of the kind named name, deepest first.
func unorderedPaths(name string) []string {
	paths := slices.Clone(kind.Unordered(name))
	sort.SliceStable(paths, func(i, j int) bool {
		return strings.Count(paths[i], ".") > strings.Count(paths[j], ".")
	})
	return paths
}

// inCompareOrder returns the fields of an object of the kind named name
// in the order its values are compared in: a copy with the lists whose
// order the API does not promise (unorderedPaths) sorted, as Fingerprint
// hashes them. It is the one place that says how a kind's values compare:
// planning, the check of a write's answer (kindChanges) and the lookup
// after a lost create go through it. fields itself is not changed.
func inCompareOrder(name string, fields map[string]any) map[string]any {
	paths := unorderedPaths(name)
	if len(paths) == 0 || fields == nil {
		return fields
	}
	out, _ := deepCopy(fields).(map[string]any)
	sortUnordered(paths, out)
	return out
}

// kindChanges is changedFields of two views of an object of the kind named
// name, the lists whose order the API does not promise compared in any
// order.
func kindChanges(name string, a, b map[string]any) []string {
	return changedFields(inCompareOrder(name, a), inCompareOrder(name, b))
}

// sortUnordered sorts, in place, the lists at paths (unorderedPaths) by
// the canonical text of their elements. Deeper lists are sorted first (a
// stage's tasks after each task's assignees), so that an outer list sorts
// on settled elements.
func sortUnordered(paths []string, fields map[string]any) {
	for _, p := range paths {
		visitPath(fields, p, func(_ string, val any) (any, bool) {
			l, ok := val.([]any)
			if !ok || len(l) < 2 {
				return val, true
			}
			keyed := make([]string, len(l))
			idx := make([]int, len(l))
			for i, x := range l {
				keyed[i], idx[i] = jsonv.Key(x), i
			}
			sort.SliceStable(idx, func(a, b int) bool { return keyed[idx[a]] < keyed[idx[b]] })
			out := make([]any, len(l))
			for i, j := range idx {
				out[i] = l[j]
			}
			return out, true
		})
	}
}
