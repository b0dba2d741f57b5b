package api

import "fmt"

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
	Kind string
	By   RefBy
	// When, if not empty, names the condition under which the path is a
	// reference, for people and for the code that resolves it:
	// "relation field" means the path holds item ids only for fields whose
	// type is "relation" (the target type is in the field's options.type).
	When string
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
// is declared here once. Backup walks Kinds(); diff labels changes with it;
// restore orders its work by Refs and Parent; replicate picks Configuration
// kinds and matches objects by NaturalKey.
type Kind struct {
	Name  string // plural, as used in selectors and config: "types"
	Label string // singular, for people: "type"
	Class Class

	// Routes by name in the route table; "" where the API has none.
	List, Count, Get, Create, Update, Delete string

	// Singleton kinds answer one object, not a list (workspace context).
	Singleton bool

	// Parent is the kind whose objects scope this kind's routes, "" for
	// workspace-level kinds. ParentParam is the placeholder the parent
	// fills, from the parent's ParentField.
	Parent      string
	ParentParam string
	ParentField string

	IDField string // the server-assigned id ("id")
	// KeyField identifies an object inside its parent in a snapshot: the
	// id, or for types the slug (the API addresses types by slug).
	KeyField string
	// NaturalKey are the paths that identify an object across workspaces
	// (after the parent): a type's slug, a member's email. Empty when the
	// kind has none and objects can only be matched through an id map.
	NaturalKey []string
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
}

// Writable reports whether the API can create objects of this kind.
func (k *Kind) Writable() bool { return k.Create != "" }

// Restorable reports whether a restore may bring objects of this kind back.
func (k *Kind) Restorable() bool { return k.Class != Audit }

var serverAssigned = []string{"id", "created_at", "updated_at", "user"}

