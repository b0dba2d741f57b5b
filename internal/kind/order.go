package kind

import (
	"fmt"
	"strings"
)

// Pass says which part of a kind's writes an Apply is.
type Pass string

// The passes of a kind.
const (
	PassObjects     Pass = ""            // the objects themselves
	PassConditional Pass = "conditional" // objects whose conditional references apply (relation fields)
	PassSub         Pass = "sub"         // an embedded collection (Apply.Sub names it)
	PassLinks       Pass = "links"       // references to objects of the same kind
)

// Apply is one node of the apply order: the objects of one kind, or one
// pass over them.
type Apply struct {
	Kind Name
	Pass Pass
	Sub  string // the Sub's Field, for PassSub
	// Last: the node's kind has ApplyLast.
	Last bool
}

// String returns "kind" or "kind/pass" ("roles/permissions" for a Sub).
func (a Apply) String() string {
	switch a.Pass {
	case PassObjects:
		return a.Kind
	case PassSub:
		return a.Kind + "/" + a.Sub
	}
	return a.Kind + "/" + string(a.Pass)
}

// node is an Apply with what it waits for.
type node struct {
	Apply
	k     *Kind
	order int // position of its kind in the table, for ties
	sub   int // 0 for the kind, 1 and more for its passes: they follow it
	deps  []string
}

// ApplyOrder returns the planned kinds and their passes in the order a
// restore writes them: every node after its Parent and the kinds its
// references point at. A reference inside a Sub belongs to the Sub's pass,
// a reference to the kind itself to its links pass, and a conditional one
// (Ref.When) to its conditional pass. Ties go to nodes without ApplyLast,
// then to the lower ApplyRank, then to the earlier kind in the table, a
// pass right after its kind. It returns an error when the references form a
// cycle (the table test keeps that from happening).
func ApplyOrder() ([]Apply, error) {
	var nodes []*node
	planned := map[Name]bool{}
	for _, k := range table {
		if k.Planned() {
			planned[k.Name] = true
		}
	}
	for i, k := range table {
		if !k.Planned() {
			continue
		}
		base := &node{Apply: Apply{Kind: k.Name, Last: k.ApplyLast}, k: k, order: i}
		if k.Parent != "" {
			base.deps = append(base.deps, k.Parent)
		}
		passes := map[string]*node{}
		pass := func(a Apply) *node {
			key := a.String()
			if n := passes[key]; n != nil {
				return n
			}
			a.Last = k.ApplyLast
			n := &node{Apply: a, k: k, order: i, sub: len(passes) + 1, deps: []string{k.Name}}
			passes[key] = n
			return n
		}
		var extra []*node
		add := func(n *node, target Name) {
			if planned[target] {
				n.deps = append(n.deps, target)
			}
		}
		for _, r := range k.Refs {
			switch sub := subOf(k, r.Path); {
			case sub != "":
				n := pass(Apply{Kind: k.Name, Pass: PassSub, Sub: sub})
				add(n, r.Kind)
				extra = appendNew(extra, n)
			case r.Kind == k.Name:
				extra = appendNew(extra, pass(Apply{Kind: k.Name, Pass: PassLinks}))
			case r.When != "":
				n := pass(Apply{Kind: k.Name, Pass: PassConditional})
				add(n, r.Kind)
				extra = appendNew(extra, n)
			default:
				add(base, r.Kind)
			}
		}
		for _, s := range k.Subs {
			extra = appendNew(extra, pass(Apply{Kind: k.Name, Pass: PassSub, Sub: s.Field}))
		}
		nodes = append(nodes, base)
		nodes = append(nodes, extra...)
	}
	return kahn(nodes)
}

// subOf returns the Sub field a reference path lies in, "" for none.
func subOf(k *Kind, path string) string {
	for _, s := range k.Subs {
		if path == s.Field || strings.HasPrefix(path, s.Field+"[]") || strings.HasPrefix(path, s.Field+".") {
			return s.Field
		}
	}
	return ""
}

func appendNew(list []*node, n *node) []*node {
	for _, x := range list {
		if x == n {
			return list
		}
	}
	return append(list, n)
}

// kahn sorts nodes topologically, choosing among ready nodes by less.
func kahn(nodes []*node) ([]Apply, error) {
	done := map[string]bool{}
	var out []Apply
	left := nodes
	for len(left) > 0 {
		var best *node
		for _, n := range left {
			if ready(n, done) && (best == nil || less(n, best)) {
				best = n
			}
		}
		if best == nil {
			var stuck []string
			for _, n := range left {
				stuck = append(stuck, n.String())
			}
			return nil, fmt.Errorf("the kinds' references form a cycle among %s", strings.Join(stuck, ", "))
		}
		done[best.String()] = true
		out = append(out, best.Apply)
		var rest []*node
		for _, n := range left {
			if n != best {
				rest = append(rest, n)
			}
		}
		left = rest
	}
	return out, nil
}

// ready reports whether every kind n waits for is done. A kind counts as
// done with its objects pass; its other passes are not waited for.
func ready(n *node, done map[string]bool) bool {
	for _, d := range n.deps {
		if d == n.Kind && n.Pass == PassObjects {
			continue // a reference to itself is the links pass's
		}
		if !done[d] {
			return false
		}
	}
	return true
}

func less(a, b *node) bool {
	if a.Last != b.Last {
		return !a.Last
	}
	if a.k.ApplyRank != b.k.ApplyRank {
		return a.k.ApplyRank < b.k.ApplyRank
	}
	if a.order != b.order {
		return a.order < b.order
	}
	return a.sub < b.sub
}
