package main

import (
	"bytes"
	"context"
	"sort"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/completion"
)

func init() {
	register(&command{
		name:    "completion",
		summary: "print a shell completion script: bash, zsh or fish",
		usage:   "enspace-sync completion bash|zsh|fish",
		help: `Prints a script that completes enspace-sync's commands, subcommands and
flags (and file names elsewhere) in bash, zsh or fish.

Examples:
  enspace-sync completion bash
  enspace-sync completion zsh
  enspace-sync completion fish

To load it in every new shell:
  bash:  echo 'source <(enspace-sync completion bash)' >> ~/.bashrc
  zsh:   echo 'source <(enspace-sync completion zsh)' >> ~/.zshrc
  fish:  enspace-sync completion fish \
             > ~/.config/fish/completions/enspace-sync.fish`,
		run: runCompletion,
	})
}

func runCompletion(ctx context.Context, m *Main, args []string) error {
	cmd := commands["completion"]
	fs := newFlags(cmd)
	rest, err := m.parse(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef(cmd.name, "want one shell: %s", strings.Join(completion.Shells, ", "))
	}
	var b bytes.Buffer
	if err := completion.Write(&b, rest[0], "enspace-sync", completionCommands(ctx)); err != nil {
		return usagef(cmd.name, "%s", err)
	}
	_, err = m.Stdout.Write(b.Bytes())
	return err
}

// completionCommands lists every command with its flags, read from the
// flag section of its own --help, which every command prints without
// opening anything.
func completionCommands(ctx context.Context) []completion.Command {
	var out []completion.Command
	for name, c := range commands {
		var help bytes.Buffer
		hm := NewMain()
		hm.Stdout, hm.Stderr = &help, &bytes.Buffer{}
		_ = c.run(ctx, hm, []string{"--help"})
		out = append(out, completion.Command{Name: name, Summary: c.summary, Flags: helpFlags(help.String())})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// helpFlags returns the flag names of a help text's "Flags:" section.
func helpFlags(help string) []string {
	_, section, ok := strings.Cut(help, "\nFlags:\n")
	if !ok {
		return nil
	}
	var flags []string
	for _, line := range strings.Split(section, "\n") {
		if rest, ok := strings.CutPrefix(line, "  --"); ok {
			name, _, _ := strings.Cut(rest, " ")
			flags = append(flags, name)
		}
	}
	return flags
}
