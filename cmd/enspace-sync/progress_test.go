package main

import (
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	cases := []struct {
		name                              string
		objects, ofKind, total, kindTotal int64
		estimated                         bool
		elapsed                           time.Duration
		want                              string
	}{
		{"unknown total", 500, -1, 0, 0, false, 2 * time.Second, "acme: 500 objects (items), 250 objects/s"},
		{"snapshot export", 25000, 20000, 100002, 90000, false, 5 * time.Second,
			"acme: 25000 of 100002 objects (24%; items 20000 of 90000), 5000 objects/s, 15s left"},
		{"backup, total from the last snapshot", 900, -1, 1000, 0, true, 3 * time.Second,
			"acme: 900 of about 1000 objects (90%; items), 300 objects/s, 0s left"},
		{"more than the estimate", 1200, -1, 1000, 0, true, 4 * time.Second,
			"acme: 1200 of about 1000 objects (100%; items), 300 objects/s"},
	}
	for _, c := range cases {
		got := progressLine("acme", "items", c.objects, c.ofKind, c.total, c.kindTotal, c.estimated, c.elapsed)
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}
