package offsite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// Defaults of Options.
const (
	DefaultPackSize    = 4 << 20          // content of a pack before compression
	DefaultLockExpiry  = 30 * time.Minute // a lock not refreshed for this long is stale
	DefaultLockRefresh = 5 * time.Minute
	DefaultPruneWindow = 6 * time.Hour // prune leaves younger unreferenced packs alone
)

// initSettle is how long Init waits before it looks for a key written by
// another process creating the repository at the same moment.
var initSettle = 2 * time.Second

// Options configure a Repo. Password is required.
type Options struct {
	Password string
	// KDF is used when a key is created; zero means DefaultKDF.
	KDF KDF
	// Name is this daemon's name: its snapshots and locks carry it.
	// Default: the host name.
	Name string
	// BlobID recomputes a data blob's id from its bytes, for verify
	// --read-data and for push, which never uploads local bytes that do
	// not match their id; nil skips that check (tree chunks are always
	// checked).
	BlobID func(raw []byte) (ID, error)
	// PackSize is a pack's content before compression; 0 means
	// DefaultPackSize.
	PackSize int
	// LockExpiry and LockRefresh: 0 means the defaults.
	LockExpiry, LockRefresh time.Duration
	// PruneWindow: 0 means DefaultPruneWindow.
	PruneWindow time.Duration
	// CacheDir, when set, keeps copies of the target's index files and
	// snapshot records (see cache.go); "" reads them from the target.
	CacheDir string
	Logger   *slog.Logger
	Now      func() time.Time
}

// Repo is an open repository: a backend and the master key.
type Repo struct {
	b       Backend
	key     *masterKey
	keyName string
	opts    Options
	host    string

	uploaded atomic.Int64 // bytes Put through this Repo
	noCache  bool         // Verify reads everything from the target
}

