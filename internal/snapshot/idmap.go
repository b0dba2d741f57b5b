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
// target id, per kind. Restore and replicate record an entry as soon as a
// create succeeds, so that an interrupted apply resumes without creating
// the object twice.
//
// Before the creates of a step of the apply are sent, their entries are
// marked pending, durably (MarkPending, one transaction for all of them).
// Entries recorded with Put are in memory at once and written in batches
// (at the latest by Flush). An entry found pending when the map is loaded
// means the process stopped between sending a create and writing its
// answer: the object may exist in the target and must be looked up before
// it is created again. So the pending marks make the batched writes safe:
// whatever a crash loses of them is looked up, never created twice.
//
// An IDMap is safe for concurrent use.
type IDMap struct {
	db     *DB
	bucket []byte

	mu      sync.Mutex
	ids     map[string]string // kind \x00 source id -> target id
	sources map[string]string // kind \x00 target id -> source id
	stale   map[string]bool   // kind \x00 source id: pending when the map was loaded
	queue   map[string]string // entries not yet written
}

// ErrIDMapReadOnly is returned when an IDMap is written through a database
// opened read-only.
var ErrIDMapReadOnly = errors.New("the id map cannot be written: database opened read-only")

const (
	pendingMark = "\x00pending"
	// idMapBatch is how many recorded entries Put keeps before writing them.
	idMapBatch = 512
)

// IDMap loads the id map of target from source (workspace names as in the
// config). A map that was never written is empty.
func (db *DB) IDMap(target, source string) (*IDMap, error) {
	if target == "" || source == "" || strings.ContainsRune(target+source, 0) {
		return nil, fmt.Errorf("id map: bad workspace names %q and %q", target, source)
	}
	m := &IDMap{db: db, bucket: []byte(target + "\x00" + source),
		ids: map[string]string{}, sources: map[string]string{}, stale: map[string]bool{}, queue: map[string]string{}}
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
				m.stale[string(k)] = true
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

// Pending reports whether a create of the source object was sent by an
// earlier process that never recorded its answer.
func (m *IDMap) Pending(kind, sourceID string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stale[mapKey(kind, sourceID)]
}

// Len returns the number of recorded mappings.
func (m *IDMap) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.ids)
}

// MarkPending records, durably and in one transaction, that creates of
// these source objects of kind are about to be sent. An entry they had
// is dropped: it named a target object that is gone (the engine sends no
// create for an object it has mapped), and the create replaces it.
func (m *IDMap) MarkPending(kind string, sourceIDs ...string) error {
	entries := map[string]string{}
	m.mu.Lock()
	for _, id := range sourceIDs {
		k := mapKey(kind, id)
		if old, mapped := m.ids[k]; mapped {
			delete(m.ids, k)
			if m.sources[mapKey(kind, old)] == id {
				delete(m.sources, mapKey(kind, old))
			}
			delete(m.queue, k)
		}
		entries[k] = pendingMark
	}
	m.mu.Unlock()
	if len(entries) == 0 {
		return nil
	}
	return m.write(entries)
}

// Unmark takes back, durably, the pending marks MarkPending set on these
// source objects of kind whose creates were not sent after all (the key
// was refused first): the next apply does not look them up in the target.
// A mark found when the map was loaded (an earlier process may have sent
// the create) and an entry recorded since stay.
func (m *IDMap) Unmark(kind string, sourceIDs ...string) error {
	var keys []string
	m.mu.Lock()
	for _, id := range sourceIDs {
		k := mapKey(kind, id)
		if _, mapped := m.ids[k]; mapped || m.stale[k] {
			continue
		}
		keys = append(keys, k)
	}
	m.mu.Unlock()
	if len(keys) == 0 {
		return nil
	}
	if m.db.opts.ReadOnly {
		return ErrIDMapReadOnly
	}
	err := m.db.bolt.Update(func(tx *bbolt.Tx) error {
		top := tx.Bucket(bucketIDMaps)
		if top == nil {
			return nil
		}
		b := top.Bucket(m.bucket)
		if b == nil {
			return nil
		}
		for _, k := range keys {
			if v := b.Get([]byte(k)); string(v) != pendingMark {
				continue
			}
			if err := b.Delete([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("take back id map marks: %w", err)
	}
	return nil
}

// Put records that targetID stands for the source object: at once in
// memory, durably with the next batch or Flush.
func (m *IDMap) Put(kind, sourceID, targetID string) error {
	if targetID == "" {
		return fmt.Errorf("id map: empty target id for %s %s", kind, sourceID)
	}
	k := mapKey(kind, sourceID)
	m.mu.Lock()
	if m.ids[k] == targetID && !m.stale[k] {
		m.mu.Unlock()
		return nil
	}
	m.ids[k] = targetID
	m.sources[mapKey(kind, targetID)] = sourceID
	delete(m.stale, k)
	m.queue[k] = targetID
	var batch map[string]string
	if len(m.queue) >= idMapBatch {
		batch, m.queue = m.queue, map[string]string{}
	}
	m.mu.Unlock()
	if batch != nil {
		return m.write(batch)
	}
	return nil
}

// Flush writes the entries recorded since the last write.
func (m *IDMap) Flush() error {
	m.mu.Lock()
	batch := m.queue
	m.queue = map[string]string{}
	m.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	return m.write(batch)
}

// write stores entries in one transaction.
func (m *IDMap) write(entries map[string]string) error {
	if m.db.opts.ReadOnly {
		return ErrIDMapReadOnly
	}
	err := m.db.bolt.Update(func(tx *bbolt.Tx) error {
		top, err := tx.CreateBucketIfNotExists(bucketIDMaps)
		if err != nil {
			return err
		}
		b, err := top.CreateBucketIfNotExists(m.bucket)
		if err != nil {
			return err
		}
		for k, v := range entries {
			if err := b.Put([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record id map entries: %w", err)
	}
	return nil
}
