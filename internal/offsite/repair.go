package offsite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// reach is what a tree chunk, with all it leads to, misses: nothing
// (ok), or chunks and objects that are in no index, and of those the
// packs they were in (missing from data/ or recorded damaged).
type reach struct {
	ok    bool
	packs map[ID]bool
}

// checker tells whether snapshots' trees and objects are all in the
// index, each chunk checked once.
type checker struct {
	ctx  context.Context
	t    *trees
	idx  *index
	memo map[Ref]*reach
}

func newChecker(ctx context.Context, r *Repo, idx *index) *checker {
	t := idx.trees
	if t == nil {
		t = newTrees(r, idx)
	}
	return &checker{ctx: ctx, t: t, idx: idx, memo: map[Ref]*reach{}}
}

func (res *reach) miss(idx *index, ref Ref) {
	res.ok = false
	if p, ok := idx.lost[ref]; ok {
		if res.packs == nil {
			res.packs = map[ID]bool{}
		}
		res.packs[p] = true
	}
}

func (res *reach) merge(o *reach) {
	if o.ok {
		return
	}
	res.ok = false
	for p := range o.packs {
		if res.packs == nil {
			res.packs = map[ID]bool{}
		}
		res.packs[p] = true
	}
}

// chunk checks tree chunk id and what it leads to. An error is the
// context's or a read that failed for another reason than damage.
func (c *checker) chunk(id Ref) (*reach, error) {
	if v, ok := c.memo[id]; ok {
		return v, nil
	}
	res := &reach{ok: true}
	c.memo[id] = res
	if loc, ok := c.idx.lookup(id); !ok || loc.Type != TreeBlob {
		res.miss(c.idx, id)
		return res, nil
	}
	ch, err := c.t.chunk(c.ctx, id)
	if err != nil {
		if c.ctx.Err() != nil {
			return nil, c.ctx.Err()
		}
		if !errors.Is(err, ErrCorrupt) && !isNotExist(err) {
			return nil, err
		}
		res.miss(c.idx, id)
		return res, nil
	}
	blob := func(ref Ref) {
		if loc, ok := c.idx.lookup(ref); !ok || loc.Type != DataBlob {
			res.miss(c.idx, ref)
		}
	}
	for _, e := range ch.leaf {
		blob(e.Ref)
	}
	children := ch.children
	if d := ch.delta; d != nil {
		for _, x := range d.Changes {
			if !x.Removed {
				blob(x.Ref)
			}
		}
		children = []Ref{d.Base}
	}
	for _, k := range children {
		sub, err := c.chunk(k)
		if err != nil {
			return nil, err
		}
		res.merge(sub)
	}
	return res, nil
}

// snapshot checks every collection of s.
func (c *checker) snapshot(s *Snapshot) (*reach, error) {
	res := &reach{ok: true}
	for _, tr := range s.Collections {
		sub, err := c.chunk(tr.Root.Ref())
		if err != nil {
			return nil, err
		}
		res.merge(sub)
	}
	return res, nil
}

// packNames lists packs as "data/<short id>", sorted.
func packNames(packs map[ID]bool) string {
	if len(packs) == 0 {
		return "packs no index lists"
	}
	return goneNames(packs)
}