func (o *Options) fill() {
	if o.KDF == (KDF{}) {
		o.KDF = DefaultKDF
	}
	host, _ := os.Hostname()
	if o.Name == "" {
		o.Name = host
	}
	if o.PackSize <= 0 {
		o.PackSize = DefaultPackSize
	}
	if o.LockExpiry <= 0 {
		o.LockExpiry = DefaultLockExpiry
	}
	if o.LockRefresh <= 0 {
		o.LockRefresh = DefaultLockRefresh
	}
	if o.PruneWindow <= 0 {
		o.PruneWindow = DefaultPruneWindow
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Open opens the repository at b with opts.Password. A target with no
// keys yet is ErrNoRepository; a password that opens no key ErrPassword.
func Open(ctx context.Context, b Backend, opts Options) (*Repo, error) {
	opts.fill()
	if opts.Password == "" {
		return nil, fmt.Errorf("%w: empty password", ErrInvalid)
	}
	name, m, err := unlock(ctx, b, opts.Password)
	if err != nil {
		return nil, err
	}
	return newRepo(b, name, m, opts)
}

func newRepo(b Backend, keyName string, m []byte, opts Options) (*Repo, error) {
	k, err := newMasterKey(m)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	return &Repo{b: b, key: k, keyName: keyName, opts: opts, host: host}, nil
}

// Init creates a repository at b: a random master key sealed under
// opts.Password in a first keys/ object. It refuses a target that has keys.
func Init(ctx context.Context, b Backend, opts Options) (*Repo, error) {
	opts.fill()
	if opts.Password == "" {
		return nil, fmt.Errorf("%w: empty password", ErrInvalid)
	}
	names, err := keyNames(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	if len(names) > 0 {
		return nil, fmt.Errorf("%w: the target already holds a repository", ErrInvalid)
	}
	master, err := randomID()
	if err != nil {
		return nil, err
	}
	r, err := newRepo(b, "", master[:], opts)
	if err != nil {
		return nil, err
	}
	if r.keyName, err = r.putKey(ctx, master[:], opts.Password); err != nil {
		return nil, err
	}
	// Two processes that create a repository at once each write a key
	// for a master key of their own: once both keys are visible (after
	// initSettle, far longer than a key's derivation and upload), the key
	// whose name sorts first wins; the others withdraw theirs and open it.
	select {
	case <-time.After(initSettle):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if names, err = keyNames(ctx, b); err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	for _, n := range names {
		if n < r.keyName {
			if err := b.Delete(ctx, "keys/"+r.keyName); err != nil {
				return nil, fmt.Errorf("withdraw key: %w", err)
			}
			return Open(ctx, b, opts)
		}
	}
	return r, nil
}

// OpenOrInit opens the repository at b, creating it when the target holds
// none.
func OpenOrInit(ctx context.Context, b Backend, opts Options) (*Repo, error) {
	r, err := Open(ctx, b, opts)
	if errors.Is(err, ErrNoRepository) {
		return Init(ctx, b, opts)
	}
	return r, err
}

func (r *Repo) putKey(ctx context.Context, master []byte, password string) (string, error) {
	kf, err := sealMaster(master, password, r.opts.KDF, r.opts.Now())
	if err != nil {
		return "", err
	}
	id, err := randomID()
	if err != nil {
		return "", err
	}
	if err := r.put(ctx, "keys/"+id.String(), kf); err != nil {
		return "", fmt.Errorf("write key: %w", err)
	}
	return id.String(), nil
}

// Uploaded returns the bytes written to the target through r so far.
func (r *Repo) Uploaded() int64 { return r.uploaded.Load() }

func (r *Repo) put(ctx context.Context, name string, data []byte) error {
	if err := r.b.Put(ctx, name, data); err != nil {
		return err
	}
	r.uploaded.Add(int64(len(data)))
	return nil
}

// putSealed encrypts plain and stores it under dir/<SHA-256 of the
// stored bytes>, returning that id.
func (r *Repo) putSealed(ctx context.Context, dir, kind string, plain []byte) (ID, error) {
	b, err := r.key.seal(kind, plain)
	if err != nil {
		return ID{}, err
	}
	id := hashOf(b)
	if err := r.put(ctx, dir+id.String(), b); err != nil {
		return id, err
	}
	if cacheable(dir) {
		r.cachePut(dir+id.String(), b)
	}
	return id, nil
}

// getSealed reads dir/<id>, checks its hash and decrypts it.
func (r *Repo) getSealed(ctx context.Context, dir string, id ID, kind string) ([]byte, error) {
	var b []byte
	if cacheable(dir) {
		if b = r.cacheGet(dir + id.String()); b != nil && hashOf(b) != id {
			b = nil
		}
	}
	if b == nil {
		var err error
		if b, err = r.b.Get(ctx, dir+id.String()); err != nil {
			return nil, err
		}
		if hashOf(b) != id {
			return nil, fmt.Errorf("%w: %s%s does not hash to its name", ErrCorrupt, dir, id.Short())
		}
		if cacheable(dir) {
			r.cachePut(dir+id.String(), b)
		}
	}
	plain, err := r.key.open(kind, b)
	if err != nil {
		return nil, fmt.Errorf("%s%s: %w", dir, id.Short(), err)
	}
	return plain, nil
}

// listIDs lists the objects under dir whose names are ids.
func (r *Repo) listIDs(ctx context.Context, dir string) ([]ObjectInfo, []ID, error) {
	var infos []ObjectInfo
	var ids []ID
	err := r.b.List(ctx, dir, func(o ObjectInfo) error {
		id, err := ParseID(o.Name[len(dir):])
		if err != nil {
			r.opts.Logger.Warn("offsite: object with a name that is not an id is ignored", "object", o.Name)
			return nil
		}
		infos, ids = append(infos, o), append(ids, id)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list %s: %w", dir, err)
	}
	if cacheable(dir) {
		r.cacheKeep(dir, ids)
	}
	return infos, ids, nil
}

// AddKey adds a key for password: both the old and the new password open
// the repository until the old key is removed. The data is not
// re-encrypted: the master key stays the same.
func (r *Repo) AddKey(ctx context.Context, password string) (string, error) {
	if password == "" {
		return "", fmt.Errorf("%w: empty password", ErrInvalid)
	}
	m, err := r.masterBytes(ctx)
	if err != nil {
		return "", err
	}
	return r.putKey(ctx, m, password)
}

func (r *Repo) masterBytes(ctx context.Context) ([]byte, error) {
	raw, err := getLimited(ctx, r.b, "keys/"+r.keyName, maxKeyFile)
	if err != nil {
		return nil, err
	}
	return openMaster(raw, r.opts.Password)
}

// RemoveKey removes keys/<id>; it refuses the key this Repo was opened
// with (open with another password to remove it) and the last key.
func (r *Repo) RemoveKey(ctx context.Context, id string) error {
	if id == r.keyName {
		return fmt.Errorf("%w: key %s is the one this password opens: open the target with another key's password to remove it", ErrInvalid, id)
	}
	names, err := keyNames(ctx, r.b)
	if err != nil {
		return err
	}
	for _, n := range names {
		if n == id {
			return r.b.Delete(ctx, "keys/"+id)
		}
	}
	return fmt.Errorf("key %s: %w", id, ErrNotExist)
}

// Keys lists the repository's keys.
func (r *Repo) Keys(ctx context.Context) ([]KeyInfo, error) {
	names, err := keyNames(ctx, r.b)
	if err != nil {
		return nil, err
	}
	var out []KeyInfo
	for _, n := range names {
		info := KeyInfo{ID: n, Current: n == r.keyName}
		if st, err := r.b.Stat(ctx, "keys/"+n); err == nil {
			info.Created = st.ModTime.UTC()
		}
		out = append(out, info)
	}
	return out, nil
}
