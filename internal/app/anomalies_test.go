package app

import (
	"fmt"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/diff"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

func TestFindAnomalies(t *testing.T) {
	prev := &snapshot.Snapshot{
		Counts:      map[string]int{"members": 20, "items": 300, "request-logs": 1000, "roles": 3},
		Collections: map[string]snapshot.Collection{"items/clients": {Count: 100}, "items/contracts": {Count: 100}, "items/invoices": {Count: 100}},
	}
	cur := &snapshot.Snapshot{
		Counts:      map[string]int{"members": 13, "items": 190, "request-logs": 10, "roles": 3},
		Collections: map[string]snapshot.Collection{"items/clients": {Count: 100}, "items/invoices": {Count: 90}},
		Errors:      map[string]string{},
	}
	res := &diff.Result{Changes: []diff.Change{{Kind: "types", Key: "contracts", Op: diff.Removed}}}
	got := fmt.Sprint(findAnomalies(prev, cur, res, 0.3))
	want := fmt.Sprint([]Anomaly{
		{What: "type contracts disappeared (with its fields and items)", Selector: "type:contracts"},
		{What: "items shrank from 300 to 190 (-37%)", Selector: "items"},
		{What: "members shrank from 20 to 13 (-35%)", Selector: "members"},
	})
	if got != want {
		t.Errorf("anomalies:\n got %s\nwant %s", got, want)
	}
	if a := findAnomalies(prev, cur, res, 0); a != nil {
		t.Errorf("threshold 0 must turn the check off, got %v", a)
	}
	// A kind the newer snapshot could not read is not a drop.
	cur.Errors["members"] = "500"
	cur.Counts["items"] = 300
	res.Changes = nil
	cur.Collections["items/contracts"] = snapshot.Collection{Count: 10}
	got = fmt.Sprint(findAnomalies(prev, cur, res, 0.3))
	want = fmt.Sprint([]Anomaly{{What: "items of type contracts shrank from 100 to 10 (-90%)", Selector: "type:contracts"}})
	if got != want {
		t.Errorf("anomalies:\n got %s\nwant %s", got, want)
	}
}

// The objects that went with a disappeared type are reported with it: no
// second alarm for the kinds it emptied, but other drops still count.
func TestAnomaliesOfADisappearedType(t *testing.T) {
	prev := &snapshot.Snapshot{Counts: map[string]int{"types": 3, "fields": 17, "items": 270, "stages": 2, "members": 6}}
	cur := &snapshot.Snapshot{Counts: map[string]int{"types": 2, "fields": 10, "items": 110, "stages": 0, "members": 6}, Errors: map[string]string{}}
	res := &diff.Result{Changes: []diff.Change{{Kind: "types", Key: "contracts", Op: diff.Removed}}}
	for i := range 7 {
		res.Changes = append(res.Changes, diff.Change{Kind: "fields", Parent: "contracts", Key: fmt.Sprint(i), Op: diff.Removed})
	}
	for i := range 90 {
		res.Changes = append(res.Changes, diff.Change{Kind: "items", Parent: "contracts", Key: fmt.Sprint(i), Op: diff.Removed})
	}
	for i := range 70 { // and 70 items of another type, which is a drop of its own
		res.Changes = append(res.Changes, diff.Change{Kind: "items", Parent: "invoices", Key: fmt.Sprint(i), Op: diff.Removed})
	}
	got := fmt.Sprint(findAnomalies(prev, cur, res, 0.3))
	want := fmt.Sprint([]Anomaly{
		{What: "type contracts disappeared (with its fields and items)", Selector: "type:contracts"},
		{What: "items shrank from 180 to 110 (-39%)", Selector: "items"},
	})
	if got != want {
		t.Errorf("anomalies:\n got %s\nwant %s", got, want)
	}
}
