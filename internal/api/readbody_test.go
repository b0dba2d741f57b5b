package api

import (
	"bytes"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadBody(t *testing.T) {
	body := strings.Repeat("x", 1000)
	for _, c := range []struct {
		name      string
		announced int64
		limit     int64
		want      int
	}{
		{"as announced", 1000, 2000, 1000},
		{"no length", -1, 2000, 1000},
		{"longer than announced", 10, 2000, 1000},
		{"shorter than announced", 5000, 6000, 1000},
		{"over the limit", -1, 600, 600},
		{"announced over the limit", 1000, 600, 600},
		{"longer than announced, over the limit", 10, 600, 600},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, dst := range [][]byte{nil, make([]byte, 3, 10), bytes.Repeat([]byte("y"), 4000)} {
				got, err := readBody(dst, iotest.HalfReader(strings.NewReader(body)), c.announced, c.limit)
				if err != nil || len(got) != c.want || !bytes.Equal(got, []byte(body[:c.want])) {
					t.Errorf("readBody into %d bytes of room = %d bytes, %v; want %d", cap(dst), len(got), err, c.want)
				}
			}
		})
	}
}

// TestReadBodyInto checks that a body of announced length is read into
// the buffer given when it has the room, and into a fresh one otherwise.
func TestReadBodyInto(t *testing.T) {
	body := strings.Repeat("x", 1000)
	room := make([]byte, 0, 1001)
	got, err := readBody(room, strings.NewReader(body), 1000, 2000)
	if err != nil || string(got) != body || &got[:1][0] != &room[:1][0] {
		t.Errorf("readBody into 1001 bytes of room: %d bytes, %v, same buffer %v", len(got), err, err == nil && &got[:1][0] == &room[:1][0])
	}
	small := make([]byte, 0, 1000) // no room to see a longer body end
	got, err = readBody(small, strings.NewReader(body), 1000, 2000)
	if err != nil || string(got) != body || &got[:1][0] == &small[:1][0] || cap(got) < 1100 {
		t.Errorf("readBody into 1000 bytes of room: %d bytes (room %d), %v; want a fresh buffer with room to spare", len(got), cap(got), err)
	}
}

// TestReadBodyIntoUnknownLength: a gzipped or chunked page (no
// Content-Length) is read into the lent buffer too, grown when it is too
// small, and still cut at the limit.
func TestReadBodyIntoUnknownLength(t *testing.T) {
	body := strings.Repeat("y", 3000)
	room := make([]byte, 0, 4096)
	got, err := readBody(room, strings.NewReader(body), -1, 10000)
	if err != nil || string(got) != body || &got[:1][0] != &room[:1][0] {
		t.Errorf("unknown length into 4096 bytes of room: %d bytes, %v; want the same buffer", len(got), err)
	}
	small := make([]byte, 0, 600)
	got, err = readBody(small, strings.NewReader(body), -1, 10000)
	if err != nil || string(got) != body {
		t.Errorf("unknown length into 600 bytes of room: %d bytes, %v", len(got), err)
	}
	got, err = readBody(room, strings.NewReader(body), -1, 2000)
	if err != nil || len(got) != 2000 {
		t.Errorf("unknown length past the limit: %d bytes, %v; want the first 2000 (the caller refuses a body that reaches the limit)", len(got), err)
	}
}
