package config

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// expandTree expands ${VAR} references in every scalar value of the tree
// (mapping keys and comments are left alone). A plain scalar that held a
// reference is re-typed from its new text, so "concurrency: ${N}" reads as
// a number; a quoted one stays a string. Aliases are skipped: the anchored
// node is expanded where it is defined. keys are the mapping keys from the
// root to n ("" for a list item); they tell a secret's value.
func (p *parser) expandTree(n *yaml.Node, path string, keys ...string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			p.expandTree(c, path, keys...)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			p.expandTree(n.Content[i+1], childPath(path, k), append(keys[:len(keys):len(keys)], k)...)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p.expandTree(c, indexPath(path, i), append(keys[:len(keys):len(keys)], "")...)
		}
	case yaml.ScalarNode:
		p.expandScalar(n, path, secretKind(keys))
	}
}

// secretField is whether a field holds a secret or names the file of one,
// and whether the secret belongs to an item (an environment, a target).
type secretField int

const (
	notSecret   secretField = iota
	ownedSecret             // an environment's api_key, api_key_file and secrets; an offsite target's files
	notifyURL               // the notification URLs
)

// secretKind tells the secret fields: an environment's api_key,
// api_key_file and secrets, and an offsite target's password and
// credential files, which ResolveSecrets keeps with their item; the
// notification URLs, which belong to no item.
func secretKind(keys []string) secretField {
	switch {
	case len(keys) >= 3 && keys[0] == "environments":
		if keys[2] == "api_key" || keys[2] == "api_key_file" || keys[2] == "secrets" {
			return ownedSecret
		}
	case len(keys) == 3 && keys[0] == "offsite":
		if isOffsiteFileKey(keys[2]) {
			return ownedSecret
		}
	case len(keys) == 2 && keys[0] == "notify":
		if keys[1] == "webhook_url" || keys[1] == "heartbeat_url" {
			return notifyURL
		}
	}
	return notSecret
}

// expandScalar expands n. An unset variable in a secret's value may be no
// error of the parse: with Options.NoSecrets (any secret field) or when
// secrets are deferred (a field ResolveSecrets keeps with its item), the
// value becomes empty and the problem is recorded as unresolved at its
// path, so that Validate does not ask for the value and ResolveSecrets
// reports it as the item's own (NoSecrets never does). The text as written
// of every secret field that held a reference is kept, so that messages
// name "the file named by ${VAR}" rather than its value.
func (p *parser) expandScalar(n *yaml.Node, path string, secret secretField) {
	if !strings.Contains(n.Value, "$") {
		return
	}
	raw := n.Value
	out, vars, errs := expand(n.Value, p.lookup)
	deferred := secret != notSecret && p.noSecrets || secret == ownedSecret && p.deferSecrets
	for _, e := range errs {
		line := n.Line
		if n.Style&yaml.LiteralStyle != 0 {
			line += 1 + strings.Count(n.Value[:e.at], "\n")
		}
		if deferred && e.sentinel == ErrUnsetVariable {
			p.unsetAt[n] = append(p.unsetAt[n], Problem{File: p.ps.file, Line: line, Msg: e.msg, Err: e.sentinel})
			out = ""
			continue
		}
		p.ps.add(line, path, e.sentinel, "%s", e.msg)
	}
	n.Value = out
	if len(vars) == 0 {
		return
	}
	if deferred && len(p.unsetAt[n]) == 0 && strings.TrimSpace(out) == "" && isFileName(path[strings.LastIndexAny(path, ".[")+1:]) {
		// A file field set but empty (EnvironmentFile= with
		// NAS_PW_FILE=): the item's problem too, named by its variables.
		// (An empty api_key is Validate's "the key is empty".)
		p.unsetAt[n] = append(p.unsetAt[n], Problem{File: p.ps.file, Line: n.Line, Err: ErrUnsetVariable,
			Msg: fmt.Sprintf("%s expanded to nothing (set ${%s} to a value)", raw, strings.Join(vars, "}, ${"))})
	}
	if secret != notSecret {
		p.namedAt[n] = raw
	}
	p.fromEnv[n] = vars
	if n.Style == 0 && out != "" {
		n.Tag = "" // re-resolve: "8" is an int, "true" a bool
	}
}

type expandError struct {
	at       int // byte offset in the scalar
	sentinel error
	msg      string
}

// expand replaces ${VAR} and ${VAR:-default} with values from lookup, and
// $$ with $. A default applies when VAR is unset or empty. Any other $ is
// kept. It returns the text, the names of the variables it read, and one
// error per bad or unset reference.
func expand(s string, lookup func(string) (string, bool)) (string, []string, []expandError) {
	var b strings.Builder
	var vars []string
	var errs []expandError
	for i := 0; i < len(s); {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			i++
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i += 2
			continue
		case '{':
		default:
			b.WriteByte('$')
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			errs = append(errs, expandError{i, ErrSyntax, "unclosed ${ (write $$ for a literal $)"})
			b.WriteString(s[i:])
			break
		}
		expr := s[i+2 : i+2+end]
		name, def, hasDef := strings.Cut(expr, ":-")
		switch {
		case !validVarName(name):
			errs = append(errs, expandError{i, ErrSyntax, fmt.Sprintf(
				"bad reference ${%s}: only ${NAME} and ${NAME:-default} are supported, NAME being letters, digits and _ (write $$ for a literal $)",
				shorten(expr))})
		default:
			vars = append(vars, name)
			v, ok := lookup(name)
			switch {
			case hasDef && v == "":
				b.WriteString(def)
			case !ok:
				errs = append(errs, expandError{i, ErrUnsetVariable, fmt.Sprintf(
					"${%s} is not set (set it, give a default with ${%s:-value}, or write $${%s} for a literal)",
					name, name, name)})
			default:
				b.WriteString(v)
			}
		}
		i += 2 + end + 1
	}
	return b.String(), vars, errs
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// shorten keeps messages short when quoting user text.
func shorten(s string) string {
	const max = 40
	r := []rune(s)
	if len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
