package restore

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// permission is one permission of a role.
type permission struct {
	ID     string `json:"id,omitempty"`
	Entity string `json:"entity"`
	Action string `json:"action"`
	Rules  any    `json:"rules"`
}

func permissionsOf(o *Obj) []permission {
	list, _ := o.Fields()["permissions"].([]any)
	var out []permission
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		rules := m["rules"]
		if rules == nil {
			rules = map[string]any{}
		}
		out = append(out, permission{ID: text(m["id"]), Entity: text(m["entity"]), Action: text(m["action"]), Rules: rules})
	}
	return out
}

// subChange is the body of a permissions or group-users step.
type subChange struct {
	Add    []any    `json:"add,omitempty"`
	Remove []string `json:"remove,omitempty"`
}

// permissionSteps plans the permissions of roles: all of them for roles
// selected whole, those on the selected entities for the others.
func (b *builder) permissionSteps() {
	rk, _ := kind.ByName(kind.Roles)
	for _, o := range b.in.Source.Of(kind.Roles) {
		whole := b.in.Select.Objects(o)
		var want []permission
		for _, p := range permissionsOf(o) {
			if whole || (b.in.Select.PermissionEntities != nil && b.in.Select.PermissionEntities(p.Entity)) {
				want = append(want, p)
			}
		}
		if len(want) == 0 && !(whole && b.in.Prune) {
			continue
		}
		t := b.match[o]
		step := &Step{Kind: KindPermissions, Key: o.Key, Label: label(rk, o), SourceID: o.ID, Level: b.lv.node(pseudoKinds[KindPermissions])}
		if t != nil {
			step.TargetID, step.Match = t.ID, b.how[o]
		}
		b.steps = append(b.steps, step)
		if t == nil && !b.creating[o] {
			step.Action = Manual
			step.Reason = fmt.Sprintf("role %s is missing in the target and not part of this plan (restore role:%s)", label(rk, o), text(o.Fields()["slug"]))
			continue
		}
		var have []permission
		if t != nil {
			have = permissionsOf(t)
		}
		var change subChange
		var notes []string
		for _, p := range want {
			found := false
			for _, h := range have {
				if h.Entity == p.Entity && h.Action == p.Action {
					found = true
					if !jsonv.Equal(h.Rules, p.Rules) {
						change.Remove = append(change.Remove, h.ID)
						change.Add = append(change.Add, permission{Entity: p.Entity, Action: p.Action, Rules: p.Rules})
						notes = append(notes, fmt.Sprintf("changes the rules of %s on %s", p.Action, p.Entity))
					}
				}
			}
			if !found {
				change.Add = append(change.Add, permission{Entity: p.Entity, Action: p.Action, Rules: p.Rules})
				notes = append(notes, fmt.Sprintf("adds %s on %s", p.Action, p.Entity))
			}
		}
		if whole && b.in.Prune {
			for _, h := range have {
				if !hasPermission(want, h.Entity, h.Action) {
					change.Remove = append(change.Remove, h.ID)
					notes = append(notes, fmt.Sprintf("removes %s on %s", h.Action, h.Entity))
				}
			}
		}
		switch {
		case len(notes) == 0:
			step.Action, step.Reason = Skip, "equal"
		case t == nil:
			step.Action, step.Reason = Create, strings.Join(notes, "; ")
		default:
			step.Action, step.Reason = Update, strings.Join(notes, "; ")
		}
		if len(notes) > 0 {
			step.Body = marshalRaw(change)
		}
	}
}

func hasPermission(list []permission, entity, action string) bool {
	for _, p := range list {
		if p.Entity == entity && p.Action == action {
			return true
		}
	}
	return false
}

