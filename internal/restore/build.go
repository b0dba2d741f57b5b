package restore

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// IDs is the id map as planning reads it.
type IDs interface {
	Target(kind, sourceID string) (string, bool)
	Pending(kind, sourceID string) bool
}

// Secrets are the integration secrets configured for the target
// environment. Names returns the secret keys configured for a provider
// ("token"); Where says where, for the plan ("environments.production.secrets.certisign").
type Secrets interface {
	Names(provider string) []string
	Value(provider, key string) (string, bool)
	Where(provider string) string
}

// Selection says which source objects a plan brings over.
type Selection struct {
	// Objects selects whole objects.
	Objects func(o *Obj) bool
	// PermissionEntities selects role permissions by entity on roles that
	// are not selected whole (restoring a type brings back the
	// permissions on it). Nil selects none.
	PermissionEntities func(entity string) bool
	// GroupUsers brings group membership over for the selected groups.
	GroupUsers bool
	// LinkInto re-links relation values that point at items of these
	// types, on items that are not selected whole. Nil links none.
	LinkInto func(typeSlug string) bool
}

// Input is what Build plans from.
type Input struct {
	Operation  string // "restore" or "replicate"
	Source     *Set
	SourceName string
	SourceRef  string
	Target     *Set
	TargetName string
	Scope      Scope
	Select     Selection
	// Same says source and target are the same workspace: an id of the
	// source that exists in the target is the same object.
	Same    bool
	IDs     IDs
	Secrets Secrets
	// Environment is the value integrations' data.environment gets in the
	// target ("production"), "" to keep the source's.
	Environment string
	// Prune plans the deletion of target objects of the selected kinds
	// that the source lacks.
	Prune      bool
	PruneKinds []string
}

// builder holds the state of one Build.
type builder struct {
	in       Input
	lv       levels
	match    map[*Obj]*Obj   // source -> target
	how      map[*Obj]string // source -> how it matched
	claimed  map[*Obj]bool   // target objects matched by some source object
	creating map[*Obj]bool   // source objects the plan creates
	steps    []*Step
	refs     map[string]string
	idTypes  map[string]string // kind -> JSON type of the target's ids
	stale    map[string]string // kind/source id -> target id of an entry whose object is gone
	// order ranks the types whose items are created by their required
	// relations; createdLinks are the relation fields an item's create
	// carries (the links pass leaves them out).
	order        itemOrder
	createdLinks map[*Obj]map[string]bool
	stepsIdx     stepsIndex                 // see stepIndex
	scopeItems   map[string]map[string]bool // Scope.Items as sets, built by covered
}

// Build compares the source with the target and returns the plan.
func Build(in Input) (*Plan, error) {
	if in.Source == nil || in.Target == nil || in.Select.Objects == nil {
		return nil, fmt.Errorf("plan: source, target and selection are required")
	}
	if failed := in.Target.Failed(); len(failed) > 0 {
		for kind, e := range failed {
			return nil, fmt.Errorf("plan: %s of the target could not be read: %s", kind, e)
		}
	}
	lv, err := newLevels()
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	order, _ := kind.ApplyOrder()
	b := &builder{in: in, lv: lv, match: map[*Obj]*Obj{}, how: map[*Obj]string{}, claimed: map[*Obj]bool{},
		creating: map[*Obj]bool{}, refs: map[string]string{}, idTypes: idTypes(in.Target), stale: map[string]string{},
		order: newItemOrder(in.Source), createdLinks: map[*Obj]map[string]bool{}}
	for _, k := range kind.All() {
		if planned(k) {
			b.matchKind(k)
		}
	}
	// Objects are decided in apply order, a kind after the kinds it
	// references, so that references to objects the plan creates are
	// known as such.
	for _, a := range order {
		if a.Pass != kind.PassObjects {
			continue
		}
		k := kind.Of(a.Kind)
		for _, o := range in.Source.Of(a.Kind) {
			if in.Select.Objects(o) {
				b.decide(k, o)
			}
		}
		switch a.Kind {
		case kind.Roles:
			b.permissionSteps()
		case kind.Members:
			if in.Select.GroupUsers {
				b.groupUserSteps()
			}
		case kind.Items:
			b.itemCreates()
			b.linkSteps()
		case kind.QuickTasks:
			b.quickTaskLinkSteps()
		}
	}
	b.relaxSteps()
	if in.Prune {
		b.pruneSteps()
	}
	p := &Plan{Format: planFormat, Version: planVersion, Operation: in.Operation,
		Source: in.SourceName, SourceRef: in.SourceRef, Target: in.TargetName,
		Scope: in.Scope, Fingerprint: Fingerprint(in.Target), Steps: b.steps, Refs: b.refs, IDTypes: b.idTypes}
	if len(b.stale) > 0 {
		p.Stale = b.stale
	}
	spreadLevels(p.Steps)
	placeRelaxSteps(p.Steps)
	p.sortSteps()
	return p, nil
}

