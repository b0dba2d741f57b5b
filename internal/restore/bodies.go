package restore

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"

	"github.com/enspace-sync/enspace-sync/internal/api"
)

// createBody returns what a create of o sends, with source ids in its
// references: the kind's view, shaped as the create route wants it.
func createBody(k *api.Kind, o *Obj, source *Set) map[string]any {
	v := view(k, o)
	switch k.Name {
	case "items":
		return plainData(v, relationsOf(source, o.Parent))
	case "members":
		m := o.Fields()
		body := map[string]any{"email": m["email"], "type": m["type"]}
		if m["role"] != nil {
			body["role"] = m["role"]
		}
		if meta, ok := getPath(m, "user.meta"); ok {
			if mm, ok := meta.(map[string]any); ok {
				for _, f := range []string{"fname", "lname"} {
					if s := text(mm[f]); s != "" {
						body[f] = s
					}
				}
			}
		}
		if st := text(m["status"]); st != "" && st != "active" {
			body["status"] = st // set by an update right after the create
		}
		return body
	case "integrations":
		return map[string]any{"integration": providerID(o), "data": v["data"]}
	}
	return v
}

// updateBody returns what an update of o sends.
func updateBody(k *api.Kind, o *Obj, source *Set) map[string]any {
	v := view(k, o)
	switch k.Name {
	case "items":
		return plainData(v, relationsOf(source, o.Parent))
	case "members":
		return map[string]any{"type": v["type"], "role": v["role"], "status": v["status"]}
	}
	return v
}

// relationsOf returns the relation fields of a type in set: slug -> target type.
func relationsOf(set *Set, typeSlug string) map[string]string {
	out := map[string]string{}
	for _, f := range set.Children("fields", typeSlug) {
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
	data, _ := copyFields(o)["data"].(map[string]any)
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
		h.Write(exactText(o.Fields()))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}
