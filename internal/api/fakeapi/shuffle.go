package fakeapi

import (
	"math/rand/v2"
	"slices"
)

// shuffler reorders what the API does not promise to keep in order, for
// one request (Options.ShuffleLists). Its draws follow the seed and the
// request line's count, like fault decisions, so a run is reproducible
// whatever the order in which concurrent requests arrive. A nil shuffler
// leaves everything in place.
type shuffler struct{ r *rand.Rand }

// newShuffler returns the shuffler of the n-th request (from 0) for a
// request line, or nil when lists are not shuffled.
func (s *Server) newShuffler(method, uri string, n int64) *shuffler {
	if !s.opts.ShuffleLists {
		return nil
	}
	h := hash64(s.opts.Seed, "shuffle", method, uri, n)
	return &shuffler{r: rand.New(rand.NewPCG(h, mix64(h)))}
}

// order returns the positions from..to-1 in a shuffled order.
func (sh *shuffler) order(from, to int) []int {
	out := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	sh.permute(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// permute shuffles n elements through swap. It never leaves a list of two
// or more elements in its order, so a shuffled answer always differs from
// the unshuffled one.
func (sh *shuffler) permute(n int, swap func(i, j int)) {
	if sh == nil || n < 2 {
		return
	}
	moved := make([]int, n) // where each position's element came from
	for i := range moved {
		moved[i] = i
	}
	sh.r.Shuffle(n, func(i, j int) {
		moved[i], moved[j] = moved[j], moved[i]
		swap(i, j)
	})
	if slices.IsSorted(moved) {
		swap(0, 1)
	}
}

// shuffled returns a shuffled copy of list; the stored list is never
// touched (views share it, and readers share the workspace lock).
func shuffled[T any](sh *shuffler, list []T) []T {
	if sh == nil || len(list) < 2 {
		return list
	}
	out := slices.Clone(list)
	sh.permute(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// view reorders the unordered lists of a view: a role's permissions, a
// group's users, the assignees of a quick task or task, the assignees of
// a stage's tasks. Other values are returned as they are.
func (sh *shuffler) view(v any) any {
	if sh == nil {
		return v
	}
	switch v := v.(type) {
	case roleView:
		v.Permissions = shuffled(sh, v.Permissions)
		return v
	case groupView:
		v.Users = shuffled(sh, v.Users)
		return v
	case quickTaskView:
		v.Assignees.Members = shuffled(sh, v.Assignees.Members)
		v.Assignees.Groups = shuffled(sh, v.Assignees.Groups)
		return v
	case taskView:
		return sh.task(v)
	case stageView:
		v.Tasks = slices.Clone(v.Tasks)
		for i := range v.Tasks {
			v.Tasks[i] = sh.task(v.Tasks[i])
		}
		return v
	}
	return v
}

func (sh *shuffler) task(v taskView) taskView {
	v.Assignees.Members = shuffled(sh, v.Assignees.Members)
	v.Assignees.Roles = shuffled(sh, v.Assignees.Roles)
	v.Assignees.Groups = shuffled(sh, v.Assignees.Groups)
	return v
}

// answer is ok200 for a view whose unordered lists the request shuffles.
func (c *call) answer(v any) resp { return ok200(c.shuffle.view(v)) }
