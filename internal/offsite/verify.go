package offsite

import (
	"context"
	"fmt"
	"sort"
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
}

// Verify checks that every index file decrypts, that every pack it lists
// exists, and that every snapshot's trees and objects are in packs the
// index lists. With readData it downloads every pack and checks its hash,
// that it decrypts and that it holds what the index says, each tree chunk
// and object hashing to its id.
func (r *Repo) Verify(ctx context.Context, readData bool) (VerifyReport, error) {
	rep := VerifyReport{ReadData: readData, Problems: []Problem{}}
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
	bad, err := idx.resolve(ctx, r)
	if err != nil {
		return rep, err
	}
	for _, b := range bad {
		add(b.Object, "%v", b.err)
	}
	for f, packs := range idx.files {
		for _, p := range packs {
			if _, ok := sizes[p]; !ok {
				add("data/"+p.String(), "listed in index/%s but missing", f.Short())
			}
		}
	}
	for _, id := range packIDs {
		if _, ok := idx.packs[id]; !ok {
			rep.Unindexed++
		}
	}
	t := idx.trees
	if t == nil {
		t = newTrees(r, idx)
	}
	for _, s := range snaps {
		for name, tr := range s.Collections {
			err := t.walk(ctx, tr.Root.Ref(), func(e Entry) error {
				if loc, ok := idx.lookup(e.Ref); !ok || loc.Type != DataBlob {
					return fmt.Errorf("object %x is in no index", e.Ref[:6])
				}
				return nil
			})
			if err != nil {
				add("snapshots/"+s.Object.String(), "snapshot %s of %s by %s, collection %s: %v", s.LocalID, s.Workspace, s.Name, name, err)
			}
		}
	}
	if !readData {
		return r.verified(ctx, rep)
	}
	for _, id := range packIDs {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		obj := "data/" + id.String()
		pc, err := r.readPack(ctx, id)
		rep.BytesRead += sizes[id]
		if err != nil {
			add(obj, "%v", err)
			continue
		}
		from := idx.from[id]
		for i, b := range idx.packs[id] {
			if from != nil && from[i].OK && b.Ref == (Ref{}) {
				continue // unresolved: reported with its index file
			}
			if _, _, err := pc.blob(b, r.opts.BlobID); err != nil {
				add(obj, "%v", err)
			}
		}
	}
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
