package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/api"
	"gopkg.in/yaml.v3"
)

// The schema walk checks the parsed tree against the Config struct before
// anything is decoded: unknown keys (with a suggestion), duplicate keys,
// mappings where lists belong and values of the wrong type, each with its
// key path and line. yaml.v3's KnownFields does not reach values decoded
// through an UnmarshalYAML method (the defaults of environments and
// workspaces) and names neither the path nor a likely fix; this walk does.

var (
	configType   = reflect.TypeOf(Config{})
	durationType = reflect.TypeOf(time.Duration(0))
	secretType   = reflect.TypeOf(api.Secret(""))
	byteRateType = reflect.TypeOf(ByteRate(0))
)

// walk checks n against type t at path.
func (p *parser) walk(n *yaml.Node, t reflect.Type, path string) {
	if p.budget--; p.budget == 0 {
		p.ps.add(n.Line, path, ErrInvalid, "the document is too large once its aliases are expanded")
	}
	if p.budget <= 0 {
		return
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return
		}
		n = n.Alias
	}
	if isNull(n) {
		return // keeps the default
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		p.leaf(n, t, path)
	case t.Kind() == reflect.Struct:
		p.structure(n, t, path)
	case t.Kind() == reflect.Map:
		p.mapping(n, t, path)
	case t.Kind() == reflect.Slice:
		p.sequence(n, t, path)
	default:
		p.leaf(n, t, path)
	}
}

func (p *parser) structure(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.MappingNode {
		p.ps.add(n.Line, path, ErrInvalid, "expected a mapping of keys, got %s", describe(n))
		return
	}
	fields := yamlFields(t)
	p.pairs(n, path, map[string]int{}, 0, func(k, v *yaml.Node) {
		f, ok := fields[k.Value]
		if !ok {
			p.unknownKey(k, path, fields)
			return
		}
		child := childPath(path, k.Value)
		p.ps.lines[child] = k.Line
		p.walk(v, f.Type, child)
	})
}

func (p *parser) mapping(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.MappingNode {
		what := describe(n)
		if strings.Contains(path, ".secrets.") && n.Kind == yaml.ScalarNode && n.Value != "" {
			what = "a plain value (not shown: it may be a secret)"
		}
		p.ps.add(n.Line, path, ErrInvalid, "expected a mapping, got %s", what)
		return
	}
	p.pairs(n, path, map[string]int{}, 0, func(k, v *yaml.Node) {
		child := childPath(path, k.Value)
		p.ps.lines[child] = k.Line
		p.walk(v, t.Elem(), child)
	})
}

func (p *parser) sequence(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.SequenceNode {
		p.ps.add(n.Line, path, ErrInvalid, "expected a list, got %s", describe(n))
		return
	}
	for i, item := range n.Content {
		child := indexPath(path, i)
		p.ps.lines[child] = item.Line
		p.walk(item, t.Elem(), child)
	}
}

// pairs calls fn for each key of mapping n, then for each key merged in
// with "<<" that n does not set itself (as yaml.v3 decodes them). It
// refuses duplicate keys and keys that are not plain scalars.
func (p *parser) pairs(n *yaml.Node, path string, seen map[string]int, depth int, fn func(k, v *yaml.Node)) {
	var merges []*yaml.Node
	merged := depth > 0
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			p.ps.add(k.Line, path, ErrInvalid, "a key must be a plain word, got %s", describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			if !merged {
				p.ps.add(k.Line, path, ErrInvalid, "duplicate key %q (first at line %d)", safeKey(k.Value), first)
			}
			continue
		}
		seen[k.Value] = k.Line
		fn(k, v)
	}
	if len(merges) > 1 {
		p.ps.add(n.Line, path, ErrInvalid, "more than one << merge key")
		return
	}
	for _, m := range merges {
		for _, src := range mergeSources(m) {
			if src == nil || depth > 8 {
				p.ps.add(m.Line, path, ErrInvalid, "<< merges a mapping, an alias to one, or a list of those")
				continue
			}
			p.pairs(src, path, seen, depth+1, fn)
		}
	}
}

