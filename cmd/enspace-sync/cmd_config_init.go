package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	"github.com/enspace-sync/enspace-sync/internal/config"
)

func init() {
	register(&command{
		name:    "config init",
		summary: "write a commented starter config and key file, run doctor",
		usage:   "enspace-sync config init --workspace NAME [--base-url URL] [--environment NAME] [--config FILE]",
		help: `Writes a starter config for one workspace to your own config file,
$XDG_CONFIG_HOME/enspace-sync/config.yaml (~/.config/enspace-sync/config.yaml),
where every command then finds it, or to --config FILE. The API key is
asked for without echo when stdin is a terminal, else read from the first
line of stdin; it goes to ENVIRONMENT.key next to the config, mode 0600,
and never into the config itself. The database goes to
$XDG_DATA_HOME/enspace-sync/enspace-sync.db (~/.local/share/...) unless
--database. An existing config or key file is never overwritten (exit 2).

With --config /etc/enspace-sync/config.yaml (run as root) it lays the files
out for the systemd service instead: the key in /etc/enspace-sync/ENVIRONMENT,
the credential name the unit loads; the config readable by every user (it
holds no secret); the database the service's default,
/var/lib/enspace-sync/enspace-sync.db.

Then it runs the checks of "enspace-sync doctor" against the new config:
exit status 1 when one fails (the files stay; fix the key or the URL and
run doctor again).

Examples:
  enspace-sync config init --workspace acme
  sudo enspace-sync config init --config /etc/enspace-sync/config.yaml \
      --workspace acme
  enspace-sync config init --workspace acme \
      --base-url https://api-develop.enspace.io --environment stage < stage.key`,
		run: runConfigInit,
	})
}

// configInitOptions are config init's flags.
type configInitOptions struct {
	g        globalFlags
	starter  config.Starter
	database string
}

func runConfigInit(ctx context.Context, m *Main, args []string) error {
	cmd := commands["config init"]
	fs := newFlags(cmd)
	o := &configInitOptions{}
	o.g.register(fs)
	fs.StringVar(&o.starter.Workspace, "workspace", "", "the workspace's slug in Enspace, also its name in the config (asked for on a terminal)")
	fs.StringVar(&o.starter.BaseURL, "base-url", "https://api.leif.enspace.io", "the API's root")
	fs.StringVar(&o.starter.Environment, "environment", "production", "the environment's name in the config")
	fs.StringVar(&o.database, "database", "", "the database file (default $XDG_DATA_HOME/enspace-sync/enspace-sync.db)")
	rest, err := m.parse(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef(cmd.name, "unexpected argument %q", rest[0])
	}
	if err := checkLogLevel(cmd.name, o.g.logLevel); err != nil {
		return err
	}
	return configInitCommand(ctx, m, o)
}

// configInitCommand writes the starter config and key file, then runs
// doctor against them.
func configInitCommand(ctx context.Context, m *Main, o *configInitOptions) error {
	path := o.g.configPath
	var err error
	if path == "" {
		if path, err = config.UserPath(m.lookupEnv); err != nil {
			return err
		}
	}
	s := o.starter
	s.System = filepath.Clean(path) == config.DefaultPath
	switch s.Database = o.database; {
	case s.Database != "":
	case s.System:
		s.Database = config.DefaultDatabase
	default:
		if s.Database, err = config.UserDatabase(m.lookupEnv); err != nil {
			return err
		}
	}
	in := bufio.NewReader(m.Stdin)
	tty := terminal(m.Stdin)
	if s.Workspace == "" && tty {
		fmt.Fprint(m.Stderr, "Workspace slug: ")
		line, _ := in.ReadString('\n')
		s.Workspace = strings.TrimSpace(line)
	}
	if s.Workspace == "" {
		return usagef("config init", "--workspace is required")
	}
	if _, err := s.Text(); err != nil {
		return configError(err)
	}
	key, err := m.readKey(in, tty)
	if err != nil {
		return err
	}
	if err := config.WriteStarter(path, s, key); err != nil {
		switch {
		case errors.Is(err, config.ErrExists):
			hint := "enspace-sync config check --config " + path
			if _, serr := os.Lstat(path); errors.Is(serr, fs.ErrNotExist) {
				// The key file is there, the config is not (an earlier
				// attempt, or another environment's key).
				hint = "move the key file away (or use it: write the config by hand), or name the environment otherwise with --environment NAME, whose key file is named after it"
			}
			return &usageError{msg: err.Error(), hint: hint} // an output that exists: exit 2, as db backup's
		case errors.Is(err, config.ErrInvalid):
			return configError(err)
		}
		return err
	}
	fmt.Fprintf(m.Stderr, "wrote %s and its key file %s (mode 0600); running doctor\n", path, s.KeyFileName())
	if env, _ := m.lookupEnv(config.EnvConfigPath); env != "" && o.g.configPath == "" {
		fmt.Fprintf(m.Stderr, "note: $%s names %s, which commands read instead of this file\n", config.EnvConfigPath, env)
	}
	d := &doctorOptions{invocation: invocation{cmd: commands["doctor"], g: globalFlags{configPath: path, asJSON: o.g.asJSON, logLevel: o.g.logLevel}}}
	if d.cfg, err = m.loadConfig(&d.g, secretsAll); err != nil {
		return err
	}
	return doctorCommand(ctx, m, d)
}

// readKey reads the API key: without echo from a terminal, else the first
// line of stdin.
func (m *Main) readKey(in *bufio.Reader, tty bool) ([]byte, error) {
	var key []byte
	if tty {
		fmt.Fprint(m.Stderr, "Enspace API key (not shown): ")
		k, err := term.ReadPassword(int(m.Stdin.(*os.File).Fd()))
		fmt.Fprintln(m.Stderr)
		if err != nil {
			return nil, fmt.Errorf("read the API key: %w", err)
		}
		key = k
	} else {
		line, err := in.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read the API key from stdin: %w", err)
		}
		key = []byte(line)
	}
	key = []byte(strings.TrimSpace(string(key)))
	if len(key) == 0 {
		return nil, usagef("config init", "no API key given (type it at the prompt, or pipe it on stdin)")
	}
	return key, nil
}

// terminal reports whether r is a terminal.
func terminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
