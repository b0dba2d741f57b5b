package snapshot

import (
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// keyLastCheck files the outcome of the last recorded check in the meta
// bucket (JSON, a Check).
var keyLastCheck = []byte("last-check")

// Check is the recorded outcome of a verify that could write: the daemon's
// check at start and verify --repair.
type Check struct {
	Time     time.Time `json:"time"`
	ReadData bool      `json:"read_data"`
	// Structural counts the problems no backup heals (missing or damaged
	// records, roots, chunks, index entries); Content the blobs whose bytes
	// are damaged, which the next backup that fetches them stores afresh.
	Structural int `json:"structural"`
	Content    int `json:"content"`
	// FirstProblem describes the first structural problem, "" when none.
	FirstProblem string `json:"first_problem,omitempty"`
}

// RecordCheck records rep as the last check and files its damaged blobs
// (rep.DamagedBlobs) in the damaged set, so that deduplication stops
// trusting them: the next Put of such a blob's content overwrites its
// record under the same id, which heals every snapshot that refers to it.
// It returns the check recorded. The index entries of damaged blobs are
// kept: they are what lets the fresh copy land under the old id.
func (db *DB) RecordCheck(rep *VerifyReport) (Check, error) {
	return db.recordCheck(rep, nil)
}

// recordCheck is RecordCheck; also, when not nil, in the same transaction.
func (db *DB) recordCheck(rep *VerifyReport, also func(tx *bbolt.Tx, c Check) error) (Check, error) {
	c := Check{Time: db.opts.Now().UTC(), ReadData: rep.ReadData, Structural: rep.Structural, Content: len(rep.DamagedBlobs)}
	for _, p := range rep.Problems {
		if !p.Content {
			c.FirstProblem = p.String()
			break
		}
	}
	v, err := json.Marshal(c)
	if err != nil {
		return c, err
	}
	err = db.update(func(tx *bbolt.Tx) error {
		dmg := tx.Bucket(bucketDamaged)
		for id, h := range rep.DamagedBlobs {
			if err := dmg.Put(idKey(id), h[:]); err != nil {
				return err
			}
		}
		if also != nil {
			if err := also(tx, c); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keyLastCheck, v)
	})
	if err != nil {
		return c, fmt.Errorf("record the check: %w", err)
	}
	return c, nil
}

// LastCheck returns the last recorded check; ok is false when none was.
func (db *DB) LastCheck() (c Check, ok bool, err error) {
	err = db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(keyLastCheck)
		if v == nil {
			return nil
		}
		ok = true
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("%w: last check record: %v", ErrCorrupt, err)
		}
		return nil
	})
	return c, ok, err
}

// DamagedBlobs returns the blobs recorded damaged and not healed yet: id ->
// hash.
func (db *DB) DamagedBlobs() (map[uint64]Hash, error) {
	out := map[uint64]Hash{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		dmg := tx.Bucket(bucketDamaged)
		if dmg == nil { // a database never opened read-write by this build
			return nil
		}
		return dmg.ForEach(func(k, v []byte) error {
			id, ok := idFromKey(k)
			h, hok := hashFrom(v)
			if ok && hok {
				out[id] = h
			}
			return nil
		})
	})
	return out, err
}
