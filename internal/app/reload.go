package app

import (
	"github.com/enspace-sync/enspace-sync/internal/config"
)

// JobSpec is one scheduled job of the config: a workspace's backups, or a
// replication.
type JobSpec struct {
	Name        string // the workspace's or the replication's name
	Schedule    string // a cron spec or descriptor
	Replication bool
}

// Jobs lists the scheduled jobs of the current config: every workspace's
// backups, then every replication.
func (s *Service) Jobs() []JobSpec {
	cfg := s.Config()
	var out []JobSpec
	for _, ws := range cfg.Workspaces {
		out = append(out, JobSpec{Name: ws.Name, Schedule: ws.Schedule})
	}
	for _, r := range cfg.Replications {
		out = append(out, JobSpec{Name: r.Name, Schedule: r.Schedule, Replication: true})
	}
	return out
}

// Kept is a setting a reload could not change.
type Kept struct {
	Key, Value string // "database", "/var/lib/enspace-sync/enspace-sync.db"
}

// Reload makes cfg the Service's config for a running daemon. The database
// and the listen address keep their running values (a restart changes
// them); it returns those it kept. It fails, changing nothing, as
// SetConfig does.
func (s *Service) Reload(cfg *config.Config) ([]Kept, error) {
	old := s.Config()
	var kept []Kept
	if cfg.Database != old.Database {
		kept = append(kept, Kept{"database", old.Database})
		cfg.Database = old.Database
	}
	if cfg.ListenAddr() != old.ListenAddr() {
		kept = append(kept, Kept{"listen", old.Listen})
		cfg.Listen = old.Listen
	}
	return kept, s.SetConfig(cfg)
}
