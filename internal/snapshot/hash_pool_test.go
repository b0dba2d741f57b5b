package snapshot

import (
	"bytes"
	"testing"
)

// TestContentHashLeavesCanonicalInputAlone: an object already canonical
// is hashed as it is (jsonv.CanonicalForm returns the caller's slice), so
// ContentHash must not keep it as its pooled buffer: the next object
// canonicalised would be written over the caller's bytes (a pack's
// contents, a page being stored).
func TestContentHashLeavesCanonicalInputAlone(t *testing.T) {
	raw := make([]byte, 0, 8192)
	raw = append(raw, `{"a":"`...)
	raw = append(raw, bytes.Repeat([]byte("x"), 100)...)
	raw = append(raw, `","b":1}`...)
	keep := bytes.Clone(raw)
	other := []byte(`{"z":1,"y":"` + string(bytes.Repeat([]byte("y"), 200)) + `"}`)
	for range 100 {
		if _, err := ContentHash(raw); err != nil {
			t.Fatal(err)
		}
		if _, err := ContentHash(other); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw, keep) {
			t.Fatalf("ContentHash wrote over its canonical input: %q", raw)
		}
	}
}
