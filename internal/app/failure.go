package app

import (
	"errors"
	"fmt"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"github.com/enspace-sync/enspace-sync/internal/backup"
	"github.com/enspace-sync/enspace-sync/internal/config"
)

// FailureError is a failure (exit 1) that an admin can act on: Hint is
// the command or the check to run next. The command line prints it as
// "Try: HINT" after the error.
type FailureError struct {
	Err  error
	Hint string
}

func (e *FailureError) Error() string { return e.Err.Error() }
func (e *FailureError) Unwrap() error { return e.Err }

// explainBackup turns the errors that stop a backup at once into what an
// admin needs: the URL and the cause when the server could not be
// reached; the workspace slug and key when access was refused.
func explainBackup(err error, ws *config.Workspace, client *api.Client) error {
	switch {
	case errors.Is(err, backup.ErrUnreachable):
		return &FailureError{
			Err: fmt.Errorf("cannot reach %s (environment %s): %s; nothing was stored: %w",
				client.BaseURL(), ws.Environment, api.Cause(err), err),
			Hint: "check base_url of environment " + ws.Environment + " and the network, then run enspace-sync doctor",
		}
	case errors.Is(err, backup.ErrAccess) && api.StatusOf(err) == 403:
		return &FailureError{
			Err:  fmt.Errorf("workspace %q refused (403): check the slug, or that the key has access to it: %w", ws.Slug, err),
			Hint: "enspace-sync doctor --workspace " + ws.Name,
		}
	case errors.Is(err, backup.ErrAccess):
		return &FailureError{
			Err:  fmt.Errorf("the API key of environment %s was refused (401): %w", ws.Environment, err),
			Hint: "check api_key_file of environment " + ws.Environment + ", then run enspace-sync doctor",
		}
	}
	return err
}

// notTheAPI is the error of a backup whose every route answered 404 or an
// HTML page, with nothing stored: the base URL is most likely wrong.
func notTheAPI(ws *config.Workspace, client *api.Client) error {
	return &FailureError{
		Err: fmt.Errorf("%s answers 404 or an HTML web page on the API's routes: the base URL of environment %s is probably wrong; nothing was stored",
			client.BaseURL(), ws.Environment),
		Hint: "enspace-sync doctor (it checks the base URL, the key and the workspace)",
	}
}
