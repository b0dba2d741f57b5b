package diff

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/enspace-sync/enspace-sync/internal/jsonv"
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

// step returns the i-th segment of p as a pattern sees it: a member is a
// name, any list position or element an element.
func (p path) step(i int) jsonv.Step {
	return jsonv.Step{Key: p[i].key, Elem: p[i].kind != segKey}
}

// prefixOf reports whether pt matches p or one of its ancestors.
func prefixOf(pt jsonv.Pattern, p path) bool {
	if pt.Len() == 0 || pt.Len() > len(p) {
		return false
	}
	for i := range pt.Len() {
		if !pt.MatchStep(i, p.step(i)) {
			return false
		}
	}
	return true
}

// compiled is a KindInfo with its paths parsed.
type compiled struct {
	info      KindInfo
	labels    []jsonv.Pattern
	server    []jsonv.Pattern
	unordered []jsonv.Pattern
}

func compile(k KindInfo) (*compiled, error) {
	c := &compiled{info: k}
	for _, set := range []struct {
		paths []string
		dst   *[]jsonv.Pattern
		what  string
	}{
		{k.LabelFields, &c.labels, "label field"},
		{k.ServerAssigned, &c.server, "server-assigned path"},
		{k.Unordered, &c.unordered, "unordered path"},
	} {
		for _, s := range set.paths {
			p, err := jsonv.ParsePattern(s)
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
		if prefixOf(pt, p) {
			return true
		}
	}
	return false
}

// isUnordered reports whether the list at p is compared as a multiset.
func (c *compiled) isUnordered(p path) bool {
	for _, pt := range c.unordered {
		if pt.Len() == len(p) && prefixOf(pt, p) {
			return true
		}
	}
	return false
}
