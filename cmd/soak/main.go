package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// options are the soak run's settings.
type options struct {
	bin          string
	crash        int
	restoreCrash int
	killCommit   int
	killMaint    int
	bitRot       int
	faults       int
	items        int
	only         string
	seed         uint64
	tmp          string
	log          io.Writer
}

// parts are the parts in the order they run.
var parts = []struct {
	name string
	run  func(o *options) (*table, error)
}{
	{"crash", runCrash},
	{"restore-crash", runRestoreCrash},
	{"faults", runFaults},
	{"bad-input", runBadInput},
	{"secrets", runSecrets},
	{"kill-commit", runKillCommit},
	{"kill-maintenance", runKillMaintenance},
	{"bitrot", runBitRot},
}

func main() {
	o := &options{log: os.Stderr}
	flag.StringVar(&o.bin, "bin", "", "the enspace-sync binary to test (default: build it)")
	flag.IntVar(&o.crash, "crash", 5, "backups to kill with SIGKILL")
	flag.IntVar(&o.restoreCrash, "restore-crash", 3, "restores to kill with SIGKILL and run again")
	flag.IntVar(&o.faults, "faults", 3, "backups through injected API faults")
	flag.IntVar(&o.killCommit, "kill-commit", 10, "backups of a deletion to kill with SIGKILL near their commit")
	flag.IntVar(&o.killMaint, "kill-maintenance", 9, "runs of forget --prune, prune and db compact to kill with SIGKILL")
	flag.IntVar(&o.bitRot, "bitrot", 5, "bytes of stored objects to damage, each followed by a healing backup")
	flag.IntVar(&o.items, "items", 1500, "items per demo type in the crash and fault parts")
	flag.StringVar(&o.only, "only", "", "run only these parts, comma separated: crash, restore-crash, faults, bad-input, secrets, kill-commit, kill-maintenance, bitrot")
	flag.Uint64Var(&o.seed, "seed", 0, "seed of the random kill moments (0 = from the clock)")
	flag.Parse()
	tables, err := soak(o, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "soak: %v\n", err)
		os.Exit(1)
	}
	if bad := failures(tables); len(bad) > 0 {
		fmt.Fprintf(os.Stderr, "soak: safety figures not zero:\n  %s\n", strings.Join(bad, "\n  "))
		os.Exit(1)
	}
}

// soak runs the selected parts and prints each table to w as it is done.
func soak(o *options, w io.Writer) ([]*table, error) {
	want := map[string]bool{}
	for _, p := range strings.Split(o.only, ",") {
		if p = strings.TrimSpace(p); p != "" {
			want[p] = true
		}
	}
	for p := range want {
		if !knownPart(p) {
			return nil, fmt.Errorf("unknown part %q", p)
		}
	}
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	tmp, err := os.MkdirTemp("", "enspace-soak-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	o.tmp = tmp
	if o.bin == "" {
		if o.bin, err = buildBinary(tmp); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(w, "## enspace-sync soak (seed %d)\n\n", o.seed)
	var tables []*table
	for _, p := range parts {
		if len(want) > 0 && !want[p.name] {
			continue
		}
		start := time.Now()
		t, err := p.run(o)
		if err != nil {
			return tables, fmt.Errorf("%s: %w", p.name, err)
		}
		t.add("time taken", "%s", time.Since(start).Round(100*time.Millisecond))
		t.write(w)
		tables = append(tables, t)
	}
	return tables, nil
}

func knownPart(name string) bool {
	for _, p := range parts {
		if p.name == name {
			return true
		}
	}
	return false
}

// failures lists every safety figure that is not zero.
func failures(tables []*table) []string {
	var out []string
	for _, t := range tables {
		out = append(out, t.failed()...)
	}
	return out
}
