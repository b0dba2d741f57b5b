package app

import (
	"errors"
	"fmt"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/config"
)

// InputError is a request that the config or the caller's arguments cannot
// satisfy: an unknown workspace, a snapshot reference that names none, a
// kind that does not exist. Hint is a command that helps ("" for none).
type InputError struct {
	Msg  string
	Hint string
	// Absent is true when the request is well formed but names something
	// that does not exist (an unknown workspace, a missing plan file): the
	// command failed (exit 1), the command line was not wrong (exit 2).
	Absent bool
}

func (e *InputError) Error() string { return e.Msg }

func inputf(hint, format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// absentf is inputf for a well-formed reference to something absent.
func absentf(hint, format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...), Hint: hint, Absent: true}
}

// outputExists is the usage error (exit 2) of a command whose output
// path already exists: db backup, export and offsite restore-db write a
// new file or directory and replace none.
func outputExists(path, command string) error {
	return inputf("choose a path that does not exist yet, or move the old one away",
		"%s exists: %s writes a new one and replaces nothing", path, command)
}

// SecretError is a key or secret file of the config that could not be
// read, or a ${VAR} left unset in such a field, met by a use case that
// needs it. The config is loaded with
// config.Options.SecretsOnUse, so that such a file fails only what uses
// it: a backup of a workspace, the commands of an offsite target, a
// restore or replication into an environment. It is an ErrConfig; its
// text names the file and what is wrong with it, never a secret.
type SecretError struct {
	What string // what cannot be used: "environment stage", "offsite target nas"
	Err  error  // the config's *config.Error, one problem a line
}

func (e *SecretError) Error() string {
	msg := e.Err.Error()
	var ce *config.Error
	if errors.As(e.Err, &ce) { // one problem a line: joined into one
		lines := make([]string, len(ce.Problems))
		for i, p := range ce.Problems {
			lines[i] = p.String()
		}
		msg = strings.Join(lines, "; ")
	}
	if errors.Is(e.Err, config.ErrUnsetVariable) {
		// The process's environment is fixed when it starts: a reload of
		// the daemon does not see a variable set since.
		return e.What + ": " + msg + " (set it and check with: enspace-sync config check; a running daemon sees a variable set since its start only after a restart)"
	}
	return e.What + ": " + msg + " (fix it and check with: enspace-sync config check; a running daemon reads it again on reload, a restart for a file systemd passes with LoadCredential=)"
}

// Unwrap returns ErrConfig and the config's error.
func (e *SecretError) Unwrap() []error { return []error{ErrConfig, e.Err} }

// AllSecret reports whether errs holds at least one error and every one
// is (or wraps) a *SecretError: a command over several units (the
// workspaces of a backup, offsite targets) whose every unit failed on a
// key, password or credential file the config could not read tried
// nothing, and exits as for an invalid config (2), not as a failure (1).
func AllSecret(errs []error) bool {
	for _, err := range errs {
		if !IsSecret(err) {
			return false
		}
	}
	return len(errs) > 0
}

// IsSecret reports whether err is (or wraps) a *SecretError: a run that
// failed on a key, password or credential file the config could not read
// (a daemon job's ConfigError).
func IsSecret(err error) bool {
	var se *SecretError
	return errors.As(err, &se)
}

// Sentinel errors.
var (
	// ErrTargetChanged is returned by LoadPlan when the plan's target
	// changed since the plan was made.
	ErrTargetChanged = errors.New("the target changed since the plan was made")
	// ErrNoDatabase is returned by a use case that needs the database when
	// the Service has none.
	ErrNoDatabase = errors.New("no database")
	// ErrNothingSelected is returned by PlanRestore when the selectors
	// match nothing in the source.
	ErrNothingSelected = errors.New("nothing matches")
	// ErrConfigInvalid is returned by ReloadFile for a config that does not
	// load; the running one stays.
	ErrConfigInvalid = errors.New("the config is invalid")
	// ErrSchedulesRefused is returned by ReloadFile when the daemon refused
	// the new config's schedules; the old config is back.
	ErrSchedulesRefused = errors.New("the schedules were refused")
	// ErrConfig wraps an error of the config found while serving a
	// request (an environment whose client cannot be built).
	ErrConfig = errors.New("invalid configuration")
)
