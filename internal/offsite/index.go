package offsite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// blobLoc is where a blob is: its pack and its place in the pack.
type blobLoc struct {
	pack ID
	PackedBlob
}

// index is the union of the target's index files. A blob's entry is two
// numbers (its pack's place in packList, its place in the pack's list):
// BenchmarkIndexMemory measured the map at 56 bytes a blob, against 201
// when each entry held a copy of its location.
type index struct {
	blobs    map[Ref]slot
	packList []ID
	packs    map[ID][]PackedBlob
	files    map[ID][]ID // index file -> the packs it lists
	// from is, for packs with entries given by chunk (format 3), where
	// each blob's ref comes from (IndexPack.From); unresolved lists
	// those packs whose refs resolve has yet to fill in.
	from       map[ID][]ChunkPos
	unresolved []unresolved
	// trees holds the tree chunks resolve read, for whoever reads trees
	// next.
	trees *trees
	// gone are the indexed packs that data/ does not list, that a
	// verify of this machine recorded damaged, or that a damage marker
	// names: exclude left them out, and
	// lost keeps, for each blob or chunk that had no other copy, the pack
	// it was in (what a snapshot that needs it misses).
	gone map[ID]bool
	lost map[Ref]ID
	// dataInfos and dataIDs are the data/ listing loadIndex made.
	dataInfos []ObjectInfo
	dataIDs   []ID
	// marks are the packs the target's damage markers name (damaged/).
	marks map[ID]bool
}

type slot struct{ pack, blob uint32 }

func newIndex() *index {
	return &index{blobs: map[Ref]slot{}, packs: map[ID][]PackedBlob{}, files: map[ID][]ID{}, from: map[ID][]ChunkPos{}}
}

// lookup returns where the blob whose ref is r is.
func (x *index) lookup(r Ref) (blobLoc, bool) {
	s, ok := x.blobs[r]
	if !ok {
		return blobLoc{}, false
	}
	pack := x.packList[s.pack]
	return blobLoc{pack: pack, PackedBlob: x.packs[pack][s.blob]}, true
}

func (x *index) add(file ID, packs []IndexPack) {
	for _, p := range packs {
		x.files[file] = append(x.files[file], p.Pack)
		if _, ok := x.packs[p.Pack]; ok {
			continue
		}
		x.packs[p.Pack] = p.Blobs
		x.packList = append(x.packList, p.Pack)
		pending := false
		if p.From != nil {
			x.from[p.Pack] = p.From
		}
		for i, b := range p.Blobs {
			if p.byChunk(i) && b.Ref == (Ref{}) {
				pending = true // resolve adds it
				continue
			}
			if _, ok := x.blobs[b.Ref]; !ok {
				x.blobs[b.Ref] = slot{uint32(len(x.packList) - 1), uint32(i)}
			}
		}
		if pending {
			x.unresolved = append(x.unresolved, unresolved{uint32(len(x.packList) - 1), file})
		}
	}
}

// exclude leaves the packs of gone out of the index: a blob or chunk
// they held is found in another pack that holds it, or not at all (and
// lost then names the pack). Push uploads what is not found again.
//
// It may be called again with more packs: gone and lost accumulate.
func (x *index) exclude(gone map[ID]bool) {
	if x.gone == nil {
		x.gone = map[ID]bool{}
	}
	more := false
	for p := range gone {
		if _, ok := x.packs[p]; ok {
			x.gone[p] = true
			more = true
		}
	}
	if !more {
		return
	}
	if x.lost == nil {
		x.lost = map[Ref]ID{}
	}
	for ref, s := range x.blobs {
		if p := x.packList[s.pack]; x.gone[p] {
			delete(x.blobs, ref)
			x.lost[ref] = p
		}
	}
	for i, p := range x.packList {
		if x.gone[p] {
			continue
		}
		for j, b := range x.packs[p] {
			if b.Ref == (Ref{}) {
				continue // given by chunk, not yet resolved
			}
			if _, ok := x.blobs[b.Ref]; !ok {
				x.blobs[b.Ref] = slot{uint32(i), uint32(j)}
				delete(x.lost, b.Ref)
			}
		}
	}
	for p := range x.gone {
		delete(x.packs, p)
		delete(x.from, p)
	}
	rest := x.unresolved[:0]
	for _, u := range x.unresolved {
		if !x.gone[x.packList[u.pack]] {
			rest = append(rest, u)
		}
	}
	x.unresolved = rest
}

