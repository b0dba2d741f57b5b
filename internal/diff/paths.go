package diff

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// segKind tells what a path segment is.
type segKind uint8

const (
	segKey   segKind = iota // an object member
	segIndex                // a position in an ordered list
	segElem                 // an element of an unordered list, by identity
	segAny                  // a list element while computing a canonical form
)

// seg is one step of a path inside an object.
type seg struct {
	kind  segKind
	key   string // segKey: the member name; segElem: the identity text
	index int    // segIndex
}

// path is a location inside an object, root first.
type path []seg

// with returns p extended by s. It appends in place: the walk keeps
// paths as a stack, and a path is turned into text before the slot after
// it is reused, so a path must never be kept beyond the call it is given to.
func (p path) with(s seg) path { return append(p, s) }

func (p path) key(k string) path { return p.with(seg{kind: segKey, key: k}) }
func (p path) index(i int) path  { return p.with(seg{kind: segIndex, index: i}) }
func (p path) elem(id string) path {
	return p.with(seg{kind: segElem, key: id})
}

// String renders the path: members dotted ("data.city"), or quoted in
// brackets when they are not plain words (`data["a.b"]`); list positions
// as "[2]"; unordered elements as their identity in brackets
// ("permissions[action=read,entity=contracts]", "users[=14]").
func (p path) String() string {
	var b strings.Builder
	for i, s := range p {
		switch s.kind {
		case segKey:
			if plainWord(s.key) {
				if i > 0 {
					b.WriteByte('.')
				}
				b.WriteString(s.key)
			} else {
				b.WriteString("[" + strconv.Quote(s.key) + "]")
			}
		case segIndex:
			b.WriteString("[" + strconv.Itoa(s.index) + "]")
		case segElem:
			b.WriteString("[" + s.key + "]")
		case segAny:
			b.WriteString("[]")
		}
	}
	return b.String()
}

// plainWord reports whether a member name can be written bare in a path:
// letters, digits, '_' and '-' only.
func plainWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

// patKind tells what a pattern segment matches.
type patKind uint8

const (
	patKey    patKind = iota // one member name
	patAnyKey                // "*": any member name
	patElem                  // "[]": any list element
)

type patSeg struct {
	kind patKind
	key  string
}

// pattern is a compiled KindInfo path.
type pattern []patSeg

// parsePattern compiles a dotted path with "*" and "[]" segments.
func parsePattern(s string) (pattern, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: empty path", ErrBadPath)
	}
	var p pattern
	for _, part := range strings.Split(s, ".") {
		name := part
		lists := 0
		for strings.HasSuffix(name, "[]") {
			name = strings.TrimSuffix(name, "[]")
			lists++
		}
		switch {
		case name == "" && (lists == 0 || len(p) == 0):
			return nil, fmt.Errorf("%w: %q has an empty segment", ErrBadPath, s)
		case strings.ContainsAny(name, "[]"):
			return nil, fmt.Errorf("%w: %q: brackets are only allowed as a trailing \"[]\"", ErrBadPath, s)
		case name == "*":
			p = append(p, patSeg{kind: patAnyKey})
		case name != "":
			p = append(p, patSeg{kind: patKey, key: name})
		}
		for range lists {
			p = append(p, patSeg{kind: patElem})
		}
	}
	return p, nil
}

// matchSeg reports whether one pattern segment matches one path segment.
func matchSeg(ps patSeg, s seg) bool {
	switch ps.kind {
	case patKey:
		return s.kind == segKey && s.key == ps.key
	case patAnyKey:
		return s.kind == segKey
	default:
		return s.kind != segKey
	}
}

// prefixOf reports whether the pattern matches p or one of its ancestors.
func (pt pattern) prefixOf(p path) bool {
	if len(pt) > len(p) {
		return false
	}
	for i, ps := range pt {
		if !matchSeg(ps, p[i]) {
			return false
		}
	}
	return true
}

// matches reports whether the pattern matches p exactly.
func (pt pattern) matches(p path) bool {
	return len(pt) == len(p) && pt.prefixOf(p)
}

// compiled is a KindInfo with its paths parsed.
type compiled struct {
	info      KindInfo
	labels    []pattern
	server    []pattern
	unordered []pattern
}

func compile(k KindInfo) (*compiled, error) {
	c := &compiled{info: k}
	for _, set := range []struct {
		paths []string
		dst   *[]pattern
		what  string
	}{
		{k.LabelFields, &c.labels, "label field"},
		{k.ServerAssigned, &c.server, "server-assigned path"},
		{k.Unordered, &c.unordered, "unordered path"},
	} {
		for _, s := range set.paths {
			p, err := parsePattern(s)
			if err != nil {
				return nil, fmt.Errorf("kind %s: %s: %w", k.Name, set.what, err)
			}
			*set.dst = append(*set.dst, p)
		}
	}
	return c, nil
}

// isServer reports whether p is server-assigned or lies under such a path.
func (c *compiled) isServer(p path) bool {
	for _, pt := range c.server {
		if pt.prefixOf(p) {
			return true
		}
	}
	return false
}

// isUnordered reports whether the list at p is compared as a multiset.
func (c *compiled) isUnordered(p path) bool {
	for _, pt := range c.unordered {
		if pt.matches(p) {
			return true
		}
	}
	return false
}
