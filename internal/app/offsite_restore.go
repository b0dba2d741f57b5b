package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/durable"
	"github.com/enspace-sync/enspace-sync/internal/offsite"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
	"golang.org/x/sync/errgroup"
)

// RestoreDBRequest says what `offsite restore-db` rebuilds.
type RestoreDBRequest struct {
	From        string              // the target's URL
	Credentials offsite.Credentials // S3 keys; empty: the AWS_* variables
	Password    string
	To          string // the database to create; must not exist
	Workspace   string // only this workspace's snapshots; "" for all
	Snapshot    string // only this snapshot (an id or a prefix of 4+ characters, or latest); "" for all
	Name        string // only this daemon's snapshots; "" for all
	Logger      *slog.Logger
	// Progress hears the objects filed, against an estimate of the total
	// (estimateChain); nil: none.
	Progress Progress
}

// RestoreDBReport is what restore-db rebuilt.
type RestoreDBReport struct {
	To         string   `json:"to"`
	Snapshots  []string `json:"snapshots"` // ids, as on the machine that took them
	Objects    int      `json:"objects"`
	Downloaded int64    `json:"downloaded_bytes"` // packs read, decompressed
	Bytes      int64    `json:"bytes"`            // the database file
	Seconds    float64  `json:"seconds"`
	// Failed are the snapshots that could not be restored (the error is
	// then ErrRestorePartial): the first of a chain that could not be
	// read, and the later ones of its chain, built on it.
	Failed []RestoreDBFailure `json:"failed,omitempty"`
	// Names are the daemon names whose snapshots it restored, sorted.
	// Several (no --name): a daemon pushing from this database would
	// publish the others' snapshots under its own name.
	Names []string `json:"names"`
}

// RestoreDBFailure is a snapshot restore-db could not restore, and why.
type RestoreDBFailure struct {
	Snapshot  string `json:"snapshot"`
	Workspace string `json:"workspace"`
	Name      string `json:"name"` // the daemon that pushed it
	Error     string `json:"error"`
}

// ErrRestorePartial is returned, with the report of what was restored,
// by a restore-db that restored some snapshots and not others.
var ErrRestorePartial = errors.New("some snapshots could not be restored")