// confirmDamage looks again at the packs the target's damage markers
// name (confirmMarks), and at those a verify of this machine recorded
// damaged, before a push: one that is gone is missing (the
// listing shows it); one whose bytes still do not check is deleted, since
// nothing can read it and its index entries would keep every reader on
// it, so that everyone then sees it missing and push uploads its
// contents again; one that reads well now is taken off the record. The
// records of incomplete snapshots stay until the push, which checks this
// daemon's snapshots itself, has succeeded.
func (r *Repo) confirmDamage(ctx context.Context) error {
	if err := r.confirmMarks(ctx); err != nil {
		return err
	}
	rec := r.damaged()
	if len(rec) == 0 {
		return nil
	}
	keep := map[string]bool{}
	for o := range rec {
		rest, ok := strings.CutPrefix(o, "data/")
		if !ok {
			keep[o] = true // dropped once the push has checked every snapshot
			continue
		}
		id, err := ParseID(rest)
		if err != nil {
			continue
		}
		_, err = r.readPack(ctx, id)
		switch {
		case err == nil, isNotExist(err):
		case errors.Is(err, ErrCorrupt):
			if bad, derr := r.packDamaged(ctx, id, -1); derr != nil || !bad {
				keep[o] = derr != nil // whole bytes hashing right are not damage
				continue
			}
			r.opts.Logger.Warn("offsite: deleting a damaged pack; its contents are pushed again", "object", o, "err", err)
			if derr := r.b.Delete(ctx, o); derr != nil && !isNotExist(derr) {
				keep[o] = true
				r.opts.Logger.Warn("offsite: a damaged pack could not be deleted", "object", o, "err", derr)
			}
		default:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			keep[o] = true // unknown: looked at again next time
		}
	}
	r.writeDamaged(keep)
	return nil
}

// dropRecordedSnapshots takes the incomplete snapshots off the record of
// damage, once a push has checked (and repaired) this daemon's.
func (r *Repo) dropRecordedSnapshots() {
	rec := r.damaged()
	for o := range rec {
		if !strings.HasPrefix(o, "data/") {
			delete(rec, o)
		}
	}
	r.writeDamaged(rec)
}

// incompleteError is prune's refusal while snapshots need what only
// missing or damaged packs held.
func incompleteError(gone map[ID]bool, what string) error {
	names := strings.Split(goneNames(gone), ", ")
	slices.Sort(names)
	return fmt.Errorf("%w: the index lists packs that are missing or damaged (%s) and %s; prune stops until they are repaired: run `enspace-sync offsite push` on the machine that pushed those snapshots (it uploads what they miss again), or forget them",
		ErrCorrupt, strings.Join(names, ", "), what)
}

// repairedFile, under Options.CacheDir, lists the missing packs a push
// of this machine last checked this daemon's snapshots against (and
// repaired what they missed): until another goes missing or a verify
// records damage, the next pushes do not walk the trees again (the
// index keeps listing those packs until a prune).
const repairedFile = "repaired"

// repairedAll reports whether a push here already checked against every
// pack of gone.
func (r *Repo) repairedAll(gone map[ID]bool) bool {
	if r.opts.CacheDir == "" {
		return false
	}
	b, err := os.ReadFile(filepath.Join(r.opts.CacheDir, repairedFile))
	if err != nil {
		return false
	}
	done := map[string]bool{}
	for _, l := range strings.Fields(string(b)) {
		done[l] = true
	}
	for p := range gone {
		if !done[p.String()] {
			return false
		}
	}
	return true
}

// noteRepaired records that a push checked (and repaired) against gone.
func (r *Repo) noteRepaired(gone map[ID]bool) {
	if r.opts.CacheDir == "" {
		return
	}
	p := filepath.Join(r.opts.CacheDir, repairedFile)
	if len(gone) == 0 {
		_ = os.Remove(p)
		return
	}
	ids := make([]string, 0, len(gone))
	for g := range gone {
		ids = append(ids, g.String())
	}
	slices.Sort(ids)
	if os.MkdirAll(r.opts.CacheDir, 0o700) == nil && os.WriteFile(p+".tmp", []byte(strings.Join(ids, "\n")+"\n"), 0o600) == nil {
		_ = os.Rename(p+".tmp", p)
	}
}

// objectDamage is a getSealed error for stored bytes that do not hash to
// their name or do not decrypt: the object itself is damaged (a flipped
// byte), which is what a damage marker records.
type objectDamage struct{ err error }

func (e *objectDamage) Error() string { return e.err.Error() }
func (e *objectDamage) Unwrap() error { return e.err }

