package restore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// Action is what a plan does with one object.
type Action string

// The actions of a plan.
const (
	Create Action = "create" // the target lacks it: create it
	Update Action = "update" // the target has it, different: write the source's state
	Skip   Action = "skip"   // the target has it, equal: nothing to do
	Manual Action = "manual" // the API cannot do it: a person must, in the Enspace UI
	Delete Action = "delete" // replicate --prune: the source lacks it
)

// Pseudo kinds of steps that write an embedded collection through routes
// of its own.
const (
	KindPermissions = "permissions" // a role's permissions (key: the role's key)
	KindGroupUsers  = "group-users" // a group's members (key: the group's key)
	PhaseLinks      = "links"       // an item step that sets relation values only
	planVersion     = 1             // the format of a saved plan
	planFormat      = "enspace-sync plan"
)

// Step is one object's action.
type Step struct {
	Kind   string `json:"kind"`
	Parent string `json:"parent,omitempty"` // the parent's key in the source (type slug, flow id)
	Key    string `json:"key"`              // the key in the source
	Label  string `json:"label"`
	Action Action `json:"action"`
	Reason string `json:"reason"`
	// Match says how the target object was found: "id map", "same id",
	// "slug contracts"; empty when there is none.
	Match    string `json:"match,omitempty"`
	SourceID string `json:"source_id,omitempty"`
	TargetID string `json:"target_id,omitempty"`
	// TargetKey is the object's key in the target when it is not its id
	// (a type's slug).
	TargetKey string `json:"target_key,omitempty"`
	// TargetParent is the parent's key in the target (a flow's id there).
	TargetParent string `json:"target_parent,omitempty"`
	// Phase is "links" for the second pass over items.
	Phase string `json:"phase,omitempty"`
	Level int    `json:"level"`
	// Changes lists the fields that differ, for update and manual.
	Changes []string `json:"changes,omitempty"`
	// Lookup asks the engine to look the object up in the target before
	// creating it: an earlier apply may have created it.
	Lookup bool `json:"lookup,omitempty"`
	// Secrets names the integration secrets the engine adds from the
	// target's configuration, as provider.key ("certisign.token"); names
	// only, never values.
	Secrets []string `json:"secrets,omitempty"`
	// Body is what the step writes, with source ids in its references.
	Body json.RawMessage `json:"body,omitempty"`
	// Relations names the data fields of an item's create that hold
	// relation values (source item ids): the engine translates them
	// through the id map and leaves out a value whose item the target
	// lacks, never sending null for it.
	Relations []string `json:"relations,omitempty"`
	// Held are relation values of the target item (target ids, not
	// translated) that an item's update or links step sends as they are,
	// for the relation fields it does not set, or cannot when it is sent:
	// a server that replaces an item's data on update would clear them.
	Held json.RawMessage `json:"held,omitempty"`
	// Result is set by Apply.
	Result *Result `json:"result,omitempty"`

	sub  int      // the sub-level within Level while planning (see spreadLevels)
	left []string // relation values the engine left as they are, for the Result
	sent bool     // a request of the step was sent in this apply
}

// Result is the outcome of applying one step.
type Result struct {
	Status   string `json:"status"` // done, failed, manual, skipped, not sent
	TargetID string `json:"target_id,omitempty"`
	Error    string `json:"error,omitempty"`
	Note     string `json:"note,omitempty"` // "found by slug after a lost answer"
}

// The statuses of a Result.
const (
	StatusDone    = "done"
	StatusFailed  = "failed"
	StatusManual  = "manual"
	StatusSkipped = "skipped"
	// StatusNotSent: the write was not sent, as the server had refused
	// the API key on an earlier step of the apply.
	StatusNotSent = "not sent"
)

// Plan is everything one restore or replicate will do.
type Plan struct {
	Format    string `json:"format"`
	Version   int    `json:"version"`
	Operation string `json:"operation"` // restore or replicate
	// Source and Target are workspace names as in the configuration;
	// SourceRef says which state of the source (a snapshot id, "live").
	Source    string `json:"source"`
	SourceRef string `json:"source_ref"`
	Target    string `json:"target"`
	// Scope is what of the target was read to plan (kinds and type slugs);
	// Fingerprint is the hash of those objects. Applying a saved plan
	// re-reads the same scope and refuses when the hash changed.
	Scope       Scope  `json:"scope"`
	Fingerprint string `json:"fingerprint"`
	// Refs are source objects outside the plan that its steps reference,
	// and the target objects that stand for them ("roles/5": "12").
	Refs map[string]string `json:"refs,omitempty"`
	// IDTypes are the JSON types ("string", "number") the target gives
	// the ids of each kind it has objects of: references are sent with
	// the type of the target's ids. A kind absent here follows the
	// source's value.
	IDTypes map[string]string `json:"id_types,omitempty"`
	// Stale are the id map entries whose target object was gone when the
	// plan was made ("items/1061": "5003"): the source object was created
	// by an earlier apply, then deleted from the target. The engine
	// ignores such an entry while it still holds that id, and a create
	// replaces it; an entry written after planning (an apply that was
	// stopped) is used as it is.
	Stale map[string]string `json:"stale,omitempty"`
	Steps []*Step           `json:"steps"`
	// RefusedFields are, after an apply, by kind, the top-level fields
	// beyond the contract that the server refused on a write ("property
	// revision should not exist"): the writes went without them, so they
	// were not written.
	RefusedFields map[string][]string `json:"refused_fields,omitempty"`
}

