// Command bench measures enspace-sync against an in-process fake Enspace
// API and prints a Markdown table of medians:
//
//	go run ./cmd/bench [-items N] [-runs 3]
//
// Figures: a backup of N items at 20 ms latency and concurrency 8 against
// the API-bound ideal (list pages x latency / concurrency), its requests
// and the child's peak resident memory; the database after 10 daily
// snapshots with 1% of the items changed each day against the compressed
// size of every object version that existed; the diff of the last two
// days; export time; restore throughput of a deleted type.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

const (
	latency     = 20 * time.Millisecond
	concurrency = 8
	days        = 10
)

func main() {
	items := flag.Int("items", 100_000, "items in the workspace (three types)")
	runs := flag.Int("runs", 3, "runs whose medians are printed")
	bin := flag.String("bin", "", "the enspace-sync binary (default: build it)")
	flag.Parse()
	if err := bench(os.Stdout, *bin, *items, *runs); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// bench runs the measurements runs times and prints the medians to w.
func bench(w io.Writer, bin string, items, runs int) error {
	tmp, err := os.MkdirTemp("", "enspace-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if bin == "" {
		if bin, err = build(tmp); err != nil {
			return err
		}
	}
	all := map[string][]float64{}
	var order []string
	for i := range runs {
		fig, err := benchRun(bin, filepath.Join(tmp, fmt.Sprint(i)), items)
		if err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		for _, f := range fig {
			if _, ok := all[f.name]; !ok {
				order = append(order, f.name)
			}
			all[f.name] = append(all[f.name], f.value)
		}
	}
	fmt.Fprintf(w, "### enspace-sync benchmarks (%d items, %d ms latency, concurrency %d, medians of %d runs)\n\n| what | median |\n|---|---|\n",
		items, latency.Milliseconds(), concurrency, runs)
	for _, name := range order {
		fmt.Fprintf(w, "| %s | %.3g |\n", name, median(all[name]))
	}
	fmt.Fprintln(w, "\nrestic: not measured here (install the restic package and compare with its repository size).")
	return nil
}

type figure struct {
	name  string
	value float64
}

// benchRun makes one run of every measurement in dir.
func benchRun(bin, dir string, items int) ([]figure, error) {
	per := (items + 2) / 3
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Items: per, Faults: fakeapi.Faults{Latency: latency}})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	cfg, db, err := writeConfig(dir, "http://"+ln.Addr().String())
	if err != nil {
		return nil, err
	}
	var fig []figure
	add := func(name string, v float64) { fig = append(fig, figure{name, v}) }

	before := srv.Requests()
	wall, rss, err := measure(bin, "backup", "--config", cfg)
	if err != nil {
		return nil, err
	}
	after := srv.Requests()
	pages := int64(0)
	for name, n := range after.ByRoute {
		if strings.HasSuffix(name, ".list") {
			pages += n - before.ByRoute[name]
		}
	}
	ideal := time.Duration(pages) * latency / concurrency
	add("backup wall s", wall.Seconds())
	add("backup API-bound ideal s", ideal.Seconds())
	add("backup wall / ideal", wall.Seconds()/ideal.Seconds())
	add("backup requests", float64(after.Total-before.Total))
	add("backup peak RSS MiB", float64(rss)/(1<<20))

	// Ten days: each day 1% of the items change, then a backup.
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithZeroFrames(true))
	if err != nil {
		return nil, err
	}
	versions := compressedItems(srv, enc, nil)
	for day := 1; day < days; day++ {
		ws := srv.Workspace("acme")
		var changed []idOf
		for _, typ := range []string{"clients", "contracts", "invoices"} {
			for i, id := range ws.ItemIDs(typ) {
				if (i+day)%100 == 0 {
					if err := ws.UpdateItem(typ, id, map[string]any{"notes": fmt.Sprintf("day %d", day)}); err != nil {
						if err2 := ws.UpdateItem(typ, id, map[string]any{}); err2 != nil {
							return nil, err
						}
					}
					changed = append(changed, idOf{typ, id})
				}
			}
		}
		versions += compressedItems(srv, enc, changed)
		if _, _, err := measure(bin, "backup", "--config", cfg); err != nil {
			return nil, err
		}
	}
	size := fileInfoSize(db)
	add("database MiB after 10 daily snapshots (1% changed a day)", float64(size)/(1<<20))
	add("compressed item versions that ever existed MiB", float64(versions)/(1<<20))
	add("database / compressed versions", float64(size)/float64(versions))

	d, _, err := measure(bin, "diff", "--config", cfg, "--stat")
	if err != nil {
		return nil, err
	}
	add(fmt.Sprintf("diff of the last two days (%d changed items) s", items/100), d.Seconds())
	ex, _, err := measure(bin, "export", "--config", cfg, "--snapshot", "latest", "--output", filepath.Join(dir, "x.tar.gz"))
	if err != nil {
		return nil, err
	}
	add("export --snapshot latest to .tar.gz s", ex.Seconds())

	ws := srv.Workspace("acme")
	n := len(ws.ItemIDs("contracts"))
	if err := ws.DeleteType("contracts"); err != nil {
		return nil, err
	}
	if _, _, err := measure(bin, "backup", "--config", cfg); err != nil {
		return nil, err
	}
	rs, _, err := measure(bin, "restore", "--config", cfg, "--snapshot", "latest~1", "type:contracts")
	if err != nil {
		return nil, err
	}
	add(fmt.Sprintf("restore of a deleted type (%d items) objects/s", n), float64(n)/rs.Seconds())
	return fig, nil
}