// notIndexed is the error for a blob or chunk (what) of ref that the
// index lacks: when it was only in a pack exclude left out, the error
// names that pack, and is ErrNotExist when data/ does not list it.
func (x *index) notIndexed(what string, ref Ref) error {
	p, ok := x.lost[ref]
	if !ok {
		return fmt.Errorf("%w: %s %x is in no index", ErrCorrupt, what, ref[:6])
	}
	if slices.Contains(x.dataIDs, p) {
		return fmt.Errorf("%w: %s %x is in data/%s, which a verify found damaged: run `enspace-sync offsite push` where it was pushed", ErrCorrupt, what, ref[:6], p.Short())
	}
	return fmt.Errorf("%w: %s %x is in data/%s, which is missing: run `enspace-sync offsite push` where it was pushed", ErrNotExist, what, ref[:6], p.Short())
}

// orphans leaves out of the index the data blobs given by a chunk that
// is in a pack exclude left out: the local cache of resolved refs may
// know their refs, but a reader without it (restore on another machine,
// verify) cannot resolve them, so push must upload them again.
func (x *index) orphans() {
	if len(x.gone) == 0 {
		return
	}
	skip := map[slot]bool{}
	for i, p := range x.packList {
		for j, f := range x.from[p] {
			if !f.OK {
				continue
			}
			if loc, ok := x.lookup(f.Chunk); ok && loc.Type == TreeBlob {
				continue
			}
			s := slot{uint32(i), uint32(j)}
			skip[s] = true
			ref := x.packs[p][j].Ref
			if ref == (Ref{}) {
				continue
			}
			if x.blobs[ref] == s {
				delete(x.blobs, ref)
				if g, ok := x.lost[f.Chunk]; ok {
					x.lost[ref] = g
				}
			}
		}
	}
	if len(skip) == 0 {
		return
	}
	for i, p := range x.packList {
		for j, b := range x.packs[p] {
			if b.Ref == (Ref{}) || skip[slot{uint32(i), uint32(j)}] {
				continue
			}
			if _, ok := x.blobs[b.Ref]; !ok {
				x.blobs[b.Ref] = slot{uint32(i), uint32(j)}
				delete(x.lost, b.Ref)
			}
		}
	}
}

