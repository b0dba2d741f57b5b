package restore

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// itemOrder is the order in which the items of types are created, from
// the required relation fields of the source: an item is created after the
// items its required relation values point at, so that its create carries
// them (the server refuses an item without a required value).
type itemOrder struct {
	// rank is a type's sub-level within the items level: 0 for a type
	// without required relations, else one more than the highest rank of
	// the types they point at.
	rank map[string]int
	// relaxed are required relation fields inside a cycle (a type whose
	// required relations lead back to itself): their values wait for the
	// links pass, and the plan relaxes required on them for the apply.
	relaxed []relaxedField
}

// relaxedField is a required relation field whose values cannot all be
// set on create.
type relaxedField struct {
	Type, Slug, Target string
	Field              *Obj
}

// requiredRelation is one required relation field of a type.
type requiredRelation struct {
	typ, slug, target string
	field             *Obj
}

// newItemOrder ranks the types of set by their required relation fields
// (a topological order). A cycle is broken by relaxing one of its fields,
// chosen by type slug and field slug, until every type has a rank.
func newItemOrder(set *Set) itemOrder {
	var rels []requiredRelation
	inSet := map[string]bool{}
	for _, t := range set.Of(kind.Types) {
		inSet[t.Key] = true
	}
	for _, f := range set.Of(kind.Fields) {
		rel, target := isRelationField(f)
		if !rel || f.Fields()["required"] != true || target == "" || !inSet[target] {
			continue
		}
		rels = append(rels, requiredRelation{typ: f.Parent, slug: text(f.Fields()["slug"]), target: target, field: f})
	}
	sort.Slice(rels, func(i, j int) bool {
		if rels[i].typ != rels[j].typ {
			return rels[i].typ < rels[j].typ
		}
		return rels[i].slug < rels[j].slug
	})
	o := itemOrder{rank: map[string]int{}}
	relaxed := map[int]bool{}
	for {
		progress, left := false, false
		for typ := range inSet {
			if _, done := o.rank[typ]; done {
				continue
			}
			r, ready := 0, true
			for i, rel := range rels {
				if rel.typ != typ || relaxed[i] {
					continue
				}
				tr, ok := o.rank[rel.target]
				if !ok {
					ready = false
					break
				}
				r = max(r, tr+1)
			}
			if ready {
				o.rank[typ], progress = r, true
			} else {
				left = true
			}
		}
		if !left {
			break
		}
		if progress {
			continue
		}
		// Every type left waits on another one left: relax the first
		// required relation among them that points at a type left.
		for i, rel := range rels {
			_, fromDone := o.rank[rel.typ]
			_, toDone := o.rank[rel.target]
			if !relaxed[i] && !fromDone && !toDone {
				relaxed[i] = true
				o.relaxed = append(o.relaxed, relaxedField{Type: rel.typ, Slug: rel.slug, Target: rel.target, Field: rel.field})
				break
			}
		}
	}
	return o
}

// isRelaxed reports whether the field slug of type typ is relaxed.
func (o itemOrder) isRelaxed(typ, slug string) bool {
	for _, r := range o.relaxed {
		if r.Type == typ && r.Slug == slug {
			return true
		}
	}
	return false
}

// spreadLevels gives the sub-levels of steps their own levels: a level
// whose steps have sub-levels up to n becomes n+1 levels, and the levels
// after it move down. Without sub-levels nothing changes.
func spreadLevels(steps []*Step) {
	maxSub := map[int]int{}
	for _, s := range steps {
		maxSub[s.Level] = max(maxSub[s.Level], s.sub)
	}
	var levels []int
	for l, n := range maxSub {
		if n > 0 {
			levels = append(levels, l)
		}
	}
	if len(levels) == 0 {
		return
	}
	sort.Ints(levels)
	for _, s := range steps {
		shift := 0
		for _, l := range levels {
			if l < s.Level {
				shift += maxSub[l]
			}
		}
		s.Level += shift + s.sub
	}
}

