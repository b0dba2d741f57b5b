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
		p.expandScalar(n, path, isSecretKey(keys))
	}
}

// isSecretKey reports whether the value at keys is a secret or names the
// file of one: an environment's api_key, api_key_file and secrets, and the
// notification URLs.
func isSecretKey(keys []string) bool {
	switch {
	case len(keys) >= 3 && keys[0] == "environments":
		return keys[2] == "api_key" || keys[2] == "api_key_file" || keys[2] == "secrets"
	case len(keys) == 2 && keys[0] == "notify":
		return keys[1] == "webhook_url" || keys[1] == "heartbeat_url"
	}
	return false
}

// expandScalar expands n. With Options.NoSecrets, an unset variable in a
// secret's value is no error: the value becomes empty and its path is
// recorded as unresolved, so that Validate does not ask for it.
func (p *parser) expandScalar(n *yaml.Node, path string, secret bool) {
	if !strings.Contains(n.Value, "$") {
		return
	}
	out, vars, errs := expand(n.Value, p.lookup)
	for _, e := range errs {
		if secret && p.noSecrets && e.sentinel == ErrUnsetVariable {
			p.unresolved[path], out = true, ""
			continue
		}
		line := n.Line
		if n.Style&yaml.LiteralStyle != 0 {
			line += 1 + strings.Count(n.Value[:e.at], "\n")
		}
		p.ps.add(line, path, e.sentinel, "%s", e.msg)
	}
	n.Value = out
	if len(vars) == 0 {
		return
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
