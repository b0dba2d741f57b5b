package offsite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// Lock is a locks/<random> object: who holds the target and since when.
type Lock struct {
	Object    string    `json:"-"` // the object's name under locks/
	Name      string    `json:"name"`
	Host      string    `json:"host"`
	PID       int       `json:"pid"`
	Op        string    `json:"op"` // push, forget, prune
	Exclusive bool      `json:"exclusive"`
	Created   time.Time `json:"created"`
	Refreshed time.Time `json:"refreshed"`
	// Stale is set when read: not refreshed within the lock expiry.
	Stale bool `json:"stale"`
}

func (l Lock) describe() string {
	kind := "shared"
	if l.Exclusive {
		kind = "exclusive"
	}
	return fmt.Sprintf("%s lock of %s (%s on host %s, pid %d) taken %s, refreshed %s",
		kind, l.Name, l.Op, l.Host, l.PID, l.Created.UTC().Format(time.RFC3339), l.Refreshed.UTC().Format(time.RFC3339))
}

// Locks lists the target's locks, marking those not refreshed within the
// expiry as stale. A lock's refresh time is the target's modification
// time of its object (the holder's own time when the target gives none),
// judged here against this machine's clock: a listing, which writes
// nothing. What decides (acquire, Unlock) judges on the target's clock
// instead. Locks that do not decrypt are listed with only their object
// name; one released while it was listed is left out.
func (r *Repo) Locks(ctx context.Context) ([]Lock, error) {
	return r.locks(ctx, "")
}

