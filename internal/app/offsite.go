package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/offsite"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// OffsitePush is one target's push.
type OffsitePush struct {
	Target string `json:"target"`
	offsite.PushReport
	Seconds float64 `json:"seconds"`
	Error   string  `json:"error,omitempty"` // the target failed: its figures are what it did before
}

// OffsiteSnapshot is one snapshot on a target, as `offsite snapshots`
// lists it.
type OffsiteSnapshot struct {
	Target     string          `json:"target"`
	Name       string          `json:"name"` // the daemon that pushed it
	Host       string          `json:"host"`
	Workspace  string          `json:"workspace"`
	ID         string          `json:"id"` // the local snapshot's id, kept by restore-db
	StartedAt  time.Time       `json:"started_at"`
	PushedAt   time.Time       `json:"pushed_at"`
	Status     snapshot.Status `json:"status"`
	Objects    int             `json:"objects"`
	Object     string          `json:"object"` // the record's object name on the target
	Collection int             `json:"collections"`
	// Error is set on a target's one entry when its snapshots could not
	// be listed; the other fields are then empty.
	Error string `json:"error,omitempty"`
}

// OffsiteVerify is one target's verify.
type OffsiteVerify struct {
	Target string `json:"target"`
	offsite.VerifyReport
	Error string `json:"error,omitempty"` // the target could not be verified
}

// OffsiteForget is one target's forget.
type OffsiteForget struct {
	Target string `json:"target"`
	offsite.ForgetReport
	Error string `json:"error,omitempty"` // the target failed
}

// OffsitePrune is one target's prune.
type OffsitePrune struct {
	Target string `json:"target"`
	offsite.PruneReport
	Error string `json:"error,omitempty"` // the target failed (a lock held elsewhere refuses a prune)
}

// OffsiteUnlock is one target's unlock: the locks removed.
type OffsiteUnlock struct {
	Target  string         `json:"target"`
	Removed []offsite.Lock `json:"removed"`
	Error   string         `json:"error,omitempty"` // the target failed
}

// ErrOffsiteDamaged is returned by OffsiteVerify when a target has problems.
var ErrOffsiteDamaged = errors.New("offsite target has problems")

// TargetsError is the error of an offsite command run on several targets
// (or one) when some failed: every target ran, and each failed one's
// report carries its error. It unwraps to each target's error.
type TargetsError struct {
	Targets int           // how many ran
	Failed  []TargetError // those that failed, in the config's order
}

// TargetError is one target's failure.
type TargetError struct {
	Target string
	Err    error // names the target
}

func (e *TargetsError) Error() string {
	msgs := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		msgs[i] = f.Err.Error()
	}
	msg := strings.Join(msgs, "; ")
	if e.Targets > 1 {
		msg = fmt.Sprintf("%d of %d offsite targets failed: %s", len(e.Failed), e.Targets, msg)
	}
	return msg
}

func (e *TargetsError) Unwrap() []error {
	out := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		out[i] = f.Err
	}
	return out
}

// AllConfig reports whether every failure is a key or secret file the
// config could not read (a *SecretError): nothing was tried.
func (e *TargetsError) AllConfig() bool {
	errs := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		errs[i] = f.Err
	}
	return AllSecret(errs)
}

// Partial reports whether some targets succeeded.
func (e *TargetsError) Partial() bool { return len(e.Failed) < e.Targets }

// AllLocked reports whether every failure is a lock held elsewhere.
func (e *TargetsError) AllLocked() bool {
	for _, f := range e.Failed {
		if !errors.Is(f.Err, offsite.ErrLocked) {
			return false
		}
	}
	return len(e.Failed) > 0
}

// offsiteTargets returns the named target, or every target for "".
func (s *Service) offsiteTargets(name string) ([]*config.Offsite, error) {
	cfg := s.Config()
	if name != "" {
		t, err := cfg.OffsiteTarget(name)
		if err != nil {
			return nil, absentf("enspace-sync config check", "no offsite target named %q in the config", name)
		}
		return []*config.Offsite{t}, nil
	}
	if len(cfg.Offsite) == 0 {
		return nil, inputf("add a target under offsite: in the config", "no offsite target in the config")
	}
	return cfg.Offsite, nil
}

