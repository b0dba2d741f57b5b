package kind

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Name is a kind's plural name, as used in selectors, config, snapshot
// collections and JSON output: "types". See the package doc's caveats on
// why it is an alias of string.
type Name = string

// The kinds of the table, by name.
const (
	Workspace     Name = "workspace"
	Stats         Name = "stats"
	Types         Name = "types"
	Fields        Name = "fields"
	Items         Name = "items"
	Forms         Name = "forms"
	Flows         Name = "flows"
	Stages        Name = "stages"
	Tasks         Name = "tasks"
	ScheduleTasks Name = "schedule-tasks"
	Roles         Name = "roles"
	Groups        Name = "groups"
	Members       Name = "members"
	QuickTasks    Name = "quick-tasks"
	Integrations  Name = "integrations"
	APIKeys       Name = "api-keys"
	RequestLogs   Name = "request-logs"
)

// ErrUnknown is returned by ByName for a name no kind has.
var ErrUnknown = errors.New("unknown resource kind")

// Class says what part of a workspace a kind belongs to. Replicate copies
// configuration; restore can bring back anything but audit.
type Class string

// The classes of kinds.
const (
	Configuration Class = "configuration" // data model and processes: types, fields, roles, ...
	Data          Class = "data"          // records: items, quick tasks
	People        Class = "people"        // members and group membership
	Audit         Class = "audit"         // read-only history and metadata, never restored
)

// RefBy says how a reference names its target.
type RefBy string

// How references name their target.
const (
	ByID  RefBy = "id"  // the target's id field
	ByKey RefBy = "key" // the target's key field (a type's slug)
)

// Ref declares that a field of an object points at an object of another
// kind. Path is a dotted JSON path; a segment "[]" means every element of a
// list ("users[]", "assignees.members[]"), and "*" any key of an object.
type Ref struct {
	Path string
	Kind Name
	By   RefBy
	// When, if not empty, names the condition under which the path is a
	// reference, for people and for the code that resolves it:
	// "relation field" means the path holds item ids only for fields whose
	// type is "relation" (the target type is in the field's options.type).
	When string
	// Ordered marks a list of references whose order is part of the
	// object (a form's fields are its layout); other lists of references
	// are sets, compared without regard to order.
	Ordered bool
}

// Sub declares a collection that lives inside an object (a role's
// permissions, a group's users) and is written through routes of its own.
type Sub struct {
	Field  string // the field of the parent that holds the collection
	List   string // route that lists it ("" when only embedded)
	Add    string // route that adds to it
	Remove string // route that removes from it
}