// RestoreDB rebuilds a database from an offsite target on a machine that
// may have nothing else: every chosen snapshot with its id, times, status,
// counts and changes, so that every command works on it as on the
// original. The database is built under a temporary name beside To,
// synced once when complete (its commits skip bbolt's fsync: nobody
// opens the file before it is linked into place, so a crash can only
// damage a file that the next restore-db removes), and linked to To. A
// restore-db killed before that leaves nothing at To.
func RestoreDB(ctx context.Context, req RestoreDBRequest) (*RestoreDBReport, error) {
	start := time.Now()
	if req.Logger == nil {
		req.Logger = slog.New(slog.DiscardHandler)
	}
	if req.To == "" {
		return nil, inputf("enspace-sync offsite restore-db --help", "--to is required")
	}
	if _, err := os.Lstat(req.To); err == nil {
		return nil, outputExists(req.To, "restore-db")
	}
	loc, err := offsite.ParseURL(req.From)
	if err != nil {
		return nil, inputf("enspace-sync offsite restore-db --help", "--from: %v", err)
	}
	b, err := offsite.OpenBackend(loc, req.Credentials)
	if err != nil {
		return nil, err
	}
	// The records and index files download while the key is derived.
	// restore-db is a one-shot process: argon2id's memory may come warm
	// (huge pages asked for on the heap, offsite.Options.WarmKDF).
	r, prefetched, err := offsite.OpenPrefetching(ctx, b, offsite.Options{Password: req.Password, Name: req.Name, BlobID: blobID, Logger: req.Logger,
		CacheDir: offsiteCacheDir(req.To, loc, req.From), WarmKDF: true})
	if err != nil {
		return nil, fmt.Errorf("offsite %s: %w", loc, err)
	}
	defer prefetched()
	// The key's derivation (argon2id) left 64 MiB of garbage that the
	// heap would otherwise grow past (the next collection was due at
	// twice it): collected now, its pages take the restore's first
	// allocations. A one-shot command can afford
	// the collection (a millisecond: little else is live yet); the
	// daemon, which derives a key each push, is left to its pacing.
	runtime.GC()
	all, err := r.Snapshots(ctx)
	if err != nil {
		return nil, err
	}
	snaps, err := chooseOffsite(all, req)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(req.To), 0o700); err != nil {
		return nil, err
	}
	rs, err := r.NewRestorer(ctx, snaps, filepath.Dir(req.To))
	if err != nil {
		return nil, err
	}
	prefetched() // the index is loaded: drop what was not asked for
	defer rs.Close()
	tmp := req.To + ".restoring"
	os.Remove(tmp)
	rep := &RestoreDBReport{To: req.To, Snapshots: []string{}}
	recovered, err := importAll(ctx, tmp, r, rs, snaps, rep, newRestoreProgress(req.Progress))
	switch {
	case err == nil && recovered:
		// The chains went on with restorers of their own (recoverChains):
		// what they filed was read and checked.
		rep.Downloaded += rs.Downloaded
	case err == nil:
		// The packs of objects that deltas replaced may still be on
		// their way: each is checked, as every pack the trees name.
		err = rs.Wait(ctx)
		rep.Downloaded = rs.Downloaded
	default:
		if perr := rs.Err(ctx); perr != nil {
			err = perr // a pack that cannot be read: say so, not where the import waited for it
		} else {
			err = rs.Explain(ctx, err) // the import found something missing first
		}
	}
	if err == nil {
		err = publishDB(tmp, req.To)
	}
	if err != nil {
		os.Remove(tmp)
		os.Remove(tmp + ".lock")
		return nil, err
	}
	if fi, err := os.Stat(req.To); err == nil {
		rep.Bytes = fi.Size()
	}
	rep.Seconds = time.Since(start).Seconds()
	if len(rep.Failed) > 0 {
		msgs := make([]string, 0, len(rep.Failed))
		for _, f := range rep.Failed {
			msgs = append(msgs, fmt.Sprintf("snapshot %s of %s (%s): %s", f.Snapshot, f.Workspace, f.Name, f.Error))
		}
		return rep, fmt.Errorf("%w: restored %d snapshots, not %d: %s", ErrRestorePartial, len(rep.Snapshots), len(rep.Failed), strings.Join(msgs, "; "))
	}
	return rep, nil
}

// publishDB puts the finished database at to without replacing a file
// that appeared there while it was built (durable.LinkNew).
func publishDB(tmp, to string) error {
	err := durable.LinkNew(tmp, to)
	if errors.Is(err, fs.ErrExist) {
		return inputf("choose a new path, or move the other file away", "%s appeared while the database was rebuilt: restore-db replaces nothing", to)
	}
	return err
}

