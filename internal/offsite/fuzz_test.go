package offsite

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecode feeds untrusted bytes to every decoder of what a target
// holds: packs, index files, tree chunks, snapshot records, key files and
// sealed objects. None may panic, and what decodes must stay in bounds.
func FuzzDecode(f *testing.F) {
	var pb packBuilder
	pb.add(DataBlob, Ref{1}, []byte(`{"a":1}`))
	pb.add(TreeBlob, Ref{2}, encodeLeaf([]Entry{{Key: "k", Ref: Ref{1}}}))
	f.Add(pb.buf.Bytes())
	f.Add(encodeIndex([]IndexPack{{Pack: ID{3}, Blobs: pb.blobs}}))
	f.Add(encodeIndexV2([]IndexPack{{Pack: ID{3}, Blobs: pb.blobs}}))
	f.Add(encodeIndexAs(testIndexPacks(), 3)) // format 3, entries given by chunk
	f.Add(encodeIndex(testIndexPacks()))      // format 4
	long := testIndexPacks()
	long[0].Blobs[1].Ref = Ref{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	f.Add(encodeIndex(long)) // format 4, a long name
	f.Add(encodeLeaf([]Entry{{Key: "a", Ref: Ref{1}}, {Key: "ab", Ref: long[0].Blobs[1].Ref}}))
	f.Add(encodeDelta(Delta{Base: Ref{4}, Changes: []Change{{Key: "a", Ref: Ref{1}}, {Key: "b", Ref: long[0].Blobs[1].Ref}, {Key: "c", Removed: true}}}))
	f.Add(encodeDelta(Delta{Base: Ref{4}, Changes: []Change{{Key: "a", Ref: Ref{1}}, {Key: "b", Removed: true}}}))
	for _, name := range []string{"testdata/format1/index", "testdata/format1/data", "testdata/format3/index", "testdata/format3/data"} {
		if es, err := os.ReadDir(name); err == nil && len(es) > 0 {
			if b, err := os.ReadFile(name + "/" + es[0].Name()); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add(encodeLeaf([]Entry{{Key: "a", Ref: Ref{1}}, {Key: "ab", Ref: Ref{2}}}))
	f.Add(encodeNode([]Ref{{1}, {2}}))
	f.Add(compress([]byte(`{"name":"a","workspace":"w","local_id":"x","collections":{}}`)))
	kf, _ := sealMaster(make([]byte, 32), "pw", testKDF, testTime)
	f.Add(kf)
	f.Add([]byte{})
	mk, _ := newMasterKey(make([]byte, 32))
	sealed, _ := mk.seal(kindIndex, compress(encodeIndex(nil)))
	f.Add(sealed)
	f.Fuzz(func(t *testing.T, b []byte) {
		if blobs, err := decodePack(b); err == nil {
			for _, x := range blobs {
				if int(x.Offset)+int(x.Length) > len(b) {
					t.Fatalf("blob %+v out of a pack of %d bytes", x, len(b))
				}
			}
		}
		if packs, err := decodeIndex(b); err == nil {
			for _, p := range packs {
				for _, x := range p.Blobs {
					if uint64(x.Offset)+uint64(x.Length) > maxPackPlain {
						t.Fatalf("index entry %+v beyond a pack", x)
					}
				}
				if p.From != nil && len(p.From) != len(p.Blobs) {
					t.Fatalf("%d sources for %d blobs", len(p.From), len(p.Blobs))
				}
				for i, f := range p.From {
					if f.OK && (p.Blobs[i].Type != DataBlob || f.Entry >= maxChunkEntries) {
						t.Fatalf("entry %+v given by chunk %+v", p.Blobs[i], f)
					}
				}
			}
			// What decodes (formats 2 to 4, whose offsets only grow)
			// encodes to what decodes the same, in format 4.
			if !bytes.HasPrefix(b, indexMagicV1) {
				again, err := decodeIndex(encodeIndex(packs))
				if err != nil || len(again) != len(packs) {
					t.Fatalf("re-encoded index: %d packs, %v", len(again), err)
				}
				for i := range again {
					if !reflect.DeepEqual(again[i].Blobs, packs[i].Blobs) || len(again[i].From) != len(packs[i].From) {
						t.Fatalf("re-encoded pack %d differs", i)
					}
				}
			}
		}
		// decodeRefs accepts what decodeChunk accepts, and gives the
		// same chunk without its keys.
		c, err := decodeChunk(b)
		r, rerr := decodeRefs(b)
		if (err == nil) != (rerr == nil) {
			t.Fatalf("decodeChunk: %v; decodeRefs: %v", err, rerr)
		}
		if err == nil && !reflect.DeepEqual(withoutKeys(c), r) {
			t.Fatalf("decodeRefs: %+v; decodeChunk: %+v", r, c)
		}
		// A chunk that decodes encodes, in format 4, to one that
		// decodes the same: short and long names keep their Refs.
		if c, err := decodeChunk(b); err == nil {
			var again []byte
			switch {
			case c.delta != nil:
				again = encodeDelta(*c.delta)
			case c.leaf != nil:
				again = encodeLeaf(c.leaf)
			}
			if again != nil {
				if c2, err := decodeChunk(again); err != nil || !reflect.DeepEqual(c, c2) {
					t.Fatalf("re-encoded chunk: %+v, %v; was %+v", c2, err, c)
				}
			}
		}
		_, _ = decodeSnapshot(b)
		_, _ = parseKeyFile(b)
		if plain, err := mk.open(kindIndex, b); err == nil {
			if p, err := decompress(plain, maxIndex); err == nil {
				_, _ = decodeIndex(p)
			}
		}
	})
}

// FuzzParseURL: a target URL from the config never panics the parser,
// and what it accepts names a bucket or an absolute directory.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"file:///mnt/nas/enspace", "s3://b/p?endpoint=https://h:9000&path_style=true&region=r", "s3://", "s3://u:p@b", "file://h/x", "s3://b?endpoint=ftp://x", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseURL(s)
		if err != nil {
			return
		}
		switch l.Scheme {
		case "file":
			if !strings.HasPrefix(l.Path, "/") {
				t.Fatalf("%q: relative path %q", s, l.Path)
			}
		case "s3":
			if l.Bucket == "" || l.Endpoint == "" {
				t.Fatalf("%q: %+v", s, l)
			}
		default:
			t.Fatalf("%q: scheme %q", s, l.Scheme)
		}
	})
}

// withoutKeys returns c with every key emptied, as decodeRefs gives it.
func withoutKeys(c chunk) chunk {
	out := chunk{children: c.children}
	if c.leaf != nil {
		out.leaf = make([]Entry, len(c.leaf))
		for i, e := range c.leaf {
			out.leaf[i] = Entry{Ref: e.Ref}
		}
	}
	if c.delta != nil {
		d := &Delta{Base: c.delta.Base}
		if c.delta.Changes != nil {
			d.Changes = make([]Change, len(c.delta.Changes))
			for i, ch := range c.delta.Changes {
				d.Changes[i] = Change{Ref: ch.Ref, Removed: ch.Removed}
			}
		}
		out.delta = d
	}
	return out
}
