package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
)

// FuzzSplitSummed: page bodies are untrusted. The one-pass split accepts
// a body only when the general path accepts it too (jsonv.Valid, then
// decodeValidList), with the same elements byte for byte, and each sum is
// the SHA-256 of jsonv.Canonical of its element: the store's address.
func FuzzSplitSummed(f *testing.F) {
	for _, s := range []string{`[]`, ` [ ] `, `[{"id":1},{"id":2}]`, ` [ {"b":"]","a":1} , {"b":[1,{}]} ] `,
		`[{"id":1},2]`, `[{}] x`, `[{"id":1},]`, `[{"id":1}`, `{"data":[{"id":1}]}`, "[{\"k\":\"\xff\"}]",
		`[{"a":1,"a":2}]`, `[{"id":1,"id":"x","slug":"a","\u0069d":7}]`, `[{"s":"\u00e9\ud800"}]`, `[{"id" : 12 , "n":{"id":3}}]`, `[{"n":1.0e+5},{"n":-0}]`, `[{"a":{"c":[{"e":1,"d":2}],"b":0}}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var sc splitter
		names := [2]string{"id", "slug"}
		p, ok := sc.splitSummed(body, names, 3)
		if !ok {
			return
		}
		if !jsonv.Valid(body) {
			t.Fatalf("split accepted %q, which is not valid JSON", body)
		}
		lp, err := decodeValidList(body)
		if err != nil {
			t.Fatalf("split accepted %q, the decoder refuses it: %v", body, err)
		}
		if len(p.items) != len(lp.Items) || len(p.sums) != len(p.items) || lp.HasTotal {
			t.Fatalf("%q: %d elements and %d sums, decoder %d elements (total %v)", body, len(p.items), len(p.sums), len(lp.Items), lp.HasTotal)
		}
		for i := range p.items {
			if !bytes.Equal(p.items[i], lp.Items[i]) {
				t.Fatalf("%q element %d: %s, decoder %s", body, i, p.items[i], lp.Items[i])
			}
			c, err := jsonv.Canonical(p.items[i])
			if err != nil {
				t.Fatalf("%q element %d: %v", body, i, err)
			}
			if p.sums[i] != sha256.Sum256(c) {
				t.Fatalf("%q element %d: the sum is not that of its canonical form %s", body, i, c)
			}
			want, err := topLevel(p.items[i], names[:]...)
			if err != nil {
				t.Fatalf("%q element %d: %v", body, i, err)
			}
			for n := range names {
				if string(p.fields[i][n]) != string(want[n]) || (p.fields[i][n] == nil) != (want[n] == nil) {
					t.Fatalf("%q element %d field %q: %q, topLevel gives %q", body, i, names[n], p.fields[i][n], want[n])
				}
			}
		}
	})
}

// TestSplitSummedRefuses: what the one pass leaves to the general path,
// which then explains it or decodes it.
func TestSplitSummedRefuses(t *testing.T) {
	for _, s := range []string{``, ` `, `{"data":[]}`, `[1]`, `[{"a":1} {"b":2}]`, `[{"a":1},]`, `[{"a":1}] []`,
		`[{"a":01}]`, `[{"a":"` + "\x01" + `"}]`, `[{"a":1}`, `<html></html>`, `[` + strings.Repeat(`{"a":`, 10001) + `1` + strings.Repeat(`}`, 10001) + `]`} {
		var sc splitter
		if _, ok := sc.splitSummed([]byte(s), [2]string{"id", "id"}, 1); ok {
			t.Errorf("splitSummed(%.40q) accepted it", s)
		}
	}
}

// BenchmarkSplitSummed measures the one pass over a page of 100 objects
// shaped like the fake's items, against what it replaced: validating the
// whole body, cutting it into elements, canonicalising and hashing each
// element, and scanning it for its id.
func BenchmarkSplitSummed(b *testing.B) {
	body := benchPage(100)
	b.Run("one-pass", func(b *testing.B) {
		var sc splitter
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := sc.splitSummed(body, [2]string{"id", "id"}, 100); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("before", func(b *testing.B) {
		var canon []byte
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if !jsonv.Valid(body) {
				b.Fatal("invalid")
			}
			lp, err := decodeValidList(body)
			if err != nil {
				b.Fatal(err)
			}
			for _, it := range lp.Items {
				if canon, err = jsonv.AppendCanonical(canon[:0], it); err != nil {
					b.Fatal(err)
				}
				_ = sha256.Sum256(canon)
				if _, err := topLevel(it, "id", "id"); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// benchPage is a bare array of n objects shaped like the fake's items.
func benchPage(n int) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":` + strings.Repeat("1", 6) + `,"type":"contracts","data":{"title":"Contract number 123456 for the client","value":12345.5,` +
			`"client":4021,"signed":true,"status":"active","notes":"Renewal expected next year; see the attached terms."},` +
			`"user":{"id":9,"created_at":"2026-01-02T03:04:05.678Z","email":"ana@acme.com","meta":{"fname":"Ana","lname":"Lima"}},` +
			`"created_at":"2026-01-02T03:04:05.678Z","updated_at":"2026-01-02T03:04:05.678Z"}`)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// TestListSums: objects of a bare-array page carry the SHA-256 of their
// canonical form (the store's address); an envelope's are read the
// general way and carry none, and the store hashes them itself.
func TestListSums(t *testing.T) {
	for _, env := range []string{"", "data"} {
		t.Run("envelope="+env, func(t *testing.T) {
			s := newListServer(45)
			s.counts = true
			s.envelope = env
			_, got, err := listAll(t, s, "members", Object{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 45 {
				t.Fatalf("listed %d objects, want 45", len(got))
			}
			for _, o := range got {
				if o.Summed != (env == "") {
					t.Fatalf("object %s: Summed = %v with envelope %q", o.ID, o.Summed, env)
				}
				if !o.Summed {
					continue
				}
				c, err := jsonv.Canonical(o.Raw)
				if err != nil {
					t.Fatal(err)
				}
				if o.Sum != sha256.Sum256(c) {
					t.Fatalf("object %s: Sum is not the SHA-256 of %s", o.ID, c)
				}
			}
		})
	}
}

// TestFileSummedIDs: the ids and keys a page's objects are filed by, read
// from their plain text in one string a page, are those the general path
// (fileObject) gives, for numbers, plain and escaped strings, keys other
// than the id (types by slug) and objects the general path refuses; and a
// page of plain ids costs a few allocations, not one an object.
func TestFileSummedIDs(t *testing.T) {
	elems := []string{`{"id":7,"slug":"clients"}`, `{"id":"abc","slug":"x y"}`, `{"id":"a\u00e9","slug":"s"}`,
		`{"id":"é ü","slug":"ü"}`, `{"id":1.5e3,"slug":"n"}`, `{"id":-0,"slug":"m"}`, `{"id":8,"slug":"a\nb"}`,
		`{"id":"","slug":"e"}`, `{"id":null,"slug":"z"}`, `{"slug":"noid"}`, `{"id":9}`, `{"id":10,"slug":""}`,
		`{"id":" 11","slug":"sp"}`, `{"id":"q\"","slug":"q"}`, `{"id":12,"slug":"tab\tin"}`, `{"id":[1],"slug":"arr"}`}
	for _, kn := range []string{"types", "items", "members"} {
		k := mustKind(t, kn)
		l := &listing{k: k, parent: "p"}
		if k.Parent == "" {
			l.parent = ""
		}
		for _, e := range elems {
			var sc splitter
			p, ok := sc.splitSummed([]byte("["+e+"]"), idFields(k), 1)
			if !ok {
				t.Fatalf("%s: split refused", e)
			}
			got, _, _, gerr := l.fileSummed(p, nil, nil, nil)
			want, werr := fileObject(k, Object{Kind: k.Name, Parent: l.parent, Raw: p.items[0]}, p.items[0])
			if (gerr != nil) != (werr != nil) {
				t.Fatalf("%s %s: error %v, the general path %v", kn, e, gerr, werr)
			}
			if gerr != nil {
				continue
			}
			if got[0].ID != want.ID || got[0].Key != want.Key {
				t.Errorf("%s %s: id %q key %q, the general path %q and %q", kn, e, got[0].ID, got[0].Key, want.ID, want.Key)
			}
		}
	}
	var page strings.Builder
	page.WriteByte('[')
	for i := range 100 {
		if i > 0 {
			page.WriteByte(',')
		}
		fmt.Fprintf(&page, `{"id":%d,"slug":"type-%d","name":"t"}`, 1000+i, i)
	}
	page.WriteByte(']')
	k := mustKind(t, "types")
	l := &listing{k: k}
	var sc splitter
	p, ok := sc.splitSummed([]byte(page.String()), idFields(k), 100)
	if !ok {
		t.Fatal("split refused the page")
	}
	objs, text, spans := make([]Object, 0, 100), []byte(nil), [][2]span(nil)
	if a := testing.AllocsPerRun(10, func() {
		var err error
		if objs, text, spans, err = l.fileSummed(p, objs[:0], text, spans); err != nil || len(objs) != 100 {
			t.Fatalf("%d objects, %v", len(objs), err)
		}
	}); a > 1 { // the page's string of ids and keys
		t.Errorf("%.0f allocations to file a page of 100 objects", a)
	}
	if objs[42].ID != "1042" || objs[42].Key != "type-42" {
		t.Errorf("object 42: id %q, key %q", objs[42].ID, objs[42].Key)
	}
}

// TestListSumsCanonicalConcurrent: pages whose elements are already in
// canonical form (which the Canonicalizer checks and appends as they are,
// a letter outside ASCII included) and pages whose elements are not, each
// listing's pages fetched in parallel and four listings at once (run with
// -race: each page has its own splitter): every object keeps its id and
// the SHA-256 of its canonical form. The other tests' objects have
// whitespace, so they never reach that path.
func TestListSumsCanonicalConcurrent(t *testing.T) {
	s := newListServer(0)
	s.counts = true
	for i := 1; i <= 400; i++ {
		if i%40 < 20 {
			s.objs = append(s.objs, fmt.Sprintf(`{"email":"m%d@acme.com","id":%d,"name":"Araújo","type":"standard"}`, i, i))
		} else {
			s.objs = append(s.objs, fmt.Sprintf(`{"id":%d,"email":"m%d@acme.com","type":"standard"}`, i, i))
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			_, got, err := listAll(t, s, "members", Object{}, nil)
			if err != nil || len(got) != 400 {
				t.Errorf("listed %d objects, %v; want 400", len(got), err)
				return
			}
			for _, o := range got {
				c, err := jsonv.Canonical(o.Raw)
				if err != nil || !o.Summed || o.Sum != sha256.Sum256(c) {
					t.Errorf("object %s: Summed %v, the sum not that of %s (%v)", o.ID, o.Summed, c, err)
				}
				var want struct{ ID int }
				if err := json.Unmarshal(o.Raw, &want); err != nil || o.ID != strconv.Itoa(want.ID) {
					t.Errorf("object filed as %s: %s", o.ID, o.Raw)
				}
			}
		})
	}
	wg.Wait()
}
