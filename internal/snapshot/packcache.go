package snapshot

import (
	"sync"
)

// packCacheBytes bounds the raw bytes the decoded-pack cache holds: a few
// dozen packs, enough for a sequential reader (export, restore, a diff of
// many objects) to decompress each pack once while it reads the chunks
// whose blobs it holds.
var packCacheBytes = 4 << 20

// packKey names one version of a pack: its key and checksum, so a pack
// that prune rewrote under the same key is another entry.
type packKey struct {
	key uint64
	sum uint32
}

// decodedPack is a decompressed pack; it is never changed once cached.
type decodedPack struct {
	view packView // hashes and frame are nil: only ids and offsets
	raw  []byte
}

// blob returns blob id's raw bytes (aliasing the pack), false when the
// pack does not hold it.
func (d *decodedPack) blob(id uint64) ([]byte, bool) {
	i := d.view.find(id)
	if i < 0 {
		return nil, false
	}
	return d.raw[d.view.offs[i]:d.view.offs[i+1]], true
}

// packCache keeps the packs decoded last, least recently used out first.
type packCache struct {
	mu    sync.Mutex
	size  int
	order []packKey // least recently used first
	packs map[packKey]*decodedPack
}

func newPackCache() *packCache { return &packCache{packs: map[packKey]*decodedPack{}} }

func (c *packCache) get(k packKey) *decodedPack {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.packs[k]
	if d != nil {
		c.touch(k)
	}
	return d
}

func (c *packCache) touch(k packKey) {
	for i, o := range c.order {
		if o == k {
			copy(c.order[i:], c.order[i+1:])
			c.order[len(c.order)-1] = k
			return
		}
	}
}

func (c *packCache) put(k packKey, d *decodedPack) {
	if len(d.raw) > packCacheBytes/4 {
		return // a pack of a huge blob: not worth evicting the others
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.packs[k]; ok {
		return
	}
	for c.size+len(d.raw) > packCacheBytes && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.size -= len(c.packs[old].raw)
		delete(c.packs, old)
	}
	c.packs[k] = d
	c.order = append(c.order, k)
	c.size += len(d.raw)
}

// checkedPacks remembers, for one run, which packs passed their checksum:
// deduplication checks each pack it reuses once per run, not each blob.
type checkedPacks struct {
	mu   sync.Mutex
	seen map[packKey]bool
}

// sound reports whether the pack record rec, of key k, passes its
// checksum, computing it the first time the run meets the pack.
func (c *checkedPacks) sound(k packKey, rec []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	ok, seen := c.seen[k]
	if !seen {
		if c.seen == nil {
			c.seen = map[packKey]bool{}
		}
		ok = packSumOK(rec)
		c.seen[k] = ok
	}
	return ok
}

// hashCacheEntries bounds the content hashes hashCache keeps: some 4 MB.
// A variable for tests.
var hashCacheEntries = 1 << 16

// hashCache keeps the content hashes of blobs of packs of format 5, which
// list none, so that walks and diffs of snapshots that share objects
// (offsite push, restore plans, diff) do not canonicalize and hash the
// same blob again. An entry is keyed by the blob's id and the version of
// its pack (key and checksum): a pack rewritten (a heal, a prune) is
// another key, so no entry outlives the bytes it was computed from. Full,
// it is emptied.
type hashCache struct {
	mu sync.Mutex
	m  map[hashCacheKey]Hash
}

type hashCacheKey struct {
	id uint64
	pk packKey
}

func newHashCache() *hashCache { return &hashCache{m: map[hashCacheKey]Hash{}} }

func (c *hashCache) get(k hashCacheKey) (Hash, bool) {
	if c == nil {
		return Hash{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[k]
	return h, ok
}

func (c *hashCache) put(k hashCacheKey, h Hash) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= hashCacheEntries {
		clear(c.m)
	}
	c.m[k] = h
}