// sourceParent returns the source object that is o's parent.
func (b *builder) sourceParent(k *kind.Kind, o *Obj) *Obj {
	if k.Parent == "" {
		return nil
	}
	pk, _ := kind.ByName(k.Parent)
	if k.ParentField == pk.IDField {
		return b.in.Source.ByID(pk.Name, o.Parent)
	}
	return b.in.Source.ByKey(pk.Name, "", o.Parent)
}

// parentKey returns the key under which t's children are filed, for kind k.
func parentKey(k *kind.Kind, t *Obj) string {
	pk, _ := kind.ByName(k.Parent)
	if k.ParentField == pk.IDField {
		return t.ID
	}
	return t.Key
}

// matchKind finds the target object of every source object of k, through
// indexes (by id, by parent and natural key), so that matching costs time
// in proportion to the objects, not their square.
func (b *builder) matchKind(k *kind.Kind) {
	byKey := map[string][]*Obj{} // target parent \x00 natural key -> target objects
	if len(k.NaturalKey) > 0 {
		for _, t := range b.in.Target.Of(k.Name) {
			if nk := naturalKey(k, t); nk != "" {
				byKey[t.Parent+"\x00"+nk] = append(byKey[t.Parent+"\x00"+nk], t)
			}
		}
	}
	for _, o := range b.in.Source.Of(k.Name) {
		targetParent := ""
		if k.Parent != "" {
			sp := b.sourceParent(k, o)
			tp := b.match[sp]
			if sp == nil || tp == nil {
				continue
			}
			targetParent = parentKey(k, tp)
		}
		if t, how := b.find(k, o, targetParent, byKey); t != nil {
			b.match[o], b.how[o], b.claimed[t] = t, how, true
		}
	}
}

func (b *builder) find(k *kind.Kind, o *Obj, targetParent string, byKey map[string][]*Obj) (*Obj, string) {
	free := func(c *Obj) bool { return c != nil && c.Parent == targetParent && !b.claimed[c] }
	if b.in.IDs != nil && o.ID != "" {
		if id, ok := b.in.IDs.Target(k.Name, o.ID); ok {
			if c := b.in.Target.ByID(k.Name, id); free(c) {
				return c, "id map"
			}
		}
	}
	if b.in.Same && o.ID != "" {
		if c := b.in.Target.ByID(k.Name, o.ID); free(c) {
			return c, "same id"
		}
	}
	if nk := naturalKey(k, o); nk != "" {
		for _, c := range byKey[targetParent+"\x00"+nk] {
			if free(c) {
				return c, describeKey(k, o)
			}
		}
	}
	return nil, ""
}

// resolution states of a reference at planning time.
const (
	resolved = iota
	pendingRef
	missingRef
)

