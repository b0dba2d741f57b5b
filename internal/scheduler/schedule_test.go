package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestScheduledRunsAtFakeTimes(t *testing.T) {
	tests := []struct {
		spec  string
		until time.Duration
		want  []time.Duration // offsets from base
	}{
		{"@every 6h", 20 * time.Hour, []time.Duration{6 * time.Hour, 12 * time.Hour, 18 * time.Hour}},
		{"0 3 * * *", 48 * time.Hour, []time.Duration{17 * time.Hour, 41 * time.Hour}},
		{"*/15 * * * *", 50 * time.Minute, []time.Duration{15 * time.Minute, 30 * time.Minute, 45 * time.Minute}},
		{"@daily", 40 * time.Hour, []time.Duration{14 * time.Hour, 38 * time.Hour}},
		{"@hourly", 150 * time.Minute, []time.Duration{time.Hour, 2 * time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			clk := newFakeClock(base)
			rec := newRecorder(clk, false)
			s := newTestScheduler(t, Options{Clock: clk, WakeInterval: time.Hour},
				Job{Name: "j", Spec: tt.spec, Run: rec.run, LastSuccess: base})
			if err := s.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, off := range tt.want {
				expectRunAt(t, clk, 1, rec, base.Add(off))
				waitIdle(t, s, "j")
			}
			advanceTo(t, clk, 1, base.Add(tt.until))
			stop(t, s)
			var got []time.Duration
			for _, at := range rec.got() {
				got = append(got, at.Sub(base))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("run offsets (-want +got):\n%s", diff)
			}
			st := statusOf(t, s, "j")
			if st.Runs != int64(len(tt.want)) || st.Skips != 0 {
				t.Errorf("runs, skips = %d, %d; want %d, 0", st.Runs, st.Skips, len(tt.want))
			}
		})
	}
}

func TestTimeZone(t *testing.T) {
	saoPaulo, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		loc  *time.Location
		spec string
		want time.Time
	}{
		{"daily UTC", time.UTC, "@daily", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"daily Sao Paulo", saoPaulo, "@daily", time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)},
		{"CRON_TZ overrides", time.UTC, "CRON_TZ=America/Sao_Paulo 0 0 * * *", time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock(start)
			rec := newRecorder(clk, false)
			s := newTestScheduler(t, Options{Clock: clk, Location: tt.loc, WakeInterval: time.Hour},
				Job{Name: "j", Spec: tt.spec, Run: rec.run, LastSuccess: start})
			if err := s.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			clk.BlockUntil(t, 1)
			if got := statusOf(t, s, "j").NextRun; !got.Equal(tt.want) {
				t.Errorf("NextRun = %s, want %s", got.UTC(), tt.want)
			}
			expectRunAt(t, clk, 1, rec, tt.want)
			advanceTo(t, clk, 1, start.Add(30*time.Hour))
			stop(t, s)
			if n := len(rec.got()); n != 1 {
				t.Errorf("runs = %d, want 1", n)
			}
		})
	}
}

func TestCatchUpAtStart(t *testing.T) {
	tests := []struct {
		name        string
		spec        string
		lastSuccess time.Time
		want        bool
	}{
		{"never ran", "@every 6h", time.Time{}, true},
		{"older than period", "@every 6h", base.Add(-7 * time.Hour), true},
		{"recent", "@every 6h", base.Add(-time.Hour), false},
		{"exactly one period", "@every 6h", base.Add(-6 * time.Hour), false},
		{"daily missed", "@daily", base.Add(-25 * time.Hour), true},
		{"daily recent", "@daily", base.Add(-23 * time.Hour), false},
		{"weekly recent", "0 4 * * 1", base.Add(-6 * 24 * time.Hour), false},
		{"weekly missed", "0 4 * * 1", base.Add(-8 * 24 * time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock(base)
			rec := newRecorder(clk, false)
			s := newTestScheduler(t, Options{Clock: clk, WakeInterval: time.Hour},
				Job{Name: "j", Spec: tt.spec, Run: rec.run, LastSuccess: tt.lastSuccess})
			if err := s.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			if tt.want {
				if at := rec.waitStarted(t); !at.Equal(base) {
					t.Errorf("catch-up at %s, want %s", at, base)
				}
			}
			clk.BlockUntil(t, 1)
			stop(t, s) // waits for any catch-up run to return
			if got := len(rec.got()) == 1; got != tt.want {
				t.Errorf("catch-up ran = %v (runs %d), want %v", got, len(rec.got()), tt.want)
			}
		})
	}
}

func TestJitterBounds(t *testing.T) {
	const jitter = 10 * time.Minute
	tests := []struct {
		name  string
		value time.Duration // what the injected source returns
	}{
		{"zero", 0},
		{"middle", 4 * time.Minute},
		{"maximum", jitter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock(base)
			rec := newRecorder(clk, false)
			var gotN int64
			rnd := func(n int64) int64 {
				gotN = n // called from the single loop goroutine only
				return int64(tt.value)
			}
			s := newTestScheduler(t, Options{Clock: clk, Jitter: jitter, Rand: rnd, WakeInterval: time.Hour},
				Job{Name: "j", Spec: "@hourly", Run: rec.run, LastSuccess: base})
			if err := s.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			advanceTo(t, clk, 1, base.Add(time.Hour))
			if tt.value > 0 {
				// The activation is due, but the run waits for its jitter.
				if st := statusOf(t, s, "j"); st.Runs != 0 || st.Waiting || st.Running {
					t.Errorf("status before the jitter elapsed = %+v, want no run", st)
				}
			}
			expectRunAt(t, clk, 1, rec, base.Add(time.Hour+tt.value))
			stop(t, s)
			if want := int64(jitter) + 1; gotN != want {
				t.Errorf("rand bound = %d, want %d (inclusive of the jitter)", gotN, want)
			}
		})
	}
}
