package offsite

import (
	"os"
	"path/filepath"
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
