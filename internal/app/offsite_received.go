package app

import (
	"context"
	"fmt"
	"time"
)

// OffsiteLastReceived returns when the target of the daemon's push job
// name last received one of this daemon's snapshots, from the target's
// records (through the cache; zero: never): where the daemon's stale check
// starts after a restart.
func (s *Service) OffsiteLastReceived(ctx context.Context, name string) (time.Time, error) {
	target, ok := IsOffsiteJob(name)
	if !ok {
		return time.Time{}, fmt.Errorf("%q is not an offsite push job", name)
	}
	states, err := s.OffsiteStates(ctx, target)
	if err != nil || len(states) == 0 {
		return time.Time{}, err
	}
	return states[0].LastPushed, nil
}