// importAll files snaps into a new database at path. Each object filed
// is passed with its bytes and its id: NewRestorer has checked the bytes
// against the id, the content hash the database files it under, so the
// writer takes that hash instead of hashing the object again. The
// snapshots of one workspace pushed by one daemon form a chain, imported
// in time order: the first with a Put per object, each other as the one
// before it plus the objects that differ (snapshot.BeginFrom), so that
// its commit keeps the unchanged trees and chunks instead of rebuilding
// them from every object. Two chains are imported at a time; an object
// that both hold, or that comes back in a later snapshot, is passed again
// with its bytes and the writer stores it once. (A set of the objects
// committed snapshots stored, to pass such an object's id alone, cost 32
// bytes an object, and twice that while it grew, for the few objects a
// chain files twice: deltas file only what changed.)
//
// Memory: what differs comes from the target's deltas, or from comparing
// a full tree with the previous snapshot as the new database holds it
// (snapshot.DB.Walk), so no snapshot's entries are kept from one import
// to the next; only a collection pushed as a full tree on a previous one
// holds its (key, id) pairs while it is compared.
func importAll(ctx context.Context, path string, r *offsite.Repo, rs *offsite.Restorer, snaps []*offsite.Snapshot, rep *RestoreDBReport, rp *restoreProgress) (recovered bool, _ error) {
	db, err := snapshot.Open(path, snapshot.Options{Command: "offsite restore-db", BatchObjects: 20_000, BatchBytes: 16 << 20, NoSync: true,
		UnfiledBlobs: importUnfiled})
	if err != nil {
		return false, err
	}
	all := chains(snaps)
	progress := make([]chainProgress, len(all))
	var total int64
	for i, chain := range all {
		progress[i].estimates = estimateChain(chain)
		total += sum(progress[i].estimates)
	}
	rp.expect(total)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for i, chain := range all {
		g.Go(func() error { return importChain(gctx, db, rs, chain, &progress[i], rp) })
	}
	if err := g.Wait(); err != nil {
		// One chain's failure stops the others (the Restorer's
		// preparation stops at its first error): when the target's
		// damage is the cause, each chain goes on from what it filed,
		// with restorers of its own.
		cause := err
		if werr := rs.Wait(ctx); werr != nil {
			cause = werr
		}
		if ctx.Err() != nil || !recoverable(cause) {
			db.Close()
			return false, err
		}
		recovered = true
		if err := recoverChains(ctx, db, r, filepath.Dir(path), all, progress, rep, rp); err != nil {
			db.Close()
			return true, err
		}
		if len(rep.Failed) > 0 && !slices.ContainsFunc(progress, func(p chainProgress) bool { return p.filed > 0 }) {
			db.Close()
			rep.Failed = nil
			return true, progress[0].err // nothing could be restored: no database
		}
	}
	for i, chain := range all {
		for _, s := range chain[:progress[i].filed] {
			rep.Snapshots = append(rep.Snapshots, s.LocalID)
			var rec snapshot.Snapshot
			if json.Unmarshal(s.Record, &rec) == nil {
				rep.Objects += rec.Objects
			}
		}
	}
	names := map[string]bool{}
	for i, chain := range all {
		if progress[i].filed > 0 {
			names[chain[0].Name] = true
		}
	}
	rep.Names = slices.Sorted(maps.Keys(names))
	if err := db.FileBlobIndex(); err != nil {
		db.Close()
		return recovered, err
	}
	if err := db.Close(); err != nil {
		return recovered, err
	}
	return recovered, syncFile(path)
}

// importUnfiled is how many new blobs' index entries wait before
// importAll's database files them (snapshot.Options.UnfiledBlobs; a
// backup's 65,536): a filing rewrites the whole blob index, so
// BenchmarkRestoreDB's million objects (and 90,000 changed ones) filed it
// 13 times, of ever more entries, 7.3 million entries written in all;
// four filings (the last before closing) write 2.8 million. The waiting
// entries take some 17 MiB at most (with the filing's sorted copy, 30
// MiB), against 4 MiB; those left at the end are filed before the
// database is closed (snapshot.DB.FileBlobIndex), so that the next open
// has none to read back.
const importUnfiled = 1 << 18

// recoverable reports whether an import's error is the target's (an
// object, tree or pack missing or damaged), after which the other
// chains, and the snapshots of its chain before the damage, can still
// be restored.
func recoverable(err error) bool {
	return errors.Is(err, offsite.ErrNotExist) || errors.Is(err, offsite.ErrCorrupt)
}

// chainProgress is how far a chain's import went.
type chainProgress struct {
	filed     int                // its first snapshots filed
	base      *snapshot.Snapshot // the last of them, as filed
	err       error              // why the next one was not (set by recoverChains)
	estimates []int64            // the objects each snapshot files, about (estimateChain)
}

