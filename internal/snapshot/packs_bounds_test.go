package snapshot

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func boundsBlob(t *testing.T, n int) pending {
	t.Helper()
	head := `{"x":"`
	raw := []byte(head + strings.Repeat("a", n-len(head)-2) + `"}`)
	if len(raw) != n {
		t.Fatalf("blob of %d, want %d", len(raw), n)
	}
	return pending{raw: raw}
}

func boundsPacks(t *testing.T, sizes ...int) [][]int {
	var batch []pending
	var idx []int
	for i, n := range sizes {
		batch = append(batch, boundsBlob(t, n))
		idx = append(idx, i)
	}
	var out [][]int
	for _, d := range draftPacks(batch, idx) {
		out = append(out, d.lens)
	}
	return out
}

func TestPackClosedBeforeTheBlobThatWouldPassTheTarget(t *testing.T) {
	P := packTarget
	cases := []struct {
		sizes []int
		want  string
	}{
		{[]int{P / 2, P / 2}, fmt.Sprint([][]int{{P / 2, P / 2}})},       // exactly packTarget: one pack
		{[]int{P / 2, P/2 + 1}, fmt.Sprint([][]int{{P / 2}, {P/2 + 1}})}, // one over: two
		{[]int{P}, fmt.Sprint([][]int{{P}})},                             // exactly packTarget alone
		{[]int{10, P, 10}, fmt.Sprint([][]int{{10}, {P}, {10}})},         // full-size blob alone
		{[]int{10, P + 1, 10}, fmt.Sprint([][]int{{10}, {P + 1}, {10}})}, // larger than a pack: alone
		{[]int{P + 1, P + 1}, fmt.Sprint([][]int{{P + 1}, {P + 1}})},     // two huge
		{[]int{P + 1}, fmt.Sprint([][]int{{P + 1}})},                     // huge first and only
		{nil, fmt.Sprint([][]int(nil))},                                  // empty batch: no pack
	}
	for _, c := range cases {
		if got := fmt.Sprint(boundsPacks(t, c.sizes...)); got != c.want {
			t.Errorf("%v: packs %s, want %s", c.sizes, got, c.want)
		}
	}
}

// Each pack of up to packTarget compresses to one zstd block and reads back.
func TestPackIsOneZstdBlock(t *testing.T) {
	var raw []byte
	for i := 0; len(raw) < 2*packTarget; i++ {
		raw = append(raw, item(i, i%7)...)
	}
	for _, n := range []int{100, 64 << 10, 64<<10 + 1, packTarget - 1, packTarget, packTarget + 1} {
		frame, err := compressPack(nil, raw[:n])
		if err != nil {
			t.Fatal(err)
		}
		var h zstd.Header
		if err := h.Decode(frame); err != nil {
			t.Fatal(err)
		}
		one := h.FirstBlock.OK && h.FirstBlock.Last
		if n <= packTarget && !one {
			t.Errorf("%d bytes: more than one block", n)
		}
		if n > packTarget && one {
			t.Errorf("%d bytes: one block", n)
		}
		back, err := decompressPack(frame, n)
		if err != nil || !bytes.Equal(back, raw[:n]) {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
}
