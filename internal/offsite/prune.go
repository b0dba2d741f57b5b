package offsite

import (
	"context"
	"errors"
	"fmt"
)

// ForgetReport lists the snapshot records Forget removed.
type ForgetReport struct {
	Forgotten []string `json:"forgotten"` // local snapshot ids
	Kept      int      `json:"kept"`
}

// Forget removes this daemon's snapshot records for which keep is false:
// the local database no longer has them. Other daemons' snapshots are
// never touched. The packs stay until Prune. It holds a shared lock; a
// lock lost on the way fails with ErrLockLost, not the context error
// the loss caused.
func (r *Repo) Forget(ctx context.Context, keep func(workspace, localID string) bool) (rep ForgetReport, err error) {
	rep = ForgetReport{Forgotten: []string{}}
	lock, ctx, err := r.acquire(ctx, "forget", false)
	if err != nil {
		return rep, err
	}
	defer lock.release()
	defer func() { err = lockLost(ctx, err) }()
	snaps, err := r.Snapshots(ctx)
	if err != nil {
		return rep, err
	}
	for _, s := range snaps {
		if s.Name != r.opts.Name || keep(s.Workspace, s.LocalID) {
			rep.Kept++
			continue
		}
		if err := r.b.Delete(ctx, "snapshots/"+s.Object.String()); err != nil {
			return rep, fmt.Errorf("forget snapshot %s: %w", s.LocalID, err)
		}
		rep.Forgotten = append(rep.Forgotten, s.LocalID)
	}
	return rep, nil
}

// PruneReport is what Prune removed and rewrote.
type PruneReport struct {
	Packs      int   `json:"packs"`         // before
	Deleted    int   `json:"deleted_packs"` // unreferenced, or left by interrupted pushes
	Repacked   int   `json:"repacked_packs"`
	Young      int   `json:"young_packs_kept"`   // unreferenced but inside the safety window
	TempFiles  int   `json:"temp_files_removed"` // left by writes killed before their rename (file:// targets)
	FreedBytes int64 `json:"freed_bytes"`
	Uploaded   int64 `json:"uploaded_bytes"`
}

// repackBelow is the share of a pack's bytes still in use under which
// prune rewrites the pack's live blobs into a new one.
const repackBelow = 0.5