// recoverChains files what the chains not filed whole can give, each
// with restorers of its own so that one chain's damage does not stop
// another's: from its first snapshot not filed, a restorer for the rest
// of the chain; where one stops at a snapshot, a restorer for that
// snapshot alone tells whether the snapshot is damaged (then it and the
// later ones, built on it, are not restored: rep.Failed) or a later
// one's damage stopped the preparation (then it is filed, and the rest
// of the chain tried again).
func recoverChains(ctx context.Context, db *snapshot.DB, r *offsite.Repo, dir string, all [][]*offsite.Snapshot, progress []chainProgress, rep *RestoreDBReport, rp *restoreProgress) error {
	for i, chain := range all {
		p := &progress[i]
		for p.filed < len(chain) {
			err := importWith(ctx, db, r, dir, chain, chain[p.filed:], p, rep, rp)
			if err == nil {
				break
			}
			if ctx.Err() != nil || !recoverable(err) {
				return err
			}
			at := p.filed
			if err = importWith(ctx, db, r, dir, chain, chain[at:at+1], p, rep, rp); err == nil {
				continue // not this snapshot's damage
			}
			if ctx.Err() != nil || !recoverable(err) {
				return err
			}
			p.err = err
			rp.less(sum(p.estimates[at:])) // not filed
			bad := chain[at]
			for j, s := range chain[at:] {
				msg := err.Error()
				if j > 0 {
					msg = fmt.Sprintf("built on snapshot %s, which could not be restored", bad.LocalID)
				}
				rep.Failed = append(rep.Failed, RestoreDBFailure{Snapshot: s.LocalID, Workspace: s.Workspace, Name: s.Name, Error: msg})
			}
			break
		}
	}
	return nil
}

// importWith files part (the snapshots of chain from p.filed on) with a
// restorer of their own, advancing p; its error is the explained cause
// of the first snapshot it could not file.
func importWith(ctx context.Context, db *snapshot.DB, r *offsite.Repo, dir string, chain, part []*offsite.Snapshot, p *chainProgress, rep *RestoreDBReport, rp *restoreProgress) error {
	rs, err := r.NewRestorer(ctx, part, dir)
	if err != nil {
		return err
	}
	defer func() {
		rs.Close() // waits for the preparation: Downloaded is then final
		rep.Downloaded += rs.Downloaded
	}()
	err = importChain(ctx, db, rs, chain[:p.filed+len(part)], p, rp)
	if err == nil {
		return nil
	}
	if perr := rs.Err(ctx); perr != nil {
		return perr
	}
	return rs.Explain(ctx, err)
}

// syncFile flushes the file at path to the disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// chains groups snaps (in time order) by daemon name and workspace, each
// group in time order.
func chains(snaps []*offsite.Snapshot) [][]*offsite.Snapshot {
	var out [][]*offsite.Snapshot
	at := map[string]int{}
	for _, s := range snaps {
		key := s.Name + "\x00" + s.Workspace
		i, ok := at[key]
		if !ok {
			i = len(out)
			at[key] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], s)
	}
	return out
}

// importChain files a chain's snapshots in order from p.filed on (each
// but the first as the one before it plus what differs), advancing p and
// counting the objects filed in rp.
func importChain(ctx context.Context, db *snapshot.DB, rs *offsite.Restorer, chain []*offsite.Snapshot, p *chainProgress, rp *restoreProgress) error {
	for p.filed < len(chain) {
		sn := chain[p.filed]
		var prev *offsite.Snapshot
		if p.filed > 0 {
			prev = chain[p.filed-1]
		}
		base, err := importOne(ctx, db, rs, sn, p.base, prev, &tally{rp: rp})
		if err != nil {
			return fmt.Errorf("snapshot %s of %s: %w", sn.LocalID, sn.Workspace, err)
		}
		p.filed, p.base = p.filed+1, base
	}
	return nil
}

