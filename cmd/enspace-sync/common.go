package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/enspace-sync/enspace-sync/internal/app"
	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// globalFlags are the flags every command that reads the config accepts.
type globalFlags struct {
	configPath string
	asJSON     bool
	logLevel   string
	quiet      bool   // -q: no progress, no summary lines, logs at error only
	verbose    bool   // -v: logs at info (or the config's level when lower)
	command    string // the command's name, set by start: see logger
}

func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.configPath, "config", "", "config file (default $ENSPACE_SYNC_CONFIG, then ~/.config/"+config.UserFile+", then "+config.DefaultPath+")")
	fs.BoolVar(&g.asJSON, "json", false, "print results as JSON on stdout (logs stay on stderr)")
	fs.StringVar(&g.logLevel, "log-level", "", "log level: debug, info, warn or error (default from the config)")
	registerVerbosity(fs, g)
}

// configError marks an error of the configuration: exit status 2.
func configError(err error) error {
	return &exitError{code: ExitUsage, err: err}
}

// secretsMode is how a command reads the config's key and secret files.
type secretsMode int

const (
	// secretsOnUse reads them all; one that cannot be used fails only what
	// uses it (config.Options.SecretsOnUse) and is warned about once.
	secretsOnUse secretsMode = iota
	// secretsNone reads none: the command reads the database only
	// (config.Options.NoSecrets).
	secretsNone
	// secretsAll reads them all; any problem fails the command (doctor).
	secretsAll
)

// secrets returns how cmd reads secrets.
func (cmd *command) secrets() secretsMode {
	switch {
	case cmd.local:
		return secretsNone
	case cmd.allSecrets:
		return secretsAll
	}
	return secretsOnUse
}

// loadConfig finds, parses and checks the config, reads the key files as
// mode says, and prints its warnings through the logger.
func (m *Main) loadConfig(g *globalFlags, mode secretsMode) (*config.Config, error) {
	path, err := m.locateConfig(g.configPath)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(path, config.Options{LookupEnv: m.lookupEnv, NoSecrets: mode == secretsNone, SecretsOnUse: mode == secretsOnUse})
	if err != nil {
		return nil, configError(err)
	}
	m.log = m.logger(cfg, g)
	for _, w := range cfg.Warnings {
		m.log.Warn("config", "warning", w)
	}
	return cfg, nil
}

// locateConfig finds the config file (see config.Locate). Finding none is
// a configuration error (exit status 2) that lists where it looked and
// suggests config init; a file --config or $ENSPACE_SYNC_CONFIG names that
// does not exist is one too, returned with its path.
func (m *Main) locateConfig(flagValue string) (string, error) {
	path, err := config.Locate(flagValue, m.lookupEnv)
	var nf *config.NotFoundError
	if errors.As(err, &nf) {
		return "", configError(&usageError{msg: err.Error(), hint: "enspace-sync config init (or --config FILE; see config.example.yaml)"})
	}
	if err != nil {
		return path, err
	}
	// A file named by --config or $ENSPACE_SYNC_CONFIG is taken as given:
	// when it is missing, say who named it (a variable exported in an
	// earlier session is easily forgotten).
	if _, serr := os.Stat(path); errors.Is(serr, fs.ErrNotExist) {
		if flagValue != "" {
			return path, configError(&usageError{msg: fmt.Sprintf("no config file %s (named by --config)", path),
				hint: "check the path, or write one with enspace-sync config init --config " + path})
		}
		return path, configError(&usageError{msg: fmt.Sprintf("no config file %s (named by $%s)", path, config.EnvConfigPath),
			hint: "point $" + config.EnvConfigPath + " at the config, or unset it to use the default paths"})
	}
	return path, nil
}

func (m *Main) lookupEnv(key string) (string, bool) {
	v := m.Getenv(key)
	if v == "" {
		return os.LookupEnv(key)
	}
	return v, true
}

// logger builds the structured logger for a command: stderr, in the
// config's format and level, or the --log-level flag's.
func (m *Main) logger(cfg *config.Config, g *globalFlags) *slog.Logger {
	level := slog.LevelInfo
	asJSON := false
	if cfg != nil {
		level = cfg.Log.SlogLevel()
		asJSON = cfg.Log.JSON(m.Getenv)
	}
	if g != nil {
		level = g.level(level)
	}
	opts := &slog.HandlerOptions{Level: level}
	if asJSON {
		return slog.New(slog.NewJSONHandler(m.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(m.Stderr, opts))
}

// invocation is what every command that reads the config is given: the
// global flags, the positional arguments and the loaded config. Each such
// command's options struct embeds it and adds the command's own flags.
type invocation struct {
	cmd  *command
	g    globalFlags
	args []string // positional arguments
	cfg  *config.Config
}

// options are a command's parsed flags and arguments.
type options interface {
	base() *invocation
	flags(fs *flag.FlagSet) // registers the command's own flags
}

func (inv *invocation) base() *invocation { return inv }

// flags registers no flags: options structs with flags of their own
// define theirs.
func (inv *invocation) flags(*flag.FlagSet) {}

// configured returns a command's run: it parses args into a new options
// value (the global flags, the command's own, at most maxArgs positional
// arguments, -1 for any), loads the config, and calls body, the plain
// function that tests can call without a command line.
func configured[O any, P interface {
	*O
	options
}](name string, maxArgs int, body func(context.Context, *Main, P) error) func(context.Context, *Main, []string) error {
	return func(ctx context.Context, m *Main, args []string) error {
		o := P(new(O))
		if err := m.start(o.base(), name, args, maxArgs, o.flags); err != nil {
			return err
		}
		return body(ctx, m, o)
	}
}

// start parses args for the named command into inv with the global flags
// and those that flags adds, allows at most maxArgs positional arguments
// (-1 for any number), and loads the config.
func (m *Main) start(inv *invocation, name string, args []string, maxArgs int, flags func(fs *flag.FlagSet)) error {
	inv.cmd = commands[name]
	inv.g.command = name
	fs := newFlags(inv.cmd)
	inv.g.register(fs)
	flags(fs)
	rest, err := m.parse(inv.cmd, fs, args)
	if err != nil {
		return err
	}
	if err := checkLogLevel(name, inv.g.logLevel); err != nil {
		return err
	}
	if maxArgs >= 0 && len(rest) > maxArgs {
		return usagef(name, "unexpected argument %q", rest[maxArgs])
	}
	inv.args = rest
	inv.cfg, err = m.loadConfig(&inv.g, inv.cmd.secrets())
	return err
}

// checkLogLevel refuses a --log-level that slog does not know.
func checkLogLevel(cmd, value string) error {
	if value == "" {
		return nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(value)); err != nil {
		return usagef(cmd, "--log-level %q: want debug, info, warn or error", value)
	}
	return nil
}

// service builds the program's core over the config and the database
// (nil when the command needs none).
func (m *Main) service(cfg *config.Config, db *snapshot.DB) (*app.Service, error) {
	svc, err := app.New(app.Options{Config: cfg, DB: db, Logger: m.log, Version: versionInfo().Version})
	if err != nil {
		return nil, configError(err)
	}
	return svc, nil
}