// Kind is one kind of Enspace resource: everything that differs by resource
// is declared here once. Backup walks All(); diff labels changes with it;
// restore orders its work by ApplyOrder and shapes bodies with View and
// CreateBody; replicate picks Replicated kinds and matches objects by
// NaturalKey.
type Kind struct {
	Name  Name   // plural, as used in selectors and config: "types"
	Label string // singular, for people: "type"
	Class Class
	// ReplicateWithConfiguration: replicate copies the kind with the
	// configuration although its class is another (groups).
	ReplicateWithConfiguration bool
	// Prunable: replicate --prune may delete objects of this kind that
	// the source does not have.
	Prunable bool

	// Routes by name in the route table; "" where the API has none.
	List, Count, Get, Create, Update, Delete string

	// Singleton kinds answer one object, not a list (workspace context).
	Singleton bool

	// Parent is the kind whose objects scope this kind's routes, "" for
	// workspace-level kinds. ParentParam is the placeholder the parent
	// fills, from the parent's ParentField.
	Parent      Name
	ParentParam string
	ParentField string
	// TiedTo names the kind an object of this workspace-level kind belongs
	// to through the key reference at TiedPath (a schedule task's type).
	TiedTo   Name
	TiedPath string

	IDField string // the server-assigned id ("id")
	// KeyField identifies an object inside its parent in a snapshot: the
	// id, or for types the slug (the API addresses types by slug).
	KeyField string
	// NaturalKey are the paths that identify an object across workspaces
	// (after the parent): a type's slug, a member's email. Empty when the
	// kind has none and objects can only be matched through an id map.
	NaturalKey []string
	// FoldKey: the natural key is compared without regard to case
	// (e-mail addresses).
	FoldKey bool
	// LabelFields are tried in order for a readable name.
	LabelFields []string

	Refs []Ref
	// Secrets are paths the API accepts on write and never returns.
	Secrets []string
	// ServerAssigned are paths the server sets: never sent on write, and
	// a change in them alone is noise, not a change.
	ServerAssigned []string
	// Subs are embedded collections written through routes of their own.
	Subs []Sub
	// Volatile kinds change on every read (stats, request logs) and are
	// not worth a diff line of their own.
	Volatile bool
	// Unordered are paths of lists whose order the API does not promise,
	// besides the embedded collections and the lists of references (see
	// UnorderedPaths): a stage's embedded tasks.
	Unordered []string
	// Drop are top-level fields that restore neither writes nor compares
	// (a stage's flow and tasks: read-only echoes of other objects).
	Drop []string
	// Known are the top-level fields the contract gives the kind's objects
	// besides the server-assigned ones; doctor reports others. Restore
	// and replicate compare only these for a kind written as read (View
	// nil; none named: all), and write the others too.
	Known []string

	// Selector is the prefix of selectors naming one object ("type" in
	// type:contracts), "" when there is none. SelectorField is the JSON
	// field the value is compared with ("" compares the key);
	// SelectorTyped means the value starts with the parent's key
	// ("item:contracts/12"). SelectedWithParent: a selector of the parent
	// selects the kind's objects under it (type:X selects X's fields).
	Selector           string
	SelectorField      string
	SelectorTyped      bool
	SelectedWithParent bool

	// ApplyRank breaks ties in ApplyOrder among kinds ready at the same
	// time (lower first; 0 by default). ApplyLast puts the kind's writes
	// in the last level with the kinds only a person can write.
	ApplyRank int
	ApplyLast bool

	// View, if set, is what restore writes and compares for an object,
	// given a copy of its fields; nil means the fields without
	// ServerAssigned, Secrets, Subs and Drop. CreateBody, if set, shapes
	// a create from the object's fields and its view; nil sends the view.
	View       func(k *Kind, fields map[string]any) map[string]any
	CreateBody func(k *Kind, fields, view map[string]any) map[string]any
}

// Writable reports whether the API can create objects of this kind.
func (k *Kind) Writable() bool { return k.Create != "" }

// ReadOnlyLeaf reports whether the API cannot write k and no kind lives
// under it, the workspace itself excepted: forms, schedule tasks, stats,
// API keys, request logs (not flows or stages, whose tasks are written
// and refer to them). A restore never creates or updates such a kind, so
// its read routes may be switched off (`routes: {forms.list: none}`) and
// a plan can go without reading it.
func (k *Kind) ReadOnlyLeaf() bool {
	if k.Writable() || k.Name == Workspace {
		return false
	}
	for _, c := range table {
		if c.Parent == k.Name {
			return false
		}
	}
	return true
}

// Restorable reports whether a restore may bring objects of this kind back.
func (k *Kind) Restorable() bool { return k.Class != Audit }

// Planned reports whether objects of k take part in restore and replicate
// plans: audit kinds never do, and neither does the workspace itself (its
// name and slug are not a restore's to change).
func (k *Kind) Planned() bool { return k.Restorable() && !k.Singleton && k.IDField != "" }

// UnorderedPaths returns the paths of k's lists whose order is not part of
// the object: the embedded collections, the lists of references not
// marked Ordered, and Unordered.
func (k *Kind) UnorderedPaths() []string {
	var out []string
	for _, s := range k.Subs {
		out = append(out, s.Field)
	}
	for _, r := range k.Refs {
		if p, ok := strings.CutSuffix(r.Path, "[]"); ok && !r.Ordered {
			out = append(out, p)
		}
	}
	return append(out, k.Unordered...)
}

