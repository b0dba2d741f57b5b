package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/app"
)

// Main is the program: its streams, its environment and the resources a
// command opened. Tests build one with their own buffers and call Run.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// IsTerminal reports whether a file descriptor is a terminal: restore,
	// replicate and apply ask before writing only on one (see
	// confirmWrites). Tests replace it; a stream that is not an *os.File
	// is asked about as fd ^uintptr(0).
	IsTerminal func(fd uintptr) bool

	log     *slog.Logger // set by loadConfig; discards until then
	closers []func() error
	// parseOnly stops every command right after its flags parsed, with
	// errParsedOnly: the README test checks its examples with it.
	parseOnly bool
}

// NewMain returns a Main wired to the process.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		IsTerminal: isTerminal, log: slog.New(slog.DiscardHandler)}
}

// command is one subcommand. Run gets the arguments after the command name.
type command struct {
	name    string // "backup", or "config check" for a command of a group
	summary string // one line for the list of commands
	usage   string // "enspace-sync backup [flags] [--workspace NAME]..."
	help    string // what it does, arguments, examples; flags are printed from the flag set
	run     func(ctx context.Context, m *Main, args []string) error
	local   bool // reads the database only: loads the config without secrets
	// allSecrets loads the config as config check does: any key or secret
	// file that cannot be used fails the command (doctor). Otherwise such
	// a file fails only what uses it: see config.Options.SecretsOnUse.
	allSecrets bool
}

// commands is filled by each command's file in init.
var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// Run runs the command named by args.
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		m.printOverview(m.Stderr)
		return &usageError{msg: "no command given", hint: "enspace-sync help"}
	}
	switch args[0] {
	case "-h", "--help", "-help":
		m.printOverview(m.Stdout)
		return nil
	case "--version", "-version":
		return commands["version"].run(ctx, m, nil)
	case "-v":
		if len(args) == 1 { // alone it asks for the version; before a command it is --verbose
			return commands["version"].run(ctx, m, nil)
		}
	}
	globals, args := leadingGlobals(args)
	if len(args) == 0 {
		return usagef("", "no command after %s", strings.Join(globals, " "))
	}
	cmd, rest := lookup(args)
	if len(globals) > 0 && cmd != nil {
		rest = append(globals, rest...)
	}
	if cmd == nil {
		if group := groupOf(args[0]); len(group) > 0 {
			hint := "enspace-sync " + args[0] + " --help"
			switch {
			case len(args) > 1 && (args[1] == "-h" || args[1] == "--help" || args[1] == "-help"):
				printGroup(m.Stdout, args[0], group)
				return nil
			case len(args) > 1 && !strings.HasPrefix(args[1], "-"):
				return &usageError{msg: fmt.Sprintf("unknown command %q: %q has %s", args[0]+" "+args[1], args[0], strings.Join(group, ", ")), hint: hint}
			}
			return &usageError{msg: fmt.Sprintf("%q needs a subcommand: %s", args[0], strings.Join(group, ", ")), hint: hint}
		}
		if strings.HasPrefix(args[0], "-") {
			if name := strings.TrimLeft(args[0], "-"); name == "config" || name == "log-level" {
				return usagef("", "%s needs a value, and a command after it", args[0])
			}
			return usagef("", "unknown flag %s before the command: only --config, --json, --log-level, -q and -v may come before it", args[0])
		}
		return usagef("", "unknown command %q", args[0])
	}
	err := cmd.run(ctx, m, rest)
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) && !describesInterruption(err) {
		err = &interruptedError{command: cmd.name, err: err}
	}
	return err
}

// interruptionDescriber is an error whose text already says what the
// interruption stopped and how far it got ("backup of acme interrupted:
// nothing was stored"): Run does not name the command again. The errors
// of other packages (demo's) implement it with a method of the same name.
type interruptionDescriber interface {
	error
	DescribesInterruption() bool
}

// describesInterruption reports whether err, or an error it wraps, says
// itself that it was interrupted. Its text is not looked at: a snapshot
// id or a server's message may hold the word.
func describesInterruption(err error) bool {
	var d interruptionDescriber
	return errors.As(err, &d) && d.DescribesInterruption()
}

// interruptedf is fmt.Errorf for an error that describes an interruption
// (see interruptionDescriber): its text is fmt.Errorf's, and it wraps
// what fmt.Errorf wraps (context.Canceled: exit status 130).
func interruptedf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return interruptedWith(err.Error(), err)
}

// interruptedWith is an error that describes an interruption (see
// interruptionDescriber) whose text is msg alone, wrapping cause
// (context.Canceled: exit status 130): for a text ending in a list
// ("not started: gamma"), which a trailing ": context canceled" would
// seem to be the error of.
func interruptedWith(msg string, cause error) error {
	return describedInterruption{msg: msg, cause: cause}
}