// resolve returns the target id of the source object kind/id.
func (b *builder) resolve(kind, id string) (string, int) {
	if o := b.in.Source.ByID(kind, id); o != nil {
		if t := b.match[o]; t != nil {
			return t.ID, resolved
		}
		if b.creating[o] {
			return "", pendingRef
		}
	}
	if b.in.IDs != nil {
		if t, ok := b.in.IDs.Target(kind, id); ok {
			if b.in.Target.ByID(kind, t) != nil {
				return t, resolved
			}
			if o := b.in.Source.ByID(kind, id); o != nil && b.covered(o, t) {
				b.stale[kind+"/"+id] = t
			}
		}
	}
	if b.in.Same && b.in.Target.ByID(kind, id) != nil {
		return id, resolved
	}
	return "", missingRef
}

// mappedView is compareView with references translated to target ids, as
// far as they are known; integration environments follow the target.
func (b *builder) mappedView(k *kind.Kind, o *Obj, unresolved *[]string) map[string]any {
	v := compareView(k, o)
	for _, r := range idRefs(k) {
		visitPath(v, r.Path, func(_ string, val any) (any, bool) {
			return b.translate(r.Kind, val, unresolved)
		})
	}
	if k.Name == kind.Integrations && b.in.Environment != "" {
		if data, ok := v["data"].(map[string]any); ok {
			if _, has := data["environment"]; has {
				data["environment"] = b.in.Environment
			}
		}
	}
	return v
}

// translate maps one referenced id for comparison.
func (b *builder) translate(kind string, val any, unresolved *[]string) (any, bool) {
	id := text(val)
	if id == "" {
		return val, true
	}
	t, state := b.resolve(kind, id)
	switch state {
	case resolved:
		b.refs[kind+"/"+id] = t
		return idValue(t, b.idTypes[kind], val), true
	case pendingRef:
		return "(new " + kind + " " + id + ")", true
	}
	if unresolved != nil {
		*unresolved = append(*unresolved, kindLabel(kind)+" "+id)
	}
	return "(missing " + kind + " " + id + ")", true
}

func kindLabel(name string) string {
	if k, err := kind.ByName(name); err == nil {
		return k.Label
	}
	return name
}

// add appends a step for source object o.
func (b *builder) add(k *kind.Kind, o *Obj, action Action, reason string) *Step {
	s := &Step{Kind: k.Name, Parent: o.Parent, Key: o.Key, Label: label(k, o), Action: action,
		Reason: reason, SourceID: o.ID, Level: b.lv.kind(k.Name)}
	if t := b.match[o]; t != nil {
		s.Match, s.TargetID = b.how[o], t.ID
		if t.Key != t.ID {
			s.TargetKey = t.Key
		}
	}
	if k.Parent != "" {
		if sp := b.sourceParent(k, o); sp != nil {
			if tp := b.match[sp]; tp != nil {
				s.TargetParent = parentKey(k, tp)
			}
		}
	}
	if conditionalApplies(k, o) {
		s.Level = b.lv.node(kind.Apply{Kind: k.Name, Pass: kind.PassConditional})
	}
	b.steps = append(b.steps, s)
	return s
}

// parentMissing returns a reason when o's parent is neither in the target
// nor created by the plan.
func (b *builder) parentMissing(k *kind.Kind, o *Obj) string {
	if k.Parent == "" {
		return ""
	}
	sp := b.sourceParent(k, o)
	if sp != nil && (b.match[sp] != nil || b.creating[sp]) {
		return ""
	}
	pk, _ := kind.ByName(k.Parent)
	hint := ""
	if pk.Name == kind.Types {
		hint = fmt.Sprintf(" (restore type:%s first)", o.Parent)
	}
	return fmt.Sprintf("its %s %s is missing in the target and not part of this plan%s", pk.Label, o.Parent, hint)
}

