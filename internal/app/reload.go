package app

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/config"
)

// JobSpec is one scheduled job of the config: a workspace's backups, a
// replication, or the scrub.
type JobSpec struct {
	Name        string // the workspace's or the replication's name; ScrubJob for the scrub
	Schedule    string // a cron spec or descriptor
	Replication bool
	Scrub       bool
	// Offsite is an offsite target's push job (OffsiteJob); AfterBackup
	// when the daemon also runs it after every backup that stored a
	// snapshot (Schedule is then OffsiteCatchUp).
	Offsite, AfterBackup bool
	// StaleAfter is an offsite target's stale_after: how long it may go
	// without receiving a snapshot before the daemon notifies (0: never).
	StaleAfter time.Duration
}

// Jobs lists the scheduled jobs of the current config: every workspace's
// backups, then every replication, then the scrub when it is enabled.
func (s *Service) Jobs() []JobSpec {
	cfg := s.Config()
	var out []JobSpec
	for _, ws := range cfg.Workspaces {
		out = append(out, JobSpec{Name: ws.Name, Schedule: ws.Schedule})
	}
	for _, r := range cfg.Replications {
		out = append(out, JobSpec{Name: r.Name, Schedule: r.Schedule, Replication: true})
	}
	if cfg.Scrub.Enabled {
		out = append(out, JobSpec{Name: ScrubJob, Schedule: cfg.Scrub.Schedule, Scrub: true})
	}
	for _, t := range cfg.Offsite {
		j := JobSpec{Name: OffsiteJob(t.Name), Schedule: t.Schedule, Offsite: true, AfterBackup: t.AfterBackup(), StaleAfter: t.StaleAfter}
		if j.AfterBackup {
			j.Schedule = OffsiteCatchUp
		}
		out = append(out, j)
	}
	return out
}

// Kept is a setting a reload could not change.
type Kept struct {
	Key, Value string // "database", "/var/lib/enspace-sync/enspace-sync.db"
}

// Reload makes cfg the Service's config for a running daemon. The database
// and the listener's settings (listen, listen_token_file, listen_hosts,
// listen_socket) keep their running values (a restart changes them); it returns those it kept. It fails, changing nothing, as
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
	if cfg.ListenTokenFile != old.ListenTokenFile {
		kept = append(kept, Kept{"listen_token_file", old.ListenTokenFile})
		cfg.ListenTokenFile = old.ListenTokenFile
	}
	if !slices.Equal(cfg.ListenHosts, old.ListenHosts) {
		kept = append(kept, Kept{"listen_hosts", strings.Join(old.ListenHosts, ",")})
		cfg.ListenHosts = old.ListenHosts
	}
	if cfg.ListenSocket != old.ListenSocket {
		kept = append(kept, Kept{"listen_socket", old.ListenSocket.Mode + " " + old.ListenSocket.Group})
		cfg.ListenSocket = old.ListenSocket
	}
	return kept, s.SetConfig(cfg)
}

// ReloadResult is what ReloadFile read and kept.
type ReloadResult struct {
	Warnings   []string // the new config's warnings
	Kept       []Kept   // settings only a restart changes
	Workspaces int      // workspaces of the new config
}

// ReloadFile reads the config at path and makes it the Service's, as
// Reload does, then calls install (the daemon's new schedules). An invalid
// config changes nothing; when install fails, the old config is put back.
func (s *Service) ReloadFile(path string, opts config.Options, install func() error) (ReloadResult, error) {
	var res ReloadResult
	cfg, err := config.Load(path, opts)
	if err != nil {
		return res, fmt.Errorf("%w: %w", ErrConfigInvalid, err)
	}
	old := s.Config()
	res.Warnings, res.Workspaces = cfg.Warnings, len(cfg.Workspaces)
	if res.Kept, err = s.Reload(cfg); err != nil {
		return res, fmt.Errorf("%w: %w", ErrConfigInvalid, err)
	}
	if err := install(); err != nil {
		_ = s.SetConfig(old)
		return res, fmt.Errorf("%w: %w", ErrSchedulesRefused, err)
	}
	return res, nil
}
