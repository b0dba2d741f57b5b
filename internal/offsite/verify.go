package offsite

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Problem is one thing verify found wrong, naming the object.
type Problem struct {
	Object  string `json:"object"` // "data/3fa4...", "snapshots/9c1e...", "index/..."
	Message string `json:"message"`
}

// VerifyReport is what Verify checked and found.
type VerifyReport struct {
	Snapshots int       `json:"snapshots"`
	Packs     int       `json:"packs"`
	Indexes   int       `json:"indexes"`
	Unindexed int       `json:"unindexed_packs"` // left by interrupted pushes; prune removes them
	ReadData  bool      `json:"read_data"`
	BytesRead int64     `json:"bytes_read"`
	Problems  []Problem `json:"problems"`
	// Incomplete lists the snapshots that cannot be fully restored: a tree
	// chunk or object they name is in no index, or in a pack that is
	// missing (or, with ReadData, damaged).
	Incomplete []IncompleteSnapshot `json:"incomplete_snapshots"`
}

// IncompleteSnapshot is a snapshot verify found cannot be fully restored.
type IncompleteSnapshot struct {
	Object    string    `json:"object"` // "snapshots/<id>"
	Name      string    `json:"name"`   // the daemon that pushed it
	Workspace string    `json:"workspace"`
	LocalID   string    `json:"local_id"`
	StartedAt time.Time `json:"started_at"`
	// Packs are the missing or damaged packs that held what it misses
	// (none when that is in no index at all).
	Packs []string `json:"packs"`
}