// SelfRefs returns k's references to objects of its own kind (an item's
// relation values): restore writes them in a second pass.
func (k *Kind) SelfRefs() []Ref {
	var out []Ref
	for _, r := range k.Refs {
		if r.Kind == k.Name {
			out = append(out, r)
		}
	}
	return out
}

// All returns every kind in walk order: a parent always comes before its
// children, and a kind before the kinds whose objects point at it where the
// contract allows (types before fields, roles before members).
func All() []*Kind { return table }

// ByName returns the kind with the given name (plural, as in All) or its
// singular label ("type", "quick-task").
func ByName(name string) (*Kind, error) {
	for _, k := range table {
		if k.Name == name {
			return k, nil
		}
	}
	for _, k := range table {
		if k.Name == name+"s" || k.Label == name {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: %q (known: %s)", ErrUnknown, name, strings.Join(Names(), ", "))
}

// Of returns the kind named name, nil when there is none.
func Of(name Name) *Kind {
	for _, k := range table {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// Names returns the names of every kind in table order.
func Names() []Name {
	out := make([]Name, len(table))
	for i, k := range table {
		out[i] = k.Name
	}
	return out
}

// Position returns name's position in the table, -1 when it is unknown.
func Position(name Name) int {
	return slices.IndexFunc(table, func(k *Kind) bool { return k.Name == name })
}

// Unordered returns the unordered list paths of the kind named name (see
// Kind.UnorderedPaths), nil for an unknown kind.
func Unordered(name Name) []string {
	if k := Of(name); k != nil {
		return k.UnorderedPaths()
	}
	return nil
}

// Under reports whether objects of the kind named name live under objects
// of ancestor, through one or more Parent steps.
func Under(name, ancestor Name) bool {
	for k := Of(name); k != nil && k.Parent != ""; k = Of(k.Parent) {
		if k.Parent == ancestor {
			return true
		}
	}
	return false
}

// Replicated returns, in table order, the kinds replicate compares: the
// configuration kinds (and ReplicateWithConfiguration ones), with the data
// and people kinds too when includeData.
func Replicated(includeData bool) []Name {
	var out []Name
	for _, k := range table {
		if !k.Planned() {
			continue
		}
		if k.Class == Configuration || k.ReplicateWithConfiguration || includeData {
			out = append(out, k.Name)
		}
	}
	return out
}

// Prunable returns, in table order, the kinds replicate --prune may
// delete from.
func Prunable() []Name {
	var out []Name
	for _, k := range table {
		if k.Prunable {
			out = append(out, k.Name)
		}
	}
	return out
}

// SelectedWith returns the kinds a selector of one object of parent also
// selects (the fields and items of a type).
func SelectedWith(parent Name) []Name {
	var out []Name
	for _, k := range table {
		if k.SelectedWithParent && k.Parent == parent {
			out = append(out, k.Name)
		}
	}
	return out
}

// BySelector returns the kind whose Selector is prefix, nil when none is.
func BySelector(prefix string) *Kind {
	for _, k := range table {
		if k.Selector != "" && k.Selector == prefix {
			return k
		}
	}
	return nil
}

// Selectors returns the selector prefixes in table order.
func Selectors() []string {
	var out []string
	for _, k := range table {
		if k.Selector != "" {
			out = append(out, k.Selector)
		}
	}
	return out
}

// Register adds entries to the table, after the others, and returns a
// function that removes them again. It is for tests and for trying a
// future kind before its entry is written in table.go; it must not run
// while other goroutines read the table.
func Register(entries ...*Kind) (restore func()) {
	before := table
	table = append(slices.Clip(table), entries...)
	return func() { table = before }
}
