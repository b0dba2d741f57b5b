package snapshot

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"go.etcd.io/bbolt"
)

// IDMap records, for one target workspace and one source workspace, which
// object of the target stands for which object of the source: source id →
// target id, per kind. Restore and replicate write an entry right after a
// create succeeds, so that an interrupted apply resumes without creating
// the object twice.
//
// Before a create is sent, its entry is marked pending. A pending entry
// that is still pending when the map is next loaded means the process
// stopped between sending the create and recording its answer: the object
// may exist in the target and must be looked up before it is created
// again.
//
// An IDMap keeps its entries in memory (one load per apply) and writes
// through to the database; it is safe for concurrent use.
type IDMap struct {
	db     *DB
	bucket []byte

	mu      sync.Mutex
	ids     map[string]string // kind \x00 source id -> target id
	sources map[string]string // kind \x00 target id -> source id
	pending map[string]bool   // kind \x00 source id, create sent but answer not recorded
}

// ErrIDMapReadOnly is returned when an IDMap is written through a database
// opened read-only.
var ErrIDMapReadOnly = errors.New("the id map cannot be written: database opened read-only")

const pendingMark = "\x00pending"

// IDMap loads the id map of target from source (workspace names as in the
// config). A map that was never written is empty.
func (db *DB) IDMap(target, source string) (*IDMap, error) {
	if target == "" || source == "" || strings.ContainsRune(target+source, 0) {
		return nil, fmt.Errorf("id map: bad workspace names %q and %q", target, source)
	}
	m := &IDMap{db: db, bucket: []byte(target + "\x00" + source),
		ids: map[string]string{}, sources: map[string]string{}, pending: map[string]bool{}}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		top := tx.Bucket(bucketIDMaps)
		if top == nil {
			return nil
		}
		b := top.Bucket(m.bucket)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if string(v) == pendingMark {
				m.pending[string(k)] = true
			} else {
				m.ids[string(k)] = string(v)
				kind, _, _ := strings.Cut(string(k), "\x00")
				m.sources[mapKey(kind, string(v))] = string(k[len(kind)+1:])
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load id map of %s from %s: %w", target, source, err)
	}
	return m, nil
}

func mapKey(kind, sourceID string) string { return kind + "\x00" + sourceID }

// Target returns the target id recorded for the source object.
func (m *IDMap) Target(kind, sourceID string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.ids[mapKey(kind, sourceID)]
	return id, ok
}

// Source returns the source id recorded for a target object.
func (m *IDMap) Source(kind, targetID string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.sources[mapKey(kind, targetID)]
	return id, ok
}

// Pending reports whether a create of the source object was sent and its
// answer never recorded.
func (m *IDMap) Pending(kind, sourceID string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pending[mapKey(kind, sourceID)]
}

// Len returns the number of recorded mappings.
func (m *IDMap) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.ids)
}

// MarkPending records, durably, that a create of the source object is about
// to be sent.
func (m *IDMap) MarkPending(kind, sourceID string) error {
	k := mapKey(kind, sourceID)
	if err := m.write(k, pendingMark); err != nil {
		return err
	}
	m.mu.Lock()
	m.pending[k] = true
	m.mu.Unlock()
	return nil
}

// Put records, durably, that targetID stands for the source object.
func (m *IDMap) Put(kind, sourceID, targetID string) error {
	if targetID == "" {
		return fmt.Errorf("id map: empty target id for %s %s", kind, sourceID)
	}
	k := mapKey(kind, sourceID)
	m.mu.Lock()
	same := m.ids[k] == targetID && !m.pending[k]
	m.mu.Unlock()
	if same {
		return nil
	}
	if err := m.write(k, targetID); err != nil {
		return err
	}
	m.mu.Lock()
	m.ids[k] = targetID
	m.sources[mapKey(kind, targetID)] = sourceID
	delete(m.pending, k)
	m.mu.Unlock()
	return nil
}

// write stores one entry. Concurrent writes share a transaction (bbolt's
// Batch), so a parallel apply does not pay one fsync per object.
func (m *IDMap) write(key, value string) error {
	if m.db.opts.ReadOnly {
		return ErrIDMapReadOnly
	}
	err := m.db.bolt.Batch(func(tx *bbolt.Tx) error {
		top, err := tx.CreateBucketIfNotExists(bucketIDMaps)
		if err != nil {
			return err
		}
		b, err := top.CreateBucketIfNotExists(m.bucket)
		if err != nil {
			return err
		}
		return b.Put([]byte(key), []byte(value))
	})
	if err != nil {
		return fmt.Errorf("record id map entry: %w", err)
	}
	return nil
}

// Each calls fn for every recorded mapping, in no particular order.
func (m *IDMap) Each(fn func(kind, sourceID, targetID string)) {
	m.mu.Lock()
	entries := make(map[string]string, len(m.ids))
	for k, v := range m.ids {
		entries[k] = v
	}
	m.mu.Unlock()
	for k, v := range entries {
		kind, src, _ := strings.Cut(k, "\x00")
		fn(kind, src, v)
	}
}
