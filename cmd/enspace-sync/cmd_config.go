package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/enspace-sync/enspace-sync/internal/config"
)

func init() {
	register(&command{
		name:    "config check",
		summary: "validate the config file and print it, secrets redacted",
		usage:   "enspace-sync config check [--config FILE] [--json]",
		help: `Reads the config file, checks every key (unknown keys, URLs, cron
schedules, time zone, route overrides, references between sections), reads
the API key files (refusing any that group or others can read), and prints
the effective config (defaults filled in) with every secret shown as
[redacted]. Every problem found is listed with its line, and any fails the
check (exit status 2): a key, password or credential file that cannot be
read too, or a ${VAR} left unset in such a field, where the other commands
warn and fail only what needs it. A file path that came from ${VAR} prints
as written ("${NAS_PW}"), never as the variable's value.

The config is looked for at --config, then $ENSPACE_SYNC_CONFIG, then
$XDG_CONFIG_HOME/enspace-sync/config.yaml (~/.config/enspace-sync/config.yaml),
then /etc/enspace-sync/config.yaml.

Examples:
  enspace-sync config check --config /etc/enspace-sync/config.yaml
  enspace-sync config check --json | jq '.warnings'`,
		run: runConfigCheck,
	})
}

func runConfigCheck(ctx context.Context, m *Main, args []string) error {
	cmd := commands["config check"]
	fs := newFlags(cmd)
	o := &configCheckOptions{}
	o.g.register(fs)
	rest, err := m.parse(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef(cmd.name, "unexpected argument %q", rest[0])
	}
	return configCheckCommand(ctx, m, o)
}

// configCheckOptions are config check's flags: the global ones.
type configCheckOptions struct{ g globalFlags }

// configCheckCommand checks the config the global flags name and prints it.
func configCheckCommand(ctx context.Context, m *Main, o *configCheckOptions) error {
	g := &o.g
	path, err := m.locateConfig(g.configPath)
	if err != nil {
		if g.asJSON && path != "" {
			printJSON(m, map[string]any{"path": path, "valid": false, "error": err.Error()})
		}
		return err
	}
	cfg, err := config.Load(path, config.Options{LookupEnv: m.lookupEnv})
	if err != nil {
		if g.asJSON {
			printJSON(m, map[string]any{"path": path, "valid": false, "error": err.Error()})
		}
		return configError(err)
	}
	text, err := cfg.Redacted()
	if err != nil {
		return err
	}
	if g.asJSON {
		warnings := cfg.Warnings
		if warnings == nil {
			warnings = []string{}
		}
		return printJSON(m, map[string]any{"path": path, "valid": true, "warnings": warnings, "config": string(text)})
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(m.Stderr, "warning: %s\n", w)
	}
	offsite := ""
	if n := len(cfg.Offsite); n > 0 {
		offsite = fmt.Sprintf(", %d offsite targets", n)
	}
	fmt.Fprintf(m.Stderr, "%s: valid (%d environments, %d workspaces%s)\n", path, len(cfg.Environments), len(cfg.Workspaces), offsite)
	_, err = m.Stdout.Write(text)
	return err
}

// printJSON writes v as indented JSON on stdout.
func printJSON(m *Main, v any) error {
	enc := json.NewEncoder(m.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