type idOf struct {
	typ string
	id  int64
}

// compressedItems returns the zstd size of the given items as served (every
// item of the three types when ids is nil).
func compressedItems(srv *fakeapi.Server, enc *zstd.Encoder, ids []idOf) int64 {
	srv.SetFaults(fakeapi.Faults{})
	defer srv.SetFaults(fakeapi.Faults{Latency: latency})
	ws := srv.Workspace("acme")
	if ids == nil {
		for _, typ := range []string{"clients", "contracts", "invoices"} {
			for _, id := range ws.ItemIDs(typ) {
				ids = append(ids, idOf{typ, id})
			}
		}
	}
	var total int64
	for _, it := range ids {
		req := httpGet(srv, fmt.Sprintf("/ws/types/%s/items/%d", it.typ, it.id))
		total += int64(len(enc.EncodeAll(req, nil)))
	}
	return total
}

// httpGet asks the fake handler directly, without latency on the wire.
func httpGet(srv *fakeapi.Server, path string) []byte {
	rec := &recorder{header: http.Header{}}
	req, _ := http.NewRequest("GET", path, http.NoBody)
	req.Header.Set("x-api-key", fakeapi.DemoAPIKey)
	req.Header.Set("en-workspace", "acme")
	srv.ServeHTTP(rec, req)
	return rec.body.Bytes()
}

type recorder struct {
	header http.Header
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }
func (r *recorder) WriteHeader(int)             {}

// measure runs the program and returns its wall time and peak RSS.
func measure(bin string, args ...string) (time.Duration, int64, error) {
	cmd := exec.Command(bin, args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("%v: %w\n%s", args, err, out)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024
	}
	return wall, rss, nil
}

func writeConfig(dir, url string) (cfg, db string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte(fakeapi.DemoAPIKey+"\n"), 0o600); err != nil {
		return "", "", err
	}
	db = filepath.Join(dir, "db", "enspace-sync.db")
	cfg = filepath.Join(dir, "config.yaml")
	text := fmt.Sprintf("database: %s\nlog: {level: error}\nlisten: \"off\"\nenvironments:\n  local:\n    base_url: %s\n    api_key_file: key\n"+
		"    requests_per_second: 0\n    concurrency: %d\nworkspaces:\n  - name: acme\n    environment: local\n", db, url, concurrency)
	return cfg, db, os.WriteFile(cfg, []byte(text), 0o600)
}

func build(dir string) (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "enspace-sync")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/enspace-sync")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(out)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build: %w\n%s", err, out)
	}
	return bin, nil
}

func fileInfoSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
