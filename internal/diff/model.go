package diff

import (
	"bytes"
	"encoding/json"
	"iter"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// KindInfo is what diff needs to know of a resource kind. The caller builds
// it from the kind table; diff knows nothing else about kinds.
//
// Paths are dotted JSON paths: "data.name". A segment "*" matches any
// member name and a segment ending in "[]" means every element of a list
// ("permissions[].id", "assignees.members").
type KindInfo struct {
	Name  kind.Name // plural, as stored: "items"
	Label string    // singular, for people: "item"
	// Parent is the kind whose objects scope this kind ("types" for items),
	// "" for workspace-level kinds. The text form groups changes by parent.
	Parent kind.Name
	// Order is the kind's position in the kind table: output is sorted by
	// it, then by name.
	Order int
	// LabelFields are tried in order for a readable label: the first that
	// holds a non-empty string or a number wins.
	LabelFields []string
	// ServerAssigned are paths the server sets ("id", "updated_at",
	// "user", "permissions[].id"). Their changes are never reported as
	// field changes, and an object whose only differences are there counts
	// as noise.
	ServerAssigned []string
	// Unordered are paths of lists whose order the API does not promise
	// ("permissions", "users", "assignees.members"). They are compared as
	// multisets; see the package documentation for how their elements are
	// named in paths.
	Unordered []string
	// Volatile kinds change on every read (statistics, request logs): their
	// differences are counted as noise, never listed as changes.
	Volatile bool
}

// Op says what happened to an object or to a field.
type Op string

// The operations. Unknown is only used for objects: their kind could not be
// read in one of the two snapshots, so whether they changed is not known.
const (
	Added   Op = "added"
	Removed Op = "removed"
	Changed Op = "changed"
	Unknown Op = "unknown"
)

// FieldChange is one difference inside a changed object. Values are decoded
// JSON (objects as map[string]any, lists as []any, numbers as json.Number
// with their text as stored). Op is Added when the path is absent in the
// old object (Old is then nil and left out of JSON), Removed when absent in
// the new one (New nil and left out), and Changed otherwise. A member
// that is null on one side and absent on the other is no change: a
// server may send either for the same value; null against a value is
// Changed.
type FieldChange struct {
	Path string `json:"path"`
	Op   Op     `json:"op"`
	Old  any    `json:"old"`
	New  any    `json:"new"`
}

// MarshalJSON writes path, op, and old and new when present on their side.
func (f FieldChange) MarshalJSON() ([]byte, error) {
	type withBoth struct {
		Path string `json:"path"`
		Op   Op     `json:"op"`
		Old  any    `json:"old"`
		New  any    `json:"new"`
	}
	type onlyNew struct {
		Path string `json:"path"`
		Op   Op     `json:"op"`
		New  any    `json:"new"`
	}
	type onlyOld struct {
		Path string `json:"path"`
		Op   Op     `json:"op"`
		Old  any    `json:"old"`
	}
	var v any = withBoth(f)
	switch f.Op {
	case Added:
		v = onlyNew{f.Path, f.Op, f.New}
	case Removed:
		v = onlyOld{f.Path, f.Op, f.Old}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Change is one object that differs between the two sides.
type Change struct {
	Kind   string        `json:"kind"`
	Parent string        `json:"parent,omitempty"` // the parent's key: type slug for items, flow id for stages
	Key    string        `json:"key"`
	Label  string        `json:"label"`
	Op     Op            `json:"op"`
	Fields []FieldChange `json:"fields,omitempty"` // for Changed only
}

// Pair is one object whose stored content differs between the two sides,
// as raw JSON: Old nil means added, New nil means removed.
type Pair struct {
	Kind, Parent, Key string
	Old, New          []byte
}

// Input is what Compute compares.
type Input struct {
	// Kinds describes every kind by name. A pair of a kind missing here is
	// compared with a default KindInfo (its name as label, nothing
	// server-assigned, every list ordered) and sorted after the known kinds.
	Kinds map[string]KindInfo
	// Pairs yields the objects whose stored content differs, and only
	// those: the store's tree diff finds them without reading what is
	// unchanged. They may come in any order.
	Pairs iter.Seq[Pair]
	// UnknownOld and UnknownNew are the kinds the older and the newer
	// snapshot could not read, with the error of each.
	UnknownOld, UnknownNew map[string]string
}

// Counts are the objects of one kind per operation.
type Counts struct {
	Added   int `json:"added"`
	Removed int `json:"removed"`
	Changed int `json:"changed"`
	Unknown int `json:"unknown"`
}

// Noise counts, for one kind, the objects that differ in storage but not in
// a way worth a change line.
type Noise struct {
	// ServerOnly objects differ only in server-assigned paths.
	ServerOnly int `json:"server_only"`
	// Equivalent objects differ only in form: the order of an unordered
	// list, the spelling of a number (1.0 and 1).
	Equivalent int `json:"equivalent"`
	// Volatile objects belong to a volatile kind: added, removed or changed.
	Volatile int `json:"volatile"`
}

// Result is a change set.
type Result struct {
	// Summary counts the changes per kind; kinds without changes are left out.
	Summary map[string]Counts `json:"summary"`
	// Changes lists the changed objects, sorted by kind order, kind name,
	// parent and key (keys of decimal digits numerically, before others).
	Changes []Change `json:"changes"`
	// Noise counts what differs without being a change, per kind; it is
	// never mixed into Summary or Changes.
	Noise map[string]Noise `json:"noise"`
	// Unknown names the kinds one snapshot could not read, with why.
	Unknown map[string]string `json:"unknown"`
	// Kinds is the kind table the result was computed with, for renderers.
	Kinds map[string]KindInfo `json:"-"`
}

// Empty reports whether the result holds no change and no unknown kind.
// Noise does not count: two snapshots that differ only in noise are the same.
func (r *Result) Empty() bool {
	return len(r.Changes) == 0 && len(r.Unknown) == 0
}
