package api

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	top := func(n int64) int64 { return n - 1 }
	for _, tt := range []struct {
		retry int
		want  time.Duration
	}{{0, 250 * time.Millisecond}, {1, 500 * time.Millisecond}, {6, 16 * time.Second}, {7, 30 * time.Second}, {62, 30 * time.Second}, {500, 30 * time.Second}} {
		if got := backoff(250*time.Millisecond, 30*time.Second, tt.retry, top); got != tt.want {
			t.Errorf("backoff(retry %d) = %s, want %s", tt.retry, got, tt.want)
		}
		if got := backoff(250*time.Millisecond, 30*time.Second, tt.retry, func(int64) int64 { return 0 }); got != 0 {
			t.Errorf("backoff(retry %d) lowest = %s, want 0", tt.retry, got)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false}, {"12", 12 * time.Second, true}, {" 0 ", 0, true}, {"1.5", 1500 * time.Millisecond, true},
		{"-3", 0, false}, {"soon", 0, false}, {"NaN", 0, false},
		{"Sun, 01 Mar 2026 12:02:00 GMT", 2 * time.Minute, true},
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0, true},
		{"99999999999999999999", 365 * 24 * time.Hour, true},
	} {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