// Verify checks that every index file decrypts, that every pack it lists
// exists, and that every snapshot's trees and objects are in packs the
// index lists. With readData it downloads every pack and checks its hash,
// that it decrypts and that it holds what the index says, each tree chunk
// and object hashing to its id.
func (r *Repo) Verify(ctx context.Context, readData bool) (VerifyReport, error) {
	rep := VerifyReport{ReadData: readData, Problems: []Problem{}, Incomplete: []IncompleteSnapshot{}}
	if err := r.noPrune(ctx); err != nil {
		return rep, err
	}
	r.noCache = true // what is checked is the target, not copies of it
	defer func() {
		r.noCache = false
		for _, p := range rep.Problems {
			r.cacheDrop(p.Object)
		}
		if len(rep.Problems) > 0 {
			// Refs resolved from chunks verify found damaged or gone
			// must not make the next push skip their objects: it
			// resolves them from the target again.
			r.cacheDropDir(resolvedDir)
		}
	}()
	add := func(obj, format string, args ...any) {
		rep.Problems = append(rep.Problems, Problem{Object: obj, Message: fmt.Sprintf(format, args...)})
	}
	// Listed in the reverse of the order a push writes (packs, then an
	// index file, then the record): every record listed was complete
	// before the index files are listed, and every index file before the
	// packs, so a push that runs meanwhile is never taken for damage.
	snaps, badRecords, err := r.readSnapshots(ctx)
	if err != nil {
		return rep, err
	}
	rep.Problems = append(rep.Problems, badRecords...)
	rep.Snapshots = len(snaps)
	_, files, err := r.listIDs(ctx, "index/")
	if err != nil {
		return rep, err
	}
	rep.Indexes = len(files)
	infos, packIDs, err := r.listIDs(ctx, "data/")
	if err != nil {
		return rep, err
	}
	sizes := map[ID]int64{}
	for i, id := range packIDs {
		sizes[id] = infos[i].Size
	}
	rep.Packs = len(packIDs)
	idx := newIndex()
	for _, f := range files {
		packs, err := r.readIndex(ctx, f)
		if err != nil {
			add("index/"+f.String(), "%v", err)
			continue
		}
		idx.add(f, packs)
	}
	// Missing packs are left out before the entries given by chunk are
	// resolved: a chunk pushed again after its pack was lost is found in
	// its new pack.
	gone := map[ID]bool{}
	for f, packs := range idx.files {
		for _, p := range packs {
			if _, ok := sizes[p]; !ok {
				add("data/"+p.String(), "listed in index/%s but missing", f.Short())
				gone[p] = true
			}
		}
	}
	// A pack a damage marker names (a verify found it damaged, here or
	// elsewhere) is left out like a missing one, unless this verify
	// reads every pack and so judges it itself.
	marks, err := r.damageMarks(ctx)
	if err != nil {
		return rep, err
	}
	if !readData {
		for p := range marks {
			if _, ok := idx.packs[p]; ok && !gone[p] {
				add("data/"+p.String(), "a verify found it damaged (%s%s): `enspace-sync offsite push` deletes it and uploads what it held again", damagedDir, p.Short())
				gone[p] = true
			}
		}
	}
	idx.exclude(gone)
	bad, err := idx.resolve(ctx, r)
	if err != nil {
		return rep, err
	}
	for _, b := range bad {
		add(b.Object, "%v", b.err)
	}
	for _, id := range packIDs {
		if _, ok := idx.packs[id]; !ok {
			rep.Unindexed++
		}
	}
	var mark []ID // packs whose bytes, read again whole, do not hash to their name
	// names holds, per data blob's name, the id its bytes gave and where:
	// two blobs under one name (two pushes at once that both found it
	// free) leave the trees that name it ambiguous.
	type named struct {
		id   ID
		pack ID
	}
	names := map[Ref]named{}
	if readData {
		for _, id := range packIDs {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			obj := "data/" + id.String()
			pc, err := r.readPack(ctx, id)
			rep.BytesRead += sizes[id]
			if err != nil {
				add(obj, "%v", err)
				if errors.Is(err, ErrCorrupt) || isNotExist(err) {
					gone[id] = true
				}
				if isObjectDamage(err) && !marks[id] {
					// Marked only when a second read of the listed size
					// does not hash to the name either: not for a short
					// read, nor for bytes that hash right but do not
					// decrypt (this machine holds another master key).
					if bad, derr := r.packDamaged(ctx, id, sizes[id]); derr == nil && bad {
						mark = append(mark, id)
					}
				}
				continue
			}
			if marks[id] {
				r.dropMark(ctx, id) // it reads well: whoever marked it misread it
			}
			from := idx.from[id]
			for i, b := range idx.packs[id] {
				if from != nil && from[i].OK && b.Ref == (Ref{}) {
					continue // unresolved: reported with its index file
				}
				_, bid, err := pc.blob(b, r.opts.BlobID)
				if err != nil {
					add(obj, "%v", err)
					gone[id] = true
					continue
				}
				if b.Type != DataBlob || r.opts.BlobID == nil {
					continue
				}
				if n, ok := names[b.Ref]; ok && n.id != bid {
					add(obj, "the object name %x names two different objects, in data/%s and data/%s (two pushes at once uploaded them): a snapshot that names it may restore either; forget the snapshots pushed then and push them again",
						b.Ref[:6], n.pack.Short(), id.Short())
				} else if !ok {
					names[b.Ref] = named{bid, id}
				}
			}
		}
	}
	// The snapshots: every tree chunk and object must be in a pack that
	// exists and (with readData) reads well. One that misses something
	// is named, with the packs that held what it misses.
	idx.exclude(gone)
	c := newChecker(ctx, r, idx)
	for _, s := range snaps {
		res, err := c.snapshot(s)
		if err != nil {
			return rep, fmt.Errorf("check snapshot %s of %s: %w", s.LocalID, s.Workspace, err)
		}
		if res.ok {
			continue
		}
		packs := make([]string, 0, len(res.packs))
		for p := range res.packs {
			packs = append(packs, "data/"+p.String())
		}
		sort.Strings(packs)
		rep.Incomplete = append(rep.Incomplete, IncompleteSnapshot{Object: "snapshots/" + s.Object.String(),
			Name: s.Name, Workspace: s.Workspace, LocalID: s.LocalID, StartedAt: s.StartedAt, Packs: packs})
		add("snapshots/"+s.Object.String(), "snapshot %s of %s by %s cannot be restored: tree chunks or objects it names are in %s; `enspace-sync offsite push` on the machine that pushed it (%s) uploads them again",
			s.LocalID, s.Workspace, s.Name, packNames(res.packs), s.Host)
	}
	// What is damaged is recorded in the local cache: the next push there
	// treats those packs as missing and pushes what they held again, and
	// prune refuses to run while a snapshot needs them. A pack that does
	// not hash to its name or decrypt is marked on the target too.
	var damaged []string
	for p := range gone {
		damaged = append(damaged, "data/"+p.String())
	}
	for _, s := range rep.Incomplete {
		damaged = append(damaged, s.Object)
	}
	r.recordDamage(damaged)
	// And on the target, for every machine: the push of any daemon then
	// looks at the pack again and deletes it (doc.go, # Repair).
	r.markDamaged(ctx, mark)
	return r.verified(ctx, rep)
}

// verified ends a verify: a problem found while a prune took the target
// may be the prune's doing, so that is ErrLocked (run verify again after
// it) rather than a report of damage.
func (r *Repo) verified(ctx context.Context, rep VerifyReport) (VerifyReport, error) {
	sortProblems(rep.Problems)
	if len(rep.Problems) > 0 {
		if err := r.noPrune(ctx); err != nil {
			return rep, fmt.Errorf("verify ran while a prune started: run it again after the prune: %w", err)
		}
	}
	return rep, nil
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Object < ps[j].Object })
}
