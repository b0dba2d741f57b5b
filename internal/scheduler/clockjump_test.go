package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestClockJumpForwardRunsOnce(t *testing.T) {
	tests := []struct {
		spec     string
		jump     time.Duration
		wantNext time.Time // first activation after the jump's catch-up run
	}{
		// 10:00 + 5h30m jump = 15:30; hourly activations 11:00..15:00 were passed over.
		{"0 * * * *", 5*time.Hour + 30*time.Minute, time.Date(2026, 1, 5, 16, 0, 0, 0, time.UTC)},
		{"@every 1h", 5*time.Hour + 30*time.Minute, base.Add(5*time.Hour + 30*time.Minute + time.Minute + time.Hour)},
		{"@daily", 72 * time.Hour, time.Date(2026, 1, 9, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			clk := newFakeClock(base)
			rec := newRecorder(clk, false)
			s := newTestScheduler(t, Options{Clock: clk, WakeInterval: time.Minute},
				Job{Name: "j", Spec: tt.spec, Run: rec.run, LastSuccess: base})
			if err := s.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			clk.BlockUntil(t, 1)
			clk.Jump(tt.jump)
			// The wall clock moved, the timer did not: the next wake-up
			// (at most one WakeInterval later) notices and runs once.
			wake := base.Add(tt.jump + time.Minute)
			expectRunAt(t, clk, 1, rec, wake)
			waitIdle(t, s, "j")
			if got := statusOf(t, s, "j").NextRun; !got.Equal(tt.wantNext) {
				t.Errorf("NextRun after the jump = %s, want %s", got, tt.wantNext)
			}
			advanceTo(t, clk, 1, tt.wantNext.Add(-time.Second))
			stop(t, s)
			if got := len(rec.got()); got != 1 {
				t.Errorf("runs after a forward jump = %d, want 1", got)
			}
		})
	}
}

func TestClockJumpBackwardWaitsForNextActivation(t *testing.T) {
	clk := newFakeClock(base) // 10:00
	rec := newRecorder(clk, false)
	s := newTestScheduler(t, Options{Clock: clk, WakeInterval: time.Minute},
		Job{Name: "j", Spec: "0 * * * *", Run: rec.run, LastSuccess: base})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	advanceTo(t, clk, 1, base.Add(30*time.Minute)) // 10:30, next 11:00
	clk.Jump(-2 * time.Hour)                       // 08:30
	advanceTo(t, clk, 1, base.Add(-90*time.Minute+time.Minute))
	if got := statusOf(t, s, "j").NextRun; !got.Equal(base.Add(-time.Hour)) {
		t.Errorf("NextRun after the jump back = %s, want 09:00", got)
	}
	expectRunAt(t, clk, 1, rec, base.Add(-time.Hour)) // 09:00, not at once
	waitIdle(t, s, "j")
	expectRunAt(t, clk, 1, rec, base) // 10:00 again, by the clock
	stop(t, s)
	want := []time.Time{base.Add(-time.Hour), base}
	if diff := cmp.Diff(want, rec.got()); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}

func TestDSTThroughTheLoop(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		spec  string
		start time.Time
		until time.Time
		want  []time.Time
	}{
		{
			name:  "fall-back hour runs once",
			spec:  "30 1 * * *",
			start: time.Date(2026, 10, 31, 12, 0, 0, 0, ny),
			until: time.Date(2026, 11, 2, 12, 0, 0, 0, ny),
			want: []time.Time{
				time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), // 01:30 EDT
				time.Date(2026, 11, 2, 6, 30, 0, 0, time.UTC), // 01:30 EST
			},
		},
		{
			name:  "spring-forward hour that does not exist is skipped",
			spec:  "30 2 * * *",
			start: time.Date(2026, 3, 7, 12, 0, 0, 0, ny),
			until: time.Date(2026, 3, 9, 12, 0, 0, 0, ny),
			want: []time.Time{
				time.Date(2026, 3, 9, 6, 30, 0, 0, time.UTC), // 02:30 EDT on the 9th
			},
		},
		{
			name:  "daily midnight keeps local midnight across the change",
			spec:  "@daily",
			start: time.Date(2026, 10, 31, 12, 0, 0, 0, ny),
			until: time.Date(2026, 11, 2, 12, 0, 0, 0, ny),
			want: []time.Time{
				time.Date(2026, 11, 1, 4, 0, 0, 0, time.UTC), // 00:00 EDT
				time.Date(2026, 11, 2, 5, 0, 0, 0, time.UTC), // 00:00 EST
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock(tt.start)
			rec := newRecorder(clk, false)
			s := newTestScheduler(t, Options{Clock: clk, Location: ny, WakeInterval: time.Hour},
				Job{Name: "j", Spec: tt.spec, Run: rec.run, LastSuccess: tt.start})
			if err := s.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, at := range tt.want {
				expectRunAt(t, clk, 1, rec, at)
				waitIdle(t, s, "j")
			}
			advanceTo(t, clk, 1, tt.until)
			stop(t, s)
			if got := len(rec.got()); got != len(tt.want) {
				t.Errorf("runs = %d, want %d: %v", got, len(tt.want), rec.got())
			}
		})
	}
}