// offsiteOptions are the repository options of this program.
func (s *Service) offsiteOptions(password string) offsite.Options {
	return offsite.Options{Password: password, Name: s.Config().DaemonName(), BlobID: blobID, Logger: s.log}
}

func blobID(raw []byte) (offsite.ID, error) {
	h, err := snapshot.ContentHash(raw)
	return offsite.ID(h), err
}

// offsiteCacheDir is the local cache of the target at loc for the
// database at db: beside it, named by the hash of loc's canonical form
// (offsite.Location.Canonical), so that every spelling of one target
// (restore-db's --from as typed, the config's url; a trailing slash, the
// order of the query's options, a default spelled out) finds the same
// cache. restore-db fills the one of the database it creates (the full
// ids of the objects it read), so that the first push from a rebuilt
// machine does not read the target to confirm what it holds.
//
// Earlier builds named the directory by the hash of the URL as typed
// (typed here). When the canonical directory does not exist yet, that one
// is renamed to it, so an upgrade keeps a warm cache; when that fails (or
// another spelling's directory was the one filled) the cache is simply
// rebuilt from the target: it only saves reads, and a cached copy is used
// only for names the target lists and when it hashes to its name (see
// internal/offsite's cache), so neither a stale nor a missing cache
// changes what a push or restore does, only what it downloads.
func offsiteCacheDir(db string, loc offsite.Location, typed string) string {
	root := filepath.Join(filepath.Dir(db), "offsite-cache")
	dir := filepath.Join(root, cacheKey(loc.Canonical()))
	if old := filepath.Join(root, cacheKey(typed)); old != dir {
		if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			_ = os.Rename(old, dir) // none under the old name: nothing to keep
		}
	}
	return dir
}

