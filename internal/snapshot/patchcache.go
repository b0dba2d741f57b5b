package snapshot

import (
	"bytes"
	"sync"
)

// patchCacheEntries and patchCacheBytes bound the patches decoded last
// that Lookup and the other readers keep: a restore plan looks up one key
// at a time, and decoding a patch of thousands of entries on each costs
// ten times the lookup in a full tree (BenchmarkLookupPatched).
const (
	patchCacheEntries = 4
	patchCacheBytes   = 16 << 20
)

// decodedPatch is a patch's record and what it decodes to. Its entries
// are shared by the readers: nobody changes them.
type decodedPatch struct {
	root Hash
	raw  []byte
	base Hash
	ps   []patchEntry
	size int
}

// patchCache keeps the patches decoded last, least recently used first,
// safe for concurrent readers.
type patchCache struct {
	mu   sync.Mutex
	size int
	ps   []*decodedPatch
}

func newPatchCache() *patchCache { return &patchCache{} }

// decode returns decodePatch(raw), the root stored under h, from the
// cache when it holds the same record under h.
func (c *patchCache) decode(h Hash, raw []byte) (Hash, []patchEntry, error) {
	c.mu.Lock()
	for i, d := range c.ps {
		if d.root == h && bytes.Equal(d.raw, raw) {
			copy(c.ps[i:], c.ps[i+1:])
			c.ps[len(c.ps)-1] = d
			c.mu.Unlock()
			return d.base, d.ps, nil
		}
	}
	c.mu.Unlock()
	base, ps, err := decodePatch(raw)
	if err != nil {
		return base, ps, err
	}
	d := &decodedPatch{root: h, raw: bytes.Clone(raw), base: base, ps: ps, size: len(raw)}
	for _, p := range ps {
		d.size += len(p.key) + 40 // the key, its slice header and the id
	}
	if d.size > patchCacheBytes/patchCacheEntries {
		return base, ps, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range c.ps {
		if o.root == h {
			return base, ps, nil // another reader's, just put
		}
	}
	c.ps = append(c.ps, d)
	c.size += d.size
	for len(c.ps) > patchCacheEntries || c.size > patchCacheBytes {
		c.size -= c.ps[0].size
		c.ps[0] = nil
		c.ps = c.ps[1:]
	}
	return base, ps, nil
}
