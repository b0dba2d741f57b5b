package offsite

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// The cache keeps copies of the target's index files and snapshot
// records, as stored (encrypted), under Options.CacheDir, so that a push
// does not download them again. It only saves reads: what a target holds
// is always what its listing says (a cached object that is no longer
// listed is never used, and is removed), and a cached copy is used only
// when it hashes to its name, like one just downloaded.

func (r *Repo) cachePath(name string) string {
	if r.opts.CacheDir == "" || r.noCache {
		return ""
	}
	return filepath.Join(r.opts.CacheDir, filepath.FromSlash(name))
}

func cacheable(dir string) bool { return dir == "index/" || dir == "snapshots/" }

func (r *Repo) cacheGet(name string) []byte {
	p := r.cachePath(name)
	if p == "" {
		return nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	return b
}

func (r *Repo) cachePut(name string, b []byte) {
	p := r.cachePath(name)
	if p == "" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return
	}
	tmp := p + ".tmp"
	if os.WriteFile(tmp, b, 0o600) == nil {
		_ = os.Rename(tmp, p)
	}
}

// cacheKeep removes the cached objects of dir that the listing no longer
// holds.
func (r *Repo) cacheKeep(dir string, listed []ID) {
	p := r.cachePath(dir)
	if p == "" {
		return
	}
	keep := map[string]bool{}
	for _, id := range listed {
		keep[id.String()] = true
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !keep[e.Name()] {
			_ = os.Remove(filepath.Join(p, e.Name()))
		}
	}
}

// cacheDrop removes the cached copy of an object the target holds
// damaged, so that push and prune see the damage too (verify found it).
// cacheDropDir removes a directory of the cache (dir ends in "/").
func (r *Repo) cacheDropDir(dir string) {
	if r.opts.CacheDir != "" {
		_ = os.RemoveAll(filepath.Join(r.opts.CacheDir, filepath.FromSlash(dir)))
	}
}

func (r *Repo) cacheDrop(name string) {
	if r.opts.CacheDir != "" {
		_ = os.Remove(filepath.Join(r.opts.CacheDir, filepath.FromSlash(name)))
	}
}

// damagedFile, under Options.CacheDir, lists what a verify of this
// machine found damaged on the target, one object a line ("data/<id>",
// "snapshots/<id>"): push and prune treat such a pack as missing, and
// push checks this daemon's snapshots on the target for what they miss
// and pushes those again (doc.go, # Repair). Push removes the lines it
// dealt with.
const damagedFile = "damaged"

// recordDamage adds objects to the record of damage.
func (r *Repo) recordDamage(objects []string) {
	if r.opts.CacheDir == "" || len(objects) == 0 {
		return
	}
	have := r.damaged()
	for _, o := range objects {
		have[o] = true
	}
	r.writeDamaged(have)
}

func (r *Repo) writeDamaged(objs map[string]bool) {
	p := filepath.Join(r.opts.CacheDir, damagedFile)
	if len(objs) == 0 {
		_ = os.Remove(p)
		return
	}
	lines := make([]string, 0, len(objs))
	for o := range objs {
		lines = append(lines, o)
	}
	sort.Strings(lines)
	if err := os.MkdirAll(r.opts.CacheDir, 0o700); err != nil {
		return
	}
	tmp := p + ".tmp"
	if os.WriteFile(tmp, []byte(strings.Join(lines, "\n")+"\n"), 0o600) == nil {
		_ = os.Rename(tmp, p)
	}
}

// damaged returns the record of damage.
func (r *Repo) damaged() map[string]bool {
	out := map[string]bool{}
	if r.opts.CacheDir == "" {
		return out
	}
	b, err := os.ReadFile(filepath.Join(r.opts.CacheDir, damagedFile))
	if err != nil {
		return out
	}
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out[l] = true
		}
	}
	return out
}

// damagedPacks returns the packs the record of damage names.
func (r *Repo) damagedPacks() map[ID]bool {
	out := map[ID]bool{}
	for o := range r.damaged() {
		if rest, ok := strings.CutPrefix(o, "data/"); ok {
			if id, err := ParseID(rest); err == nil {
				out[id] = true
			}
		}
	}
	return out
}

// The local cache keeps, per pack, the full ids of the data blobs whose
// ids this machine knows (ids/<pack>, sealed with the master key, the
// pack's name inside): those a push uploaded, those it downloaded and
// hashed to confirm a short name (doc.go, # Formats), and those a restore
// hashed. A pack never changes (its name is its hash), so neither do its
// blobs' ids; the files of packs data/ no longer lists are removed.
const idsDir = "ids/"

// loadIDs returns the cached ids of pack's data blobs, by offset (nil
// when none are cached).
func (r *Repo) loadIDs(pack ID) map[uint32]ID {
	b := r.cacheGet(idsDir + pack.String())
	if b == nil {
		return nil
	}
	plain, err := r.key.open(kindIDs, b)
	if err != nil {
		return nil
	}
	rd := &reader{b: plain}
	if rd.id() != pack {
		return nil
	}
	n := rd.uvarint(uint64(len(rd.b)) / uint64(1+len(ID{})))
	out := make(map[uint32]ID, n)
	for i := uint64(0); i < n && rd.err == nil; i++ {
		off := uint32(rd.uvarint(maxPackPlain))
		out[off] = rd.id()
	}
	if rd.err != nil || len(rd.b) != 0 {
		return nil
	}
	return out
}

// saveIDs caches the ids of pack's data blobs, by offset.
func (r *Repo) saveIDs(pack ID, ids map[uint32]ID) {
	if r.cachePath(idsDir) == "" || len(ids) == 0 {
		return
	}
	offs := make([]uint32, 0, len(ids))
	for o := range ids {
		offs = append(offs, o)
	}
	sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
	r.saveSortedIDs(pack, offs, func(i int) ID { return ids[offs[i]] }, nil, nil)
}

// saveSortedIDs caches id(i) as the id of the data blob at offs[i]; offs
// ascend, each once (what saveIDs writes, without a map: a restore
// caches every object's id, and building the map and sorting its keys
// took 0.4 CPU-s at a million objects). It builds the file in buf's
// memory and seals it into sealed's, when large enough, and returns both
// for the next call (a restore writes a file a pack).
func (r *Repo) saveSortedIDs(pack ID, offs []uint32, id func(i int) ID, buf, sealed []byte) ([]byte, []byte) {
	if r.cachePath(idsDir) == "" || len(offs) == 0 {
		return buf, sealed
	}
	b := slices.Grow(buf[:0], len(pack)+binary.MaxVarintLen64+len(offs)*(binary.MaxVarintLen32+len(ID{})))
	b = append(b, pack[:]...)
	b = binary.AppendUvarint(b, uint64(len(offs)))
	for i, o := range offs {
		x := id(i)
		b = binary.AppendUvarint(b, uint64(o))
		b = append(b, x[:]...)
	}
	sealed, err := r.key.sealTo(sealed[:0], kindIDs, b)
	if err == nil {
		r.cachePut(idsDir+pack.String(), sealed)
	}
	return b, sealed
}
