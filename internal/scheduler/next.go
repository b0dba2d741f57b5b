package scheduler

import (
	"time"

	"github.com/robfig/cron/v3"
)

// maxRepeatSkips bounds the search past repeated wall-clock readings; a
// fall-back transition repeats a reading at most once per activation.
const maxRepeatSkips = 4

// nextActivation returns the first activation of sched strictly after t,
// computed in loc. For calendar (cron field) schedules an activation whose
// wall-clock reading in loc is not later than t's reading is passed over: in
// a fall-back hour the repeated reading runs once, not twice. Interval
// schedules (@every) are durations and are never adjusted. A zero result
// means the schedule has no activation within robfig's five-year horizon.
func nextActivation(sched cron.Schedule, loc *time.Location, t time.Time) time.Time {
	t = t.In(loc)
	n := sched.Next(t)
	if _, calendar := sched.(*cron.SpecSchedule); !calendar {
		return n
	}
	ref := wallClock(t)
	for i := 0; i < maxRepeatSkips && !n.IsZero() && !wallClock(n.In(loc)).After(ref); i++ {
		n = sched.Next(n)
	}
	return n
}

// wallClock returns t's calendar reading as if it were UTC, so that two
// readings can be compared regardless of the zone offset in effect.
func wallClock(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
}

// period returns the time between the two activations that follow now.
func period(sched cron.Schedule, loc *time.Location, now time.Time) time.Duration {
	first := nextActivation(sched, loc, now)
	if first.IsZero() {
		return 0
	}
	second := nextActivation(sched, loc, first)
	if second.IsZero() {
		return 0
	}
	return second.Sub(first)
}
