package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// newFlags returns a flag set for cmd whose errors and help go through Main.
func newFlags(cmd *command) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// errHelp is returned by parse after it printed the help.
var errHelp = errors.New("help printed")

// errParsedOnly is returned by parse when Main.parseOnly is set and the
// flags parsed.
var errParsedOnly = errors.New("flags parsed; stopped before running")

// parse parses args with flags and positional arguments in any order
// ("show latest item:x --json"); "--" ends the flags. On -h or --help it
// prints the command's help to stdout and returns errHelp, which callers
// return as is (it exits 0).
func (m *Main) parse(cmd *command, fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				m.printHelp(m.Stdout, cmd, fs)
				return nil, errHelp
			}
			return nil, usagef(cmd.name, "%s", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			if m.parseOnly {
				return positional, errParsedOnly
			}
			return positional, nil
		}
		if rest[0] == "--" && len(args) > 0 && lastWasDashDash(args, rest) {
			if m.parseOnly {
				return append(positional, rest[1:]...), errParsedOnly
			}
			return append(positional, rest[1:]...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// lastWasDashDash reports whether flag parsing stopped at a literal "--".
func lastWasDashDash(args, rest []string) bool {
	i := len(args) - len(rest) - 1
	return i >= 0 && args[i] == "--"
}

// printHelp writes a command's usage, description, flags and exit codes.
func (m *Main) printHelp(w io.Writer, cmd *command, fs *flag.FlagSet) {
	// The usage and the flags' descriptions are wrapped to helpWidth;
	// the text is written so.
	usage := wrapWords(usageWords(cmd.usage), "  ", "      ", helpWidth)
	fmt.Fprintf(w, "Usage:\n%s\n\n%s\n", usage, strings.TrimSpace(cmd.help))
	var flags strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(&flags, "%s\n%s\n", line, wrapWords(strings.Fields(usage), "      ", "      ", helpWidth))
	})
	if flags.Len() > 0 {
		fmt.Fprintf(w, "\nFlags:\n%s", flags.String())
	}
	fmt.Fprintf(w, "\n%s", exitCodeTable)
}

// stringList is a flag that may be repeated: --workspace a --workspace b.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	if strings.TrimSpace(strings.ReplaceAll(v, ",", "")) == "" {
		return errors.New("empty value")
	}
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*s = append(*s, part)
		}
	}
	return nil
}