func isObjectDamage(err error) bool {
	var d *objectDamage
	return errors.As(err, &d)
}

// damagedDir holds the damage markers: damaged/<pack id>, an empty
// object a verify writes on the target for a pack that does not hash to
// its name or does not decrypt, so that every machine's push, prune and
// restore leave the pack out, and the next push (of any daemon) looks at
// it again (doc.go, # Repair). The name is the pack's, nothing more.
const damagedDir = "damaged/"

// damageMarks lists the packs the target's damage markers name.
func (r *Repo) damageMarks(ctx context.Context) (map[ID]bool, error) {
	_, ids, err := r.listIDs(ctx, damagedDir)
	if err != nil {
		return nil, err
	}
	out := make(map[ID]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// markDamaged writes a damage marker for each pack of ids. It is best
// effort: verify runs with read-only credentials too, and then the
// damage stays recorded in this machine's cache only.
func (r *Repo) markDamaged(ctx context.Context, ids []ID) {
	for _, id := range ids {
		if err := r.b.Put(ctx, damagedDir+id.String(), nil); err != nil {
			r.opts.Logger.Warn("offsite: could not record a damaged pack on the target (read-only credentials?); run `enspace-sync offsite verify --read-data` where pushes run, or push from this machine",
				"object", "data/"+id.String(), "err", err)
		}
	}
}

// dropMark deletes the damage marker of pack id.
func (r *Repo) dropMark(ctx context.Context, id ID) {
	if err := r.b.Delete(ctx, damagedDir+id.String()); err != nil && !isNotExist(err) {
		r.opts.Logger.Warn("offsite: a damage marker could not be deleted", "object", damagedDir+id.String(), "err", err)
	}
}

// packDamaged reads pack id whole and reports whether its bytes, of the
// size the listing gives (size < 0: as Stat gives it now), do not hash to
// its name: the only damage that warrants a marker or a deletion. A read
// of another length is a transport fault, and bytes that hash to the name
// but do not decrypt mean this machine holds another master key: neither
// is damage, and neither deletes a pack other daemons may need.
func (r *Repo) packDamaged(ctx context.Context, id ID, size int64) (bool, error) {
	name := "data/" + id.String()
	if size < 0 {
		st, err := r.b.Stat(ctx, name)
		if err != nil {
			return false, err
		}
		size = st.Size
	}
	b, err := r.b.Get(ctx, name)
	if err != nil {
		return false, err
	}
	if int64(len(b)) != size {
		return false, nil
	}
	return hashOf(b) != id, nil
}

// confirmMarks looks again at the packs the target's damage markers name,
// before a push: one that still does not check is deleted, then its
// marker; one that reads well now, or is gone, loses its marker only.
func (r *Repo) confirmMarks(ctx context.Context) error {
	marks, err := r.damageMarks(ctx)
	if err != nil {
		return err
	}
	for id := range marks {
		o := "data/" + id.String()
		_, err := r.readPack(ctx, id)
		switch {
		case err == nil, isNotExist(err):
			if err == nil {
				r.opts.Logger.Info("offsite: a pack a verify found damaged reads well now; its marker is removed", "object", o)
			}
			r.dropMark(ctx, id)
		case errors.Is(err, ErrCorrupt):
			if bad, derr := r.packDamaged(ctx, id, -1); derr != nil || !bad {
				if derr == nil {
					r.dropMark(ctx, id) // its bytes are whole: not damage (another key?)
				}
				continue
			}
			r.opts.Logger.Warn("offsite: deleting a damaged pack a verify marked; its contents are pushed again", "object", o, "err", err)
			if derr := r.b.Delete(ctx, o); derr != nil && !isNotExist(derr) {
				r.opts.Logger.Warn("offsite: a damaged pack could not be deleted", "object", o, "err", derr)
				continue
			}
			r.dropMark(ctx, id)
		default:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// unknown: looked at again next time
		}
	}
	return nil
}
