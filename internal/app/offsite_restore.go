package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

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
}

// RestoreDBReport is what restore-db rebuilt.
type RestoreDBReport struct {
	To         string   `json:"to"`
	Snapshots  []string `json:"snapshots"` // ids, as on the machine that took them
	Objects    int      `json:"objects"`
	Downloaded int64    `json:"downloaded_bytes"` // packs read, decompressed
	Bytes      int64    `json:"bytes"`            // the database file
	Seconds    float64  `json:"seconds"`
}

// RestoreDB rebuilds a database from an offsite target on a machine that
// may have nothing else: every chosen snapshot with its id, times, status,
// counts and changes, so that every command works on it as on the
// original. The database is built under a temporary name beside To and
// renamed when complete.
func RestoreDB(ctx context.Context, req RestoreDBRequest) (*RestoreDBReport, error) {
	start := time.Now()
	if req.Logger == nil {
		req.Logger = slog.New(slog.DiscardHandler)
	}
	if req.To == "" {
		return nil, inputf("enspace-sync offsite restore-db --help", "--to is required")
	}
	if _, err := os.Lstat(req.To); err == nil {
		return nil, inputf("choose a new path, or move the old database away", "%s exists: restore-db creates a new database", req.To)
	}
	loc, err := offsite.ParseURL(req.From)
	if err != nil {
		return nil, inputf("enspace-sync offsite restore-db --help", "--from: %v", err)
	}
	b, err := offsite.OpenBackend(loc, req.Credentials)
	if err != nil {
		return nil, err
	}
	r, err := offsite.Open(ctx, b, offsite.Options{Password: req.Password, Name: req.Name, BlobID: blobID, Logger: req.Logger})
	if err != nil {
		return nil, fmt.Errorf("offsite %s: %w", loc, err)
	}
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
	defer rs.Close()
	tmp := req.To + ".restoring"
	os.Remove(tmp)
	rep := &RestoreDBReport{To: req.To, Snapshots: []string{}, Downloaded: rs.Downloaded}
	err = importAll(ctx, tmp, rs, snaps, rep)
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
	return rep, nil
}

// publishDB puts the finished database at to without replacing a file
// that appeared there while it was built (linkIntoPlace).
func publishDB(tmp, to string) error {
	err := linkIntoPlace(tmp, to)
	if errors.Is(err, fs.ErrExist) {
		return inputf("choose a new path, or move the other file away", "%s appeared while the database was rebuilt: restore-db replaces nothing", to)
	}
	return err
}

// importAll files snaps into a new database at path. Each distinct object
// is read and stored about once: NewRestorer has checked its bytes
// against its id, the content hash the database files it under, so the
// writer takes that hash instead of hashing the object again, and a
// snapshot that holds an object a committed snapshot stored passes the
// hash alone: the writer refers to the stored blob as an unchanged backup
// does. The first snapshot is imported alone, the others two at a time
// (each writer looks its objects up in the blob index on a goroutine of
// its own, the import's main cost); one that holds an object the other
// is still storing passes its bytes too, and the writer stores it once.
func importAll(ctx context.Context, path string, rs *offsite.Restorer, snaps []*offsite.Snapshot, rep *RestoreDBReport) error {
	db, err := snapshot.Open(path, snapshot.Options{Command: "offsite restore-db", BatchObjects: 20_000, BatchBytes: 16 << 20})
	if err != nil {
		return err
	}
	var st storedSet
	st.ids = map[offsite.ID]bool{}
	one := func(ctx context.Context, sn *offsite.Snapshot) error {
		if err := importOne(ctx, db, rs, sn, &st); err != nil {
			return fmt.Errorf("snapshot %s of %s: %w", sn.LocalID, sn.Workspace, err)
		}
		return nil
	}
	err = one(ctx, snaps[0])
	if err == nil {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(2)
		for _, sn := range snaps[1:] {
			g.Go(func() error { return one(gctx, sn) })
		}
		err = g.Wait()
	}
	if err != nil {
		db.Close()
		return err
	}
	for _, s := range snaps {
		rep.Snapshots = append(rep.Snapshots, s.LocalID)
		var rec snapshot.Snapshot
		if json.Unmarshal(s.Record, &rec) == nil {
			rep.Objects += rec.Objects
		}
	}
	return db.Close()
}

// storedSet holds the objects that committed snapshots stored.
type storedSet struct {
	mu  sync.Mutex
	ids map[offsite.ID]bool
}

// importOne files sn, then adds the objects it stored to st.
func importOne(ctx context.Context, db *snapshot.DB, rs *offsite.Restorer, sn *offsite.Snapshot, st *storedSet) error {
	var rec snapshot.Snapshot
	if err := json.Unmarshal(sn.Record, &rec); err != nil {
		return fmt.Errorf("%w: record: %v", offsite.ErrCorrupt, err)
	}
	w, err := db.Begin(rec.Workspace, rec.StartedAt)
	if err != nil {
		return err
	}
	var fresh []offsite.ID // objects passed with their bytes
	err = rs.Entries(ctx, sn, func(collection, key string, id offsite.ID) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		kind, parent, _ := strings.Cut(collection, "/")
		st.mu.Lock()
		stored := st.ids[id]
		st.mu.Unlock()
		var raw []byte
		if !stored {
			var err error
			if raw, err = rs.Raw(id); err != nil {
				return err
			}
			fresh = append(fresh, id)
		}
		return w.PutHashed(kind, parent, key, snapshot.Hash(id), raw)
	})
	if err != nil {
		_ = w.Abort(err)
		return err
	}
	if _, err = w.CommitImport(&rec); err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, id := range fresh {
		st.ids[id] = true
	}
	return nil
}

// chooseOffsite picks the snapshots a restore-db request names.
func chooseOffsite(all []*offsite.Snapshot, req RestoreDBRequest) ([]*offsite.Snapshot, error) {
	var out []*offsite.Snapshot
	seen := map[string]bool{} // two pushes of one daemon at once may both write a record
	for _, s := range all {
		key := s.Name + "\x00" + s.Workspace + "\x00" + s.LocalID
		if (req.Workspace == "" || s.Workspace == req.Workspace) && (req.Name == "" || s.Name == req.Name) && !seen[key] {
			seen[key] = true
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, absentf("enspace-sync offsite snapshots", "the target holds no snapshot%s", describeFilter(req))
	}
	if req.Snapshot == "" {
		return out, nil
	}
	ref := strings.ToLower(req.Snapshot)
	if ref == "latest" {
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
	switch len(hit) {
	case 0:
		return nil, absentf("enspace-sync offsite snapshots", "no snapshot %s on the target%s", req.Snapshot, describeFilter(req))
	case 1:
		return hit, nil
	}
	return nil, inputf("give more characters of the id", "--snapshot %s names %d snapshots", req.Snapshot, len(hit))
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