// locks lists the target's locks. With probe (the name of a lock this
// process just wrote), staleness is judged on the target's clock: now is
// the probe's modification time as the target lists it, so a machine
// whose clock runs ahead takes no live lock for stale.
func (r *Repo) locks(ctx context.Context, probe string) ([]Lock, error) {
	var listed []Lock
	err := r.b.List(ctx, "locks/", func(o ObjectInfo) error {
		listed = append(listed, Lock{Object: strings.TrimPrefix(o.Name, "locks/"), Refreshed: o.ModTime})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list locks: %w", err)
	}
	now := r.opts.Now()
	if probe != "" {
		i := slices.IndexFunc(listed, func(l Lock) bool { return l.Object == probe })
		if i < 0 || listed[i].Refreshed.IsZero() {
			return nil, fmt.Errorf("list locks: the lock locks/%s this process just wrote is not listed with a modification time, so stale locks cannot be told from live ones; check that the target lists what it stores", probe)
		}
		now = listed[i].Refreshed
	}
	out := listed[:0]
	for _, l := range listed {
		b, err := getLimited(ctx, r.b, "locks/"+l.Object, maxLockFile)
		if isNotExist(err) {
			continue // released while listed
		}
		if errors.Is(err, ErrCorrupt) {
			b = nil // too large: listed like a lock that does not decrypt
		} else if err != nil {
			return nil, err
		}
		var held Lock
		if plain, err := r.key.open(kindLock, b); err == nil && json.Unmarshal(plain, &held) == nil {
			// The target's modification time, on the target's clock,
			// is when it was last refreshed; the holder's own time
			// only when the target gives none.
			mod := l.Refreshed
			obj := l.Object
			l = held
			l.Object = obj
			if !mod.IsZero() {
				l.Refreshed = mod
			}
		}
		l.Stale = now.Sub(l.Refreshed) > r.opts.LockExpiry
		out = append(out, l)
	}
	return out, nil
}

// maxLockFile bounds a locks/ object; a sealed lock is a few hundred
// bytes.
const maxLockFile = 64 << 10

// heldLock is a lock this process holds, refreshed until released.
type heldLock struct {
	r      *Repo
	lock   Lock
	stop   chan struct{}
	done   sync.WaitGroup
	mu     sync.Mutex // guards lock.Refreshed and lastOK
	lastOK time.Time  // the last refresh that reached the target
	cancel context.CancelCauseFunc
}

// acquire takes a lock: shared (push, forget) or exclusive (prune). Stale
// locks never block; a live conflicting lock is ErrLocked, named. The
// returned context is cancelled when the lock could not be refreshed for
// longer than its expiry (someone may have removed it).
func (r *Repo) acquire(ctx context.Context, op string, exclusive bool) (*heldLock, context.Context, error) {
	id, err := randomID()
	if err != nil {
		return nil, nil, err
	}
	now := r.opts.Now().UTC()
	l := Lock{Object: id.String(), Name: r.opts.Name, Host: r.host, PID: os.Getpid(), Op: op, Exclusive: exclusive, Created: now, Refreshed: now}
	if err := r.writeLock(ctx, l); err != nil {
		return nil, nil, fmt.Errorf("write lock: %w", err)
	}
	locks, err := r.locks(ctx, l.Object)
	if err == nil {
		for _, o := range locks {
			if o.Object == l.Object || o.Stale || !(exclusive || o.Exclusive) {
				continue
			}
			err = r.lockedError(o)
			break
		}
	}
	if err != nil {
		_ = r.b.Delete(context.WithoutCancel(ctx), "locks/"+l.Object)
		return nil, nil, err
	}
	lctx, cancel := context.WithCancelCause(ctx)
	h := &heldLock{r: r, lock: l, stop: make(chan struct{}), cancel: cancel, lastOK: now}
	h.done.Add(1)
	go h.refresh(lctx)
	return h, lctx, nil
}

// lockedError is ErrLocked naming o.
func (r *Repo) lockedError(o Lock) error {
	return fmt.Errorf("%w: %s; it goes stale at %s unless refreshed; if that process is gone, `enspace-sync offsite unlock --all` removes it",
		ErrLocked, o.describe(), o.Refreshed.Add(r.opts.LockExpiry).UTC().Format(time.RFC3339))
}

// noPrune is how readers (verify, restore) keep clear of a prune without
// writing a lock, so that read-only credentials suffice: ErrLocked, naming
// it, while a live exclusive lock is on the target. They call it before
// they start, and again when they found something missing or damaged: a
// prune that started meanwhile may have replaced a pack, and the reader
// says so rather than report damage.
func (r *Repo) noPrune(ctx context.Context) error {
	locks, err := r.Locks(ctx)
	if err != nil {
		return err
	}
	for _, o := range locks {
		if o.Exclusive && !o.Stale {
			return r.lockedError(o)
		}
	}
	return nil
}

func (r *Repo) writeLock(ctx context.Context, l Lock) error {
	plain, err := json.Marshal(l)
	if err != nil {
		return err
	}
	b, err := r.key.seal(kindLock, plain)
	if err != nil {
		return err
	}
	return r.b.Put(ctx, "locks/"+l.Object, b)
}

func (h *heldLock) refresh(ctx context.Context) {
	defer h.done.Done()
	t := time.NewTicker(h.r.opts.LockRefresh)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// A gap longer than the expiry (a failing target, or a process
		// suspended for that long) means others may have seen the lock
		// stale: give up rather than carry on as its holder.
		if err := h.lapsed(); err != nil {
			h.cancel(err)
			return
		}
		// A lock object that is gone was removed (unlock --all, or a
		// prune that took it for stale): writing it again would hide
		// that from check, and a prune may have deleted packs this run
		// uses. Stop instead.
		if _, err := h.r.b.Stat(ctx, "locks/"+h.lock.Object); isNotExist(err) {
			h.cancel(h.removed())
			return
		} else if err != nil {
			h.r.opts.Logger.Warn("offsite: refresh lock", "err", err)
			continue
		}
		h.mu.Lock()
		h.lock.Refreshed = h.r.opts.Now().UTC()
		l := h.lock
		h.mu.Unlock()
		if err := h.r.writeLock(ctx, l); err != nil {
			h.r.opts.Logger.Warn("offsite: refresh lock", "err", err)
			continue
		}
		h.mu.Lock()
		h.lastOK = l.Refreshed
		h.mu.Unlock()
	}
}

