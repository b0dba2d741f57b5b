package snapshot

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
	"github.com/klauspost/compress/zstd"
)

// maxBlobSize bounds one object's raw JSON, and what a stored blob may
// decompress to.
const maxBlobSize = 64 << 20

// Hash is a SHA-256 content address: of a blob's canonical JSON, of a chunk's
// or of a root's encoding. The zero Hash means "absent".
type Hash [sha256.Size]byte

// ParseHash parses the 64 hex characters of a Hash.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, fmt.Errorf("%w: hash %q: want %d hex characters", ErrInvalid, s, 2*len(h))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("%w: hash %q: %v", ErrInvalid, s, err)
	}
	return h, nil
}

// String returns the hash as 64 lowercase hex characters.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Short returns the first 12 hex characters, for people.
func (h Hash) Short() string { return h.String()[:12] }

// IsZero reports whether h is the zero Hash (absent).
func (h Hash) IsZero() bool { return h == Hash{} }

// UnknownHash is the hash Walk and DiffCollection report for an object
// whose blob cannot be read and whose hash nothing records: a blob of a
// pack of format 5 (which lists no hashes) that does not decompress, or
// whose content is not JSON, and that no check recorded damaged with its
// hash. Every byte is 0xff, the hash of no content in practice. Blob
// refuses it (ErrCorrupt); a caller names the object as damaged, never as
// changed, and `verify --repair` or the next backup that fetches it heals
// it.
var UnknownHash = func() (h Hash) {
	for i := range h {
		h[i] = 0xff
	}
	return h
}()

// Unknown reports whether h is UnknownHash: the object's blob is damaged
// and its hash is not known.
func (h Hash) Unknown() bool { return h == UnknownHash }

// MarshalText encodes the hash as hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText decodes a hash written by MarshalText.
func (h *Hash) UnmarshalText(b []byte) error {
	p, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

func hashOf(b []byte) Hash { return sha256.Sum256(b) }

// ContentHash returns the address the store files an object's JSON under:
// the SHA-256 of its canonical form (jsonv.Canonical), which keeps numbers
// as written, so {"n":1} and {"n":1.0} are two blobs. Invalid JSON is
// ErrInvalid (and jsonv.ErrInvalid).
func ContentHash(raw []byte) (Hash, error) {
	bp := canonBufs.Get().(*[]byte)
	defer canonBufs.Put(bp)
	// One pass: an object already canonical is hashed as it is, without
	// a copy; any other is canonicalised into the pooled buffer.
	c, copied, err := jsonv.CanonicalForm(*bp, raw)
	if err != nil {
		return Hash{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if copied && cap(c) <= 1<<20 {
		*bp = c[:0] // keep the grown buffer, unless one huge object grew it
	}
	return hashOf(c), nil
}

// canonBufs holds the buffers ContentHash writes canonical forms into: a
// backup hashes every object, and a new buffer each time was a fifth of
// its allocations.
var canonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// hashFrom copies a stored 32-byte hash.
func hashFrom(b []byte) (Hash, bool) {
	var h Hash
	if len(b) != len(h) {
		return h, false
	}
	copy(h[:], b)
	return h, true
}

type zcodec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

// codec returns the shared zstd encoder and decoder; EncodeAll and DecodeAll
// are safe for concurrent use.
var codec = sync.OnceValues(func() (*zcodec, error) {
	// No frame checksum: the record holds the SHA-256 of the content, which
	// verify --read-data checks; the CRC cost 4 bytes a blob and 5% of the
	// encoding time. Frames with one (written earlier) decode the same.
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithZeroFrames(true), zstd.WithEncoderCRC(false))
	if err != nil {
		return nil, fmt.Errorf("create zstd encoder: %w", err)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxBlobSize))
	if err != nil {
		return nil, fmt.Errorf("create zstd decoder: %w", err)
	}
	return &zcodec{enc: enc, dec: dec}, nil
})

// compressTo appends the compressed raw to dst.
func compressTo(dst, raw []byte) ([]byte, error) {
	c, err := codec()
	if err != nil {
		return nil, err
	}
	return c.enc.EncodeAll(raw, dst), nil
}

// decompressTo appends the decompressed stored to dst.
func decompressTo(dst, stored []byte) ([]byte, error) {
	c, err := codec()
	if err != nil {
		return nil, err
	}
	raw, err := c.dec.DecodeAll(stored, dst)
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	return raw, nil
}

func decompress(stored []byte) ([]byte, error) {
	c, err := codec()
	if err != nil {
		return nil, err
	}
	raw, err := c.dec.DecodeAll(stored, nil)
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	return raw, nil
}

// checkBlob decompresses a stored blob and checks that its canonical JSON
// hashes to h.
func checkBlob(h Hash, stored []byte) error {
	raw, err := decompress(stored)
	if err != nil {
		return err
	}
	got, err := ContentHash(raw)
	if err != nil {
		return err
	}
	if got != h {
		return fmt.Errorf("content hashes to %s, not to its address", got.Short())
	}
	return nil
}

// packCodec returns the encoder of packs, at zstd's fastest level: the
// stronger ones saved at most 2% of the database (see the package doc,
// # Packs, for the levels measured).
var packCodec = sync.OnceValues(newPackEncoder)

// packWindow is the pack encoder's window: the power of two at or above
// twice packTarget. A pack holds at most packTarget bytes and one blob no
// larger (draftPacks), so every pack but a huge blob's own fits it whole,
// and its frame is as small as with zstd's default window (4 MiB at the
// fastest level; TestPackWindowSameFrames), whose history buffers, one per concurrent encoder,
// were 16 MiB of a backup's heap and their first touch 4,000 page faults
// (some 40 ms of CPU on the 2-core test machine, 3% of a 100,000-item
// first backup).
func packWindow() int {
	w := zstd.MinWindowSize
	for w < 2*packTarget {
		w *= 2
	}
	return w
}

func newPackEncoder() (*zstd.Encoder, error) {
	// The window first: set before the level, it keeps zstd's largest
	// block, 128 KiB (the fastest level's own choice is 64 KiB), so a
	// pack of up to packTarget (draftPacks) is one block, compressed
	// without a copy into the encoder's history: zstd took 27-38% less
	// time on packs of the fake API's items, for 0.12% more bytes.
	enc, err := zstd.NewWriter(nil, zstd.WithWindowSize(packWindow()), zstd.WithEncoderLevel(packLevel), zstd.WithZeroFrames(true), zstd.WithEncoderCRC(false))
	if err != nil {
		return nil, fmt.Errorf("create zstd encoder: %w", err)
	}
	return enc, nil
}

// packLevel is the zstd level of packs.
var packLevel = zstd.SpeedFastest

// compressPack appends the compressed raw to dst with the pack encoder.
func compressPack(dst, raw []byte) ([]byte, error) {
	enc, err := packCodec()
	if err != nil {
		return nil, err
	}
	return enc.EncodeAll(raw, dst), nil
}

// decompressPack decompresses a pack's frame of size raw bytes.
func decompressPack(frame []byte, size int) ([]byte, error) {
	c, err := codec()
	if err != nil {
		return nil, err
	}
	raw, err := c.dec.DecodeAll(frame, make([]byte, 0, size))
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	return raw, nil
}