// itemCreates completes the creates and updates of items once every
// object's action is known. A create carries the relation values whose
// target exists in the target, or is created by the plan at an earlier
// level; the others are left to the links pass (createdLinks records
// which). Creates go to the sub-level of their type's rank. An update
// carries every relation value the item should end with (see itemUpdate).
func (b *builder) itemCreates() {
	ik, _ := kind.ByName(kind.Items)
	maxRank := 0
	for _, r := range b.order.rank {
		maxRank = max(maxRank, r)
	}
	for _, s := range b.steps {
		if s.Kind != kind.Items || s.Phase != "" || (s.Action != Create && s.Action != Update) {
			continue
		}
		o := b.in.Source.ByID(kind.Items, s.SourceID)
		if o == nil {
			continue
		}
		if s.Action == Update {
			b.itemUpdate(s, o, maxRank)
			continue
		}
		s.sub = b.order.rank[o.Parent]
		fields := relationsOf(b.in.Source, o.Parent)
		body := createBody(ik, o, b.in.Source)
		data, _ := body["data"].(map[string]any)
		values := linkData(o, fields)
		var missing []string
		for _, slug := range slices.Sorted(maps.Keys(values)) {
			if b.order.isRelaxed(o.Parent, slug) || !b.createsWith(o, values[slug], false, &missing) {
				continue
			}
			data[slug] = values[slug]
			s.Relations = append(s.Relations, slug)
			b.carried(o, slug)
		}
		s.Body = marshalRaw(body)
		if len(missing) > 0 {
			s.Reason += "; not in the target, left empty: " + strings.Join(missing, ", ")
		}
	}
}

// carried records that an item's own step writes the relation field slug,
// which the links pass then leaves out.
func (b *builder) carried(o *Obj, slug string) {
	if b.createdLinks[o] == nil {
		b.createdLinks[o] = map[string]bool{}
	}
	b.createdLinks[o][slug] = true
}

// itemUpdate completes an item's update with its relation values: a
// server may replace an item's data on update (the contract, section 6),
// so the body holds everything the item should end with. Item updates run
// after every item create (a sub-level after the highest rank), so each
// relation value of the source is carried, through the id map; a relation
// field the source item has no value for keeps the target's value (Held),
// when the item it names is in the target. The update's answer is then
// checked against all of it, relation values included.
func (b *builder) itemUpdate(s *Step, o *Obj, maxRank int) {
	s.sub = maxRank + 1
	fields := relationsOf(b.in.Source, o.Parent)
	if len(fields) == 0 {
		return
	}
	body, err := decodeRaw(s.Body)
	m, _ := body.(map[string]any)
	data, _ := m["data"].(map[string]any)
	if err != nil || data == nil {
		return
	}
	values := linkData(o, fields)
	var missing []string
	for _, slug := range slices.Sorted(maps.Keys(values)) {
		if values[slug] == nil || !b.createsWith(o, values[slug], true, &missing) {
			continue
		}
		data[slug] = values[slug]
		s.Relations = append(s.Relations, slug)
		b.carried(o, slug)
	}
	if t := b.match[o]; t != nil {
		s.Held = b.heldValues(t, fields)
	}
	s.Body = marshalRaw(m)
	if len(missing) > 0 {
		s.Reason += "; not in the target, left empty: " + strings.Join(missing, ", ")
	}
}

// heldValues returns the relation values of the target item t that name
// items the target has: sent as they are for a field the step does not
// set (or cannot, its item lacking when the step is sent), so that a
// server that replaces data keeps them.
func (b *builder) heldValues(t *Obj, fields map[string]string) json.RawMessage {
	tdata := dataValues(t.Raw, fields)
	held := map[string]any{}
	for slug := range fields {
		v, ok := tdata[slug]
		if !ok || v == nil || !b.inTarget(v) {
			continue
		}
		held[slug] = v
	}
	if len(held) == 0 {
		return nil
	}
	return marshalRaw(held)
}

// inTarget reports whether every item id of a relation value (target ids)
// is an item the target is known to have.
func (b *builder) inTarget(v any) bool {
	ids := asList(v)
	if _, isList := v.([]any); !isList {
		ids = []any{v}
	}
	for _, x := range ids {
		if id := text(x); id != "" && b.in.Target.ByID(kind.Items, id) == nil {
			return false
		}
	}
	return true
}

// createsWith reports whether an item's create can carry a relation value:
// every id it names is in the target, or is missing everywhere (left
// empty, appended to missing), or is an item the plan creates at an
// earlier sub-level (at any, for an update: updates follow every create).
func (b *builder) createsWith(o *Obj, v any, afterCreates bool, missing *[]string) bool {
	ids := asList(v)
	if _, isList := v.([]any); !isList {
		ids = []any{v}
	}
	var gone []string
	for _, x := range ids {
		id := text(x)
		if id == "" {
			continue
		}
		switch t, state := b.resolve(kind.Items, id); state {
		case resolved:
			b.refs[kind.Items+"/"+id] = t // the engine translates through Refs
		case missingRef:
			gone = append(gone, kindLabel(kind.Items)+" "+id)
		case pendingRef:
			t := b.in.Source.ByID(kind.Items, id)
			if t == nil || !afterCreates && b.order.rank[t.Parent] >= b.order.rank[o.Parent] {
				return false
			}
		}
	}
	*missing = append(*missing, gone...)
	return true
}