// lockLost returns the ErrLockLost that cancelled ctx, the context
// acquire returned, in place of the context error err it caused.
func lockLost(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); err != nil && errors.Is(cause, ErrLockLost) {
		return cause
	}
	return err
}

// lapsed is ErrLockLost when the lock was last refreshed longer than its
// expiry ago.
func (h *heldLock) lapsed() error {
	h.mu.Lock()
	last := h.lastOK
	h.mu.Unlock()
	if gap := h.r.opts.Now().Sub(last); gap > h.r.opts.LockExpiry {
		return fmt.Errorf("%w: last refreshed %s ago, longer than its expiry of %s, so a prune may have deleted packs this run uses; nothing more was written: run it again",
			ErrLockLost, gap.Round(time.Second), h.r.opts.LockExpiry)
	}
	return nil
}

// check is called before writing what makes uploaded packs reachable
// (an index file, a snapshot record): it fails when the lock lapsed or
// its object is gone (someone ran unlock --all, or a prune removed it).
func (h *heldLock) check(ctx context.Context) error {
	if h == nil {
		return nil
	}
	if err := h.lapsed(); err != nil {
		return err
	}
	if _, err := h.r.b.Stat(ctx, "locks/"+h.lock.Object); isNotExist(err) {
		return h.removed()
	} else if err != nil {
		return fmt.Errorf("check lock: %w", err)
	}
	return h.lapsed()
}

// removed is ErrLockLost for a lock object found gone.
func (h *heldLock) removed() error {
	return fmt.Errorf("%w: its object locks/%s was removed (offsite unlock, or a prune that took it for stale), so a prune may have deleted packs this run uses; nothing more was written: run it again",
		ErrLockLost, h.lock.Object)
}

// release stops refreshing and deletes the lock.
func (h *heldLock) release() {
	close(h.stop)
	h.done.Wait()
	h.cancel(nil)
	if err := h.r.b.Delete(context.Background(), "locks/"+h.lock.Object); err != nil {
		h.r.opts.Logger.Warn("offsite: remove lock", "err", err)
	}
}

// Unlock removes stale locks, or every lock when all is set (only when no
// process of any daemon works on the target). It returns what it removed.
// Staleness is judged on the target's clock: Unlock writes a probe lock,
// reads its modification time as now, and removes it.
func (r *Repo) Unlock(ctx context.Context, all bool) ([]Lock, error) {
	var locks []Lock
	var err error
	if all {
		locks, err = r.Locks(ctx)
	} else {
		locks, err = r.probeLocks(ctx)
	}
	if err != nil {
		return nil, err
	}
	var removed []Lock
	for _, l := range locks {
		if !all && !l.Stale {
			continue
		}
		if err := r.b.Delete(ctx, "locks/"+l.Object); err != nil {
			return removed, fmt.Errorf("remove lock %s: %w", l.Object, err)
		}
		removed = append(removed, l)
	}
	return removed, nil
}

// probeLocks lists the locks judged on the target's clock: it writes a
// probe lock (op "unlock", shared), lists, and removes the probe, which
// is left out of the list.
func (r *Repo) probeLocks(ctx context.Context) ([]Lock, error) {
	id, err := randomID()
	if err != nil {
		return nil, err
	}
	now := r.opts.Now().UTC()
	probe := Lock{Object: id.String(), Name: r.opts.Name, Host: r.host, PID: os.Getpid(), Op: "unlock", Created: now, Refreshed: now}
	if err := r.writeLock(ctx, probe); err != nil {
		return nil, fmt.Errorf("write a probe lock to read the target's clock: %w", err)
	}
	locks, err := r.locks(ctx, probe.Object)
	if derr := r.b.Delete(context.WithoutCancel(ctx), "locks/"+probe.Object); derr != nil && err == nil {
		err = fmt.Errorf("remove the probe lock locks/%s: %w; `enspace-sync offsite unlock` removes it once stale", probe.Object, derr)
	}
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(locks, func(l Lock) bool { return l.Object == probe.Object }), nil
}
