package diff

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
)

// benchPairs returns n changed items shaped like the fake API's clients,
// with a server timestamp changed on each and a real change on every other.
func benchPairs(n int) []Pair {
	ps := make([]Pair, n)
	for i := range ps {
		id := strconv.Itoa(1000 + i)
		city := "São Paulo"
		if i%2 == 0 {
			city = "Campinas"
		}
		obj := `{"id":%s,"type":"clients","data":{"name":"Client %s","email":"contato@c%s.com.br","city":%q,"segment":"smb","active":true},` +
			`"user":{"id":9,"created_at":"2024-07-26T15:02:58.789Z","email":"ana@acme.com","meta":{"fname":"Ana","lname":"Lima"}},` +
			`"created_at":"2024-07-29T09:46:10.406Z","updated_at":%q}`
		ps[i] = Pair{
			Kind: "items", Parent: "clients", Key: id,
			Old: fmt.Appendf(nil, obj, id, id, id, "São Paulo", "2024-08-24T20:59:58.195Z"),
			New: fmt.Appendf(nil, obj, id, id, id, city, "2026-03-15T02:00:07.114Z"),
		}
	}
	return ps
}

// BenchmarkCompute measures the cost per pair: with 10 and with 10,000
// pairs it should stay about the same, since Compute only ever sees the
// changed objects.
func BenchmarkCompute(b *testing.B) {
	for _, n := range []int{10, 10_000} {
		ps := benchPairs(n)
		b.Run(fmt.Sprintf("pairs=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := Compute(Input{Kinds: testKinds, Pairs: slices.Values(ps)})
				if err != nil {
					b.Fatal(err)
				}
				if len(r.Changes) != n/2 {
					b.Fatalf("got %d changes, want %d", len(r.Changes), n/2)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/pair")
		})
	}
}
