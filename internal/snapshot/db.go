package snapshot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FormatVersion is the database format this build writes and understands:
// 3 stores new blobs in packs (packs.go), 4 files the blob index in
// groups of short entries (blobindex.go), 5 writes packs that list no
// hashes (a blob's hash is its content's), 6 may store a collection's
// root as a patch over a full tree (patch.go); a read-write open upgrades
// a format-1 to -5 file (upgrade.go).
const FormatVersion = 6

// Bucket names.
var (
	bucketMeta      = []byte("meta")
	bucketBlobs     = []byte("blobs")     // blob id -> loose blob record; its sequence gives every blob id
	bucketChunks    = []byte("chunks")    // chunk id -> chunk encoding
	bucketRoots     = []byte("roots")     // root hash -> root encoding
	bucketSnapshots = []byte("snapshots") // snapshot id -> record (JSON)
	bucketRuns      = []byte("runs")      // run id -> run (JSON)
	bucketPending   = []byte("pending")   // run id -> batch sequence -> pending record (pending.go)
	bucketIDMaps    = []byte("id-maps")   // target \x00 source -> kind \x00 source id -> entry
	bucketJobRuns   = []byte("job-runs")  // job name -> sequence -> JobRun (JSON)
	bucketDamaged   = []byte("damaged")   // blob id -> the hash its record holds: content found damaged
	keyFormat       = []byte("format")
)

var allBuckets = [][]byte{bucketMeta, bucketBlobs, bucketBlobGroups, bucketChunks, bucketChunkGroups,
	bucketRoots, bucketSnapshots, bucketRuns, bucketPending, bucketIDMaps, bucketJobRuns, bucketDamaged, bucketPacks}

// Options configure Open. The zero value is ready to use.
type Options struct {
	// Timeout is how long Open waits for the file lock; zero means one
	// second, a negative value means a single attempt.
	Timeout time.Duration
	// ReadOnly opens the database with a shared lock; writing methods then
	// return ErrReadOnly, and no recovery runs.
	ReadOnly bool
	// Command names this process in the lock-info file, for the error
	// another opener gets; empty means the program name and its
	// subcommand, taken from os.Args (never its flags).
	Command string
	// Logger receives recovery and cleanup events; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock for run records; nil means time.Now.
	Now func() time.Time
	// BatchObjects and BatchBytes bound what a Writer buffers before it
	// writes a transaction; zero means 5,000 objects and 4 MiB of raw JSON.
	BatchObjects int
	BatchBytes   int
	// UnfiledBlobs is how many new blobs' index entries may wait before
	// they are filed together (see unfiled); zero means 65,536 (about 6 MiB
	// of memory).
	UnfiledBlobs int
	// NoSync skips the fsync of every commit (bbolt's NoSync): a crash
	// may leave the file damaged. Only for a file that nobody else uses
	// until its writer has closed it and synced it (os.File.Sync), as
	// offsite restore-db builds one under a temporary name.
	NoSync bool
}

// DB is an open snapshot database. Its methods are safe for concurrent use.
type DB struct {
	bolt      *bbolt.DB
	path      string
	opts      Options
	log       *slog.Logger
	lockInfo  string // the lock-info file this DB wrote, "" when read-only
	recovered []Run

	// gc orders prune against writers: flushes and commits hold it shared,
	// Prune holds it exclusively, so a sweep never races a new reference.
	gc sync.RWMutex
	// unfiled holds the index entries of new blobs until they are filed.
	unfiled *unfiled
	// packs holds the packs decoded last, for sequential readers.
	packs *packCache
	// patches holds the patches decoded last, for Lookup and readers.
	patches *patchCache
	// contentHashes keeps the content hashes blobHashes computed.
	contentHashes *hashCache

	// fullTrees, set by tests of the trees' shape, makes every commit
	// build full trees, never patches.
	fullTrees bool
	// maxPatch, set by tests, replaces maxPatchSize when not 0.
	maxPatch int
	// wholeBasePatch, set by tests, makes based runs find their patches
	// by reading the whole tree (patchFrom), never patchOver.
	wholeBasePatch bool

	chunkReads atomic.Int64 // chunks loaded, for tests of diff cost
	indexReads atomic.Int64 // index nodes loaded, for tests of diff cost
	closeOnce  sync.Once
	closeErr   error
}

