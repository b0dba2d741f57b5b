package retry

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBackoff(t *testing.T) {
	top := func(n int64) int64 { return n - 1 }
	for _, tt := range []struct {
		retry int
		want  time.Duration
	}{{0, 250 * time.Millisecond}, {1, 500 * time.Millisecond}, {6, 16 * time.Second}, {7, 30 * time.Second}, {62, 30 * time.Second}, {500, 30 * time.Second}} {
		p := Policy{Base: 250 * time.Millisecond, Max: 30 * time.Second, Rand: top}
		if got := p.Backoff(tt.retry); got != tt.want {
			t.Errorf("Backoff(%d) highest = %s, want %s", tt.retry, got, tt.want)
		}
		p.Rand = func(int64) int64 { return 0 }
		if got := p.Backoff(tt.retry); got != 0 {
			t.Errorf("Backoff(%d) lowest = %s, want 0", tt.retry, got)
		}
		p.Rand = nil
		if got := p.Backoff(tt.retry); got != tt.want {
			t.Errorf("Backoff(%d) without jitter = %s, want %s", tt.retry, got, tt.want)
		}
	}
	if got := (Policy{Base: time.Second}).Backoff(3); got != time.Second {
		t.Errorf("Max below Base: Backoff = %s, want Base", got)
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
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// sleeps records the waits of a Policy without waiting.
type sleeps []time.Duration

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	*s = append(*s, d)
	return ctx.Err()
}

var errBusy = errors.New("busy")

func TestDo(t *testing.T) {
	tests := []struct {
		name      string
		outcomes  []Outcome // the attempts' outcomes, in order
		wantErr   string    // "" for success
		wantSleep []time.Duration
	}{
		{"success at once", []Outcome{{}}, "", nil},
		{"retried then success", []Outcome{{Err: errBusy, Retry: true}, {Err: errBusy, Retry: true}, {}}, "",
			[]time.Duration{time.Second, 2 * time.Second}},
		{"final error is returned as it is", []Outcome{{Err: errBusy}}, "busy", nil},
		{"attempts spent", []Outcome{{Err: errBusy, Retry: true}, {Err: errBusy, Retry: true}, {Err: errBusy, Retry: true}, {Err: errBusy, Retry: true}},
			"giving up after 4 attempts: busy", []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}},
		{"Retry-After lengthens the wait", []Outcome{{Err: errBusy, Retry: true, RetryAfter: 10 * time.Second, HasRetryAfter: true}, {}}, "",
			[]time.Duration{10 * time.Second}},
		{"a shorter Retry-After does not shorten it", []Outcome{{Err: errBusy, Retry: true, RetryAfter: 0, HasRetryAfter: true}, {}}, "",
			[]time.Duration{time.Second}},
		{"Retry-After beyond the limit gives up", []Outcome{{Err: errBusy, Retry: true, RetryAfter: time.Hour, HasRetryAfter: true}},
			"server asks to wait 1h0m0s, more than the 1m0s allowed: busy", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var slept sleeps
			var heard []int
			p := Policy{Attempts: 4, Base: time.Second, Max: 3 * time.Second, MaxRetryAfter: time.Minute, Sleep: slept.sleep,
				OnWait: func(attempt int, _ time.Duration, _ Outcome) { heard = append(heard, attempt) }}
			calls := 0
			err := p.Do(context.Background(), func(attempt int) Outcome {
				calls++
				if attempt != calls {
					t.Errorf("attempt %d on call %d", attempt, calls)
				}
				return tt.outcomes[attempt-1]
			})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Errorf("Do = %v, want %q", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, errBusy) {
				t.Errorf("Do = %v, which does not wrap the attempt's error", err)
			}
			if diff := cmp.Diff(tt.wantSleep, []time.Duration(slept)); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
			if len(heard) != len(tt.wantSleep) {
				t.Errorf("OnWait heard %v, want one call per sleep", heard)
			}
		})
	}
}

func TestDoStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	p := Policy{Attempts: 5, Base: time.Second, Sleep: func(ctx context.Context, _ time.Duration) error {
		cancel()
		return ctx.Err()
	}}
	err := p.Do(ctx, func(int) Outcome { calls++; return Outcome{Err: errBusy, Retry: true} })
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "last error: busy") || calls != 1 {
		t.Errorf("Do = %v after %d calls, want context.Canceled naming the last error after 1", err, calls)
	}
}

func TestZeroPolicyTriesOnce(t *testing.T) {
	calls := 0
	err := Policy{}.Do(context.Background(), func(int) Outcome { calls++; return Outcome{Err: errBusy, Retry: true} })
	if calls != 1 || !errors.Is(err, errBusy) {
		t.Errorf("Do = %v after %d calls, want busy after 1", err, calls)
	}
}