// groupUserSteps plans the membership of the selected groups.
func (b *builder) groupUserSteps() {
	gk, _ := kind.ByName(kind.Groups)
	for _, o := range b.in.Source.Of(kind.Groups) {
		if !b.in.Select.Objects(o) {
			continue
		}
		t := b.match[o]
		if t == nil && !b.creating[o] {
			continue // the group's own step says why
		}
		have := map[string]bool{}
		if t != nil {
			for _, u := range asList(t.Fields()["users"]) {
				have[text(u)] = true
			}
		}
		var change subChange
		var added, missing []string
		wanted := map[string]bool{}
		for _, u := range asList(o.Fields()["users"]) {
			id := text(u)
			tid, state := b.resolve(kind.Members, id)
			switch state {
			case resolved:
				wanted[tid] = true
				if !have[tid] {
					change.Add = append(change.Add, u)
					added = append(added, b.memberLabel(id))
				}
			case pendingRef:
				change.Add = append(change.Add, u)
				added = append(added, b.memberLabel(id))
			default:
				missing = append(missing, "member "+id)
			}
		}
		if b.in.Prune {
			for id := range have {
				if !wanted[id] {
					change.Remove = append(change.Remove, id)
				}
			}
		}
		step := &Step{Kind: KindGroupUsers, Key: o.Key, Label: label(gk, o), SourceID: o.ID, Level: b.lv.node(pseudoKinds[KindGroupUsers])}
		if t != nil {
			step.TargetID, step.Match = t.ID, b.how[o]
		}
		switch {
		case len(change.Add) == 0 && len(change.Remove) == 0:
			step.Action, step.Reason = Skip, "equal"
		default:
			step.Action = Update
			if t == nil {
				step.Action = Create
			}
			var parts []string
			if len(added) > 0 {
				parts = append(parts, "adds "+strings.Join(added, ", "))
			}
			if len(change.Remove) > 0 {
				parts = append(parts, fmt.Sprintf("removes %d member(s) the source lacks", len(change.Remove)))
			}
			step.Reason = strings.Join(parts, "; ")
			step.Body = marshalRaw(change)
		}
		if len(missing) > 0 {
			step.Reason += "; not in the target, left out: " + strings.Join(missing, ", ")
		}
		b.steps = append(b.steps, step)
	}
}

