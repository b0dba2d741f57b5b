package offsite

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestDecodeChunkKeys: keys rebuilt into one buffer come back as they
// were encoded, also when they outgrow the chunk's bytes (long shared
// prefixes: the buffer grows under keys already handed out), and
// decodeRefs gives the same entries without keys.
func TestDecodeChunkKeys(t *testing.T) {
	long := strings.Repeat("p", 200)
	var es []Entry
	for i := range 32 {
		es = append(es, Entry{Key: fmt.Sprintf("%s/%03d", long, i), Ref: Ref{byte(i + 1)}})
	}
	es = append(es, Entry{Key: "q", Ref: Ref{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}})
	b := encodeLeaf(es)
	c, err := decodeChunk(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.leaf, es) {
		t.Fatalf("keys: %v", c.leaf)
	}
	r, err := decodeRefs(b)
	if err != nil || !reflect.DeepEqual(r, withoutKeys(c)) {
		t.Fatalf("decodeRefs: %+v, %v", r, err)
	}
	d := Delta{Base: Ref{9}, Changes: []Change{{Key: long + "a", Ref: Ref{1}}, {Key: long + "ab", Removed: true}, {Key: long + "b", Ref: Ref{2}}}}
	c, err = decodeChunk(encodeDelta(d))
	if err != nil || !reflect.DeepEqual(*c.delta, d) {
		t.Fatalf("delta: %+v, %v", c.delta, err)
	}
	// A prefix longer than the key before is refused either way, as
	// decodeChunk refused it before it shared a buffer.
	name := make([]byte, nameLen)
	bad2 := []byte{leafFormat4, byte(nameLen), 2, 0, 1, 'a'}
	bad2 = append(bad2, name...)
	bad2 = append(bad2, 4, 1, 'b') // a 2-byte prefix (doubled) of the 1-byte key before
	bad2 = append(bad2, name...)
	good := slices.Clone(bad2)
	good[6+nameLen] = 2
	if _, err := decodeChunk(good); err != nil {
		t.Fatalf("layout: %v", err)
	}
	if _, err := decodeChunk(bad2); err == nil {
		t.Fatal("decodeChunk took a prefix longer than the key before")
	}
	if _, err := decodeRefs(bad2); err == nil {
		t.Fatal("decodeRefs took a prefix longer than the key before")
	}
}
