package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// DatabaseCopier serves a consistent copy of the database a running
// daemon holds (*daemon.Client implements it).
type DatabaseCopier interface {
	Alive(ctx context.Context) bool
	Download(w io.Writer) (int64, error)
	Addr() string
}

// OpenOptions say how to open the config's database.
type OpenOptions struct {
	ReadOnly bool
	Command  string // "backup", for the lock holder's record
	Logger   *slog.Logger
	// Daemon, when not nil, is asked for a copy of the database when a
	// read-only open finds it locked or unreadable.
	Daemon DatabaseCopier
}

// Store is an open database and what closing it must also remove.
type Store struct {
	DB      *snapshot.DB
	cleanup []func() error
}

// Close closes the database and removes a copy the daemon served.
func (s *Store) Close() error {
	err := s.DB.Close()
	for _, fn := range s.cleanup {
		err = errors.Join(err, fn())
	}
	return err
}

// OpenStore opens the database at path. A read-write open creates its
// directory (0700) and waits up to 2 seconds for the lock. A read-only open
// shares the lock with other readers; when a writer holds it (or the file
// is not readable by this user) and the daemon answers, it reads a
// consistent copy the daemon serves; otherwise it waits up to 2 seconds and
// then fails with snapshot.ErrLocked, which says who holds the lock.
func OpenStore(path string, o OpenOptions) (*Store, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ReadOnly {
		fi, err := os.Stat(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w at %s: run enspace-sync backup first", ErrNoDatabase, path)
		}
		// An empty file (touched, or a copy that never got written) holds
		// no database yet: a read-only open cannot initialise it, and bbolt
		// would fail with "bad file descriptor".
		if err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
			return nil, fmt.Errorf("%w at %s: the file is empty: run enspace-sync backup first, or put a database there", ErrNoDatabase, path)
		}
	} else if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the database directory: %w", err)
	}
	if !o.ReadOnly {
		st, err := openFile(path, o, 2*time.Second)
		if errors.Is(err, snapshot.ErrLocked) && (snapshot.HeldByDaemon(path) ||
			o.Daemon != nil && o.Daemon.Alive(context.Background())) {
			return nil, &FailureError{Err: err, Hint: daemonHoldsHint(o.Command)}
		}
		return st, err
	}
	// While the daemon holds the database (or keeps it where this user
	// cannot read it), read a copy it serves rather than wait for a lock it
	// keeps. Asked again after the wait: a daemon that is starting holds
	// the lock before its listener answers.
	st, err := openFile(path, o, -1)
	for _, timeout := range []time.Duration{2 * time.Second, 0} {
		locked := errors.Is(err, snapshot.ErrLocked)
		if !locked && !errors.Is(err, os.ErrPermission) {
			return st, err
		}
		if o.Daemon != nil && o.Daemon.Alive(context.Background()) {
			return openCopy(o)
		}
		if !locked || timeout == 0 {
			return st, err
		}
		st, err = openFile(path, o, timeout)
	}
	return st, err
}

// daemonHoldsHint is what to do when the daemon holds the database that
// command must write: a backup goes through the daemon; the daemon applies
// the retention and prunes after each backup itself; the other writers
// (restore, replicate, apply, db compact, verify --repair) need it stopped
// for as long as they run; a second daemon has nothing to do.
func daemonHoldsHint(command string) string {
	switch command {
	case "run":
		return "a daemon is already running on this database (see enspace-sync status)"
	case "backup":
		return "the daemon holds the database: enspace-sync trigger NAME runs a backup through it (see enspace-sync status)"
	case "forget", "prune":
		return "the daemon holds the database, and applies the retention and prunes after each backup itself (enspace-sync trigger NAME runs one now); to " +
			command + " by hand, stop it first (systemctl stop enspace-sync) and start it again after"
	}
	return "the daemon holds the database: stop it for the time " + command + " runs (systemctl stop enspace-sync), then start it again"
}

// openFile opens the database file, waiting up to timeout for its lock (a
// negative timeout tries once).
func openFile(path string, o OpenOptions, timeout time.Duration) (*Store, error) {
	db, err := snapshot.Open(path, snapshot.Options{
		Timeout:  timeout,
		ReadOnly: o.ReadOnly,
		Command:  "enspace-sync " + o.Command,
		Logger:   o.Logger,
		// A batch costs two fsyncs, in the background while the API is
		// read; the batch being written when the listing ends is waited
		// for, so smaller batches end a run sooner: with 2,000 objects a
		// 100,000-item backup's time from the last page to exit is 108 ms
		// (median of 6) against 137 ms with 5,000, for the same total.
		// But each batch is a write transaction, its commit, its syncs
		// and the sysmon wake-ups after them: 5,000 objects took 4.5%
		// less CPU (docs/testing.md), and the CPU is the figure that
		// holds under load. 10,000 objects (8 MiB) took 3.7% less CPU
		// again (10 runs of each, alternated, 20 ms latency); 20,000
		// took 4% more than 10,000.
		BatchObjects: 10_000,
		BatchBytes:   8 << 20,
	})
	if err != nil {
		return nil, err // snapshot.Open's errors name the file
	}
	return &Store{DB: db}, nil
}

// openCopy fetches a consistent copy of the database from the daemon into
// a private temporary file (mode 0600, removed on Close) and opens it
// read-only.
func openCopy(o OpenOptions) (*Store, error) {
	f, err := os.CreateTemp("", "enspace-sync-db-*.db")
	if err != nil {
		return nil, fmt.Errorf("a temporary copy of the database: %w", err)
	}
	remove := func() error {
		if err := os.Remove(f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	n, err := o.Daemon.Download(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = remove()
		return nil, fmt.Errorf("copy the database from the daemon at %s: %w", o.Daemon.Addr(), err)
	}
	o.Logger.Info("the daemon holds the database: reading a consistent copy it served", "daemon", o.Daemon.Addr(), "bytes", n)
	db, err := snapshot.Open(f.Name(), snapshot.Options{ReadOnly: true, Timeout: -1, Logger: o.Logger})
	if err != nil {
		_ = remove()
		return nil, fmt.Errorf("open the copy served by the daemon: %w", err)
	}
	return &Store{DB: db, cleanup: []func() error{remove}}, nil
}
