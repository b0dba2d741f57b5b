package app

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/offsite"
	"github.com/enspace-sync/enspace-sync/internal/retry"
)

// OffsiteJobPrefix starts the name of the daemon's push job of a target
// ("offsite:nas"): a colon never appears in a workspace's name.
const OffsiteJobPrefix = "offsite:"

// OffsiteCatchUp is the schedule of the push job of a target pushed after
// every backup: besides the push each backup triggers, it pushes what a
// failed or skipped push left (a push with nothing to do reads a few
// objects and uploads only its lock).
const OffsiteCatchUp = "@hourly"

// offsitePushRetry is how the daemon's push job retries a failed push:
// 5 attempts, waits up to 30 s, 1, 2 and 4 minutes (full jitter).
var offsitePushRetry = retry.Policy{Attempts: 5, Base: 30 * time.Second, Max: 8 * time.Minute,
	Rand: func(n int64) int64 { return rand.Int64N(n) }}

// OffsiteJob returns the daemon's job name of a target.
func OffsiteJob(target string) string { return OffsiteJobPrefix + target }

// IsOffsiteJob reports whether a job name is a target's push job, and
// which target.
func IsOffsiteJob(name string) (string, bool) { return strings.CutPrefix(name, OffsiteJobPrefix) }

// RunOffsitePush is the daemon's push job of a target: a push, retried
// with backoff when it fails (a wrong password or a bad config is not
// retried), then a forget of what the local retention dropped. ctx ends when the daemon stops: the push stops, and what it
// uploaded is reused by the next one.
func (s *Service) RunOffsitePush(ctx context.Context, name string) JobResult {
	target, _ := IsOffsiteJob(name)
	res := JobResult{RunInfo: RunInfo{StartedAt: time.Now().UTC()}, Workspace: name}
	var last OffsitePush
	p := offsitePushRetry
	p.OnWait = func(attempt int, wait time.Duration, o retry.Outcome) {
		s.log.Warn("offsite push failed; retrying", "target", target, "attempt", attempt, "wait", wait.Round(time.Second), "err", o.Err)
	}
	err := p.Do(ctx, func(int) retry.Outcome {
		reps, err := s.OffsitePush(ctx, target)
		if len(reps) > 0 && (reps[0].Error == "" || len(reps[0].Pushed) > 0) {
			last = reps[0] // not the empty report of a target that could not be opened
		}
		var ie *InputError
		permanent := errors.Is(err, offsite.ErrPassword) || errors.Is(err, offsite.ErrInvalid) || errors.As(err, &ie) || errors.Is(err, ErrConfig) || ctx.Err() != nil
		return retry.Outcome{Err: err, Retry: err != nil && !permanent}
	})
	forgot := 0
	if err == nil {
		// Follow the local retention on the target too; prune, which
		// locks the target alone and reads every tree, is left to
		// `offsite prune`.
		f, ferr := s.OffsiteForget(ctx, target)
		if ferr != nil {
			s.log.Warn("offsite forget after the push failed", "target", target, "err", ferr)
		} else if len(f) > 0 {
			forgot = len(f[0].Forgotten)
		}
	}
	res.FinishedAt = time.Now().UTC()
	if last.Target != "" {
		res.Offsite = &last
	}
	switch {
	case err == nil:
		res.Status = StatusComplete
		res.Summary = fmt.Sprintf("pushed %d snapshots to %s, %s uploaded; forgot %d", len(last.Pushed), target, HumanBytes(last.Uploaded), forgot)
	case ctx.Err() != nil:
		res.Status, res.Error = StatusAborted, err.Error()
	default:
		res.Status, res.Error = StatusFailed, err.Error()
		res.ConfigError = IsSecret(err)
		res.Hint = "enspace-sync offsite push --target " + target
	}
	return res
}