// Scope is what of the target a plan reads.
type Scope struct {
	Kinds []string `json:"kinds"`
	Types []string `json:"types,omitempty"` // type slugs whose objects are read; empty: all
	// Items are, by type slug, the ids of the items read one by one
	// through the get route instead of listing the type's items: a plan
	// of a few items reads those and the items they point at, whatever
	// the size of the type. A type of Types absent here has all its
	// items listed.
	Items map[string][]string `json:"items,omitempty"`
}

// Includes reports whether the scope lists kind under typeSlug. The items
// of a type in Items are not listed: ItemsByID names them.
func (s Scope) Includes(name, typeSlug string) bool {
	if !contains(s.Kinds, name) {
		return false
	}
	if name == kind.Items && s.Items != nil {
		if _, byID := s.Items[typeSlug]; byID {
			return false
		}
	}
	return name == kind.Types || typeSlug == "" || len(s.Types) == 0 || contains(s.Types, typeSlug)
}

// ItemsByID returns the items the scope reads one by one, as type slug
// and id, sorted.
func (s Scope) ItemsByID() [][2]string {
	if !contains(s.Kinds, kind.Items) {
		return nil
	}
	var out [][2]string
	for _, slug := range sortedKeys(s.Items) {
		for _, id := range s.Items[slug] {
			out = append(out, [2]string{slug, id})
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Counts returns the number of steps per action.
func (p *Plan) Counts() map[Action]int {
	out := map[Action]int{}
	for _, s := range p.Steps {
		out[s.Action]++
	}
	return out
}

// Writes returns the number of steps that change the target.
func (p *Plan) Writes() int {
	c := p.Counts()
	return c[Create] + c[Update] + c[Delete]
}

// Empty reports whether applying the plan would change nothing.
func (p *Plan) Empty() bool { return p.Writes() == 0 }

// sortSteps orders steps by level, then kind, parent and key.
func (p *Plan) sortSteps() {
	sort.SliceStable(p.Steps, func(i, j int) bool {
		a, b := p.Steps[i], p.Steps[j]
		if a.Level != b.Level {
			return a.Level < b.Level
		}
		if a.Kind != b.Kind {
			return kindOrder(a.Kind) < kindOrder(b.Kind)
		}
		if a.Parent != b.Parent {
			return lessKey(a.Parent, b.Parent)
		}
		return lessKey(a.Key, b.Key)
	})
}

// ErrPlanFormat is returned when a file is not a saved plan this version
// can apply.
var ErrPlanFormat = errors.New("not a plan this version of enspace-sync can apply")

// WritePlan writes p as indented JSON.
func WritePlan(w io.Writer, p *Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// ReadPlan reads a plan saved by WritePlan.
func ReadPlan(path string) (*Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := DecodePlan(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// DecodePlan reads a plan saved by WritePlan and checks that each step is
// one the engine can run.
func DecodePlan(r io.Reader) (*Plan, error) {
	var p Plan
	d := json.NewDecoder(io.LimitReader(r, 1<<30))
	if err := d.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPlanFormat, err)
	}
	if p.Format != planFormat || p.Version != planVersion {
		return nil, fmt.Errorf("%w: format %q version %d", ErrPlanFormat, p.Format, p.Version)
	}
	if p.Target == "" || p.Source == "" {
		return nil, fmt.Errorf("%w: no source or target workspace", ErrPlanFormat)
	}
	if err := p.Scope.check(); err != nil {
		return nil, fmt.Errorf("%w: scope: %v", ErrPlanFormat, err)
	}
	for i, s := range p.Steps {
		if s == nil {
			return nil, fmt.Errorf("%w: step %d is empty", ErrPlanFormat, i+1)
		}
		if err := s.check(); err != nil {
			return nil, fmt.Errorf("%w: step %d: %v", ErrPlanFormat, i+1, err)
		}
		if i > 0 && s.Level < p.Steps[i-1].Level {
			return nil, fmt.Errorf("%w: step %d is out of order", ErrPlanFormat, i+1)
		}
	}
	return &p, nil
}

// check refuses item ids a saved plan's scope could not name: the ids
// are put into request paths.
func (s Scope) check() error {
	for slug, ids := range s.Items {
		for _, id := range append([]string{slug}, ids...) {
			if id == "" || id == "." || id == ".." {
				return fmt.Errorf("items of %q: %q is not a key", slug, id)
			}
		}
	}
	return nil
}

// check refuses a step the engine could not run safely.
func (s *Step) check() error {
	switch s.Action {
	case Create, Update, Delete, Skip, Manual:
	default:
		return fmt.Errorf("unknown action %q", s.Action)
	}
	if s.Kind != KindPermissions && s.Kind != KindGroupUsers {
		if _, err := kind.ByName(s.Kind); err != nil {
			return err
		}
	}
	if (s.Action == Create || s.Action == Update) && len(s.Body) == 0 {
		return fmt.Errorf("%s of %s %s has no body", s.Action, s.Kind, s.Key)
	}
	if s.Action == Create && s.SourceID == "" && s.Kind != KindPermissions && s.Kind != KindGroupUsers {
		return fmt.Errorf("create of %s %s has no source id", s.Kind, s.Key)
	}
	if s.Action == Delete && s.TargetID == "" {
		return fmt.Errorf("delete of %s %s has no target id", s.Kind, s.Key)
	}
	if s.Result != nil {
		return fmt.Errorf("%s %s has already been applied (it has a result): plan again", s.Kind, s.Key)
	}
	return nil
}