// decide plans one selected source object.
func (b *builder) decide(k *kind.Kind, o *Obj) {
	if !planned(k) {
		return
	}
	t := b.match[o]
	if t == nil && k.Writable() && k.Name != kind.Tasks {
		if why := b.parentMissing(k, o); why != "" {
			b.add(k, o, Manual, why)
			return
		}
	}
	if t != nil && sameBytes(k, o, t) {
		b.add(k, o, Skip, "equal")
		return
	}
	var unresolved []string
	want := b.mappedView(k, o, &unresolved)
	switch {
	case k.Name == kind.Members && text(o.Fields()["type"]) == "owner":
		b.decideOwner(k, o, t, want)
		return
	case k.Name == kind.Integrations:
		b.decideIntegration(k, o, t, want)
		return
	}
	if t != nil {
		b.decideExisting(k, o, t, want, unresolved)
		return
	}
	if !k.Writable() {
		b.add(k, o, Manual, fmt.Sprintf("missing in the target; the API cannot create %ss: recreate it in the Enspace UI", k.Label))
		return
	}
	if k.Name == kind.Tasks {
		if _, st := b.resolve(kind.Stages, o.Parent); st != resolved {
			b.add(k, o, Manual, "missing in the target, and so is its stage (stages are read-only): recreate it in the Enspace UI")
			return
		}
	}
	b.creating[o] = true
	b.noteStale(k, o)
	s := b.add(k, o, Create, "missing in the target")
	s.Body = marshalRaw(createBody(k, o, b.in.Source))
	if b.in.IDs != nil && b.in.IDs.Pending(k.Name, o.ID) {
		s.Lookup = true
		s.Reason += "; an earlier apply was interrupted while creating it: it is looked up first"
	}
	if len(unresolved) > 0 {
		s.Reason += "; not in the target, left empty: " + strings.Join(unresolved, ", ")
	}
}

// noteStale records the id map entry of a source object the plan creates:
// its target object is gone (a mapped object the target has is matched,
// never created), so the entry is stale and the create replaces it. Only
// where the target was read (covered): an entry pointing where it was not
// read (the items of a type renamed in the target) is kept, and the
// engine sends no create beside the object it names.
func (b *builder) noteStale(k *kind.Kind, o *Obj) {
	if b.in.IDs == nil || o.ID == "" {
		return
	}
	if t, ok := b.in.IDs.Target(k.Name, o.ID); ok && b.in.Target.ByID(k.Name, t) == nil && b.covered(o, t) {
		b.stale[k.Name+"/"+o.ID] = t
	}
}

// covered reports whether the target was read where the target object
// id, mapped from source object o, would be: only then does its absence
// mean it is gone. A kind outside the scope, or an item of a type whose
// items were read by id but not this one, was not looked for.
func (b *builder) covered(o *Obj, id string) bool {
	sc := b.in.Scope
	if len(sc.Kinds) == 0 {
		return true // the whole target was read
	}
	if !contains(sc.Kinds, o.Kind) {
		return false
	}
	k := kind.Of(o.Kind)
	if k == nil || k.Parent != kind.Types {
		return true
	}
	tt := b.match[b.in.Source.ByKey(kind.Types, "", o.Parent)]
	if tt == nil {
		return true // its type is gone from the target, and its objects with it
	}
	if ids, byID := sc.Items[tt.Key]; byID && k.Name == kind.Items {
		// A set, not a scan of the list for each object: a plan of many
		// items read by id asks for each one it creates.
		set, ok := b.scopeItems[tt.Key]
		if !ok {
			set = make(map[string]bool, len(ids))
			for _, i := range ids {
				set[i] = true
			}
			if b.scopeItems == nil {
				b.scopeItems = map[string]map[string]bool{}
			}
			b.scopeItems[tt.Key] = set
		}
		return set[id]
	}
	return sc.Includes(k.Name, tt.Key)
}

// sameBytes reports whether o and its match t are equal without decoding
// either: byte for byte the same JSON, of a kind whose comparison
// translates no reference by id (items: relation values are compared in
// the links pass) and changes nothing of the target's (integrations). Most
// objects of a restored type are unchanged: they are judged by their
// bytes, and neither side is decoded and kept decoded for them.
func sameBytes(k *kind.Kind, o, t *Obj) bool {
	return k.Name != kind.Integrations && len(idRefs(k)) == 0 && bytes.Equal(o.Raw, t.Raw)
}