// importOne files sn, as base (prev's import) plus the objects that
// differ when base is set, counting each object it puts in t. It returns
// the snapshot filed; when it files none, t takes back what it counted.
func importOne(ctx context.Context, db *snapshot.DB, rs *offsite.Restorer, sn *offsite.Snapshot,
	base *snapshot.Snapshot, prev *offsite.Snapshot, t *tally) (_ *snapshot.Snapshot, err error) {
	defer func() {
		if err != nil {
			t.takeBack()
		} else {
			t.flush()
		}
	}()
	var rec snapshot.Snapshot
	if err := json.Unmarshal(sn.Record, &rec); err != nil {
		return nil, fmt.Errorf("%w: record: %v", offsite.ErrCorrupt, err)
	}
	var w *snapshot.Writer
	if base == nil {
		w, err = db.Begin(rec.Workspace, rec.StartedAt)
	} else {
		w, err = db.BeginFrom(base, rec.StartedAt)
	}
	if err != nil {
		return nil, err
	}
	put := func(collection, key string, id offsite.ID) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		kind, parent, _ := strings.Cut(collection, "/")
		raw, err := rs.Raw(id)
		if err != nil {
			return err
		}
		if err := w.PutOwned(kind, parent, key, snapshot.Hash(id), raw); err != nil { // Raw's bytes are ours: no copy
			return err
		}
		t.one(kind)
		return nil
	}
	if err := importChanges(ctx, db, rs, w, sn, prev, base, put, t); err != nil {
		// The Restorer's error, when its preparation failed, is the
		// cause, named by its own snapshot and collection: the import's
		// wraps it in the collection that waited for it. An import
		// cancelled (another chain failed) keeps its cancellation: the
		// Restorer's error then may concern another snapshot.
		reason := err
		if perr := rs.Err(ctx); perr != nil && ctx.Err() == nil {
			reason = perr
		}
		// No run is left: the rebuilt database's runs are the
		// original's, and the failure is the report's (rep.Failed).
		_ = w.AbortImport(reason)
		return nil, reason
	}
	return w.CommitImport(&rec)
}

// importChanges puts into w the objects of sn that differ from prev's
// (every object when prev is nil), which base holds as filed, and
// deletes those sn lacks. A collection with prev's root is unchanged; one
// that sn holds as a delta on prev's tree takes the delta's changes; any
// other is compared with base's collection. The objects of a first
// snapshot, put here, are counted in filed; put counts its own.
func importChanges(ctx context.Context, db *snapshot.DB, rs *offsite.Restorer, w *snapshot.Writer, sn, prev *offsite.Snapshot, base *snapshot.Snapshot,
	put func(collection, key string, id offsite.ID) error, filed *tally) error {
	for _, name := range slices.Sorted(maps.Keys(sn.Collections)) { // the order the Restorer prepares packs in
		t := sn.Collections[name]
		kind, parent, _ := strings.Cut(name, "/")
		if prev == nil {
			err := rs.CollectionObjects(ctx, sn, name, func(key string, id offsite.ID, raw []byte) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := w.PutOwned(kind, parent, key, snapshot.Hash(id), raw); err != nil { // the bytes are ours: no copy
					return err
				}
				filed.one(kind)
				return nil
			})
			if err != nil {
				return err
			}
			continue
		}
		pt, had := prev.Collections[name]
		if had && pt.Root == t.Root {
			continue
		}
		if had {
			ok, err := rs.Changes(ctx, sn, name, pt.Root, func(key string, id offsite.ID, removed bool) error {
				if removed {
					return w.Delete(kind, parent, key)
				}
				return put(name, key, id)
			})
			if err != nil {
				return err
			}
			if ok {
				continue
			}
		}
		if err := compareCollection(ctx, db, rs, w, sn, base, name, put); err != nil {
			return err
		}
	}
	if prev == nil {
		return nil
	}
	for name := range prev.Collections {
		if _, ok := sn.Collections[name]; ok {
			continue
		}
		kind, parent, _ := strings.Cut(name, "/")
		if err := db.Walk(base, name, func(key string, _ snapshot.Hash) error { return w.Delete(kind, parent, key) }); err != nil {
			return err
		}
	}
	return nil
}

// entry is one object of a collection being compared.
type entry struct {
	key  string
	id   offsite.ID
	same bool // base holds the key with this id
}