// cacheKey names a cache directory: 16 hex digits of the SHA-256 of s.
func cacheKey(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// openTarget opens a configured target's repository, creating it when
// create is set and the target holds none.
func (s *Service) openTarget(ctx context.Context, t *config.Offsite, create bool) (*offsite.Repo, error) {
	if err := t.SecretsErr(); err != nil {
		return nil, &SecretError{What: "offsite target " + t.Name, Err: err}
	}
	b, err := offsite.OpenBackend(t.Location(), t.Credentials())
	if err != nil {
		return nil, fmt.Errorf("offsite target %s: %w", t.Name, err)
	}
	opts := s.offsiteOptions(t.Password().Reveal())
	opts.CacheDir = offsiteCacheDir(s.Config().Database, t.Location(), t.URL)
	var r *offsite.Repo
	if create {
		r, err = offsite.OpenOrInit(ctx, b, opts)
	} else {
		r, err = offsite.Open(ctx, b, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("offsite target %s (%s): %w", t.Name, t.Location(), err)
	}
	return r, nil
}

// eachTarget runs fn for the named target or every one, stopping at the
// first error (for the commands whose targets depend on each other's
// outcome: keys, states).
func (s *Service) eachTarget(ctx context.Context, name string, create bool, fn func(t *config.Offsite, r *offsite.Repo) error) error {
	ts, err := s.offsiteTargets(name)
	if err != nil {
		return err
	}
	// The targets go together: one whose password or credential file
	// cannot be read stops the command before any target is changed.
	for _, t := range ts {
		if err := t.SecretsErr(); err != nil {
			return &SecretError{What: "offsite target " + t.Name, Err: err}
		}
	}
	for _, t := range ts {
		r, err := s.openTarget(ctx, t, create)
		if err != nil {
			return err
		}
		if err := fn(t, r); err != nil {
			return fmt.Errorf("offsite target %s: %w", t.Name, err)
		}
	}
	return nil
}

// everyTarget runs fn for the named target or every one: a target that
// cannot be opened or whose fn fails does not stop the others. Each
// target gives one report (fn's, or failed's when it could not be
// opened), to which failed adds the error's text; the error is a
// *TargetsError when any target failed. A context that ends stops the
// targets not yet started, which fail with its error.
func everyTarget[R any](ctx context.Context, s *Service, name string, create bool,
	fn func(t *config.Offsite, r *offsite.Repo) (R, error), failed func(rep R, t *config.Offsite, msg string) R) ([]R, error) {
	ts, err := s.offsiteTargets(name)
	if err != nil {
		return nil, err
	}
	out := make([]R, 0, len(ts))
	te := &TargetsError{Targets: len(ts)}
	for _, t := range ts {
		var rep R
		err := ctx.Err()
		if err == nil {
			var r *offsite.Repo
			if r, err = s.openTarget(ctx, t, create); err == nil {
				if rep, err = fn(t, r); err != nil {
					err = fmt.Errorf("offsite target %s: %w", t.Name, err)
				}
			}
		} else {
			err = fmt.Errorf("offsite target %s: %w", t.Name, err)
		}
		if err != nil {
			te.Failed = append(te.Failed, TargetError{Target: t.Name, Err: err})
			msg, _ := strings.CutPrefix(err.Error(), "offsite target "+t.Name+": ")
			rep = failed(rep, t, msg)
		}
		out = append(out, rep)
	}
	if len(te.Failed) > 0 {
		return out, te
	}
	return out, nil
}

// OffsitePush pushes every local snapshot not yet on the target (every
// target when target is ""), creating the repository on first use.
func (s *Service) OffsitePush(ctx context.Context, target string) ([]OffsitePush, error) {
	db, err := s.needDB()
	if err != nil {
		return nil, err
	}
	return everyTarget(ctx, s, target, true, func(t *config.Offsite, r *offsite.Repo) (OffsitePush, error) {
		start := time.Now()
		rep, err := r.Push(ctx, dbSource{db})
		if err == nil {
			s.log.Info("offsite push", "target", t.Name, "pushed", len(rep.Pushed), "uploaded_bytes", rep.Uploaded)
		}
		return OffsitePush{Target: t.Name, PushReport: rep, Seconds: time.Since(start).Seconds()}, err
	}, func(rep OffsitePush, t *config.Offsite, msg string) OffsitePush {
		rep.Target, rep.Error = t.Name, msg
		if rep.Pushed == nil {
			rep.Pushed = []string{}
		}
		return rep
	})
}

// OffsiteSnapshots lists the snapshots of every daemon on the target(s).
func (s *Service) OffsiteSnapshots(ctx context.Context, target string) ([]OffsiteSnapshot, error) {
	per, err := everyTarget(ctx, s, target, false, func(t *config.Offsite, r *offsite.Repo) ([]OffsiteSnapshot, error) {
		snaps, err := r.Snapshots(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]OffsiteSnapshot, 0, len(snaps))
		for _, sn := range snaps {
			out = append(out, describeOffsite(t.Name, sn))
		}
		return out, nil
	}, func(_ []OffsiteSnapshot, t *config.Offsite, msg string) []OffsiteSnapshot {
		return []OffsiteSnapshot{{Target: t.Name, Error: msg}}
	})
	if per == nil {
		return nil, err // no target ran (an unknown one)
	}
	out := []OffsiteSnapshot{}
	for _, p := range per {
		out = append(out, p...)
	}
	return out, err
}

func describeOffsite(target string, sn *offsite.Snapshot) OffsiteSnapshot {
	o := OffsiteSnapshot{Target: target, Name: sn.Name, Host: sn.Host, Workspace: sn.Workspace, ID: sn.LocalID,
		StartedAt: sn.StartedAt, PushedAt: sn.PushedAt, Object: sn.Object.String(), Collection: len(sn.Collections)}
	var rec snapshot.Snapshot
	if json.Unmarshal(sn.Record, &rec) == nil {
		o.Status, o.Objects = rec.Status, rec.Objects
	}
	return o
}

// OffsiteVerify checks the target(s); with readData it downloads every
// pack. Problems found are in the reports and the error is
// ErrOffsiteDamaged.
func (s *Service) OffsiteVerify(ctx context.Context, target string, readData bool) ([]OffsiteVerify, error) {
	out, err := everyTarget(ctx, s, target, false, func(t *config.Offsite, r *offsite.Repo) (OffsiteVerify, error) {
		rep, err := r.Verify(ctx, readData)
		return OffsiteVerify{Target: t.Name, VerifyReport: rep}, err
	}, func(rep OffsiteVerify, t *config.Offsite, msg string) OffsiteVerify {
		rep.Target, rep.Error = t.Name, msg
		if rep.Problems == nil {
			rep.Problems = []offsite.Problem{}
		}
		return rep
	})
	var damaged []error
	for _, v := range out {
		if len(v.Problems) > 0 {
			damaged = append(damaged, fmt.Errorf("%w: %s: %d problems", ErrOffsiteDamaged, v.Target, len(v.Problems)))
		}
	}
	if len(damaged) > 0 {
		return out, errors.Join(append(damaged, err)...) // Join drops a nil err
	}
	return out, err
}

// OffsiteForget removes from the target(s) this daemon's snapshots that
// the local database took and no longer keeps (its retention forgot
// them); snapshots it never knew are kept.
func (s *Service) OffsiteForget(ctx context.Context, target string) ([]OffsiteForget, error) {
	db, err := s.needDB()
	if err != nil {
		return nil, err
	}
	local, err := db.Snapshots("")
	if err != nil {
		return nil, err
	}
	kept := map[string]bool{}
	for _, l := range local {
		kept[l.Workspace+"\x00"+l.ID] = true
	}
	// Only snapshots this database took (or restored) and then dropped
	// are forgotten: its runs log still lists them. A snapshot it never
	// knew is kept, so a new machine under the old one's name, before its
	// restore-db, cannot forget the history it is about to restore.
	runs, err := db.Runs("")
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, r := range runs {
		known[r.Workspace+"\x00"+r.ID] = true
	}
	return everyTarget(ctx, s, target, false, func(t *config.Offsite, r *offsite.Repo) (OffsiteForget, error) {
		rep, err := r.Forget(ctx, func(ws, id string) bool { return kept[ws+"\x00"+id] || !known[ws+"\x00"+id] })
		return OffsiteForget{Target: t.Name, ForgetReport: rep}, err
	}, func(rep OffsiteForget, t *config.Offsite, msg string) OffsiteForget {
		rep.Target, rep.Error = t.Name, msg
		if rep.Forgotten == nil {
			rep.Forgotten = []string{}
		}
		return rep
	})
}

// OffsitePrune deletes and repacks what no snapshot on the target(s) uses.
func (s *Service) OffsitePrune(ctx context.Context, target string) ([]OffsitePrune, error) {
	return everyTarget(ctx, s, target, false, func(t *config.Offsite, r *offsite.Repo) (OffsitePrune, error) {
		rep, err := r.Prune(ctx)
		return OffsitePrune{Target: t.Name, PruneReport: rep}, err
	}, func(rep OffsitePrune, t *config.Offsite, msg string) OffsitePrune {
		rep.Target, rep.Error = t.Name, msg
		return rep
	})
}

// OffsiteUnlock removes the stale locks of the target(s), or every lock
// with all.
func (s *Service) OffsiteUnlock(ctx context.Context, target string, all bool) ([]OffsiteUnlock, error) {
	return everyTarget(ctx, s, target, false, func(t *config.Offsite, r *offsite.Repo) (OffsiteUnlock, error) {
		removed, err := r.Unlock(ctx, all)
		if removed == nil {
			removed = []offsite.Lock{}
		}
		return OffsiteUnlock{Target: t.Name, Removed: removed}, err
	}, func(rep OffsiteUnlock, t *config.Offsite, msg string) OffsiteUnlock {
		rep.Target, rep.Error = t.Name, msg
		if rep.Removed == nil {
			rep.Removed = []offsite.Lock{}
		}
		return rep
	})
}

// dbSource is the local database as push reads it.
type dbSource struct{ db *snapshot.DB }

func (d dbSource) Snapshots() ([]offsite.Local, error) {
	snaps, err := d.db.Snapshots("")
	if err != nil {
		return nil, err
	}
	out := make([]offsite.Local, 0, len(snaps))
	for _, s := range snaps {
		rec, err := json.Marshal(s)
		if err != nil {
			return nil, err
		}
		out = append(out, offsite.Local{ID: s.ID, Workspace: s.Workspace, StartedAt: s.StartedAt,
			Collections: d.db.Collections(s), Record: rec, Ref: s})
	}
	return out, nil
}

func (d dbSource) Walk(l offsite.Local, collection string, fn func(key string, id offsite.ID) error) error {
	return d.db.Walk(l.Ref.(*snapshot.Snapshot), collection, func(key string, h snapshot.Hash) error {
		if h.Unknown() {
			return damagedObject(collection, key)
		}
		return fn(key, offsite.ID(h))
	})
}

// damagedObject is the error for an object whose local blob is damaged
// and whose hash is unknown (snapshot.UnknownHash): push cannot name it,
// so it stops there, before uploading anything of the object.
func damagedObject(collection, key string) error {
	return fmt.Errorf("%w: %s %q: its local blob is damaged and its hash unknown; nothing of it was uploaded; `enspace-sync verify --repair` and the next backup heal it",
		offsite.ErrLocalCorrupt, collection, key)
}

// Diff compares the collection's trees: its cost follows what changed
// (snapshot.DB.DiffCollection never reads the subtrees both share).
func (d dbSource) Diff(base, l offsite.Local, collection string, fn func(key string, old, new offsite.ID) error) error {
	return d.db.DiffCollection(base.Ref.(*snapshot.Snapshot), l.Ref.(*snapshot.Snapshot), collection, func(key string, old, new snapshot.Hash) error {
		if new.Unknown() {
			return damagedObject(collection, key)
		}
		// An old side unknown is a change: the new object is uploaded.
		return fn(key, offsite.ID(old), offsite.ID(new))
	})
}

// Read reads the object by its hash: the blob index, not a descent of
// the snapshot's tree for each object (a CPU profile of BenchmarkOffsite
// put most of the pushes' time in that descent).
func (d dbSource) Read(_ offsite.Local, collection, key string, id offsite.ID) ([]byte, error) {
	raw, err := d.db.Blob(snapshot.Hash(id))
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", collection, key, err)
	}
	return raw, nil
}

