package restore

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"

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
	data, _ := decodeFields(o.Raw)["data"].(map[string]any)
	out := map[string]any{}
	for key := range fields {
		if val, ok := data[key]; ok {
			out[key] = val
		}
	}
	return out
}

// Fingerprint returns a hash of every object of set: two reads of an
// unchanged workspace give the same fingerprint.
func Fingerprint(set *Set) string {
	set.mu.Lock()
	keys := make([]string, 0, len(set.byKey))
	for k := range set.byKey {
		keys = append(keys, k)
	}
	set.mu.Unlock()
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		o := set.byKey[k]
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write(exactText(decodeFields(o.Raw)))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}
