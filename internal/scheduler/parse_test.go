package scheduler

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		spec    string
		wantErr string // "" for a valid spec
	}{
		{"@daily", ""},
		{"@every 6h", ""},
		{"@every 1s", ""},
		{"*/15 * * * *", ""},
		{"CRON_TZ=Europe/Berlin 0 3 * * 1-5", ""},
		{"0 0 29 2 *", "does not fire within a year (after 2001-03-01 the next time is 2004-02-29)"},
		{"0 0 29 2 1", ""}, // 29 February or any Monday of February
		{"@every 8760h", ""},
		{"@every 9000h", "does not fire within a year"},
		{"", "empty spec string"},
		{"every day", "expected exactly 5 fields, found 2"},
		{"61 * * * *", "61"},
		{"0 0 0 * * *", "expected exactly 5 fields, found 6"},
		{"CRON_TZ=UTC", "zone prefix without a schedule"},
		{"TZ=", "zone prefix without a schedule"},
		{"TZ=Nowhere/Land @hourly", "Nowhere/Land"},
		{"@every 0s", "under one second"},
		{"@every 500ms", "under one second"},
		{"@every -1h", "under one second"},
		{"0 0 30 2 *", "never activates"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseSchedule(%q) = %v, want no error", tt.spec, err)
				}
				if s.String() != tt.spec {
					t.Errorf("String() = %q, want %q", s, tt.spec)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseSchedule(%q) succeeded, want an error with %q", tt.spec, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalidSchedule) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSchedule(%q) = %v, want ErrInvalidSchedule with %q", tt.spec, err, tt.wantErr)
			}
		})
	}
}

func TestScheduleNextAndPeriod(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseSchedule("0 * * * *")
	if err != nil {
		t.Fatal(err)
	}
	// Fall-back day: 01:00 EDT runs, the repeated 01:00 EST does not.
	from := time.Date(2026, 11, 1, 0, 30, 0, 0, ny)
	first := s.Next(from)
	second := s.Next(first)
	if got, want := [2]time.Time{first.UTC(), second.UTC()},
		[2]time.Time{time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC)}; got != want {
		t.Errorf("Next, Next = %v, want %v", got, want)
	}
	if got := s.Period(time.UTC, base); got != time.Hour {
		t.Errorf("Period = %s, want 1h", got)
	}
	if got, err := Period("@every 6h", nil, base); got != 6*time.Hour || err != nil {
		t.Errorf("Period(@every 6h) = %s, %v; want 6h, nil", got, err)
	}
	if got, err := Period("CRON_TZ=UTC", time.UTC, base); got != 0 || !errors.Is(err, ErrInvalidSchedule) {
		t.Errorf("Period(CRON_TZ=UTC) = %s, %v; want 0, ErrInvalidSchedule", got, err)
	}
	var zero Schedule
	if !zero.Next(base).IsZero() || zero.Period(nil, base) != 0 {
		t.Error("the zero Schedule activates")
	}
}

// A Guard shared by two schedulers (as across the daemon's reload) keeps
// one job name from running in both at once.
func TestSharedGuardPreventsOverlapAcrossSchedulers(t *testing.T) {
	clk := newFakeClock(base)
	guard := NewGuard()
	rec := newRecorder(clk, true)
	old := newTestScheduler(t, Options{Clock: clk, Guard: guard},
		Job{Name: "acme", Spec: "@daily", Run: rec.run, LastSuccess: base})
	if err := old.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if started, err := old.TriggerNow("acme"); !started || err != nil {
		t.Fatalf("TriggerNow = %v, %v; want true, nil", started, err)
	}
	rec.waitStarted(t)
	if !guard.InFlight("acme") {
		t.Error("InFlight(acme) = false during a run")
	}

	calls := 0
	replacement := newTestScheduler(t, Options{Clock: clk, Guard: guard},
		Job{Name: "acme", Spec: "@daily", Run: func(context.Context) error { calls++; return nil }, LastSuccess: base})
	if err := replacement.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if started, err := replacement.TriggerNow("acme"); started || err != nil {
		t.Errorf("TriggerNow in the replacement during the old run = %v, %v; want false, nil", started, err)
	}
	if got := statusOf(t, replacement, "acme").Skips; got != 1 {
		t.Errorf("replacement skips = %d, want 1", got)
	}

	rec.release <- struct{}{}
	waitIdle(t, old, "acme")
	if guard.InFlight("acme") {
		t.Error("InFlight(acme) = true after the run")
	}
	if started, err := replacement.TriggerNow("acme"); !started || err != nil {
		t.Errorf("TriggerNow after the old run = %v, %v; want true, nil", started, err)
	}
	waitIdle(t, replacement, "acme")
	stop(t, old)
	stop(t, replacement)
	if calls != 1 {
		t.Errorf("replacement ran %d times, want 1", calls)
	}
}
