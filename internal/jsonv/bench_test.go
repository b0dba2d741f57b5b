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