// Prune deletes the packs no snapshot uses and rewrites those mostly
// unused, then replaces every index file with one that lists what is
// left. Packs younger than the safety window (Options.PruneWindow) are
// left alone, whatever they hold. It holds an exclusive lock.
func (r *Repo) Prune(ctx context.Context) (rep PruneReport, err error) {
	start := r.Uploaded()
	defer func() { rep.Uploaded = r.Uploaded() - start }()
	lock, ctx, err := r.acquire(ctx, "prune", true)
	if err != nil {
		return rep, err
	}
	defer lock.release()
	defer func() { err = lockLost(ctx, err) }()
	if tr, ok := r.b.(tempRemover); ok {
		n, size, err := tr.RemoveTemps(ctx, r.opts.Now().Add(-r.opts.PruneWindow))
		if err != nil {
			return rep, fmt.Errorf("remove temporary files: %w", err)
		}
		rep.TempFiles, rep.FreedBytes = n, rep.FreedBytes+size
	}
	idx, err := r.loadIndex(ctx, true)
	if err != nil {
		return rep, err
	}
	infos, packIDs := idx.dataInfos, idx.dataIDs
	rep.Packs = len(packIDs)
	exists := make(map[ID]bool, len(packIDs))
	for _, id := range packIDs {
		exists[id] = true
	}
	// A damage marker whose pack is gone has done its work.
	for p := range idx.marks {
		if !exists[p] {
			r.dropMark(ctx, p)
		}
	}
	used, records, err := r.used(ctx, idx)
	if err != nil {
		return rep, err
	}
	// Packs that are missing, or that a verify here found damaged, are
	// out of idx (loadIndex): while a snapshot needs something only they
	// held, prune refuses (push repairs it); once nothing does, their
	// entries are left out of the new index and a damaged one is deleted
	// like a pack no index lists.
	if len(idx.gone) > 0 {
		for ref := range used {
			if _, ok := idx.lookup(ref); !ok {
				return rep, incompleteError(idx.gone, "snapshots still need tree chunks or objects only they held")
			}
		}
	}
	cutoff := r.opts.Now().Add(-r.opts.PruneWindow)
	p := newPusher(r, ctx, newIndex(), nil, &PushReport{})
	p.lock = lock
	defer p.inflight.Wait()
	var keep []IndexPack
	var drop []ObjectInfo
	for i, id := range packIDs {
		blobs, indexed := idx.packs[id]
		var live, total int64
		for _, b := range blobs {
			total += int64(b.Length)
			if isLive(used, idx, exists, id, b) {
				live += int64(b.Length)
			}
		}
		young := infos[i].ModTime.After(cutoff)
		switch {
		case indexed && live == total:
			keep = append(keep, IndexPack{Pack: id, Blobs: blobs})
		case young:
			rep.Young++
			if indexed {
				keep = append(keep, IndexPack{Pack: id, Blobs: blobs})
			}
		case !indexed || live == 0:
			drop = append(drop, infos[i])
			rep.Deleted++
		case float64(live) >= repackBelow*float64(total):
			keep = append(keep, IndexPack{Pack: id, Blobs: blobs})
		default:
			pc, err := r.readPack(ctx, id)
			if err != nil {
				return rep, fmt.Errorf("repack: %w", err)
			}
			for _, b := range blobs {
				if !isLive(used, idx, exists, id, b) {
					continue
				}
				c, bid, err := pc.blob(b, r.opts.BlobID)
				if err != nil {
					return rep, fmt.Errorf("repack: %w", err)
				}
				if err := p.add(b.Type, b.Ref, bid, c); err != nil {
					return rep, err
				}
			}
			drop = append(drop, infos[i])
			rep.Repacked++
		}
	}
	if err := p.flush(&p.data); err != nil {
		return rep, err
	}
	if err := p.flush(&p.trees); err != nil {
		return rep, err
	}
	if err := p.wait(); err != nil {
		return rep, err
	}
	for _, ip := range p.done {
		p.knowIDs(ip)
	}
	keep = append(keep, p.done...)
	if len(drop) == 0 && rep.Repacked == 0 && len(idx.gone) == 0 {
		return rep, nil
	}
	keepSources(idx, keep)
	if err := lock.check(ctx); err != nil {
		return rep, err
	}
	// The old index files as stored, to put back if a push turns out to
	// have run meanwhile.
	old := make(map[ID][]byte, len(idx.files))
	for f := range idx.files {
		b, err := r.rawIndex(ctx, f)
		if err != nil {
			return rep, fmt.Errorf("keep a copy of the old index: %w", err)
		}
		old[f] = b
	}
	if _, err := r.writeIndex(ctx, keep); err != nil {
		return rep, fmt.Errorf("write the new index: %w", err)
	}
	for f := range idx.files {
		if err := r.b.Delete(ctx, "index/"+f.String()); err != nil {
			return rep, fmt.Errorf("delete old index: %w", err)
		}
	}
	// The fence (doc.go, # Locks): a push checks the index files it
	// loaded after writing each record, the prune lists the records after
	// deleting those files. A record that appeared since the start was
	// written by a push the lock should have kept out, which may name
	// packs about to be deleted: put the old index back and stop.
	if err := r.pruneFence(ctx, records, old); err != nil {
		return rep, err
	}
	// The old index files are gone, the new one lists every kept pack.
	for _, o := range drop {
		if err := r.b.Delete(ctx, o.Name); err != nil {
			return rep, fmt.Errorf("delete pack: %w", err)
		}
		rep.FreedBytes += o.Size
		if id, err := ParseID(o.Name[len("data/"):]); err == nil && idx.marks[id] {
			r.dropMark(ctx, id)
		}
	}
	return rep, nil
}

// keepSources gives the data blobs of keep (the new index) their refs by
// chunk where the loaded index did (a repacked blob by the same chunk and
// entry: they do not depend on the pack) and the chunk stays, listed in a
// tree pack of keep; the others are explicit. Every ref is resolved:
// prune loads the index strictly.
func keepSources(idx *index, keep []IndexPack) {
	trees := map[Ref]bool{}
	for _, ip := range keep {
		for _, b := range ip.Blobs {
			if b.Type == TreeBlob {
				trees[b.Ref] = true
			}
		}
	}
	byRef := map[Ref]ChunkPos{}
	for pack, from := range idx.from {
		for i, f := range from {
			if f.OK {
				byRef[idx.packs[pack][i].Ref] = f
			}
		}
	}
	for k := range keep {
		ip := &keep[k]
		ip.From = nil
		for i, b := range ip.Blobs {
			f, ok := byRef[b.Ref]
			if b.Type != DataBlob || !ok || !trees[f.Chunk] || b.Ref == (Ref{}) {
				continue
			}
			if ip.From == nil {
				ip.From = make([]ChunkPos, len(ip.Blobs))
			}
			ip.From[i] = f
		}
	}
}

