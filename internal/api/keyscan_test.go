package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestKeyScan: the search for the key in a body finds exactly what
// bytes.Contains finds: the key planted at every offset of bodies of JSON
// text, near misses (the key with one byte changed, its prefixes and
// suffixes), bodies made of the key's own bytes (which send the search to
// bytes.Contains part of the way), and keys of every length around the
// table's bounds.
func TestKeyScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 4))
	page := []byte(`[{"id":1301,"type":"contracts","data":{"number":"CT-000001","client":1052,"value":105841.38,` +
		`"start_date":"2025-09-02","status":"expired","signed":true},"user":{"id":9,"email":"ana@acme.com",` +
		`"meta":{"fname":"Ana","lname":"Lima"}},"created_at":"2024-07-29T16:19:54.758Z"}]`)
	keys := []string{"en.demo000000000000000000000000000000", "abcd", "abc", "e", "0000", "ee.ee.ee.ee.ee",
		strings.Repeat("k", 256), strings.Repeat("k", 257) + "x", "sk-Zq81_aPq0x7LmN3vB2cD9eF4gH6jK1lM"}
	for range 20 {
		b := make([]byte, 4+rng.IntN(60))
		for i := range b {
			b[i] = "0123456789abcdefen.\"{}:,"[rng.IntN(24)]
		}
		keys = append(keys, string(b))
	}
	check := func(key string, body []byte) {
		t.Helper()
		if got, want := newKeyScan(key).in(body), bytes.Contains(body, []byte(key)); got != want {
			t.Fatalf("key %q in a body of %d bytes: found %v, bytes.Contains %v\nbody %q", key, len(body), got, want, body)
		}
	}
	for _, key := range keys {
		var filler []byte
		for len(filler) < 8*len(key)+300 {
			filler = append(filler, page...)
		}
		filler = filler[:8*len(key)+300]
		check(key, filler)
		check(key, nil)
		check(key, []byte(key))
		for at := 0; at+len(key) <= len(filler); at += 1 + rng.IntN(3) {
			body := bytes.Clone(filler)
			copy(body[at:], key)
			check(key, body)
			near := bytes.Clone(filler)
			copy(near[at:], key)
			near[at+rng.IntN(len(key))] ^= 1 // one byte off
			check(key, near)
			cut := bytes.Clone(filler)
			copy(cut[at:], key[:len(key)-1])
			check(key, cut)
			if len(key) > 1 {
				tail := bytes.Clone(filler)
				copy(tail[at:], key[1:])
				check(key, tail)
			}
		}
		// The key's own bytes, over and over: slow steps, then the rest by
		// bytes.Contains; with the key at the end, and without it.
		var own []byte
		for len(own) < 20*len(key)+1000 {
			own = append(own, key[:max(1, len(key)-1)]...)
		}
		check(key, own)
		check(key, append(bytes.Clone(own), key...))
		zeros := bytes.Repeat([]byte{key[len(key)-1]}, 30*len(key)+500)
		check(key, zeros)
		check(key, append(bytes.Clone(zeros), key...))
	}
}

// FuzzKeyScan: the same as bytes.Contains on any key and body.
func FuzzKeyScan(f *testing.F) {
	f.Add("en.demo0000", []byte(`{"a":"en.demo0000"}`))
	f.Add("abab", []byte("abababababababababab"))
	f.Fuzz(func(t *testing.T, key string, body []byte) {
		if key == "" {
			return
		}
		if got, want := newKeyScan(key).in(body), bytes.Contains(body, []byte(key)); got != want {
			t.Fatalf("key %q, body %q: %v, want %v", key, body, got, want)
		}
	})
}

// BenchmarkKeyScan searches a 100-object page of the fake API's items for
// the demo key, as every answer of a backup is searched, against
// bytes.Contains.
func BenchmarkKeyScan(b *testing.B) {
	obj := `{"id":1301,"type":"contracts","data":{"number":"CT-000001","client":1052,"value":105841.38,"start_date":"2025-09-02",` +
		`"end_date":"2027-09-02","status":"expired","signed":true},"user":{"id":9,"created_at":"2024-07-26T15:02:58.789Z",` +
		`"email":"ana@acme.com","meta":{"fname":"Ana","lname":"Lima"}},"created_at":"2024-07-29T16:19:54.758Z","updated_at":"2024-07-29T16:19:54.758Z"}`
	body := []byte("[" + strings.Repeat(obj+",", 99) + obj + "]")
	key := "en.demo000000000000000000000000000000"
	b.Run("keyScan", func(b *testing.B) {
		k := newKeyScan(key)
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if k.in(body) {
				b.Fatal("found")
			}
		}
	})
	b.Run("bytes.Contains", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if bytes.Contains(body, []byte(key)) {
				b.Fatal("found")
			}
		}
	})
}

// TestKeyInAnswerRefused: a list page that holds the key, anywhere in a
// page long enough for the table search, is refused with ErrInvalidBody
// and asked once (the same answer would come again), whether the page is
// JSON or not; without the key the same page lists.
func TestKeyInAnswerRefused(t *testing.T) {
	key := testKey.Reveal()
	var obj strings.Builder
	for i := range 200 {
		fmt.Fprintf(&obj, `{"id":%d,"slug":"t%d","name":"type %d e%s"}`, i+1, i+1, i+1, strings.Repeat("0", i%7))
		obj.WriteByte(',')
	}
	objs := strings.TrimSuffix(obj.String(), ",")
	pages := map[string]string{
		"clean":      "[" + objs + "]",
		"first":      `[{"id":1,"slug":"` + key + `"},` + objs[len(`{"id":1,`):] + "]",
		"middle":     "[" + objs[:len(objs)/2] + `"` + key + `"` + objs[len(objs)/2:] + "]",
		"last":       "[" + objs + `,{"id":999,"slug":"x","k":"` + key + `"}]`,
		"html":       "<html><body>" + objs + key + "</body></html>",
		"not json":   "[" + objs + "," + key,
		"in a value": "[" + strings.Replace(objs, `"type 100`, `"type `+key, 1) + "]",
	}
	for name, page := range pages {
		t.Run(name, func(t *testing.T) {
			var asked atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/count") {
					http.NotFound(w, r)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				if r.URL.Query().Get("page") != "1" {
					io.WriteString(w, "[]")
					return
				}
				asked.Add(1)
				io.WriteString(w, page)
			}))
			defer srv.Close()
			c, _ := newTestClient(t, srv.URL, nil)
			_, err := c.List(context.Background(), mustKind(t, "types"), "acme", Object{}, func([]Object) error { return nil })
			if name == "clean" {
				// The page is read: 200 rows where 100 were asked is a
				// server that ignores "limit"; the listing goes on with
				// pages of 200 and the next page is empty.
				if err != nil {
					t.Fatalf("a page without the key: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidBody) || !strings.Contains(fmt.Sprint(err), "holds the API key") {
				t.Fatalf("a page holding the key: %v, want ErrInvalidBody: the answer holds the API key", err)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("the error holds the key")
			}
			if n := asked.Load(); n != 1 {
				t.Errorf("asked %d times, want once", n)
			}
		})
	}
}
