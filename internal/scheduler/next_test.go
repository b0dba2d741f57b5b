package scheduler

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/robfig/cron/v3"
)

func TestNextActivationAcrossDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(mo time.Month, d, h, mi int) time.Time { return time.Date(2026, mo, d, h, mi, 0, 0, time.UTC) }
	tests := []struct {
		name string
		spec string
		from time.Time
		want []time.Time
	}{
		{"hourly on fall-back day runs 01:00 once", "0 * * * *", time.Date(2026, 11, 1, 0, 30, 0, 0, ny),
			[]time.Time{utc(11, 1, 5, 0), utc(11, 1, 7, 0), utc(11, 1, 8, 0)}}, // 01:00 EDT, 02:00 EST, 03:00 EST
		{"@every 1h is a duration, not a reading", "@every 1h", time.Date(2026, 11, 1, 0, 0, 0, 0, ny),
			[]time.Time{utc(11, 1, 5, 0), utc(11, 1, 6, 0), utc(11, 1, 7, 0)}},
		{"hourly on spring-forward day has no 02:00", "0 * * * *", time.Date(2026, 3, 8, 0, 30, 0, 0, ny),
			[]time.Time{utc(3, 8, 6, 0), utc(3, 8, 7, 0), utc(3, 8, 8, 0)}}, // 01:00 EST, 03:00 EDT, 04:00 EDT
		{"01:30 daily on fall-back day once", "30 1 * * *", time.Date(2026, 11, 1, 0, 0, 0, 0, ny),
			[]time.Time{utc(11, 1, 5, 30), utc(11, 2, 6, 30)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sched, err := cron.ParseStandard(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			var got []time.Time
			at := tt.from
			for range tt.want {
				at = nextActivation(sched, ny, at)
				got = append(got, at.UTC())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("activations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPeriod(t *testing.T) {
	tests := []struct {
		spec string
		want time.Duration
	}{
		{"@every 6h", 6 * time.Hour},
		{"@daily", 24 * time.Hour},
		{"*/15 * * * *", 15 * time.Minute},
		{"0 4 * * 1", 7 * 24 * time.Hour},
		{"0 9,17 * * *", 16 * time.Hour}, // from 10:00 the next two are 17:00 and 09:00
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			sched, err := cron.ParseStandard(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := period(sched, time.UTC, base); got != tt.want {
				t.Errorf("period = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNewRejectsBadJobs(t *testing.T) {
	ok := Job{Name: "ok", Spec: "@daily", Run: noop}
	tests := []struct {
		name string
		opts Options
		jobs []Job
	}{
		{"empty name", Options{}, []Job{{Spec: "@daily", Run: noop}}},
		{"nil run", Options{}, []Job{{Name: "j", Spec: "@daily"}}},
		{"bad spec", Options{}, []Job{{Name: "j", Spec: "61 * * * *", Run: noop}}},
		{"six fields", Options{}, []Job{{Name: "j", Spec: "0 0 0 * * *", Run: noop}}},
		{"zone without schedule", Options{}, []Job{{Name: "j", Spec: "CRON_TZ=UTC", Run: noop}}},
		{"empty spec", Options{}, []Job{{Name: "j", Run: noop}}},
		{"never activates", Options{}, []Job{{Name: "j", Spec: "0 0 30 2 *", Run: noop}}},
		{"duplicate name", Options{}, []Job{ok, ok}},
		{"negative jitter", Options{Jitter: -time.Second}, []Job{ok}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.opts, tt.jobs...); err == nil {
				t.Fatal("New succeeded, want an error")
			} else if tt.name != "negative jitter" && !errors.Is(err, ErrInvalidJob) {
				t.Errorf("err = %v, want ErrInvalidJob", err)
			}
		})
	}
}

func noop(context.Context) error { return nil }

func FuzzNewSpec(f *testing.F) {
	for _, seed := range []string{"@daily", "@every 6h", "*/5 * * * *", "CRON_TZ=Europe/Berlin 0 3 * * 1-5",
		"0 0 30 2 *", "@every 0s", "", "* * * * * *", "TZ=Nowhere/Land @hourly", "@every -1h", "TZ=", "CRON_TZ=UTC"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := New(Options{Clock: newFakeClock(base), Location: time.UTC}, Job{Name: "j", Spec: spec, Run: noop})
		if err != nil {
			return
		}
		st := s.Status()
		if len(st) != 1 || st[0].Spec != spec {
			t.Fatalf("Status = %+v", st)
		}
	})
}
