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
			got, err := readBody(iotest.HalfReader(strings.NewReader(body)), c.announced, c.limit)
			if err != nil || len(got) != c.want || !bytes.Equal(got, []byte(body[:c.want])) {
				t.Errorf("readBody = %d bytes, %v; want %d", len(got), err, c.want)
			}
		})
	}
}
