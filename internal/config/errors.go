package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Sentinel errors of the config package. Every *Error unwraps to the
// sentinels of its problems, so errors.Is(err, ErrUnknownKey) works on what
// Load, Parse, Validate and ResolveSecrets return.
var (
	// ErrEmpty is returned when the file holds no YAML document, or only a
	// null one.
	ErrEmpty = errors.New("empty configuration")
	// ErrSyntax is returned for text that is not YAML, a second YAML
	// document, or a malformed ${...} reference.
	ErrSyntax = errors.New("invalid YAML")
	// ErrTooLarge is returned when the configuration file is larger than
	// MaxFileSize, or a key file larger than MaxKeyFileSize.
	ErrTooLarge = errors.New("file too large")
	// ErrUnknownKey is returned for a key the configuration does not have.
	ErrUnknownKey = errors.New("unknown key")
	// ErrInvalid is returned for a value of the wrong type or outside its
	// range, and for every other finding of Validate.
	ErrInvalid = errors.New("invalid value")
	// ErrUnsetVariable is returned for ${VAR} when VAR is not set and no
	// default is given.
	ErrUnsetVariable = errors.New("unset variable")
	// ErrKeyFile is returned when a key or secret file is missing,
	// unreadable, not a regular file, or empty.
	ErrKeyFile = errors.New("unusable key file")
	// ErrInsecureKeyFile is returned when a key or secret file can be read
	// by its group or by others.
	ErrInsecureKeyFile = errors.New("key file readable by others")
	// ErrUnknownWorkspace is returned by Config.Workspace for a name no
	// workspace has.
	ErrUnknownWorkspace = errors.New("unknown workspace")
)

// Problem is one finding in a configuration: where it is and what is wrong.
// Its text never holds a secret value.
type Problem struct {
	File string // the name given to Parse (the path for Load); "" when unknown
	Line int    // 1-based line in File; 0 when unknown
	Path string // the key's path, such as "workspaces[1].schedule"; "" when the message names it
	Msg  string // what is wrong
	Err  error  // the sentinel this problem is an instance of
}

// String formats the problem as "file:line: path: message".
func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.File != "" && p.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", p.File, p.Line)
	case p.File != "":
		b.WriteString(p.File + ": ")
	case p.Line > 0:
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error holds every problem found in one pass over a configuration, in
// the order of their lines, then of their key paths (sortProblems).
type Error struct {
	Problems []Problem
}

// Error lists the problems, one per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the distinct sentinels of the problems.
func (e *Error) Unwrap() []error {
	var out []error
	for _, p := range e.Problems {
		if p.Err != nil && !containsErr(out, p.Err) {
			out = append(out, p.Err)
		}
	}
	return out
}

func containsErr(list []error, err error) bool {
	for _, e := range list {
		if e == err {
			return true
		}
	}
	return false
}

// problems collects findings and scrubs secrets out of their text.
type problems struct {
	file    string
	lines   map[string]int // key path -> line, from parsing
	secrets []string       // values that must never appear in a message
	list    []Problem
	claims  []claim // problems that belong to one environment or target
}

// claim is a run of problems, list[first:end], that belongs to one
// environment's key, its integration secrets, or one offsite target.
type claim struct {
	first, end int
	set        func(error)
}

// claim records that the problems added since first belong to one item:
// settle hands them to set.
func (ps *problems) claim(first int, set func(error)) {
	ps.claims = append(ps.claims, claim{first: first, end: len(ps.list), set: set})
}

// settle gives each claim its problems as one *Error (nil when it has
// none). Call it once the messages are scrubbed, before err sorts them.
func (ps *problems) settle() {
	for _, c := range ps.claims {
		if c.end > c.first {
			c.set(&Error{Problems: append([]Problem(nil), ps.list[c.first:c.end]...)})
		} else {
			c.set(nil)
		}
	}
}

// add records a problem at an explicit line.
func (ps *problems) add(line int, path string, sentinel error, format string, args ...any) {
	ps.list = append(ps.list, Problem{
		File: ps.file, Line: line, Path: path,
		Msg: ps.scrub(fmt.Sprintf(format, args...)), Err: sentinel,
	})
}

// at records a problem at the line of path, or of its nearest parent.
func (ps *problems) at(path string, sentinel error, format string, args ...any) {
	ps.add(lineOf(ps.lines, path), path, sentinel, format, args...)
}

// err returns the problems as an *Error, or nil.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	sortProblems(ps.list)
	return &Error{Problems: ps.list}
}

// keyPattern matches text shaped like an Enspace API key, even a truncated one.
var keyPattern = regexp.MustCompile(`en\.[A-Za-z0-9]{16,}`)

const redacted = "[redacted]"

// scrub removes known secret values and anything shaped like an API key.
func (ps *problems) scrub(s string) string {
	return scrubText(s, ps.secrets)
}

func scrubText(s string, secrets []string) string {
	for _, v := range secrets {
		if len(v) >= minScrubLen {
			s = strings.ReplaceAll(s, v, redacted)
		}
	}
	return keyPattern.ReplaceAllString(s, redacted)
}

// minScrubLen is the shortest secret value scrubbed from messages; shorter
// values would mangle ordinary words and are not worth hiding.
const minScrubLen = 6

// lineOf returns the line of path or of its nearest parent that has one.
func lineOf(lines map[string]int, path string) int {
	for path != "" {
		if l, ok := lines[path]; ok {
			return l
		}
		path = parentPath(path)
	}
	return 0
}

// parentPath strips the last segment of a key path: "a.b[2]" -> "a.b",
// "a.b" -> "a", `a["x.y"]` -> "a".
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndex(path, "["); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}