func (b *builder) memberLabel(id string) string {
	if m := b.in.Source.ByID(kind.Members, id); m != nil {
		return text(m.Fields()["email"])
	}
	return "member " + id
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// linkSteps plans the second pass over items: relation values, set through
// the id map once every item exists. Items selected whole get their
// relation values; other items get the values that point into the types
// of Select.LinkInto, and nothing of theirs is cleared.
func (b *builder) linkSteps() {
	ik, _ := kind.ByName(kind.Items)
	rels := relationFields(b.in.Source)
	for _, o := range b.in.Source.Of(kind.Items) {
		fields := rels[o.Parent]
		if len(fields) == 0 {
			continue
		}
		whole := b.in.Select.Objects(o)
		if !whole {
			if b.in.Select.LinkInto == nil || b.match[o] == nil {
				continue
			}
			only := map[string]string{}
			for slug, target := range fields {
				if b.in.Select.LinkInto(target) {
					only[slug] = target
				}
			}
			if fields = only; len(fields) == 0 {
				continue
			}
		}
		t := b.match[o]
		if t == nil && !b.creating[o] {
			continue
		}
		want := linkData(o, fields)
		var tdata map[string]any // the target's values, read below
		if t != nil && bytes.Equal(o.Raw, t.Raw) {
			// The same bytes (often the same slice: NewSetBeside): the
			// same values, not parsed twice (values are never changed).
			tdata = maps.Clone(want)
		}
		for slug := range b.createdLinks[o] {
			delete(want, slug) // set by the item's create
		}
		if !whole {
			// An item reached only through LinkInto gets back the values
			// that point at the restored items, nothing else: a value the
			// source lacks (null, absent, an empty list) pointed at none,
			// so the target's value, whatever it is, is left alone.
			for slug, val := range want {
				if !pointsAt(val) {
					delete(want, slug)
				}
			}
			if len(want) == 0 {
				continue
			}
		}
		var unresolved []string
		mapped := map[string]any{}
		for slug, val := range want {
			var un []string
			m := b.mapItemValue(val, &un)
			if !whole && len(un) > 0 {
				// It named an item that is neither in the target nor
				// restored (gone since, or dangling): the target's value
				// is left alone rather than failing every apply.
				delete(want, slug)
				continue
			}
			unresolved = append(unresolved, un...)
			mapped[slug] = m
		}
		if !whole && len(want) == 0 {
			continue
		}
		have := map[string]any{}
		if t != nil {
			if tdata == nil {
				tdata = dataValues(t.Raw, fields)
			}
			for slug := range fields {
				if _, set := want[slug]; !whole && !set {
					continue
				}
				if v, ok := tdata[slug]; ok && !b.createdLinks[o][slug] {
					have[slug] = v
				}
			}
		}
		changes := changedFields(nonNull(mapped), nonNull(have))
		if len(changes) == 0 {
			if whole && t != nil {
				continue // the item's own step already says it is equal
			}
			if t == nil {
				continue // created without relation values, and has none
			}
			continue
		}
		// A relation value the target has and the source lacks is
		// cleared (sent as null), for an item selected whole only, and
		// not when the field is required in the target and the plan
		// does not make it optional first: the server would refuse the
		// null on every apply. The step says it is left as it is.
		var clear, sets, kept []string
		for _, slug := range changes {
			switch {
			case !whole || have[slug] == nil || want[slug] != nil:
				sets = append(sets, slug)
			case b.requiredInTarget(o, t, slug):
				kept = append(kept, slug)
			default:
				clear = append(clear, slug)
			}
		}
		reason := "sets relation values through the id map: " + strings.Join(sets, ", ")
		switch {
		case len(sets) == 0:
			reason = "clears relation values the source lacks: " + strings.Join(clear, ", ")
		case len(clear) > 0:
			reason += "; clears relation values the source lacks: " + strings.Join(clear, ", ")
		}
		action := Update
		if len(kept) > 0 {
			note := fmt.Sprintf("%s %s required in the target: left as it is", strings.Join(kept, ", "), map[bool]string{false: "is", true: "are"}[len(kept) > 1])
			if len(sets)+len(clear) == 0 {
				action, reason = Manual, "the source lacks relation values the target holds, but "+note+
					b.clearAdvice(o, kept)
			} else {
				reason += "; " + note
			}
			changes = slices.DeleteFunc(changes, func(slug string) bool { return slices.Contains(kept, slug) })
			if action == Manual {
				changes = kept
			}
		}
		s := &Step{Kind: kind.Items, Parent: o.Parent, Key: o.Key, Label: label(ik, o), Action: action,
			Phase: PhaseLinks, Level: b.lv.node(kind.Apply{Kind: kind.Items, Pass: kind.PassLinks}), SourceID: o.ID, Changes: prefix("data.", changes),
			Reason: reason}
		if action == Manual {
			s.TargetID, s.Match, s.TargetParent = t.ID, b.how[o], t.Parent
			b.steps = append(b.steps, s)
			continue
		}
		b.linksBody(s, o, t, whole, want, clear, kept)
		if t != nil {
			s.TargetID, s.Match, s.TargetParent = t.ID, b.how[o], t.Parent
		} else if sp := b.sourceParent(ik, o); sp != nil && b.match[sp] != nil {
			s.TargetParent = b.match[sp].Key
		}
		if len(unresolved) > 0 {
			s.Reason += "; not in the target, left empty: " + strings.Join(unresolved, ", ")
		}
		b.steps = append(b.steps, s)
	}
}

// requiredInTarget reports whether the relation field slug of item o's
// type is required in the target while the links pass runs (t is o's
// target item): as the field's own step writes it when the plan writes
// the field, else as the target holds it; a field the plan relaxes for
// the apply (relaxSteps) is not.
func (b *builder) requiredInTarget(o, t *Obj, slug string) bool {
	if t == nil {
		return false
	}
	required := false
	for _, f := range b.in.Target.Children(kind.Fields, t.Parent) {
		if text(f.Fields()["slug"]) == slug {
			required = f.Fields()["required"] == true
		}
	}
	for _, f := range b.in.Source.Children(kind.Fields, o.Parent) {
		if text(f.Fields()["slug"]) != slug {
			continue
		}
		for _, s := range b.stepIndex().fields[[2]string{f.ID, f.Parent}] {
			if s.Kind != kind.Fields || s.Phase != "" || s.SourceID != f.ID || s.Parent != f.Parent ||
				(s.Action != Create && s.Action != Update) {
				continue
			}
			if body, _ := decodeRaw(s.Body); body != nil {
				if m, ok := body.(map[string]any); ok {
					if r, ok := m["required"].(bool); ok {
						required = r // written before the items
					}
				}
			}
		}
		for _, r := range b.order.relaxed {
			if r.Field == f && b.createsItemsOf(o.Parent) {
				return false // relaxed for the apply
			}
		}
	}
	return required
}

// clearAdvice says how a user can clear the kept relation values of
// item o: make the fields optional, or restore the item's type when the
// snapshot holds them optional (restoring it writes them so); when the
// snapshot requires them too, only an edit of the target clears them.
func (b *builder) clearAdvice(o *Obj, kept []string) string {
	for _, f := range b.in.Source.Children(kind.Fields, o.Parent) {
		if slices.Contains(kept, text(f.Fields()["slug"])) && f.Fields()["required"] == true {
			return " (the snapshot requires it too: make the field optional in the target to clear it)"
		}
	}
	return " (make the field optional, or restore its type, to clear it)"
}

// createsItemsOf reports whether the plan so far creates items of the
// type typ.
func (b *builder) createsItemsOf(typ string) bool {
	return b.stepIndex().itemCreates[typ]
}

// stepsIndex files the steps requiredInTarget and createsItemsOf look
// for, so that each call does not scan every step (the links pass asks
// for each item whose relation values it clears): the field steps by
// source id and parent, in plan order, and the types whose items a step
// creates. Steps are only appended; the index takes in those appended
// since the last call.
type stepsIndex struct {
	n           int
	fields      map[[2]string][]*Step
	itemCreates map[string]bool
}

func (b *builder) stepIndex() *stepsIndex {
	x := &b.stepsIdx
	if x.fields == nil {
		x.fields, x.itemCreates = map[[2]string][]*Step{}, map[string]bool{}
	}
	for _, s := range b.steps[x.n:] {
		switch {
		case s.Kind == kind.Fields:
			k := [2]string{s.SourceID, s.Parent}
			x.fields[k] = append(x.fields[k], s)
		case s.Kind == kind.Items && s.Action == Create && s.Phase == "":
			x.itemCreates[s.Parent] = true
		}
	}
	x.n = len(b.steps)
	return x
}

// linksBody gives a links step the whole data its item should hold after
// it, as a server may replace an item's data on update (the contract,
// section 6): an item selected whole sends the source's data with every
// relation value (Relations, translated when the step is sent); another
// item sends the target's data with the values of want. The target's
// other relation values are Held: sent as they are. The fields of clear
// (relation values the target has and the source lacks) are sent as null,
// and named in Relations like the others: the engine translates only the
// fields Relations names. The fields of kept (required in the target,
// left as they are) are not set: the target's values are Held.
func (b *builder) linksBody(s *Step, o, t *Obj, whole bool, want map[string]any, clear, kept []string) {
	ik, _ := kind.ByName(kind.Items)
	rels := relationsOf(b.in.Source, o.Parent)
	var data map[string]any
	if whole || t == nil {
		data, _ = plainData(view(ik, o), rels)["data"].(map[string]any)
		want = linkData(o, rels)
	} else {
		data, _ = plainData(view(ik, t), rels)["data"].(map[string]any)
	}
	if data == nil {
		data = map[string]any{}
	}
	for _, slug := range kept {
		delete(want, slug) // a null the source holds is not sent
	}
	for _, slug := range slices.Sorted(maps.Keys(want)) {
		data[slug] = want[slug]
		s.Relations = append(s.Relations, slug)
	}
	for _, slug := range clear {
		if _, set := want[slug]; !set {
			data[slug] = nil
			s.Relations = append(s.Relations, slug)
		}
	}
	if t != nil {
		s.Held = b.heldValues(t, rels)
	}
	s.Body = marshalRaw(map[string]any{"data": data})
}

// quickTaskLinkSteps plans, for quick tasks not selected whole, the
// re-linking of their item when it is an item of a type in
// Select.LinkInto (restoring a type points its quick tasks at the
// restored items again, and changes nothing else of them).
func (b *builder) quickTaskLinkSteps() {
	qk, _ := kind.ByName(kind.QuickTasks)
	for _, o := range b.in.Source.Of(kind.QuickTasks) {
		t := b.match[o]
		if b.in.Select.LinkInto == nil || b.in.Select.Objects(o) || t == nil {
			continue
		}
		ref, ok := o.Fields()["item"].(map[string]any)
		if !ok || !b.in.Select.LinkInto(text(ref["type"])) {
			continue
		}
		var unresolved []string
		want, _ := b.translate(kind.Items, ref["id"], &unresolved)
		have, _ := getPath(t.Fields(), "item.id")
		if len(unresolved) > 0 || jsonv.Equal(want, have) {
			continue
		}
		b.steps = append(b.steps, &Step{Kind: kind.QuickTasks, Key: o.Key, Label: label(qk, o), Action: Update,
			Phase: PhaseLinks, Level: b.lv.last, SourceID: o.ID, TargetID: t.ID, Match: b.how[o],
			Changes: []string{"item"}, Reason: "points its item at the restored item through the id map",
			Body: marshalRaw(map[string]any{"item": ref})})
	}
}

// mapItemValue translates a relation value (an id or a list of ids).
func (b *builder) mapItemValue(v any, unresolved *[]string) any {
	if l, ok := v.([]any); ok {
		out := make([]any, 0, len(l))
		for _, e := range l {
			out = append(out, b.mapItemValue(e, unresolved))
		}
		return out
	}
	nv, _ := b.translate(kind.Items, v, unresolved)
	return nv
}

// pointsAt reports whether a relation value names an item: it is not
// null, "" or an empty list.
func pointsAt(v any) bool {
	if l, ok := v.([]any); ok {
		return len(l) > 0
	}
	return v != nil && v != ""
}

func nonNull(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

func prefix(p string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = p + s
	}
	return out
}

// pruneSteps plans the deletion of the target objects of PruneKinds that
// no source object matched.
func (b *builder) pruneSteps() {
	deletedTypes := map[string]bool{}
	for _, k := range kind.All() {
		if !planned(k) || !contains(b.in.PruneKinds, k.Name) {
			continue
		}
		for _, t := range b.in.Target.Of(k.Name) {
			if b.claimed[t] || (k.Name == kind.Members && text(t.Fields()["type"]) == "owner") {
				continue
			}
			if k.Parent == kind.Types && deletedTypes[t.Parent] {
				continue // goes with its type
			}
			if k.Parent != "" && k.Parent != kind.Types {
				continue // goes with its parent
			}
			s := &Step{Kind: k.Name, Parent: t.Parent, Key: t.Key, Label: label(k, t), TargetID: t.ID,
				TargetParent: t.Parent, Level: b.lv.deletes}
			if k.Delete == "" {
				s.Action = Manual
				s.Reason = fmt.Sprintf("not in the source; the API cannot delete %ss: remove it in the Enspace UI", k.Label)
			} else {
				s.Action, s.Reason = Delete, "not in the source (--prune)"
				if k.Name == kind.Types {
					deletedTypes[t.Key] = true
					s.Reason += "; its fields, items, forms and flows go with it"
				}
			}
			b.steps = append(b.steps, s)
		}
	}
}
