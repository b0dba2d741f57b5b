package app

import (
	"context"

	"github.com/enspace-sync/enspace-sync/internal/doctor"
)

// Doctor runs the read-only checks of the named workspaces (all when none
// is named) against their API: shapes, paging, counts, key scopes.
func (s *Service) Doctor(ctx context.Context, workspaces []string) (*doctor.Report, error) {
	ws, err := s.Workspaces(workspaces)
	if err != nil {
		return nil, err
	}
	// doctor loads the config with every secret (a broken one fails it
	// first); a config loaded with SecretsOnUse still never reaches a
	// server without its key.
	for _, w := range ws {
		if err := w.Env().KeyErr(); err != nil {
			return nil, &SecretError{What: "environment " + w.Environment, Err: err}
		}
	}
	return doctor.Run(ctx, doctor.Options{Workspaces: ws, UserAgent: s.userAgent(), Logger: s.log})
}
