package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

const (
	latency     = 20 * time.Millisecond
	concurrency = 8
	days        = 10
)

// options are the sizes of one benchmark.
type options struct {
	bin          string // the program; built when empty
	self         string // this program, which plays the bare pager as a child
	items        int    // items of the main workspace (three types)
	runs         int    // runs whose medians are printed
	restoreItems int    // items of the deleted and restored type
	memoryItems  int    // items of the once-only memory backup; 0 skips it
	typePlan     string // the type whose restore plan the memory run measures; "" skips it
	exportOnly   bool   // only the export figures, after one backup
	backupOnly   bool   // only the first backup and the bare pager, each run
	pagerRuns    int    // bare pager runs after each backup, whose medians are used
	storageOnly  bool   // only the 10-day storage figures
	keep         bool   // keep the working directory (databases, exports) and print its path
	logf         func(format string, args ...any)
}

func main() {
	if pagerMain() {
		return
	}
	var o options
	flag.IntVar(&o.items, "items", 100_000, "items in the workspace (three types)")
	flag.IntVar(&o.runs, "runs", 3, "runs whose medians are printed (0: only the memory backup)")
	flag.IntVar(&o.restoreItems, "restore-items", 3000, "items of the type deleted and restored")
	flag.IntVar(&o.memoryItems, "memory-items", 1_000_000, "items of the once-only peak-memory backup (0 skips it)")
	flag.StringVar(&o.typePlan, "type-plan", "contracts", "the type whose restore plan is measured at -memory-items (\"\" skips it)")
	flag.IntVar(&o.pagerRuns, "pager-runs", 3, "bare pager runs after each backup (their median wall time and CPU are the figures)")
	flag.BoolVar(&o.backupOnly, "backup-only", false, "only the first backup against the bare pager (-runs rounds), then the memory run")
	flag.BoolVar(&o.exportOnly, "export-only", false, "only back up once and measure export (-runs rounds)")
	flag.BoolVar(&o.storageOnly, "storage-only", false, "only measure storage over 10 days (-runs rounds)")
	flag.BoolVar(&o.keep, "keep", false, "keep the working directory (databases, exports) for inspection and print its path")
	flag.StringVar(&o.bin, "bin", "", "the enspace-sync binary (default: build it)")
	flag.Parse()
	o.logf = func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
	}
	if err := bench(os.Stdout, o); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// figure is one measured value of one run; text, when set, replaces the
// value (a figure that could not be measured).
type figure struct {
	name  string
	value float64
	text  string
}

// table collects the figures of every run in first-seen order.
type table struct {
	order []string
	vals  map[string][]float64
	text  map[string]string
}

func (t *table) add(fig []figure) {
	if t.vals == nil {
		t.vals, t.text = map[string][]float64{}, map[string]string{}
	}
	for _, f := range fig {
		if _, ok := t.vals[f.name]; !ok {
			t.order = append(t.order, f.name)
			t.vals[f.name] = nil
		}
		if f.text != "" {
			t.text[f.name] = f.text
			continue
		}
		t.vals[f.name] = append(t.vals[f.name], f.value)
	}
}

func (t *table) print(w io.Writer) {
	fmt.Fprint(w, "| what | median | min – max |\n|---|---|---|\n")
	for _, name := range t.order {
		v := t.vals[name]
		if len(v) == 0 {
			fmt.Fprintf(w, "| %s | %s | |\n", name, t.text[name])
			continue
		}
		s := append([]float64(nil), v...)
		sort.Float64s(s)
		fmt.Fprintf(w, "| %s | %s | %s – %s (%d) |\n", name, num(median(s)), num(s[0]), num(s[len(s)-1]), len(s))
	}
}

// bench runs the measurements o.runs times and prints the medians to w.
func bench(w io.Writer, o options) error {
	if o.logf == nil {
		o.logf = func(string, ...any) {}
	}
	if o.self == "" {
		var err error
		if o.self, err = os.Executable(); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "enspace-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(os.Stderr, "bench: keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	if o.bin == "" {
		if o.bin, err = build(tmp); err != nil {
			return err
		}
	}
	var main, memory table
	if o.exportOnly {
		fig, err := exportOnly(o, filepath.Join(tmp, "export"))
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		main.add(fig)
		fmt.Fprintf(w, "### enspace-sync export (%d items, medians of %d rounds, %d CPUs)\n\n", o.items, o.runs, runtime.NumCPU())
		main.print(w)
		return nil
	}
	restic, _ := lookRestic()
	if o.storageOnly {
		fig, err := storageOnly(o, restic, filepath.Join(tmp, "storage"))
		if err != nil {
			return fmt.Errorf("storage: %w", err)
		}
		main.add(fig)
		fmt.Fprintf(w, "### enspace-sync storage after %d days at 1%% churn (%d items, medians of %d rounds, %d CPUs)\n\n", days, o.items, o.runs, runtime.NumCPU())
		main.print(w)
		return nil
	}
	for i := range o.runs {
		o.logf("run %d of %d", i+1, o.runs)
		fig, err := benchRun(o, restic, filepath.Join(tmp, fmt.Sprint(i)))
		if err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		main.add(fig)
		if o.backupOnly {
			continue
		}
		fig, err = restoreRun(o, filepath.Join(tmp, fmt.Sprint(i), "restore"))
		if err != nil {
			return fmt.Errorf("run %d: restore: %w", i, err)
		}
		main.add(fig)
	}
	if o.memoryItems > 0 {
		o.logf("memory backup of %d items", o.memoryItems)
		fig, err := memoryRun(o, filepath.Join(tmp, "memory"))
		if err != nil {
			return fmt.Errorf("memory run: %w", err)
		}
		memory.add(fig)
	}
	fmt.Fprintf(w, "### enspace-sync benchmarks (%d items, %d ms latency, concurrency %d, medians of %d runs)\n\n",
		o.items, latency.Milliseconds(), concurrency, o.runs)
	fmt.Fprintf(w, "Machine: %d CPUs, %s %s/%s, the fake API in the same process as the benchmark.\n",
		runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if o.runs > 0 {
		fmt.Fprintln(w)
		main.print(w)
	}
	if o.memoryItems > 0 {
		fmt.Fprintf(w, "\n#### Peak memory at %s items (one run)\n\n", num(float64(o.memoryItems)))
		memory.print(w)
	}
	return nil
}

// num formats a figure with three significant digits, or from 1,000 up as
// a rounded integer with thousands separators.
func num(v float64) string {
	if v >= 1000 {
		s := fmt.Sprint(int64(math.Round(v)))
		var b strings.Builder
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		return b.String()
	}
	return fmt.Sprintf("%.3g", v)
}

func median(s []float64) float64 {
	switch {
	case len(s) == 0:
		return 0
	case len(s)%2 == 1:
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
