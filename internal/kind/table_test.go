package kind

import (
	"slices"
	"strings"
	"testing"
)

func TestTableIsConsistent(t *testing.T) {
	seen := map[Name]int{}
	selectors := map[string]Name{}
	for i, k := range All() {
		if _, dup := seen[k.Name]; dup {
			t.Errorf("kind %s declared twice", k.Name)
		}
		seen[k.Name] = i
		if k.Class == "" || k.Label == "" {
			t.Errorf("kind %s: class and label are required", k.Name)
		}
		if k.Parent != "" {
			if pi, ok := seen[k.Parent]; !ok || pi >= i {
				t.Errorf("kind %s: parent %s must be declared before it", k.Name, k.Parent)
			}
			if k.ParentParam == "" || k.ParentField == "" {
				t.Errorf("kind %s: a parent needs ParentParam and ParentField", k.Name)
			}
		}
		if k.TiedTo != "" && (Of(k.TiedTo) == nil || k.TiedPath == "") {
			t.Errorf("kind %s: tied to %q needs a known kind and a path", k.Name, k.TiedTo)
		}
		for _, r := range k.Refs {
			if Of(r.Kind) == nil {
				t.Errorf("kind %s: reference %s to unknown kind %s", k.Name, r.Path, r.Kind)
			}
			if r.By != ByID && r.By != ByKey {
				t.Errorf("kind %s: reference %s has no By", k.Name, r.Path)
			}
		}
		if k.Planned() && k.KeyField == "" {
			t.Errorf("kind %s: planned kinds need a key field", k.Name)
		}
		// Replicate matches configuration by natural key.
		if k.Planned() && (k.Class == Configuration || k.ReplicateWithConfiguration || k.Prunable) && len(k.NaturalKey) == 0 {
			t.Errorf("kind %s: replicated with the configuration, it needs a natural key", k.Name)
		}
		if k.Prunable && !k.Planned() {
			t.Errorf("kind %s: prunable but never planned", k.Name)
		}
		if k.Selector != "" {
			if other, dup := selectors[k.Selector]; dup {
				t.Errorf("selector prefix %q of %s is %s's too", k.Selector, k.Name, other)
			}
			selectors[k.Selector] = k.Name
			if _, err := ByName(k.Selector); err != nil {
				t.Errorf("kind %s: selector prefix %q does not name it", k.Name, k.Selector)
			}
		}
		if (k.SelectorTyped || k.SelectedWithParent) && k.Parent == "" {
			t.Errorf("kind %s: typed selectors need a parent", k.Name)
		}
		if k.FoldKey && len(k.NaturalKey) == 0 {
			t.Errorf("kind %s: FoldKey without a natural key", k.Name)
		}
		if len(k.Known) == 0 && !k.Singleton {
			t.Errorf("kind %s: doctor needs its known fields", k.Name)
		}
		for _, s := range k.Subs {
			if !slices.Contains(k.Known, s.Field) {
				t.Errorf("kind %s: embedded collection %s is not among its known fields", k.Name, s.Field)
			}
		}
		if got, err := ByName(k.Name); err != nil || got != k {
			t.Errorf("ByName(%q) = %v, %v", k.Name, got, err)
		}
	}
}

func TestApplyOrderIsTotalAndRespectsReferences(t *testing.T) {
	order, err := ApplyOrder()
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, a := range order {
		if _, dup := pos[a.String()]; dup {
			t.Errorf("%s twice in the apply order", a)
		}
		pos[a.String()] = i
	}
	for _, k := range All() {
		if _, ok := pos[k.Name]; ok != k.Planned() {
			t.Errorf("kind %s: in the apply order %v, planned %v", k.Name, ok, k.Planned())
		}
		if !k.Planned() {
			continue
		}
		if k.Parent != "" && pos[k.Parent] >= pos[k.Name] {
			t.Errorf("%s applied before its parent %s", k.Name, k.Parent)
		}
		for _, r := range k.Refs {
			target := Of(r.Kind)
			if r.Kind == k.Name || !target.Planned() {
				continue
			}
			node := k.Name
			if sub := subOf(k, r.Path); sub != "" {
				node = k.Name + "/" + sub
			} else if r.When != "" {
				node = k.Name + "/" + string(PassConditional)
			}
			if pos[r.Kind] >= pos[node] {
				t.Errorf("%s applied before %s, which its %s points at", node, r.Kind, r.Path)
			}
		}
	}
	// The order plans have always had: their levels are in saved plans.
	var got []string
	for _, a := range order {
		got = append(got, a.String())
	}
	want := "integrations types fields fields/conditional roles roles/permissions groups members groups/users " +
		"items items/links forms flows stages tasks schedule-tasks quick-tasks"
	if strings.Join(got, " ") != want {
		t.Errorf("apply order\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestReplicateListsComeFromTheTable(t *testing.T) {
	for _, c := range []struct {
		got, want []Name
	}{
		{Replicated(false), []Name{Types, Fields, Forms, Flows, Stages, Tasks, ScheduleTasks, Roles, Groups, Integrations}},
		{Replicated(true), []Name{Types, Fields, Items, Forms, Flows, Stages, Tasks, ScheduleTasks, Roles, Groups, Members, QuickTasks, Integrations}},
		{Prunable(), []Name{Types, Fields, Roles, Groups, Integrations}},
		{SelectedWith(Types), []Name{Fields, Items}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("got %v, want %v", c.got, c.want)
		}
	}
}

func TestUnorderedPaths(t *testing.T) {
	for name, want := range map[Name][]string{
		Roles:  {"permissions"},
		Groups: {"users", "users"},
		Forms:  nil,
		Stages: {"tasks", "tasks[].assignees.members", "tasks[].assignees.roles", "tasks[].assignees.groups"},
		Tasks:  {"assignees.members", "assignees.roles", "assignees.groups"},
	} {
		if got := Unordered(name); !slices.Equal(got, want) {
			t.Errorf("Unordered(%s) = %v, want %v", name, got, want)
		}
	}
}

func TestUnderAndByName(t *testing.T) {
	if !Under(Tasks, Types) || !Under(Fields, Types) || Under(ScheduleTasks, Types) || Under(Types, Types) {
		t.Error("Under: tasks and fields live under types, schedule tasks and types do not")
	}
	for _, in := range []string{"quick-task", "type", "member group", "types"} {
		if _, err := ByName(in); err != nil {
			t.Errorf("ByName(%q): %v", in, err)
		}
	}
	if _, err := ByName("nope"); err == nil {
		t.Error("ByName(nope): no error")
	}
}

func TestRegisterAddsAndRemoves(t *testing.T) {
	n := len(All())
	undo := Register(&Kind{Name: "badges", Label: "badge", Class: Configuration})
	if Of("badges") == nil || len(All()) != n+1 {
		t.Fatal("Register did not add the kind")
	}
	undo()
	if Of("badges") != nil || len(All()) != n {
		t.Fatal("the restore func did not remove the kind")
	}
}