// mergeSources returns the mappings a << value merges, nil for a bad one.
func mergeSources(m *yaml.Node) []*yaml.Node {
	deref := func(n *yaml.Node) *yaml.Node {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		return n
	}
	if m.Kind == yaml.SequenceNode {
		out := make([]*yaml.Node, len(m.Content))
		for i, c := range m.Content {
			out[i] = deref(c)
		}
		return out
	}
	return []*yaml.Node{deref(m)}
}

// unknownKey records a key the struct does not have, with the closest
// known key when it is near enough to be a typo.
func (p *parser) unknownKey(k *yaml.Node, path string, fields map[string]reflect.StructField) {
	where := "at the top level"
	if path != "" {
		where = "in " + path
	}
	known := make([]string, 0, len(fields))
	for name := range fields {
		known = append(known, name)
	}
	hint := ""
	if s := suggest(k.Value, known); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	} else {
		hint = " (known: " + strings.Join(orderedFields(fields), ", ") + ")"
	}
	p.ps.add(k.Line, "", ErrUnknownKey, "unknown key %q %s%s", safeKey(k.Value), where, hint)
}

// leaf checks that n decodes into a value of type t.
func (p *parser) leaf(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode {
		p.ps.add(n.Line, path, ErrInvalid, "expected %s, got %s", expected(t), describe(n))
		return
	}
	p.fileSecretRefs(n, path)
	if t == secretType && !isFileName(path[strings.LastIndexAny(path, ".[")+1:]) {
		p.ps.secrets = append(p.ps.secrets, n.Value, strings.TrimSpace(n.Value))
		if vars, ok := p.fromEnv[n]; ok {
			if p.paths == nil {
				p.paths = map[string][]string{}
			}
			p.paths[path] = vars
		}
	}
	err := n.Decode(reflect.New(t).Interface())
	if err == nil && isInteger(t) && n.ShortTag() == "!!float" {
		// yaml.v3 truncates a float decoded into an int (1.5 -> 1).
		err = fmt.Errorf("not a whole number")
	}
	if err != nil {
		msg := fmt.Sprintf("expected %s, got %s", expected(t), strconv.Quote(shorten(n.Value)))
		if t == durationType && n.ShortTag() == "!!int" {
			msg += " (add a unit: " + n.Value + "s)"
		}
		p.ps.add(n.Line, path, ErrInvalid, "%s", msg)
	}
}

// isInteger reports whether t is an integer type other than a duration.
func isInteger(t reflect.Type) bool {
	return t != durationType && t != byteRateType && t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64
}

// expected describes what a type wants, for messages.
func expected(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration such as 60s or 2m30s"
	case t == byteRateType:
		return "a size such as 20MiB (0: unlimited)"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "a whole number"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.Bool:
		return "true or false"
	}
	return "text"
}

// describe names a node's kind for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Value == "" {
		return "nothing"
	}
	return strconv.Quote(shorten(n.Value))
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// yamlFields maps the YAML names of t's fields to the fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := yamlName(f)
		if name != "" {
			out[name] = f
		}
	}
	return out
}

// yamlName returns the YAML key of a struct field, "" for none.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name
}

// orderedFields lists the known keys in declaration order.
func orderedFields(fields map[string]reflect.StructField) []string {
	out := make([]string, 0, len(fields))
	for name := range fields {
		out = append(out, name)
	}
	sort.Slice(out, func(i, j int) bool { return fields[out[i]].Index[0] < fields[out[j]].Index[0] })
	return out
}

// fileSecretRefs files what expandScalar found in n, a secret field's
// ${VAR} left unset or its text as written, under path: the node's own
// path, or one that reaches it through an alias.
func (p *parser) fileSecretRefs(n *yaml.Node, path string) {
	if raw, ok := p.namedAt[n]; ok {
		p.named[path] = raw
	}
	for _, pr := range p.unsetAt[n] {
		pr.Path = path
		p.unresolved[path] = append(p.unresolved[path], pr)
	}
}
