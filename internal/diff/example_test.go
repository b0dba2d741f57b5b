package diff_test

import (
	"fmt"
	"log"
	"os"
	"slices"

	"github.com/enspace-sync/enspace-sync/internal/diff"
)

// Example compares two backups of a workspace. Only the objects whose
// stored content differs reach Compute: here a client whose city changed,
// a client whose server timestamp alone changed, a new type, and a role
// whose permissions came back in another order with new ids.
func Example() {
	server := []string{"id", "created_at", "updated_at", "user"}
	kinds := map[string]diff.KindInfo{
		"types": {Name: "types", Label: "type", Order: 2, LabelFields: []string{"name", "slug"}, ServerAssigned: server},
		"items": {Name: "items", Label: "item", Parent: "types", Order: 4,
			LabelFields: []string{"data.name", "data.title", "id"}, ServerAssigned: server},
		"roles": {Name: "roles", Label: "role", Order: 10, LabelFields: []string{"name"},
			ServerAssigned: append(server, "permissions[].id"), Unordered: []string{"permissions"}},
	}
	pairs := []diff.Pair{
		{Kind: "items", Parent: "clients", Key: "1011",
			Old: []byte(`{"id":1011,"data":{"name":"Acme Ltda","city":"São Paulo"},"updated_at":"2026-03-01T02:00:00.000Z"}`),
			New: []byte(`{"id":1011,"data":{"name":"Acme Ltda","city":"Campinas"},"updated_at":"2026-03-08T02:00:00.000Z"}`)},
		{Kind: "items", Parent: "clients", Key: "1012",
			Old: []byte(`{"id":1012,"data":{"name":"Beta"},"updated_at":"2026-03-01T02:00:00.000Z"}`),
			New: []byte(`{"id":1012,"data":{"name":"Beta"},"updated_at":"2026-03-08T02:00:00.000Z"}`)},
		{Kind: "types", Key: "invoices", New: []byte(`{"id":9,"name":"Invoices","slug":"invoices"}`)},
		{Kind: "roles", Key: "5",
			Old: []byte(`{"id":5,"name":"Analyst","permissions":[{"id":31,"entity":"clients","action":"read"},{"id":32,"entity":"contracts","action":"read"}]}`),
			New: []byte(`{"id":5,"name":"Analyst","permissions":[{"id":40,"entity":"contracts","action":"read"},{"id":41,"entity":"clients","action":"read"}]}`)},
	}
	r, err := diff.Compute(diff.Input{Kinds: kinds, Pairs: slices.Values(pairs)})
	if err != nil {
		log.Fatal(err)
	}
	if err := diff.WriteText(os.Stdout, r, diff.TextOptions{}); err != nil {
		log.Fatal(err)
	}
	// Output:
	// types: 1 added
	// items: 1 changed
	// noise, not listed: items 1 server-only; roles 1 server-only
	//
	// types:
	//   + type invoices "Invoices"
	// items:
	//   type clients:
	//     ~ item clients/1011 "Acme Ltda": data.city: "São Paulo" -> "Campinas"
}

// ExampleFields compares two versions of one member group, whose users
// the API lists in no promised order.
func ExampleFields() {
	group := diff.KindInfo{Name: "groups", ServerAssigned: []string{"id", "updated_at"}, Unordered: []string{"users"}}
	changes, noiseOnly, err := diff.Fields(group,
		[]byte(`{"id":300,"name":"Finance","users":[14,17]}`),
		[]byte(`{"id":300,"name":"Finance & Legal","users":[17,15,14]}`))
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range changes {
		fmt.Printf("%s %s: %v -> %v\n", c.Op, c.Path, c.Old, c.New)
	}
	fmt.Println("noise only:", noiseOnly)
	// Output:
	// changed name: Finance -> Finance & Legal
	// added users[=15]: <nil> -> 15
	// noise only: false
}
