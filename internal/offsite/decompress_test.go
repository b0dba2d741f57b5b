package offsite

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// TestDecompressLimit: a frame whose content is larger than the limit is
// refused as corrupt, whether its header says so or not, and one within
// the limit comes back whole.
func TestDecompressLimit(t *testing.T) {
	big := bytes.Repeat([]byte("enspace "), 1<<12) // 32 KiB, compresses to little
	frame := compress(big)
	if got, err := decompress(frame, len(big)); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("decompress within the limit = %d bytes, %v", len(got), err)
	}
	_, err := decompress(frame, len(big)-1)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "decompresses to more than") {
		t.Errorf("decompress over the limit = %v", err)
	}
	if _, err := decompress([]byte("not zstd"), 1<<20); !errors.Is(err, ErrCorrupt) {
		t.Errorf("decompress of garbage = %v", err)
	}
}

// FuzzDecompress: bytes from a target never panic decompress, never
// yield more than the limit (below the 1 KiB minimum window, zstd
// refuses every frame), and what compress wrote comes back as it was
// under the limits the reader uses.
func FuzzDecompress(f *testing.F) {
	f.Add([]byte("hello"), uint16(100))
	f.Add(compress([]byte(`{"id":1,"name":"x"}`)), uint16(10))
	f.Add(compress(bytes.Repeat([]byte{0}, 5000)), uint16(4000))
	f.Fuzz(func(t *testing.T, b []byte, limit uint16) {
		if got, err := decompress(b, int(limit)); err == nil && len(got) > int(limit) {
			t.Fatalf("decompress gave %d bytes over a limit of %d", len(got), limit)
		}
		// Into a reused buffer larger than the limit, as restore's
		// preparation decompresses packs: the limit holds all the same.
		if got, err := decompressInto(make([]byte, 0, 1<<16), b, int(limit)); err == nil && len(got) > int(limit) {
			t.Fatalf("decompressInto gave %d bytes over a limit of %d", len(got), limit)
		}
		got, err := decompress(compress(b), maxRecord)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("round trip of %d bytes: %d bytes, %v", len(b), len(got), err)
		}
	})
}

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