// OffsiteKeys is one target's keys, after what OffsiteKeyChange did.
type OffsiteKeys struct {
	Target  string            `json:"target"`
	Added   string            `json:"added,omitempty"`   // the new key's id
	Removed string            `json:"removed,omitempty"` // the removed key's id
	Keys    []offsite.KeyInfo `json:"keys"`
}

// OffsiteKeyChange lists the target(s)' keys; with a new password it first
// adds a key for it, with remove it first removes that key (never the one
// the configured password opens). Rotating the password: add a key for the
// new one, put the new password in password_file, remove the old key. The
// data is not re-encrypted (see internal/offsite).
func (s *Service) OffsiteKeyChange(ctx context.Context, target, newPassword, remove string) ([]OffsiteKeys, error) {
	var out []OffsiteKeys
	err := s.eachTarget(ctx, target, false, func(t *config.Offsite, r *offsite.Repo) error {
		k := OffsiteKeys{Target: t.Name}
		var err error
		if newPassword != "" {
			if k.Added, err = r.AddKey(ctx, newPassword); err != nil {
				return err
			}
		}
		if remove != "" {
			if k.Removed, err = r.RemoveKey(ctx, remove); err != nil {
				return err
			}
		}
		if k.Keys, err = r.Keys(ctx); err != nil {
			return err
		}
		out = append(out, k)
		return nil
	})
	return out, err
}

