package snapshot_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// Example backs up a workspace twice and prints what changed between the
// two snapshots.
func Example() {
	dir, err := os.MkdirTemp("", "snapshot-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := snapshot.Open(filepath.Join(dir, "enspace-sync.db"), snapshot.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	start := time.Date(2026, 3, 14, 2, 0, 0, 0, time.UTC)
	backup := func(items map[string]string) *snapshot.Snapshot {
		w, err := db.Begin("acme", start)
		if err != nil {
			log.Fatal(err)
		}
		if err := w.Put("types", "", "contracts", []byte(`{"id":7,"slug":"contracts","name":"Contracts"}`)); err != nil {
			log.Fatal(err)
		}
		for id, raw := range items {
			if err := w.Put("items", "contracts", id, []byte(raw)); err != nil {
				log.Fatal(err)
			}
		}
		s, err := w.Commit(snapshot.CommitInfo{FinishedAt: start.Add(time.Minute), Requests: 3})
		if err != nil {
			log.Fatal(err)
		}
		return s
	}
	first := backup(map[string]string{
		"1001": `{"id":1001,"data":{"name":"Lease"}}`,
		"1002": `{"id":1002,"data":{"name":"Loan"}}`,
	})
	second := backup(map[string]string{
		"1001": `{"data": {"name": "Lease"}, "id": 1001}`, // same content, other key order
		"1003": `{"id":1003,"data":{"name":"Grant"}}`,
	})
	fmt.Println(first.Status, first.Objects, "objects;", second.Objects, "objects")

	for _, coll := range db.Collections(second) {
		err := db.DiffCollection(first, second, coll, func(key string, old, new snapshot.Hash) error {
			switch {
			case old.IsZero():
				raw, _, _ := db.Lookup(second, coll, key)
				fmt.Printf("%s %s added: %s\n", coll, key, raw)
			case new.IsZero():
				fmt.Printf("%s %s removed\n", coll, key)
			default:
				fmt.Printf("%s %s changed\n", coll, key)
			}
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// complete 3 objects; 3 objects
	// items/contracts 1002 removed
	// items/contracts 1003 added: {"id":1003,"data":{"name":"Grant"}}
}
