package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/restore"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// Exit codes of enspace-sync. The table is printed by `enspace-sync help
// exit-codes` and in the README; scripts rely on it. The rule between 1 and
// 2: a command line that is wrong in itself (an unknown flag, a missing or
// extra argument, a malformed snapshot reference such as "ab", a negative
// count) and an invalid config exit 2; a well-formed reference to something
// that does not exist (an unknown workspace or snapshot, a missing plan or
// export file) exits 1; an output path that exists already exits 2. A
// command over several units (workspaces, offsite targets, snapshots) exits
// 3 when some succeeded and some failed, naming the failed ones; when all
// failed, 2 if each failed on a secret file the config could not read
// (app.AllSecret: an invalid config, nothing was tried), 1 otherwise;
// trigger --wait exits 2 for a daemon run that failed on such a file (its
// config_error). TestExitCodeTable walks the commands against it.
const (
	ExitOK          = 0   // success
	ExitError       = 1   // the command failed (API, storage, damaged data, ...)
	ExitUsage       = 2   // bad command line or invalid configuration, or an output path that exists
	ExitPartial     = 3   // part of the work was done: a partial backup, some workspaces of a backup, failed restore steps, some offsite targets or snapshots
	ExitLocked      = 4   // the database, or an offsite target, is locked by another process
	ExitChanges     = 5   // diff --exit-code found changes (verify exits 1 on damage)
	ExitInterrupted = 130 // stopped by SIGINT or SIGTERM
)

const exitCodeTable = `Exit status:
  0    success
  1    the command failed (API error, storage error, damaged data), or what
       it names does not exist
  2    bad command line or invalid configuration (also a backup or offsite
       command whose every workspace or target failed on a key, password
       or credential file that cannot be read, and a trigger --wait run
       that failed on one), or an output path that already exists
       (db backup, export, offsite restore-db, config init)
  3    part of the work was done: a backup was stored as partial (some kinds
       could not be read), a backup of several workspaces failed some and
       stored others, some steps of a restore, replicate or apply failed,
       some offsite targets failed, or restore-db rebuilt only some snapshots
  4    the database, or an offsite target, is locked by another process
  5    diff --exit-code found changes
  130  interrupted by SIGINT or SIGTERM
`

// unitsExit is the exit status of a command over several units
// (the workspaces of a backup, offsite targets) when some failed, or (for
// a backup) a snapshot is partial: 3 when part of the work was done
// (partial); else, every unit failed: 2 when every failure was a key,
// password or credential file the config could not read (allConfig,
// app.AllSecret: an invalid config, nothing was tried), 1 otherwise.
// app.TargetsError and app.BackupsError give both.
func unitsExit(partial, allConfig bool) int {
	switch {
	case partial:
		return ExitPartial
	case allConfig:
		return ExitUsage
	}
	return ExitError
}

// usageError is a mistake on the command line: it exits 2 and prints a hint.
type usageError struct {
	msg  string
	hint string
}

func (e *usageError) Error() string { return e.msg }

// usagef builds a usageError whose hint points at the command's help.
func usagef(cmd, format string, args ...any) error {
	hint := "enspace-sync " + cmd + " --help"
	if cmd == "" {
		hint = "enspace-sync help"
	}
	return &usageError{msg: fmt.Sprintf(format, args...), hint: hint}
}

// exitError carries a specific exit code with an error (or none, when the
// command already printed what happened).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withExit attaches an exit code to err.
func withExit(code int, err error) error { return &exitError{code: code, err: err} }

// exitCode classifies err at the edge of the program.
func exitCode(err error) int {
	var ue *usageError
	var ie *app.InputError
	var ee *exitError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ie) && ie.Absent, errors.Is(err, snapshot.ErrNotFound):
		return ExitError
	case errors.Is(err, snapshot.ErrBadRef):
		return ExitUsage
	case errors.As(err, &ue), errors.As(err, &ie), errors.Is(err, app.ErrConfig):
		return ExitUsage
	case errors.Is(err, snapshot.ErrLocked):
		return ExitLocked
	case errors.Is(err, restore.ErrApplyFailed):
		return ExitPartial
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	}
	return ExitError
}
