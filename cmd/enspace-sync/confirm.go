package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/enspace-sync/enspace-sync/internal/restore"
)

// isTerminal reports whether the file descriptor is a terminal. It is
// Main.IsTerminal's default. It asks the terminal driver (an ioctl), not
// the file's type: /dev/null, a script's or a service's stdin, is a
// character device too, and no terminal. It takes the descriptor as an
// int: an *os.File made for it would close it when collected.
func isTerminal(fd uintptr) bool {
	return fd != ^uintptr(0) && term.IsTerminal(int(fd))
}

// terminal reports whether f (one of Main's streams) is a terminal, asked
// through Main.IsTerminal; a stream that is no file is none.
func (m *Main) terminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok || m.IsTerminal == nil {
		return m.IsTerminal != nil && m.IsTerminal(^uintptr(0))
	}
	return m.IsTerminal(file.Fd())
}

// confirmWrites asks, before restore, replicate or apply writes anything:
// "Apply N writes to WORKSPACE? [y/N]" on a terminal. --yes skips the
// question. Without a terminal to ask, and without --yes, it refuses
// (exit 2) with the hint; any answer but y or yes writes nothing (exit 1).
func (m *Main) confirmWrites(yes bool, command string, p *restore.Plan) error {
	if yes {
		return nil
	}
	n := p.Writes()
	if !m.terminal(m.Stdin) {
		return &usageError{
			msg:  fmt.Sprintf("%s would apply %d writes to %s: refusing without a terminal to confirm, and nothing was written", command, n, p.Target),
			hint: "add --yes to apply without asking, or --dry-run to see the plan only",
		}
	}
	fmt.Fprintf(m.Stderr, "Apply %d writes to %s? [y/N] ", n, p.Target)
	answer, _ := bufio.NewReader(m.Stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return withExit(ExitError, fmt.Errorf("not confirmed: nothing was written to %s", p.Target))
}