// decideExisting plans an object the target has.
func (b *builder) decideExisting(k *kind.Kind, o, t *Obj, want map[string]any, unresolved []string) {
	have := compareView(k, t)
	if len(k.SelfRefs()) > 0 {
		want, have = plainData(want, relationsOf(b.in.Source, o.Parent)), plainData(have, relationsOf(b.in.Source, o.Parent))
	}
	changes := kindChanges(k.Name, want, have)
	switch {
	case len(changes) == 0:
		b.add(k, o, Skip, "equal")
	case k.Update == "":
		s := b.add(k, o, Manual, fmt.Sprintf("differs in %s; the API cannot update %ss: change it in the Enspace UI",
			strings.Join(changes, ", "), k.Label))
		s.Changes = changes
	default:
		s := b.add(k, o, Update, "differs in "+strings.Join(changes, ", "))
		s.Changes = changes
		s.Body = marshalRaw(updateBody(k, o, b.in.Source))
		if len(unresolved) > 0 {
			s.Reason += "; not in the target, left empty: " + strings.Join(unresolved, ", ")
		}
	}
}

// decideOwner plans the workspace owner, whom the API cannot create or change.
func (b *builder) decideOwner(k *kind.Kind, o, t *Obj, want map[string]any) {
	if t != nil && len(kindChanges(k.Name, want, compareView(k, t))) == 0 {
		b.add(k, o, Skip, "equal")
		return
	}
	b.add(k, o, Manual, "the owner cannot be created or changed through the API: invite them in the Enspace UI, or add them as a full member")
}

// decideIntegration plans an integration: created with its secrets from
// the target's configuration, never updated (the API has no route).
func (b *builder) decideIntegration(k *kind.Kind, o, t *Obj, want map[string]any) {
	prov := provider(o)
	if t != nil {
		changes := kindChanges(k.Name, want, compareView(k, t))
		if len(changes) == 0 {
			b.add(k, o, Skip, "equal (secrets are never read back, so not compared)")
			return
		}
		s := b.add(k, o, Manual, fmt.Sprintf("differs in %s; the API cannot update integrations: change it in the Enspace UI",
			strings.Join(changes, ", ")))
		s.Changes = changes
		return
	}
	var have []string
	if b.in.Secrets != nil {
		have = b.in.Secrets.Names(prov)
	}
	// The provider's documented secrets, and any key whose value the
	// server masked (a provider the table does not list): a mask is never
	// sent, the operator supplies the value.
	needed := slices.Clone(kind.IntegrationSecretKeys[prov])
	if data, ok := o.Fields()["data"].(map[string]any); ok {
		for _, key := range kind.MaskedKeys(data) {
			if !contains(needed, key) {
				needed = append(needed, key)
			}
		}
	}
	var missing []string
	for _, key := range needed {
		if !contains(have, key) {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		where := "the target environment's secrets." + prov
		if b.in.Secrets != nil {
			where = b.in.Secrets.Where(prov)
		}
		b.add(k, o, Manual, fmt.Sprintf("missing in the target and needs its secret %s re-entered: set %s.%s in the config, or create it in the Enspace UI",
			strings.Join(missing, ", "), where, missing[0]))
		return
	}
	b.creating[o] = true
	b.noteStale(k, o)
	body := createBody(k, o, b.in.Source)
	if data, ok := body["data"].(map[string]any); ok && b.in.Environment != "" {
		if _, has := data["environment"]; has {
			data["environment"] = b.in.Environment
		}
	}
	s := b.add(k, o, Create, "missing in the target")
	s.Body = marshalRaw(body)
	if len(have) > 0 {
		for _, key := range have {
			s.Secrets = append(s.Secrets, prov+"."+key)
		}
		s.Reason += fmt.Sprintf("; secret %s from %s", strings.Join(have, ", "), b.in.Secrets.Where(prov))
	}
	if b.in.IDs != nil && b.in.IDs.Pending(k.Name, o.ID) {
		s.Lookup = true
	}
}
