package restore

import (
	"fmt"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// The phases of the steps that relax a required relation field for the
// apply and set it back (see relaxSteps).
const (
	PhaseRelax   = "relax"   // sets required false on a field before the items' creates
	PhaseRequire = "require" // sets required true again after the links pass
)

// relaxSteps plans, for each required relation field of a cycle
// (itemOrder.relaxed), that required is off while the items are created
// and on again after the links pass has set its values:
//
//   - a field the plan creates is created with required false;
//   - a field the target has with required true gets a relax step before
//     the first items level, when the plan creates items of its type;
//   - a field the target has with required false (an earlier apply was
//     interrupted) is left relaxed until the end;
//
// and each gets a require step after the links level. Relax and require
// steps send the field's whole body (the target's, or the field's own
// step's) with required toggled, never {"required": ...} alone: the field
// update takes the full FieldInput, whose name, slug and type are required.
// A plan that
// creates no items of the field's type and does not create the field
// leaves it alone, so that a plan after a complete apply has nothing to
// write.
func (b *builder) relaxSteps() {
	if len(b.order.relaxed) == 0 {
		return
	}
	creates := map[string]bool{} // type slugs whose items the plan creates
	for _, s := range b.steps {
		if s.Kind == kind.Items && s.Action == Create && s.Phase == "" {
			creates[s.Parent] = true
		}
	}
	fk, _ := kind.ByName(kind.Fields)
	for _, r := range b.order.relaxed {
		f := r.Field
		var own *Step
		for _, s := range b.steps {
			if s.Kind == kind.Fields && s.Phase == "" && s.SourceID == f.ID && s.Parent == f.Parent {
				own = s
			}
		}
		cycle := b.cycleOf(r)
		why := fmt.Sprintf("its values form a cycle of required relations (%s)", cycle)
		t := b.match[f]
		switch {
		case own != nil && own.Action == Create:
			own.Body = withRequired(own.Body, false)
			own.Reason += "; created with required false: " + why + "; set back after the links"
		case t != nil && creates[r.Type] && own != nil && own.Action == Update:
			own.Body = withRequired(own.Body, false)
			own.Reason += "; written with required false for the apply: " + why + "; set back after the links"
		case t != nil && creates[r.Type] && t.Fields()["required"] == true:
			s := b.add(fk, f, Update, "relaxed for the apply: "+why+"; set back after the links")
			s.Phase, s.Level, s.Changes = PhaseRelax, b.lv.kind(kind.Items), []string{"required"}
			s.Body = withRequired(marshalRaw(view(fk, t)), false)
		case t != nil && creates[r.Type]:
			// Already relaxed in the target: an earlier apply was
			// interrupted before it set required back.
		default:
			continue
		}
		s := b.add(fk, f, Update, "set back to required after the links: it was relaxed for the apply ("+cycle+")")
		s.Phase, s.Level, s.Changes = PhaseRequire, b.lv.node(kind.Apply{Kind: kind.Items, Pass: kind.PassLinks}), []string{"required"}
		s.Body = withRequired(fullField(fk, own, t), true)
	}
}

// fullField is the whole body of a field update (the field update takes
// the full FieldInput: name, slug and type are required): the field's own
// step's body when the plan writes the field, else the field as the target
// holds it.
func fullField(fk *kind.Kind, own *Step, t *Obj) []byte {
	if own != nil && len(own.Body) > 0 {
		return own.Body
	}
	return marshalRaw(view(fk, t))
}

// withRequired returns a field's body with required set to v.
func withRequired(raw []byte, v bool) []byte {
	m, err := decodeRaw(raw)
	body, ok := m.(map[string]any)
	if err != nil || !ok {
		return raw
	}
	body["required"] = v
	return marshalRaw(body)
}

// cycleOf describes the cycle of required relations that r closes:
// "clients.main_contract → contracts → clients".
func (b *builder) cycleOf(r relaxedField) string {
	next := map[string][]string{} // type -> targets of its required relations
	for _, f := range b.in.Source.Of(kind.Fields) {
		rel, target := isRelationField(f)
		if rel && f.Fields()["required"] == true && target != "" {
			next[f.Parent] = append(next[f.Parent], target)
		}
	}
	// Breadth first from the field's target back to its type.
	from := map[string]string{r.Target: ""}
	for queue := []string{r.Target}; len(queue) > 0; queue = queue[1:] {
		if queue[0] == r.Type {
			break
		}
		for _, n := range next[queue[0]] {
			if _, seen := from[n]; !seen {
				from[n] = queue[0]
				queue = append(queue, n)
			}
		}
	}
	path := []string{r.Target, r.Type}
	if _, ok := from[r.Type]; ok {
		path = nil
		for cur := r.Type; cur != ""; cur = from[cur] {
			path = append([]string{cur}, path...)
		}
	}
	return r.Type + "." + r.Slug + " → " + strings.Join(path, " → ")
}

// placeRelaxSteps gives the relax steps a level of their own before the
// first items level, and the require steps one after the links level,
// once spreadLevels has given each item rank its level.
func placeRelaxSteps(steps []*Step) {
	relax, require := -1, -1
	for _, s := range steps {
		switch s.Phase {
		case PhaseRelax:
			relax = s.Level
		case PhaseRequire:
			require = s.Level
		}
	}
	if relax >= 0 {
		for _, s := range steps {
			if s.Phase != PhaseRelax && s.Level >= relax {
				s.Level++
			}
		}
	}
	if require >= 0 {
		if relax >= 0 && require >= relax {
			require++
		}
		for _, s := range steps {
			if s.Phase == PhaseRequire || s.Level > require {
				s.Level++
			}
		}
	}
}
