package main

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module's build information.
var version = ""

func init() {
	register(&command{
		name:    "version",
		summary: "print the version of enspace-sync",
		usage:   "enspace-sync version [--json]",
		help: `Prints the version, the Go version it was built with and the commit.
The version is the module version for a binary built with "go install
...@VERSION" (or the one set with -ldflags "-X main.version=..."), else
"dev"; the commit is the VCS revision, with "modified" when the tree had
uncommitted changes, for a binary built from a clone with go build or go
install (absent when built with -buildvcs=false).

Example:
  enspace-sync version --json`,
		run: runVersion,
	})
}

func runVersion(ctx context.Context, m *Main, args []string) error {
	cmd := commands["version"]
	fs := newFlags(cmd)
	o := &versionOptions{}
	fs.BoolVar(&o.asJSON, "json", false, "print the version as JSON")
	if _, err := m.parse(cmd, fs, args); err != nil {
		return err
	}
	return versionCommand(ctx, m, o)
}

// versionOptions are version's flags.
type versionOptions struct{ asJSON bool }

// versionCommand prints the version.
func versionCommand(ctx context.Context, m *Main, o *versionOptions) error {
	info := versionInfo()
	if o.asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	fmt.Fprintf(m.Stdout, "enspace-sync %s (%s", info.Version, info.Go)
	if info.Commit != "" {
		fmt.Fprintf(m.Stdout, ", commit %s", info.Commit)
	}
	if info.Modified {
		fmt.Fprint(m.Stdout, ", modified")
	}
	fmt.Fprintln(m.Stdout, ")")
	return nil
}

type buildInfo struct {
	Version string `json:"version"`
	Go      string `json:"go"`
	Commit  string `json:"commit,omitempty"`
	// Modified is true when the build's tree had uncommitted changes.
	Modified bool `json:"modified,omitempty"`
}

func versionInfo() buildInfo {
	info := buildInfo{Version: version, Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && len(s.Value) >= 12:
				info.Commit = s.Value[:12]
			case s.Key == "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	return info
}