// isLive reports whether blob b of pack is used, and is the copy the
// index picks (a blob uploaded twice lives in one pack). A pick whose
// pack is missing from data/ counts as no pick: every existing copy is
// then live, so prune never deletes the last one.
func isLive(used map[Ref]bool, idx *index, exists map[ID]bool, pack ID, b PackedBlob) bool {
	if !used[b.Ref] {
		return false
	}
	if b.Type == DataBlob && !b.Ref.long() {
		// Every copy of a short name stays: two could be different
		// blobs (two pushes at once; verify --read-data reports it).
		return true
	}
	loc, ok := idx.lookup(b.Ref)
	return !ok || !exists[loc.pack] || loc.pack == pack
}

// rawIndex returns index file f as stored: the cached copy when it
// hashes to its name, else the target's.
func (r *Repo) rawIndex(ctx context.Context, f ID) ([]byte, error) {
	if b := r.cacheGet("index/" + f.String()); b != nil && hashOf(b) == f {
		return b, nil
	}
	b, err := r.b.Get(ctx, "index/"+f.String())
	if err != nil {
		return nil, err
	}
	if hashOf(b) != f {
		return nil, fmt.Errorf("%w: index/%s does not hash to its name; prune stops: run verify", ErrCorrupt, f.Short())
	}
	return b, nil
}

// pruneFence lists the snapshot records after the old index files are
// gone. One that is not among those the prune read at the start (records)
// means a push ran during the prune: the old index files are written
// back, under their names, and the prune fails before deleting a pack.
func (r *Repo) pruneFence(ctx context.Context, records map[ID]bool, old map[ID][]byte) error {
	_, ids, err := r.listIDs(ctx, "snapshots/")
	var appeared ID
	if err == nil {
		for _, id := range ids {
			if !records[id] {
				appeared, err = id, errPushDuringPrune
				break
			}
		}
		if err == nil {
			return nil
		}
	}
	ctx = context.WithoutCancel(ctx)
	for f, b := range old {
		if perr := r.b.Put(ctx, "index/"+f.String(), b); perr != nil {
			return fmt.Errorf("put the old index back after %v: %w; the new index lists every pack still in use and no pack was deleted, but run `enspace-sync offsite verify`", err, perr)
		}
	}
	if errors.Is(err, errPushDuringPrune) {
		return fmt.Errorf("%w: a push wrote snapshots/%s during the prune, which its exclusive lock should have prevented; nothing was deleted: run the prune again",
			ErrLockLost, appeared.Short())
	}
	return fmt.Errorf("list snapshot records to check that no push ran during the prune: %w; nothing was deleted: run the prune again", err)
}

var errPushDuringPrune = errors.New("push during prune")

// used returns every blob and tree chunk some snapshot reaches, and the
// records it read. A record listed but gone when read is an error: under
// the exclusive lock it can only mean a lock was broken or the target
// lists what it no longer holds, and what only that record used would
// be freed.
func (r *Repo) used(ctx context.Context, idx *index) (map[Ref]bool, map[ID]bool, error) {
	snaps, bad, err := r.readRecords(ctx, true)
	if err == nil && len(bad) > 0 {
		err = fmt.Errorf("%s: %s; prune stops: run verify", bad[0].Object, bad[0].Message)
	}
	if err != nil {
		return nil, nil, err
	}
	records := make(map[ID]bool, len(snaps))
	for _, s := range snaps {
		records[s.Object] = true
	}
	t := idx.trees
	if t == nil {
		t = newTrees(r, idx)
	}
	used := map[Ref]bool{}
	var visit func(id Ref) error
	visit = func(id Ref) error {
		if used[id] {
			return nil
		}
		used[id] = true
		c, err := t.refs(ctx, id)
		if err != nil {
			return err
		}
		for _, e := range c.leaf {
			used[e.Ref] = true
		}
		children := c.children
		if d := c.delta; d != nil {
			for _, ch := range d.Changes {
				if !ch.Removed {
					used[ch.Ref] = true
				}
			}
			children = []Ref{d.Base}
		}
		for _, ch := range children {
			if err := visit(ch); err != nil {
				return err
			}
		}
		return nil
	}
	for _, s := range snaps {
		for name, tr := range s.Collections {
			if err := visit(tr.Root.Ref()); err != nil {
				if len(idx.gone) > 0 && ctx.Err() == nil {
					return nil, nil, incompleteError(idx.gone, fmt.Sprintf("snapshot %s of %s by %s (collection %s) cannot be read: %v", s.LocalID, s.Workspace, s.Name, name, err))
				}
				return nil, nil, fmt.Errorf("snapshot %s of %s by %s, collection %s: %w; prune stops: run `enspace-sync offsite verify`, then `enspace-sync offsite push` on the machine that pushed it (it uploads what the snapshot misses again)", s.LocalID, s.Workspace, s.Name, name, err)
			}
		}
	}
	return used, records, nil
}
