package main

import (
	"flag"
	"log/slog"
)

// registerVerbosity registers --quiet/-q and --verbose/-v.
func registerVerbosity(fs *flag.FlagSet, g *globalFlags) {
	const q = "print no progress and no summary lines; log errors only"
	const v = "log at info level (interactive commands log warnings and errors only)"
	fs.BoolVar(&g.quiet, "quiet", false, q)
	fs.BoolVar(&g.quiet, "q", false, "short for --quiet")
	fs.BoolVar(&g.verbose, "verbose", false, v)
	fs.BoolVar(&g.verbose, "v", false, "short for --verbose")
}

// services are the commands that run for long and log what they do at
// the config's level: the daemon. (fake-api builds its own logger.) Every
// other command is interactive: a person reads its output, so its logs on
// stderr start at warn unless -v.
var services = map[string]bool{"run": true}

// level is the log level of the command: --log-level when given; else -q
// logs errors only; else the config's level (info by default), raised to
// warn for an interactive command unless -v.
func (g *globalFlags) level(configured slog.Level) slog.Level {
	if g.logLevel != "" {
		var l slog.Level
		_ = l.UnmarshalText([]byte(g.logLevel)) // checked by checkLogLevel
		return l
	}
	switch {
	case g.quiet:
		return slog.LevelError
	case g.verbose:
		return min(configured, slog.LevelInfo)
	case services[g.command]:
		return configured
	}
	return max(configured, slog.LevelWarn)
}
