package snapshot

import "github.com/enspace-sync/enspace-sync/internal/idset"

// blobChecks is what a verify has found of the blobs it checked: the sound
// ones as ids in an idset.Set (blob ids are dense: under a byte each), the
// others with their state. A map of every blob's state took 214 MiB of
// anonymous memory at 1,000,002 items (issue 19); see the package doc for
// the figure now.
type blobChecks struct {
	sound idset.Set
	bad   map[uint64]blobState
}

func newBlobChecks() *blobChecks { return &blobChecks{bad: map[uint64]blobState{}} }

// seen reports whether blob id was checked.
func (c *blobChecks) seen(id uint64) bool {
	if c.sound.Has(id) {
		return true
	}
	_, ok := c.bad[id]
	return ok
}

// get returns what the check of blob id found: the zero state when it is
// sound (or was not checked).
func (c *blobChecks) get(id uint64) blobState { return c.bad[id] }

// set records what the check of blob id found.
func (c *blobChecks) set(id uint64, st blobState) {
	if st.err == "" {
		c.sound.Add(id)
		return
	}
	c.bad[id] = st
}

// count returns the number of blobs checked.
func (c *blobChecks) count() int { return c.sound.Len() + len(c.bad) }
