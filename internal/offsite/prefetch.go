package offsite

import (
	"context"
	"sync"
)

// OpenPrefetching opens the repository at b as Open does and, while the
// password's key is derived (argon2id: a fraction of a second of CPU),
// lists the target's snapshot records and index files and downloads
// them, 8 at a time, for the Snapshots and NewRestorer that a restore
// calls next: through a bucket across a network those are a round trip
// each. The bytes are only kept: they are checked against their names
// and decrypted when read, as any other. Listings are never answered
// from the prefetch: a restore lists again after it checked for a prune,
// so a prune that ended while the key was derived (its index files and
// packs deleted) is seen; a prefetched object is served only when the
// fresh listing names it. Done drops what was not asked for and waits
// for the downloads under way; a call that asks for something after
// Done, or for what is not prefetched, goes to the target.
func OpenPrefetching(ctx context.Context, b Backend, opts Options) (*Repo, func(), error) {
	pctx, cancel := context.WithCancel(ctx)
	p := &prefetcher{Backend: b, lists: map[string]*fetched{}, objs: map[string]*fetched{}}
	p.start(pctx, "snapshots/", "index/")
	done := func() {
		cancel()
		p.wg.Wait()
		p.mu.Lock()
		p.lists, p.objs = nil, nil
		p.mu.Unlock()
	}
	r, err := Open(ctx, p, opts)
	if err != nil {
		done()
		return nil, nil, err
	}
	return r, done, nil
}

// prefetchConcurrency is how many objects a prefetcher downloads at once:
// a restore's records and index files (60 for 30 daily pushes) then
// arrive while the key is derived (4 at a time took longer than the
// derivation through a target that answers after 20 ms).
const prefetchConcurrency = 8

// prefetcher is a Backend that answers the listings of some directories
// and Gets of their objects from what it downloaded beforehand, each
// once; everything else goes to the Backend.
type prefetcher struct {
	Backend
	wg    sync.WaitGroup // the listing and download goroutines
	mu    sync.Mutex
	lists map[string]*fetched // by prefix
	objs  map[string]*fetched // by name
}

// fetched is a listing or an object being prefetched.
type fetched struct {
	done  chan struct{}
	infos []ObjectInfo
	data  []byte
	err   error
}

func (p *prefetcher) start(ctx context.Context, prefixes ...string) {
	sem := make(chan struct{}, prefetchConcurrency)
	for _, prefix := range prefixes {
		l := &fetched{done: make(chan struct{})}
		p.lists[prefix] = l
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			l.err = p.Backend.List(ctx, prefix, func(o ObjectInfo) error {
				l.infos = append(l.infos, o)
				return nil
			})
			// Every object is registered before the listing is handed
			// out: a Get of a listed name finds it.
			var todo []*fetched
			p.mu.Lock()
			if l.err == nil && p.objs != nil {
				for _, o := range l.infos {
					f := &fetched{done: make(chan struct{})}
					p.objs[o.Name] = f
					todo = append(todo, f)
				}
			}
			p.mu.Unlock()
			close(l.done)
			for i, f := range todo {
				if ctx.Err() != nil { // select picks at random when both are ready
					f.err = ctx.Err()
					close(f.done)
					continue
				}
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					f.err = ctx.Err()
					close(f.done)
					continue
				}
				p.wg.Add(1)
				go func() {
					defer p.wg.Done()
					defer func() { <-sem }()
					f.data, f.err = p.Backend.Get(ctx, l.infos[i].Name)
					close(f.done)
				}()
			}
		}()
	}
}

// take removes and returns what was prefetched under key, nil if none.
func take(p *prefetcher, m func() map[string]*fetched, key string) *fetched {
	p.mu.Lock()
	defer p.mu.Unlock()
	mm := m()
	f := mm[key]
	delete(mm, key)
	return f
}

func (p *prefetcher) List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error {
	// The prefetched listing only named what to download: the caller
	// gets the target's listing as it is now.
	take(p, func() map[string]*fetched { return p.lists }, prefix)
	return p.Backend.List(ctx, prefix, fn)
}

func (p *prefetcher) Get(ctx context.Context, name string) ([]byte, error) {
	if f := take(p, func() map[string]*fetched { return p.objs }, name); f != nil {
		select {
		case <-f.done:
			if f.err == nil {
				return f.data, nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return p.Backend.Get(ctx, name)
}

// GetLimited keeps the Backend's bounded reads (keys/, locks/).
func (p *prefetcher) GetLimited(ctx context.Context, name string, max int64) ([]byte, error) {
	return getLimited(ctx, p.Backend, name, max)
}
