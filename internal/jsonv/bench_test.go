package jsonv

import (
	"bytes"
	"fmt"
	"testing"
)

// benchObject is shaped like the fake API's items.
var benchObject = []byte(`{"id":1061,"type":"clients","data":{"name":"Client 1061","email":"contato@c1061.com.br","city":"São Paulo","segment":"smb","active":true,"score":12.50},` +
	`"user":{"id":9,"created_at":"2024-07-26T15:02:58.789Z","email":"ana@acme.com","meta":{"fname":"Ana","lname":"Lima"}},` +
	`"created_at":"2024-07-29T09:46:10.406Z","updated_at":"2024-08-24T20:59:58.195Z"}`)

// benchItem is an item as BenchmarkRestoreDB stores it (internal/app's
// benchItem and its "rev"): the objects restore-db hashes.
var benchItem = []byte(`{"id":51234,"type":"clients","data":{"name":"Cliente 51234 Comércio Ltda","city":"Belo Horizonte",` +
	`"segment":"smb","active":true,"email":"contato51234@example.com"},` +
	`"user":{"id":9,"created_at":"2024-01-10T08:00:00.000000Z","email":"ana@acme.com","meta":{"fname":"Ana","lname":"Lima"}},` +
	`"created_at":"2025-01-15T10:00:00.000000Z","updated_at":"2025-06-01T09:30:00.000000Z","rev":1}`)

// benchNested is a larger object nested as real ones are (a deal with its
// contacts, custom fields, stages and notes): lists of objects, keys
// that share long prefixes, escapes, text outside ASCII, nulls.
var benchNested = []byte(`{"id":"d_8f3a2c","type":"deals","title":"Renovação contrato 2026 – Acme \"Premium\"","value":{"amount":"125000.00","currency":"BRL"},` +
	`"stage":{"pipeline_id":3,"name":"Negociação","position":4,"probability":0.6,"entered_at":"2026-02-11T14:22:09Z"},` +
	`"owner":{"id":42,"name":"João Pereira","email":"joao@acme.com.br","team":{"name":"Vendas SP","id":7}},` +
	`"contacts":[{"role":"decisor","name":"Ana Lima","phones":["+55 11 91234-5678"],"email":"ana@cliente.com","id":901},` +
	`{"role":"técnico","name":"Carlos Souza","phones":[],"email":null,"id":902},{"role":"financeiro","name":"Márcia","phones":["+55 11 3333-4444","+55 11 98888-7777"],"id":903,"email":"marcia@cliente.com"}],` +
	`"custom_fields":{"custom_field_10":"Sim","custom_field_2":12,"custom_field_1":"Origem: evento","custom_field_11":null,"custom_field_3":["a","b"]},` +
	`"tags":["renovação","enterprise","q1"],"notes":"Ligar depois do carnaval.\nProposta enviada em 10/02; aguarda aprovação do jurídico.\n\t— J.P.",` +
	`"archived":false,"lost_reason":null,"created_at":"2025-11-03T09:00:00Z","updated_at":"2026-02-11T14:22:09Z"}`)

func BenchmarkCanonical(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchObject)))
	for b.Loop() {
		if _, err := Canonical(benchObject); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendCanonical is Canonical into a reused buffer, as the
// store hashes objects: no allocation.
func BenchmarkAppendCanonical(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchObject)))
	buf := make([]byte, 0, 1024)
	for b.Loop() {
		var err error
		if buf, err = AppendCanonical(buf[:0], benchObject); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEqual(b *testing.B) {
	x := mustDecode(b, string(benchObject))
	y := mustDecode(b, string(benchObject))
	b.ReportAllocs()
	for b.Loop() {
		if !Equal(x, y) {
			b.Fatal("not equal")
		}
	}
}

func BenchmarkKey(b *testing.B) {
	x := mustDecode(b, string(benchObject))
	b.ReportAllocs()
	for b.Loop() {
		_ = Key(x)
	}
}

func ExampleEqual() {
	a, _ := Decode([]byte(`{"n":1,"l":[1e2]}`))
	b, _ := Decode([]byte(`{"l":[100.0],"n":1.0}`))
	ca, _ := Canonical([]byte(`{"n":1,"l":[1e2]}`))
	cb, _ := Canonical([]byte(`{"l":[100.0],"n":1.0}`))
	fmt.Println(Equal(a, b), Key(a) == Key(b), string(ca) == string(cb))
	// Output: true true false
}

// BenchmarkCanonicalInput compares, on an object already canonical (with
// no escapes or non-ASCII), the check that lets the store hash it as it is
// with writing its canonical form.
func BenchmarkCanonicalInput(b *testing.B) {
	in, err := Canonical(bytes.ReplaceAll(benchObject, []byte("ã"), []byte("a")))
	if err != nil || !IsCanonical(in) {
		b.Fatalf("%q: %v", in, err)
	}
	buf := make([]byte, 0, 1024)
	b.Run("IsCanonical", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			_ = IsCanonical(in)
		}
	})
	b.Run("AppendCanonical", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			buf, _ = AppendCanonical(buf[:0], in)
		}
	})
}

// BenchmarkAppendValue measures a Canonicalizer on one object in the
// API's member order (not canonical: the fast path gives up at its third
// key) and on the same object already canonical (the fast path appends
// it as it is), each with and without the fast path.
func BenchmarkAppendValue(b *testing.B) {
	canonical, err := Canonical(benchObject)
	if err != nil || !IsCanonical(canonical) {
		b.Fatalf("%q: %v", canonical, err)
	}
	var z Canonicalizer
	buf := make([]byte, 0, 1024)
	for _, in := range []struct {
		name string
		raw  []byte
	}{{"api-order", benchObject}, {"canonical", canonical}} {
		b.Run(in.name+"/fast", func(b *testing.B) {
			b.SetBytes(int64(len(in.raw)))
			for b.Loop() {
				buf, _, _ = z.AppendValue(buf[:0], in.raw)
			}
		})
		b.Run(in.name+"/canonicalised", func(b *testing.B) {
			b.SetBytes(int64(len(in.raw)))
			for b.Loop() {
				buf, _, _ = z.appendValue(buf[:0], in.raw)
			}
		})
	}
}

// BenchmarkCanonicalShapes measures AppendCanonical into a reused buffer
// on objects of each shape (the fake API's items, BenchmarkRestoreDB's
// items, a nested object; keys in the API's order, so never canonical
// already), against the canonicaliser it replaced (before:
// canonical_ref_test.go), in one process so that the two alternate on a
// loaded machine.
func BenchmarkCanonicalShapes(b *testing.B) {
	buf := make([]byte, 0, 4096)
	for _, in := range []struct {
		name string
		raw  []byte
	}{{"api-item", benchObject}, {"restore-item", benchItem}, {"nested", benchNested}} {
		if IsCanonical(in.raw) {
			b.Fatalf("%s is canonical already", in.name)
		}
		for _, impl := range []struct {
			name string
			f    func(dst, raw []byte) ([]byte, error)
		}{{"current", AppendCanonical}, {"before", refAppendCanonical}} {
			b.Run(in.name+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(in.raw)))
				for b.Loop() {
					var err error
					if buf, err = impl.f(buf[:0], in.raw); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