// compareCollection puts the objects of sn's collection name that base's
// lacks or holds with another id, and deletes the keys base holds that
// sn's lacks: sn's entries, sorted by key, against a walk of base's.
func compareCollection(ctx context.Context, db *snapshot.DB, rs *offsite.Restorer, w *snapshot.Writer, sn *offsite.Snapshot, base *snapshot.Snapshot, name string,
	put func(collection, key string, id offsite.ID) error) error {
	kind, parent, _ := strings.Cut(name, "/")
	cur := make([]entry, 0, sn.Collections[name].Count)
	if err := rs.CollectionEntries(ctx, sn, name, func(key string, id offsite.ID) error {
		cur = append(cur, entry{key: key, id: id})
		return nil
	}); err != nil {
		return err
	}
	slices.SortFunc(cur, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	err := db.Walk(base, name, func(key string, h snapshot.Hash) error {
		i, ok := slices.BinarySearchFunc(cur, key, func(e entry, k string) int { return strings.Compare(e.key, k) })
		if !ok {
			return w.Delete(kind, parent, key)
		}
		cur[i].same = snapshot.Hash(cur[i].id) == h
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range cur {
		if !e.same {
			if err := put(name, e.key, e.id); err != nil {
				return err
			}
		}
	}
	return nil
}

// chooseOffsite picks the snapshots a restore-db request names.
func chooseOffsite(all []*offsite.Snapshot, req RestoreDBRequest) ([]*offsite.Snapshot, error) {
	var out []*offsite.Snapshot
	// Two pushes of one daemon at once, or a refresh or repair killed
	// before it deleted the old record, leave several: the newest is kept.
	seen := map[string]int{}
	for _, s := range all {
		key := s.Name + "\x00" + s.Workspace + "\x00" + s.LocalID
		if (req.Workspace == "" || s.Workspace == req.Workspace) && (req.Name == "" || s.Name == req.Name) {
			if i, ok := seen[key]; ok {
				if s.PushedAt.After(out[i].PushedAt) {
					out[i] = s
				}
				continue
			}
			seen[key] = len(out)
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, absentf("enspace-sync offsite snapshots", "the target holds no snapshot%s", describeFilter(req))
	}
	ref := strings.ToLower(req.Snapshot)
	if ref == "" || ref == "latest" {
		if err := oneNameEach(out, req); err != nil {
			return nil, err
		}
		if ref == "" {
			return out, nil
		}
		return out[len(out)-1:], nil
	}
	if len(ref) < 4 {
		return nil, inputf("give at least 4 characters of the id, or latest", "--snapshot %q is too short", req.Snapshot)
	}
	var hit []*offsite.Snapshot
	for _, s := range out {
		if strings.HasPrefix(s.LocalID, ref) {
			hit = append(hit, s)
		}
	}
	if len(hit) == 0 {
		return nil, absentf("enspace-sync offsite snapshots", "no snapshot %s on the target%s", req.Snapshot, describeFilter(req))
	}
	// Only the workspaces the id names matter: another workspace held
	// under several names is not restored.
	if err := oneNameEach(hit, req); err != nil {
		return nil, err
	}
	switch len(hit) {
	case 1:
		return hit, nil
	}
	return nil, inputf("give more characters of the id", "--snapshot %s names %d snapshots", req.Snapshot, len(hit))
}

// oneNameEach refuses, when no --name is given, a workspace that several
// daemons pushed: the database files one history per workspace, and
// merging two daemons' snapshots into it would interleave unrelated
// histories (diff latest~1 latest would compare two daemons), and the
// next push from the rebuilt database would republish the other daemon's
// snapshots under its own name.
func oneNameEach(snaps []*offsite.Snapshot, req RestoreDBRequest) error {
	if req.Name != "" {
		return nil
	}
	names := map[string]map[string]bool{}
	for _, s := range snaps {
		if names[s.Workspace] == nil {
			names[s.Workspace] = map[string]bool{}
		}
		names[s.Workspace][s.Name] = true
	}
	var msgs []string
	for _, ws := range slices.Sorted(maps.Keys(names)) {
		if len(names[ws]) > 1 {
			msgs = append(msgs, fmt.Sprintf("workspace %s is held under the daemon names %s", ws, strings.Join(slices.Sorted(maps.Keys(names[ws])), ", ")))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return inputf("enspace-sync offsite snapshots lists who pushed what; restore-db --name NAME",
		"%s: pass --name NAME to restore one daemon's history (restore-db files one history per workspace and would merge theirs)", strings.Join(msgs, "; "))
}

func describeFilter(req RestoreDBRequest) string {
	s := ""
	if req.Workspace != "" {
		s += " of workspace " + req.Workspace
	}
	if req.Name != "" {
		s += " pushed by " + req.Name
	}
	return s
}