var kinds = []*Kind{
	{
		Name: "workspace", Label: "workspace", Class: Configuration,
		Get: "workspace.context", Singleton: true,
		IDField: "id", KeyField: "slug", NaturalKey: []string{"slug"},
		LabelFields:    []string{"name", "slug"},
		ServerAssigned: serverAssigned,
	},
	{
		Name: "stats", Label: "statistics", Class: Audit,
		Get: "workspace.stats", Singleton: true, Volatile: true,
	},
	{
		Name: "types", Label: "type", Class: Configuration,
		List: "types.list", Count: "types.count", Get: "types.get",
		Create: "types.create", Update: "types.update", Delete: "types.delete",
		IDField: "id", KeyField: "slug", NaturalKey: []string{"slug"},
		LabelFields:    []string{"name", "slug"},
		ServerAssigned: serverAssigned,
	},
	{
		Name: "fields", Label: "field", Class: Configuration,
		List: "fields.list", Get: "fields.get",
		Create: "fields.create", Update: "fields.update", Delete: "fields.delete",
		Parent: "types", ParentParam: "type", ParentField: "slug",
		IDField: "id", KeyField: "id", NaturalKey: []string{"slug"},
		LabelFields: []string{"name", "slug"},
		Refs: []Ref{
			{Path: "options.type", Kind: "types", By: ByKey, When: "relation field"},
		},
		ServerAssigned: serverAssigned,
	},
	{
		Name: "items", Label: "item", Class: Data,
		List: "items.list", Count: "items.count", Get: "items.get",
		Create: "items.create", Update: "items.update", Delete: "items.delete",
		Parent: "types", ParentParam: "type", ParentField: "slug",
		IDField: "id", KeyField: "id",
		LabelFields: []string{"data.name", "data.title", "data.number", "id"},
		Refs: []Ref{
			{Path: "data.*", Kind: "items", By: ByID, When: "relation field"},
		},
		ServerAssigned: serverAssigned,
	},
	{
		Name: "forms", Label: "form", Class: Configuration,
		List: "forms.list", Get: "forms.get",
		Parent: "types", ParentParam: "type", ParentField: "slug",
		IDField: "id", KeyField: "id", NaturalKey: []string{"name"},
		LabelFields: []string{"name"},
		Refs: []Ref{
			{Path: "type", Kind: "types", By: ByKey},
			{Path: "fields[]", Kind: "fields", By: ByKey},
		},
		ServerAssigned: serverAssigned,
	},
	{
		Name: "flows", Label: "flow", Class: Configuration,
		List: "flows.list", Get: "flows.get",
		Parent: "types", ParentParam: "type", ParentField: "slug",
		IDField: "id", KeyField: "id", NaturalKey: []string{"name"},
		LabelFields:    []string{"name"},
		ServerAssigned: serverAssigned,
	},
	{
		Name: "stages", Label: "stage", Class: Configuration,
		List: "stages.list", Get: "stages.get",
		Parent: "flows", ParentParam: "flow", ParentField: "id",
		IDField: "id", KeyField: "id", NaturalKey: []string{"name"},
		LabelFields:    []string{"name"},
		ServerAssigned: serverAssigned,
	},
	{
		Name: "tasks", Label: "task", Class: Configuration,
		List: "tasks.list", Get: "tasks.get", Create: "tasks.create",
		Parent: "stages", ParentParam: "stage", ParentField: "id",
		IDField: "id", KeyField: "id", NaturalKey: []string{"name"},
		LabelFields: []string{"name"},
		Refs: []Ref{
			{Path: "stage", Kind: "stages", By: ByID},
			{Path: "integration", Kind: "integrations", By: ByID},
			{Path: "form", Kind: "forms", By: ByID},
			{Path: "assignees.members[]", Kind: "members", By: ByID},
			{Path: "assignees.roles[]", Kind: "roles", By: ByID},
			{Path: "assignees.groups[]", Kind: "groups", By: ByID},
		},
		ServerAssigned: serverAssigned,
	},
	{
		Name: "schedule-tasks", Label: "schedule task", Class: Configuration,
		List: "schedule-tasks.list", Get: "schedule-tasks.get",
		IDField: "id", KeyField: "id", NaturalKey: []string{"type", "name"},
		LabelFields: []string{"name"},
		Refs: []Ref{
			{Path: "type", Kind: "types", By: ByKey},
			{Path: "reference_field", Kind: "fields", By: ByKey},
		},
		ServerAssigned: serverAssigned,
	},
	{
		Name: "roles", Label: "role", Class: Configuration,
		List: "roles.list", Count: "roles.count", Get: "roles.get",
		Create: "roles.create", Update: "roles.update", Delete: "roles.delete",
		IDField: "id", KeyField: "id", NaturalKey: []string{"slug"},
		LabelFields: []string{"name", "slug"},
		Refs: []Ref{
			{Path: "permissions[].entity", Kind: "types", By: ByKey, When: "entity names a type"},
		},
		Subs: []Sub{{
			Field: "permissions", List: "roles.permissions.list",
			Add: "roles.permissions.add", Remove: "roles.permissions.remove",
		}},
		ServerAssigned: append(append([]string{}, serverAssigned...), "permissions[].id"),
	},
	{
		Name: "groups", Label: "member group", Class: People,
		List: "groups.list", Get: "groups.get",
		Create: "groups.create", Update: "groups.update", Delete: "groups.delete",
		IDField: "id", KeyField: "id", NaturalKey: []string{"name"},
		LabelFields: []string{"name"},
		Refs: []Ref{
			{Path: "users[]", Kind: "members", By: ByID},
		},
		Subs: []Sub{{
			Field: "users", Add: "groups.users.add", Remove: "groups.users.remove",
		}},
		ServerAssigned: serverAssigned,
	},
	{
		Name: "members", Label: "member", Class: People,
		List: "members.list", Count: "members.count", Get: "members.get",
		Create: "members.create", Update: "members.update", Delete: "members.delete",
		IDField: "id", KeyField: "id", NaturalKey: []string{"email"},
		LabelFields: []string{"email"},
		Refs: []Ref{
			{Path: "role", Kind: "roles", By: ByID},
		},
		ServerAssigned: serverAssigned,
	},
	{
		Name: "quick-tasks", Label: "quick task", Class: Data,
		List: "quick-tasks.list", Count: "quick-tasks.count", Get: "quick-tasks.get",
		Create: "quick-tasks.create", Update: "quick-tasks.update", Delete: "quick-tasks.delete",
		IDField: "id", KeyField: "id",
		LabelFields: []string{"title"},
		Refs: []Ref{
			{Path: "assignees.members[]", Kind: "members", By: ByID},
			{Path: "assignees.groups[]", Kind: "groups", By: ByID},
			{Path: "item.type", Kind: "types", By: ByKey},
			{Path: "item.id", Kind: "items", By: ByID},
		},
		ServerAssigned: serverAssigned,
	},
	{
		Name: "integrations", Label: "integration", Class: Configuration,
		List: "integrations.list", Get: "integrations.get", Create: "integrations.create",
		IDField: "id", KeyField: "id", NaturalKey: []string{"integration.slug"},
		LabelFields:    []string{"integration.name", "integration.slug"},
		Secrets:        []string{"data.token", "data.api_key"},
		ServerAssigned: append(append([]string{}, serverAssigned...), "integration"),
	},
	{
		Name: "api-keys", Label: "API key", Class: Audit,
		List:    "api-keys.list",
		IDField: "id", KeyField: "id",
		LabelFields:    []string{"description", "reference"},
		ServerAssigned: serverAssigned,
	},
	{
		Name: "request-logs", Label: "request log entry", Class: Audit,
		List: "request-logs.list", Volatile: true,
		IDField: "id", KeyField: "id",
		LabelFields:    []string{"path"},
		ServerAssigned: serverAssigned,
	},
}

// IntegrationSecretKeys are the keys of integration data that each
// provider needs and the API never returns (documented for Certisign and
// Sendgrid). Creating such an integration needs them from the operator.
var IntegrationSecretKeys = map[string][]string{
	"certisign": {"token"},
	"sendgrid":  {"api_key"},
}

// Kinds returns every kind in walk order: a parent always comes before its
// children, and a kind before the kinds whose objects point at it where the
// contract allows (types before fields, roles before members).
func Kinds() []*Kind { return kinds }

// KindByName returns the kind with the given name (plural, as in Kinds) or
// its singular label ("type", "quick-task").
func KindByName(name string) (*Kind, error) {
	for _, k := range kinds {
		if k.Name == name {
			return k, nil
		}
	}
	for _, k := range kinds {
		if k.Name == name+"s" || k.Label == name {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: %q (known: %s)", ErrUnknownKind, name, kindNames())
}

func kindNames() string {
	s := ""
	for i, k := range kinds {
		if i > 0 {
			s += ", "
		}
		s += k.Name
	}
	return s
}
