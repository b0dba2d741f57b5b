package offsite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
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

// initSettle is how long Init waits before it reads the first key back,
// to catch a server that ignored the condition of its create.
var initSettle = 2 * time.Second

// firstKey is the name of the key that creates a repository: one fixed
// name, created only if absent (Backend.Create), so that of the processes
// creating a repository at once exactly one succeeds, however far apart
// they run, and the others open its key. Later keys (AddKey) have random
// names. It says nothing of the repository: every repository's first key
// has it.
const firstKey = "0000000000000000000000000000000000000000000000000000000000000000"

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
	// not match their id, and confirms a short name by hashing the
	// target's blob under it; nil skips that check (tree chunks are always
	// checked), and push then reuses a blob under a short name only when
	// the cache knows its id (otherwise it uploads it under its long
	// name).
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
	// WarmKDF readies argon2id's memory with huge pages before the key
	// is derived (kdfmem.go): some 0.2 CPU-s less on a virtual machine
	// where each page fault is dear. For one-shot commands only
	// (restore-db): the advice stays on the heap for the process's life.
	WarmKDF bool
	Logger  *slog.Logger
	Now     func() time.Time
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
	name, m, err := unlock(ctx, b, opts.Password, opts.WarmKDF)
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

// create writes the first key of a new repository; ErrExist when another
// process created it first (whenever that was).
func create(ctx context.Context, b Backend, opts Options) (*Repo, error) {
	master, err := randomID()
	if err != nil {
		return nil, err
	}
	r, err := newRepo(b, firstKey, master[:], opts)
	if err != nil {
		return nil, err
	}
	kf, err := sealMaster(master[:], opts.Password, opts.KDF, opts.Now())
	if err != nil {
		return nil, err
	}
	if err := b.Create(ctx, "keys/"+firstKey, kf); err != nil {
		return nil, err
	}
	r.uploaded.Add(int64(len(kf)))
	// A server that ignored the create's condition stored the last of two
	// creates: read the key back once the other's would be there too, and
	// yield when it is not ours.
	select {
	case <-time.After(initSettle):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	got, err := getLimited(ctx, b, "keys/"+firstKey, maxKeyFile)
	if err != nil {
		return nil, fmt.Errorf("read the new key back: %w", err)
	}
	if !bytes.Equal(got, kf) {
		return nil, fmt.Errorf("keys/%s: %w", firstKey, ErrExist)
	}
	return r, nil
}

// OpenOrInit opens the repository at b, creating it when the target holds
// none. Of processes that create one at once, one creates it and the
// others open it.
func OpenOrInit(ctx context.Context, b Backend, opts Options) (*Repo, error) {
	r, err := Open(ctx, b, opts)
	if !errors.Is(err, ErrNoRepository) {
		return r, err
	}
	opts.fill()
	r, err = create(ctx, b, opts)
	if errors.Is(err, ErrExist) {
		return Open(ctx, b, opts)
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
	b, err := r.fetchSealed(ctx, dir, id)
	if err != nil {
		return nil, err
	}
	return r.openSealed(dir, id, kind, b)
}

// fetchSealed is the download half of getSealed: the stored bytes of
// dir+id, from the cache or the target, checked against the name.
func (r *Repo) fetchSealed(ctx context.Context, dir string, id ID) ([]byte, error) {
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
			return nil, &objectDamage{fmt.Errorf("%w: %s%s does not hash to its name", ErrCorrupt, dir, id.Short())}
		}
		if cacheable(dir) {
			r.cachePut(dir+id.String(), b)
		}
	}
	return b, nil
}

// openSealed is the decryption half of getSealed.
func (r *Repo) openSealed(dir string, id ID, kind string, b []byte) ([]byte, error) {
	plain, err := r.key.open(kind, b)
	if err != nil {
		return nil, &objectDamage{fmt.Errorf("%s%s: %w", dir, id.Short(), err)}
	}
	return plain, nil
}

// openSealedInPlace is openSealed decrypting into b's own memory (b is
// overwritten: for bytes nobody else holds, a download's).
func (r *Repo) openSealedInPlace(dir string, id ID, kind string, b []byte) ([]byte, error) {
	plain, err := r.key.openInPlace(kind, b)
	if err != nil {
		return nil, &objectDamage{fmt.Errorf("%s%s: %w", dir, id.Short(), err)}
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
	return openMaster(raw, r.opts.Password, false)
}

// RemoveKey removes keys/<id>, id being a key's name or a prefix of at
// least 4 characters that names one key, and returns the name removed; it
// refuses the key this Repo was opened with (open with another password to
// remove it) and the last key.
func (r *Repo) RemoveKey(ctx context.Context, id string) (string, error) {
	names, err := keyNames(ctx, r.b)
	if err != nil {
		return "", err
	}
	var match []string
	for _, n := range names {
		if n == id {
			match = []string{n}
			break
		}
		if len(id) >= 4 && strings.HasPrefix(n, id) {
			match = append(match, n)
		}
	}
	switch {
	case len(match) == 0:
		return "", fmt.Errorf("key %s: %w", id, ErrNotExist)
	case len(match) > 1:
		return "", fmt.Errorf("%w: %d keys start with %s (%s): give more of the id", ErrInvalid, len(match), id, strings.Join(match, ", "))
	case match[0] == r.keyName:
		return "", fmt.Errorf("%w: key %s is the one this password opens: open the target with another key's password to remove it", ErrInvalid, match[0])
	}
	return match[0], r.b.Delete(ctx, "keys/"+match[0])
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
