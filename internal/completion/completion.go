// Package completion writes shell completion scripts for enspace-sync:
// bash, zsh and fish. It knows nothing of the commands themselves: the
// caller passes their names, one-line summaries and flags (the command
// line takes them from each command's own help, so a new command or flag
// completes without an edit here).
//
// Design notes: the scripts are plain text built from that list, with no
// callback into the program at completion time, so completing never opens
// a config or a database. zsh loads the bash script through bashcompinit,
// which every zsh ships; fish gets its own `complete` lines. Words that are
// not commands or flags (files, snapshot ids, selectors) complete as file
// names.
package completion

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Command is one command to complete: "backup", or "config check" for a
// subcommand of a group.
type Command struct {
	Name    string
	Summary string
	Flags   []string // long flag names without dashes
}

// Shells lists the shells Write knows.
var Shells = []string{"bash", "zsh", "fish"}

// Write writes the completion script of program for shell.
func Write(w io.Writer, shell, program string, cmds []Command) error {
	cmds = append([]Command(nil), cmds...)
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	switch shell {
	case "bash":
		return writeBash(w, program, cmds)
	case "zsh":
		fmt.Fprintf(w, "#compdef %s\n# zsh completion for %s: load with  source <(%s completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n", program, program, program)
		return writeBash(w, program, cmds)
	case "fish":
		return writeFish(w, program, cmds)
	}
	return fmt.Errorf("unknown shell %q (want %s)", shell, strings.Join(Shells, ", "))
}

// topWords are the first words of the commands, and groups maps a group
// ("config") to its subcommands ("check", "init").
func topWords(cmds []Command) (top []string, groups map[string][]string) {
	groups = map[string][]string{}
	seen := map[string]bool{}
	for _, c := range cmds {
		first, sub, ok := strings.Cut(c.Name, " ")
		if ok {
			groups[first] = append(groups[first], sub)
		}
		if !seen[first] {
			seen[first] = true
			top = append(top, first)
		}
	}
	return top, groups
}

func dashed(flags []string) string {
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = "--" + f
	}
	return strings.Join(out, " ")
}

func funcName(program string) string {
	return "_" + strings.NewReplacer("-", "_", ".", "_").Replace(program)
}

func writeBash(w io.Writer, program string, cmds []Command) error {
	fn := funcName(program)
	top, groups := topWords(cmds)
	var b strings.Builder
	fmt.Fprintf(&b, "# bash completion for %s: load with  source <(%s completion bash)\n", program, program)
	fmt.Fprintf(&b, "%s_flags() {\n    case \"$1\" in\n", fn)
	for _, c := range cmds {
		fmt.Fprintf(&b, "        %q) echo %q ;;\n", c.Name, dashed(c.Flags))
	}
	b.WriteString("    esac\n}\n\n")
	fmt.Fprintf(&b, "%s_subcommands() {\n    case \"$1\" in\n", fn)
	groupNames := make([]string, 0, len(groups))
	for g := range groups {
		groupNames = append(groupNames, g)
	}
	sort.Strings(groupNames)
	for _, g := range groupNames {
		fmt.Fprintf(&b, "        %q) echo %q ;;\n", g, strings.Join(groups[g], " "))
	}
	b.WriteString("    esac\n}\n\n")
	fmt.Fprintf(&b, `%[1]s() {
    local cur="${COMP_WORDS[COMP_CWORD]}" cmd="" sub="" i w
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${COMP_WORDS[i]}"
        case "$w" in
        --config | -config | --log-level | -log-level) ((i++)) ;; # and their value
        -*) ;;
        *)
            if [[ -z "$cmd" ]]; then
                cmd="$w"
            elif [[ -z "$sub" && -n "$(%[1]s_subcommands "$cmd")" ]]; then
                sub="$w"
            fi
            ;;
        esac
    done
    local name="$cmd"
    [[ -n "$sub" ]] && name="$cmd $sub"
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$(%[1]s_flags "$name") --help" -- "$cur"))
    elif [[ -z "$cmd" ]]; then
        COMPREPLY=($(compgen -W %[2]q -- "$cur"))
    elif [[ -z "$sub" && -n "$(%[1]s_subcommands "$cmd")" ]]; then
        COMPREPLY=($(compgen -W "$(%[1]s_subcommands "$cmd")" -- "$cur"))
    fi
}
complete -o default -F %[1]s %[3]s
`, fn, strings.Join(top, " "), program)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeFish(w io.Writer, program string, cmds []Command) error {
	top, groups := topWords(cmds)
	summaries := map[string]string{}
	for _, c := range cmds {
		summaries[c.Name] = c.Summary
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# fish completion for %s: load with  %s completion fish | source\n", program, program)
	fmt.Fprintf(&b, "complete -c %s -f\n", program)
	for _, t := range top {
		desc := summaries[t]
		if subs, ok := groups[t]; ok && desc == "" {
			desc = strings.Join(subs, ", ")
		}
		fmt.Fprintf(&b, "complete -c %s -n __fish_use_subcommand -a %s -d %s\n", program, fishQuote(t), fishQuote(desc))
	}
	for _, c := range cmds {
		first, sub, isSub := strings.Cut(c.Name, " ")
		cond := "__fish_seen_subcommand_from " + first
		if isSub {
			fmt.Fprintf(&b, "complete -c %s -n %s -a %s -d %s\n", program, fishQuote(cond+"; and not __fish_seen_subcommand_from "+strings.Join(groups[first], " ")), fishQuote(sub), fishQuote(c.Summary))
			cond += "; and __fish_seen_subcommand_from " + sub
		}
		for _, f := range c.Flags {
			fmt.Fprintf(&b, "complete -c %s -n %s -l %s -F\n", program, fishQuote(cond), f)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fishQuote quotes s for fish: single quotes, with \ and ' escaped.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