// goneNames lists the packs of gone, sorted, as "data/<short id>".
func goneNames(gone map[ID]bool) string {
	names := make([]string, 0, len(gone))
	for p := range gone {
		names = append(names, "data/"+p.Short())
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// loadIndex reads every index file of the target, indexConcurrency at
// a time, and adds them in name order. With strict (prune,
// which must know every pack's content), one that does not decrypt or
// decode is an error; otherwise it is logged and left out: push then
// uploads its blobs again, restore fails only if it needs them.
func (r *Repo) loadIndex(ctx context.Context, strict bool) (*index, error) {
	x, err := r.loadIndexFiles(ctx, strict, false)
	if err != nil {
		return nil, err
	}
	bad, err := x.resolve(ctx, r)
	if err != nil {
		return nil, err
	}
	for _, b := range bad {
		if strict && len(x.gone) == 0 {
			return nil, fmt.Errorf("%s: %w; prune stops: run verify", b.Object, b.err)
		}
		if strict {
			// A chunk in a missing pack: what a snapshot still needs of
			// it is checked by prune, whose error names the packs.
			continue
		}
		r.opts.Logger.Warn("offsite: an index entry cannot be resolved; run offsite verify", "object", b.Object, "err", b.err)
	}
	x.orphans()
	if !strict {
		clear(x.from) // resolved: only prune writes sources again
	}
	return x, nil
}

// loadIndexFiles is loadIndex without resolve: the entries given by
// chunk are left in x.unresolved (restore resolves them as its walks
// read the chunks). With explicit (restore's, which keeps the refs it
// resolves apart) x.blobs is made for the entries that give their refs
// alone: at a million objects given by chunk, a map made for every entry
// (1.2 million) held 135,000, and each look-up (a miss, for nearly
// every object) reached into the whole of it.
func (r *Repo) loadIndexFiles(ctx context.Context, strict, explicit bool) (*index, error) {
	_, ids, err := r.listIDs(ctx, "index/")
	if err != nil {
		return nil, err
	}
	got := readEach(ids, func(id ID) ([]IndexPack, error) { return r.readIndex(ctx, id) })
	n := 0
	for _, x := range got {
		for _, p := range x.v {
			if !explicit {
				n += len(p.Blobs)
				continue
			}
			for i, b := range p.Blobs {
				if !p.byChunk(i) || b.Ref != (Ref{}) {
					n++
				}
			}
		}
	}
	x := newIndex()
	x.blobs = make(map[Ref]slot, n)
	for i, id := range ids {
		packs, err := got[i].v, got[i].err
		if errors.Is(err, ErrCorrupt) && !strict {
			r.opts.Logger.Warn("offsite: an index file cannot be read; run offsite verify", "object", "index/"+id.String(), "err", err)
			continue
		}
		if err != nil {
			return nil, err
		}
		x.add(id, packs)
	}
	r.cacheKeep(resolvedDir, ids)
	// data/ is listed after index/: a push writes its packs before the
	// index file that lists them, so every pack of a listed index file
	// that still exists is in this listing.
	x.dataInfos, x.dataIDs, err = r.listIDs(ctx, "data/")
	if err != nil {
		return nil, err
	}
	r.cacheKeep(idsDir, x.dataIDs)
	// Damage markers (damaged/, a verify's on any machine) count like
	// this machine's record of damage.
	if x.marks, err = r.damageMarks(ctx); err != nil {
		return nil, err
	}
	gone := r.damagedPacks()
	for p := range x.marks {
		gone[p] = true
	}
	listed := make(map[ID]bool, len(x.dataIDs))
	for _, id := range x.dataIDs {
		listed[id] = true
	}
	for p := range x.packs {
		if !listed[p] {
			gone[p] = true
		}
	}
	x.exclude(gone)
	return x, nil
}

// result is what readEach read for one id.
type result[T any] struct {
	v   T
	err error
}

// readEach calls read for each of ids, indexConcurrency at a time, and
// returns the results in the order of ids.
func readEach[T any](ids []ID, read func(ID) (T, error)) []result[T] {
	got := make([]result[T], len(ids))
	var g errgroup.Group
	g.SetLimit(indexConcurrency)
	for i, id := range ids {
		g.Go(func() error {
			got[i].v, got[i].err = read(id)
			return nil
		})
	}
	g.Wait()
	return got
}

// indexConcurrency is how many index files loadIndex, or records
// readRecords, reads at once.
const indexConcurrency = 8

func (r *Repo) readIndex(ctx context.Context, id ID) ([]IndexPack, error) {
	b, err := r.getSealed(ctx, "index/", id, kindIndex)
	if err != nil {
		return nil, fmt.Errorf("read index: %w", err)
	}
	plain, err := decompress(b, maxIndex)
	if err != nil {
		return nil, fmt.Errorf("index/%s: %w", id.Short(), err)
	}
	packs, err := decodeIndex(plain)
	if err != nil {
		return nil, fmt.Errorf("index/%s: %w", id.Short(), err)
	}
	return packs, nil
}

func (r *Repo) writeIndex(ctx context.Context, packs []IndexPack) (ID, error) {
	return r.putSealed(ctx, "index/", kindIndex, compress(encodeIndex(packs)))
}

// Tree is a collection in an offsite snapshot: its root chunk and count.
// Records of format 1 have full trees only.
type Tree struct {
	Root  ID  `json:"root"`
	Count int `json:"count"`
	// Depth is how many deltas lead from Root to a full tree (0: Root is
	// one).
	Depth int `json:"depth,omitempty"`
}

// Snapshot is an offsite snapshot record: the local snapshot's record as
// the pushing program wrote it (opaque here), where its collections'
// trees are, and who pushed it. It is stored encrypted; its object name
// is the hash of the stored bytes.
type Snapshot struct {
	Object      ID              `json:"-"` // name under snapshots/
	Name        string          `json:"name"`
	Host        string          `json:"host"`
	Workspace   string          `json:"workspace"`
	LocalID     string          `json:"local_id"`
	StartedAt   time.Time       `json:"started_at"`
	PushedAt    time.Time       `json:"pushed_at"`
	Collections map[string]Tree `json:"collections"`
	Record      json.RawMessage `json:"record"`
}

func decodeSnapshot(plain []byte) (*Snapshot, error) {
	b, err := decompress(plain, maxRecord)
	if err != nil {
		return nil, err
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%w: snapshot record: %v", ErrCorrupt, err)
	}
	if s.LocalID == "" || s.Workspace == "" || s.Name == "" {
		return nil, fmt.Errorf("%w: snapshot record without id, workspace or name", ErrCorrupt)
	}
	return &s, nil
}

// Snapshots lists every snapshot on the target, of every daemon, oldest
// first (then by daemon name and id; several records of one snapshot,
// newest pushed first). A record that cannot be read is an error.
func (r *Repo) Snapshots(ctx context.Context) ([]*Snapshot, error) {
	out, bad, err := r.readSnapshots(ctx)
	if err == nil && len(bad) > 0 {
		err = fmt.Errorf("%s: %s", bad[0].Object, bad[0].Message)
	}
	return out, err
}

// readSnapshots lists the snapshots whose records can be read, and a
// problem for each that cannot. A record listed but gone when read was
// forgotten meanwhile and is left out.
func (r *Repo) readSnapshots(ctx context.Context) ([]*Snapshot, []Problem, error) {
	return r.readRecords(ctx, false)
}

// readRecords is readSnapshots; with strict (prune), a record listed but
// gone when read is an error.
func (r *Repo) readRecords(ctx context.Context, strict bool) ([]*Snapshot, []Problem, error) {
	_, ids, err := r.listIDs(ctx, "snapshots/")
	if err != nil {
		return nil, nil, err
	}
	got := readEach(ids, func(id ID) ([]byte, error) { return r.getSealed(ctx, "snapshots/", id, kindSnapshot) })
	out := make([]*Snapshot, 0, len(ids))
	var bad []Problem
	for i, id := range ids {
		plain, err := got[i].v, got[i].err
		if isNotExist(err) && strict {
			return nil, nil, fmt.Errorf("snapshots/%s was listed but is gone: a snapshot record vanished under an exclusive lock (a lock was broken, or the target lists objects it no longer holds); nothing was deleted: run it again", id.Short())
		}
		if isNotExist(err) {
			continue // forgotten meanwhile
		}
		var s *Snapshot
		if err == nil {
			s, err = decodeSnapshot(plain)
		}
		if errors.Is(err, ErrCorrupt) {
			bad = append(bad, Problem{Object: "snapshots/" + id.String(), Message: err.Error()})
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read snapshot: %w", err)
		}
		s.Object = id
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *Snapshot) int {
		if c := a.StartedAt.Compare(b.StartedAt); c != 0 {
			return c
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if c := strings.Compare(a.LocalID, b.LocalID); c != 0 {
			return c
		}
		if c := strings.Compare(a.Workspace, b.Workspace); c != 0 {
			return c
		}
		// Records of one snapshot (a refresh or repair that was killed
		// before it deleted the old one): the newest first.
		if c := b.PushedAt.Compare(a.PushedAt); c != 0 {
			return c
		}
		return bytes.Compare(a.Object[:], b.Object[:])
	})
	return out, bad, nil
}

func (r *Repo) writeSnapshot(ctx context.Context, s *Snapshot) (ID, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return ID{}, err
	}
	return r.putSealed(ctx, "snapshots/", kindSnapshot, compress(b))
}