type describedInterruption struct {
	msg   string
	cause error
}

func (e describedInterruption) Error() string               { return e.msg }
func (e describedInterruption) Unwrap() error               { return e.cause }
func (e describedInterruption) DescribesInterruption() bool { return true }

// interruptedError is a command stopped by SIGINT or SIGTERM whose error
// does not say so itself: it names the command instead of ending in a
// bare "context canceled". It exits 130.
type interruptedError struct {
	command string
	err     error
}

func (e *interruptedError) Error() string {
	detail := strings.TrimSuffix(strings.TrimSuffix(e.err.Error(), context.Canceled.Error()), ": ")
	if detail == "" || detail == e.command {
		return e.command + " interrupted"
	}
	return e.command + " interrupted: " + detail
}

func (e *interruptedError) Unwrap() error { return e.err }

func (e *interruptedError) DescribesInterruption() bool { return true }

// leadingGlobals splits off the global flags written before the command
// ("enspace-sync --config f.yaml snapshots"): --config, --json,
// --log-level, -q/--quiet and -v/--verbose, with one or two dashes, their
// value attached with = or following. The command parses them as its own.
func leadingGlobals(args []string) (globals, rest []string) {
	for len(args) > 0 {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		if !strings.HasPrefix(args[0], "-") {
			break
		}
		switch {
		case name == "json" || name == "q" || name == "quiet" || name == "v" || name == "verbose":
			globals, args = append(globals, args[0]), args[1:]
		case (name == "config" || name == "log-level") && (hasValue || len(args) > 1):
			n := 2
			if hasValue {
				n = 1
			}
			globals, args = append(globals, args[:n]...), args[n:]
		default:
			return globals, args
		}
	}
	return globals, args
}

// lookup finds the longest command name that args start with.
func lookup(args []string) (*command, []string) {
	if len(args) >= 2 {
		if c, ok := commands[args[0]+" "+args[1]]; ok {
			return c, args[2:]
		}
	}
	if c, ok := commands[args[0]]; ok {
		return c, args[1:]
	}
	return nil, nil
}

// printGroup lists the commands of a group with their summaries.
func printGroup(w io.Writer, name string, group []string) {
	fmt.Fprintf(w, "%q groups these commands (enspace-sync help %s SUBCOMMAND):\n", name, name)
	printSummaries(w, group)
}

// printSummaries lists commands, one a line, each name padded to the
// widest and followed by its summary, wrapped to helpWidth under the
// summaries' column.
func printSummaries(w io.Writer, names []string) {
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	indent := strings.Repeat(" ", 2+width+2)
	for _, n := range names {
		first := fmt.Sprintf("  %-*s  ", width, n)
		fmt.Fprintln(w, wrapWords(strings.Fields(commands[n].summary), first, indent, helpWidth))
	}
}

// groupOf lists the subcommands of a group such as "config".
func groupOf(name string) []string {
	var out []string
	for n := range commands {
		if strings.HasPrefix(n, name+" ") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// onClose registers a function that Close calls, in reverse order.
func (m *Main) onClose(fn func() error) { m.closers = append(m.closers, fn) }

// Close releases what commands opened, last opened first.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		if err := m.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	m.closers = nil
	return errors.Join(errs...)
}

// ReportError prints err for a person and returns the exit code.
func (m *Main) ReportError(err error) int {
	code := exitCode(err)
	if err == nil || errors.Is(err, errHelp) {
		return code
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return code
	}
	fmt.Fprintf(m.Stderr, "%s %s\n", m.errorPrefix(), err)
	var ue *usageError
	var ie *app.InputError
	var fe *app.FailureError
	switch {
	case errors.As(err, &fe) && fe.Hint != "":
		fmt.Fprintf(m.Stderr, "Try: %s\n", fe.Hint)
	case errors.As(err, &ue) && ue.hint != "":
		fmt.Fprintf(m.Stderr, "Try: %s\n", ue.hint)
	case errors.As(err, &ie) && ie.Hint != "":
		fmt.Fprintf(m.Stderr, "Try: %s\n", ie.Hint)
	}
	return code
}

func (m *Main) printOverview(w io.Writer) {
	fmt.Fprint(w, `enspace-sync keeps versioned backups of Enspace workspaces, shows what
changed between them, and restores or replicates objects.

Usage:
  enspace-sync <command> [flags] [arguments]

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	printSummaries(w, names)
	fmt.Fprint(w, `
Run "enspace-sync <command> --help" for a command's flags, arguments and
examples.

`)
	fmt.Fprint(w, exitCodeTable)
}