// OffsiteState is what a target holds of this daemon's snapshots.
type OffsiteState struct {
	Target     string    `json:"target"`
	Snapshots  int       `json:"snapshots"`   // this daemon's, on the target
	Pending    int       `json:"pending"`     // local snapshots not yet on the target
	LastPushed time.Time `json:"last_pushed"` // when the newest of them was pushed; zero: never
}

// OffsiteStates reads, for the target(s), how many local snapshots wait
// for a push and when the last one arrived: for status, metrics and the
// stale-target check. It reads the target's records (through the cache)
// and takes no lock.
func (s *Service) OffsiteStates(ctx context.Context, target string) ([]OffsiteState, error) {
	db, err := s.needDB()
	if err != nil {
		return nil, err
	}
	local, err := db.Snapshots("")
	if err != nil {
		return nil, err
	}
	name := s.Config().DaemonName()
	var out []OffsiteState
	err = s.eachTarget(ctx, target, false, func(t *config.Offsite, r *offsite.Repo) error {
		snaps, err := r.Snapshots(ctx)
		if err != nil {
			return err
		}
		st := OffsiteState{Target: t.Name}
		there := map[string]bool{}
		for _, sn := range snaps {
			if sn.Name != name {
				continue
			}
			there[sn.Workspace+"\x00"+sn.LocalID] = true
			st.Snapshots++
			if sn.PushedAt.After(st.LastPushed) {
				st.LastPushed = sn.PushedAt
			}
		}
		for _, l := range local {
			if !there[l.Workspace+"\x00"+l.ID] {
				st.Pending++
			}
		}
		out = append(out, st)
		return nil
	})
	return out, err
}