// Open opens (creating it read-write if needed, mode 0600) the database at
// path. A read-write open writes a lock-info file next to the database,
// recovers runs left pending by a process that died (recorded as aborted,
// see Recovered) and reclaims their data; it upgrades a file of an older
// format (see upgrade). It returns an error wrapping
// ErrLocked when the lock stays held beyond the timeout, and ErrNewerFormat
// when the database was written by a newer build.
func Open(path string, opts Options) (_ *DB, err error) {
	// db is set once the file is open: whatever fails or panics after
	// that closes it (db.Close: the lock-info file, the bbolt handle and
	// its lock, the waiting table's big buffers that recovery or an
	// upgrade filled), so that a failed Open holds nothing.
	var db *DB
	defer func() {
		// bbolt panics on pages it cannot read (a damaged header): that
		// is a damaged file, not a crash. Its transactions roll back on
		// the way out, so Close does not wait for them. A panic inside
		// bbolt.Open has already given back the file and its lock
		// (openBolt).
		if p := recover(); p != nil {
			err = fmt.Errorf("open snapshot database %s: %w: the file is damaged: %v", path, ErrCorrupt, p)
		}
		if err != nil && db != nil {
			_ = db.Close()
		}
	}()
	if opts.Timeout == 0 {
		opts.Timeout = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BatchObjects <= 0 {
		opts.BatchObjects = 5000
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 4 << 20
	}
	if opts.UnfiledBlobs <= 0 {
		opts.UnfiledBlobs = 1 << 16
	}
	b, err := openSwapSafe(path, opts)
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open snapshot database %s: %w", path, lockedError(path, opts.Timeout))
		}
		return nil, fmt.Errorf("open snapshot database %s: %w", path, err)
	}
	db = &DB{bolt: b, path: path, opts: opts, log: opts.Logger.With("db", path), unfiled: newUnfiled(opts.UnfiledBlobs), packs: newPackCache(), patches: newPatchCache(), contentHashes: newHashCache()}
	format, packing, err := db.init()
	if err != nil {
		return nil, fmt.Errorf("open snapshot database %s: %w", path, err)
	}
	if opts.ReadOnly {
		return db, nil
	}
	if err := db.writeLockInfo(); err != nil {
		return nil, fmt.Errorf("open snapshot database %s: %w", path, err)
	}
	removeStaleCompactions(path)
	if format < FormatVersion || packing {
		if err := db.upgrade(format); err != nil {
			return nil, fmt.Errorf("open snapshot database %s: upgrade to format %d: %w", path, FormatVersion, err)
		}
	}
	if err := db.recover(); err != nil {
		return nil, fmt.Errorf("open snapshot database %s: %w", path, err)
	}
	return db, nil
}

// init checks the format version and, read-write, creates the buckets. It
// returns the file's format and whether an upgrade to packs is under way.
func (db *DB) init() (format int, packing bool, err error) {
	check := func(tx *bbolt.Tx) (n int, found bool, err error) {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return 0, false, nil
		}
		v := meta.Get(keyFormat)
		if v == nil {
			return 0, false, nil
		}
		n, err = strconv.Atoi(string(v))
		if err != nil {
			return 0, true, fmt.Errorf("%w: format version %q", ErrCorrupt, v)
		}
		if n > FormatVersion {
			return n, true, &detailError{ErrNewerFormat, fmt.Sprintf(
				"database format %d is newer than this build understands (%d); upgrade enspace-sync", n, FormatVersion)}
		}
		packing = meta.Get(keyPacking) != nil
		return n, true, nil
	}
	if db.opts.ReadOnly {
		err = db.bolt.View(func(tx *bbolt.Tx) error {
			var found bool
			format, found, err = check(tx)
			if err == nil && !found {
				err = fmt.Errorf("%w: no format version: not an enspace-sync database, or never opened read-write", ErrCorrupt)
			}
			return err
		})
		return format, packing, err
	}
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		var found bool
		format, found, err = check(tx)
		if err != nil {
			return err
		}
		for _, name := range allBuckets {
			if found && format < FormatVersion && (bytes.Equal(name, bucketPacks) || bytes.Equal(name, bucketBlobGroups) || bytes.Equal(name, bucketChunkGroups)) {
				continue // the upgrade creates them, after keeping a copy of the file
			}
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		if !found {
			format = FormatVersion
			if err := meta.Put(keyFormat, []byte(strconv.Itoa(format))); err != nil {
				return err
			}
		}
		// Format 1 filed every blob's index entry with the blob; format 2
		// lets them wait (unfiled.go) above a watermark, which starts
		// above every blob stored so far.
		if meta.Get(keyBlobsFiled) == nil {
			seq := strconv.FormatUint(tx.Bucket(bucketBlobs).Sequence(), 10)
			if err := meta.Put(keyBlobsFiled, []byte(seq)); err != nil {
				return err
			}
			if format < 2 {
				format = 2
				return meta.Put(keyFormat, []byte("2"))
			}
		}
		return nil
	})
	return format, packing, err
}

// Close removes the lock-info file and closes the database. It waits for
// transactions in progress. A Writer left open is recovered as aborted by
// the next read-write Open. Closing twice returns the first result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		if db.lockInfo != "" {
			if err := os.Remove(db.lockInfo); err != nil && !errors.Is(err, os.ErrNotExist) {
				db.log.Warn("remove lock info", "err", err)
			}
		}
		if err := db.bolt.Close(); err != nil {
			db.closeErr = fmt.Errorf("close snapshot database: %w", err)
		}
		db.unfiled.release()
	})
	return db.closeErr
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// ReadOnly reports whether db was opened read-only.
func (db *DB) ReadOnly() bool { return db.opts.ReadOnly }

// Recovered returns the runs that Open found interrupted and recorded as aborted.
func (db *DB) Recovered() []Run { return append([]Run(nil), db.recovered...) }

// Size returns the database file's size in bytes.
func (db *DB) Size() (int64, error) {
	fi, err := os.Stat(db.path)
	if err != nil {
		return 0, fmt.Errorf("size of snapshot database: %w", err)
	}
	return fi.Size(), nil
}

// WriteTo writes a consistent copy of the whole database to w from one read
// transaction (a hot copy: writers are not blocked).
func (db *DB) WriteTo(w io.Writer) (int64, error) {
	var n int64
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("copy snapshot database: %w", err)
	}
	return n, nil
}

// update runs fn in a write transaction, refusing early when read-only.
func (db *DB) update(fn func(tx *bbolt.Tx) error) error {
	if db.opts.ReadOnly {
		return ErrReadOnly
	}
	return db.bolt.Update(fn)
}

// usedBytes returns the high-water mark of pages in use: the file's logical
// size, which grows in page steps while the file itself grows in big ones.
func (db *DB) usedBytes() int64 {
	var n int64
	_ = db.bolt.View(func(tx *bbolt.Tx) error {
		n = tx.Size()
		return nil
	})
	return n
}
