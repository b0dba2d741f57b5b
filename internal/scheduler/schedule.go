package scheduler

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// ErrInvalidSchedule is wrapped by ParseSchedule (and so by New, Period's
// callers and config validation) when a spec is not a usable schedule.
var ErrInvalidSchedule = errors.New("invalid schedule")

// Schedule is a parsed cron spec. This package is the only one that parses
// schedules: config validation, the daemon's readiness check and the
// scheduler's loop all go through ParseSchedule, so they agree on what a
// spec means. The zero Schedule never activates.
type Schedule struct {
	spec  string
	sched cron.Schedule
}

// neverRef is the time from which ParseSchedule checks that a spec
// activates at all. Any time works: the parser looks five years ahead, and
// every date a cron spec can name ("0 0 29 2 *") recurs within five years.
var neverRef = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// yearRef and maxGap check that a spec fires at least once a year: from the
// first of March of a year that is not a leap year, a spec that names only
// 29 February ("0 0 29 2 *") waits three years, and an "@every" interval
// over a year waits longer than maxGap; every other spec fires within it.
var yearRef = time.Date(2001, 3, 1, 0, 0, 0, 0, time.UTC)

const maxGap = 366 * 24 * time.Hour

// ParseSchedule parses a standard 5-field cron spec or a descriptor
// ("@daily", "@every 6h"), with an optional "CRON_TZ=" (or "TZ=") zone
// prefix. It never panics. The error matches ErrInvalidSchedule (errors.Is)
// and its text is the reason alone, without the spec: callers quote the spec
// with the key or job it belongs to.
// It refuses an "@every" interval under one second (the parser would
// silently round it up), a spec that never activates ("0 0 30 2 *") and
// one that does not fire within a year ("0 0 29 2 *", "@every 9000h").
func ParseSchedule(spec string) (Schedule, error) {
	sched, err := parseStandard(spec)
	if err != nil {
		return Schedule{}, invalidSchedule(err.Error())
	}
	if rest, ok := strings.CutPrefix(strings.TrimSpace(spec), "@every "); ok {
		if d, err := time.ParseDuration(strings.TrimSpace(rest)); err == nil && d < time.Second {
			return Schedule{}, invalidSchedule(fmt.Sprintf("the interval %s is under one second", d))
		}
	}
	s := Schedule{spec: spec, sched: sched}
	if s.Next(neverRef).IsZero() {
		return Schedule{}, invalidSchedule("it never activates (no such date)")
	}
	if next := s.Next(yearRef); next.Sub(yearRef) > maxGap {
		return Schedule{}, invalidSchedule(fmt.Sprintf("it does not fire within a year (after %s the next time is %s)",
			yearRef.Format("2006-01-02"), next.Format("2006-01-02")))
	}
	return s, nil
}

// scheduleError is ParseSchedule's error: its text is the reason alone, so
// that a caller's message ("... is not a cron schedule: REASON") reads well,
// and it matches ErrInvalidSchedule.
type scheduleError struct{ reason string }

func invalidSchedule(reason string) error { return &scheduleError{reason} }

func (e *scheduleError) Error() string { return e.reason }

func (e *scheduleError) Is(target error) bool { return target == ErrInvalidSchedule }

// parseStandard calls the cron parser, turning its panic on some malformed
// input (a zone prefix with nothing after it: "CRON_TZ=UTC", "TZ=") into an
// error.
func parseStandard(spec string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, errors.New("a zone prefix without a schedule, or another malformed spec")
		}
	}()
	return cron.ParseStandard(spec)
}

// String returns the spec as given to ParseSchedule.
func (s Schedule) String() string { return s.spec }

// Next returns the first activation strictly after t, computed in t's
// location (a "CRON_TZ=" prefix overrides it). For cron-field schedules an
// activation whose wall-clock reading is not later than t's is passed over,
// so a reading repeated by a fall-back transition runs once; "@every"
// schedules keep their spacing. A zero result means no activation within
// five years (or the zero Schedule).
func (s Schedule) Next(t time.Time) time.Time {
	if s.sched == nil {
		return time.Time{}
	}
	return nextActivation(s.sched, t.Location(), t)
}

// Period returns the time between the two activations that follow now,
// computed in loc (nil means time.Local); zero when there are not two.
// The scheduler uses it for the catch-up decision, the daemon for
// readiness; uneven specs ("0 9,17 * * *") give the gap that follows now.
func (s Schedule) Period(loc *time.Location, now time.Time) time.Duration {
	if s.sched == nil {
		return 0
	}
	if loc == nil {
		loc = time.Local
	}
	return period(s.sched, loc, now)
}

// Period parses spec and returns Schedule.Period; zero, and the parse
// error, when spec is not a schedule.
func Period(spec string, loc *time.Location, now time.Time) (time.Duration, error) {
	s, err := ParseSchedule(spec)
	if err != nil {
		return 0, err
	}
	return s.Period(loc, now), nil
}
