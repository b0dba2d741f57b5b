package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
)

func init() {
	register(&command{
		name:    "help",
		summary: "show help for enspace-sync or one of its commands",
		usage:   "enspace-sync help [COMMAND]",
		help: `Without an argument, lists the commands. With one, shows that command's
usage, flags, examples and exit status, like "enspace-sync COMMAND --help".
"enspace-sync help exit-codes" prints the table of exit codes.

Examples:
  enspace-sync help backup
  enspace-sync help config check`,
		run: runHelp,
	})
}

func runHelp(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		m.printOverview(m.Stdout)
		return nil
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" { // help --help, as "backup -help"
		m.printHelp(m.Stdout, commands["help"], flag.NewFlagSet("help", flag.ContinueOnError))
		return errHelp
	}
	if args[0] == "exit-codes" {
		fmt.Fprint(m.Stdout, exitCodeTable)
		return nil
	}
	cmd, _ := lookup(args)
	if cmd == nil {
		if group := groupOf(args[0]); len(group) > 0 && len(args) == 1 {
			printGroup(m.Stdout, args[0], group)
			return nil
		}
		return usagef("", "unknown command %q", strings.Join(args, " "))
	}
	return cmd.run(ctx, m, []string{"--help"})
}
