package offsite

import (
	"bytes"
	"errors"
	"testing"
)

// TestDecompressIntoReuses: decompressInto writes into the memory of a
// buffer large enough (restore's preparation decompresses every pack into
// the same few buffers), grows one too small, and keeps decompress's
// limit.
func TestDecompressIntoReuses(t *testing.T) {
	plain := bytes.Repeat([]byte("restore-db "), 10_000)
	z := compress(plain)
	buf := make([]byte, 0, 2*len(plain))
	got, err := decompressInto(buf, z, maxPackPlain)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("decompressInto = %d bytes, %v", len(got), err)
	}
	if &got[:1][0] != &buf[:1][0] {
		t.Error("a buffer large enough was not used")
	}
	if got, err = decompressInto(make([]byte, 0, 10), z, maxPackPlain); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("into a small buffer: %d bytes, %v", len(got), err)
	}
	if _, err := decompressInto(buf, z, len(plain)-1); !errors.Is(err, ErrCorrupt) {
		t.Errorf("past the limit: %v", err)
	}
}
