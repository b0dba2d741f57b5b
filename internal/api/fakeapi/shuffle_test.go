package fakeapi

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// shuffleFixture gives the demo workspace lists long enough to shuffle: a
// group of every member, a quick task and a task assigned to every member,
// role and group. It returns the paths to read.
func shuffleFixture(t *testing.T, s *Server) map[string]string {
	t.Helper()
	ids := func(path string) []int64 {
		var out []int64
		for _, row := range list(t, s, "acme", path) {
			out = append(out, num(row["id"]))
		}
		slices.Sort(out) // rows may come shuffled
		return out
	}
	members, roles, groups := ids("/ws/members"), ids("/ws/roles"), ids("/ws/member-groups")
	stage := ids("/c-flow-stages?flow=" + itoa(ids("/c-flows?type=contracts")[0]))[0]
	send(t, s, "PUT", "acme", "/ws/member-groups/"+itoa(groups[0]), map[string]any{"users": members})
	qt := send(t, s, "POST", "acme", "/ws/quick-tasks", map[string]any{"title": "Everyone",
		"assignees": map[string]any{"members": members, "groups": groups}})
	task := send(t, s, "POST", "acme", "/c-flow-tasks", map[string]any{"stage": stage, "name": "Tell everyone",
		"action": "send_email", "assignees": map[string]any{"members": members, "roles": roles, "groups": groups}})
	return map[string]string{
		"role":        "/ws/roles/" + itoa(roles[1]),
		"roles":       "/ws/roles",
		"permissions": "/ws/roles/" + itoa(roles[1]) + "/permissions",
		"group":       "/ws/member-groups/" + itoa(groups[0]),
		"quick task":  "/ws/quick-tasks/" + itoa(num(qt["id"])),
		"quick tasks": "/ws/quick-tasks",
		"task":        "/c-flow-tasks/" + itoa(num(task["id"])),
		"stage":       "/c-flow-stages/" + itoa(stage),
		"items page":  "/ws/types/contracts/items?limit=20&page=2",
		"members":     "/ws/members",
	}
}

// inOrder decodes an answer with its unordered lists and list rows sorted,
// so that answers that differ only in order compare equal.
func inOrder(t *testing.T, body []byte) any {
	t.Helper()
	var v any
	mustJSON(t, body, &v)
	if rows, ok := v.([]any); ok {
		for _, r := range rows {
			sortUnordered(r)
		}
		sortByJSON(rows)
		return rows
	}
	sortUnordered(v)
	return v
}

func sortUnordered(v any) {
	m, _ := v.(map[string]any)
	sortByJSON(m["permissions"])
	sortByJSON(m["users"])
	if as, ok := m["assignees"].(map[string]any); ok {
		for _, l := range as {
			sortByJSON(l)
		}
	}
	if tasks, ok := m["tasks"].([]any); ok {
		for _, task := range tasks {
			sortUnordered(task)
		}
	}
}

func sortByJSON(v any) {
	list, _ := v.([]any)
	slices.SortFunc(list, func(a, b any) int {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		return bytes.Compare(ja, jb)
	})
}

// TestShuffleLists reads the same answers from a server that keeps its
// order and from one that shuffles: the shuffled answers differ from the
// plain one and from each other, and hold the same elements.
func TestShuffleLists(t *testing.T) {
	plain := newServer(t, Options{Items: 50})
	shuf := newServer(t, Options{Items: 50, ShuffleLists: true})
	paths := shuffleFixture(t, plain)
	if got := shuffleFixture(t, shuf); !cmp.Equal(got, paths) {
		t.Fatalf("the two servers gave different ids: %v, want %v", got, paths)
	}
	for name, path := range paths {
		t.Run(name, func(t *testing.T) {
			want := get(t, plain, "acme", path)
			first, second := get(t, shuf, "acme", path), get(t, shuf, "acme", path)
			if bytes.Equal(first, want) || bytes.Equal(second, want) {
				t.Errorf("a shuffled answer is in the plain order: %s", want)
			}
			if bytes.Equal(first, second) {
				t.Errorf("two shuffled answers are in the same order: %s", first)
			}
			for _, got := range [][]byte{first, second} {
				if diff := cmp.Diff(inOrder(t, want), inOrder(t, got)); diff != "" {
					t.Errorf("shuffled answer holds other elements (-plain +shuffled):\n%s", diff)
				}
			}
		})
	}
}

// TestShuffleListsReproducible: the n-th request for a line gets the same
// order from two servers with the same seed, whatever else they answered
// in between.
func TestShuffleListsReproducible(t *testing.T) {
	a := newServer(t, Options{ShuffleLists: true, Seed: 7})
	b := newServer(t, Options{ShuffleLists: true, Seed: 7})
	const path = "/ws/types/contracts/items?limit=50"
	get(t, b, "acme", "/ws/roles") // another line does not move this one's draws
	for i := range 3 {
		if got, want := get(t, b, "acme", path), get(t, a, "acme", path); !bytes.Equal(got, want) {
			t.Fatalf("request %d: answers differ between servers with the same seed", i)
		}
	}
}
