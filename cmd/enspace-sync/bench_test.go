package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/enspace-sync/enspace-sync/internal/api/fakeapi"
)

// BenchmarkBackup backs up 100,000 items of the fake API at 20 ms latency
// with concurrency 8, through the real program in a child process, and
// reports against the API-bound ideal (list pages x latency / concurrency):
//
//	go test ./cmd/enspace-sync -run '^$' -bench Backup -benchtime 1x
//
// Figures: wall seconds of the first backup, the ideal, their ratio, the
// requests made, the database size after the first and the second
// (unchanged) snapshot, and the child's peak resident memory.
func BenchmarkBackup(b *testing.B) {
	const (
		itemsPerType = 33_334 // three types: 100,002 items
		latency      = 20 * time.Millisecond
		concurrency  = 8
	)
	srv, err := fakeapi.New(fakeapi.Options{Data: "demo", Items: itemsPerType, Faults: fakeapi.Faults{Latency: latency}})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		cfg := writeTestConfig(b, dir, hs.URL, "concurrency: 8")
		db := filepath.Join(dir, "db", "enspace-sync.db")
		before := srv.Requests()
		fakeBefore := selfCPU()
		wall, rss, cpu := runMeasuredCPU(b, "backup", "--config", cfg, "--workspace", "acme")
		fakeCPU := selfCPU() - fakeBefore // this process serves the fake API
		after := srv.Requests()
		size1, disk1 := fileSize(b, db), diskUsage(db)
		wall2, rss2 := runMeasured(b, "backup", "--config", cfg, "--workspace", "acme")
		size2 := fileSize(b, db)

		// Change 1% of the items (spread over the three types), back up
		// again, and compare what the snapshot added with the compressed
		// size of the changed items.
		changedBytes := changeItems(b, srv, hs.URL, 100)
		runMeasured(b, "backup", "--config", cfg, "--workspace", "acme")
		snaps := listSnapshots(b, cfg)
		added1, added2, added3 := snaps[0]["added_bytes"].(float64), snaps[1]["added_bytes"].(float64), snaps[2]["added_bytes"].(float64)
		b.ReportMetric(100*added2/added1, "%-added-unchanged")
		// Every run also stores the API's request log, which the run itself
		// renews: net of that churn (the unchanged run's added bytes), the
		// growth is what the changed items cost.
		b.ReportMetric(added3/float64(changedBytes), "x-added-1%-changed")
		b.ReportMetric((added3-added2)/float64(changedBytes), "x-added-1%-changed-net")

		requests := after.Total - before.Total
		pages := after.ByRoute["items.list"] - before.ByRoute["items.list"]
		for name, n := range after.ByRoute {
			if len(name) > 5 && name[len(name)-5:] == ".list" && name != "items.list" {
				pages += n - before.ByRoute[name]
			}
		}
		ideal := time.Duration(pages) * latency / concurrency
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(ideal.Seconds(), "ideal-s")
		b.ReportMetric(wall.Seconds()/ideal.Seconds(), "x-ideal")
		b.ReportMetric(float64(requests), "requests")
		b.ReportMetric(float64(pages), "pages")
		b.ReportMetric(float64(size1)/(1<<20), "db-MiB-1st")
		b.ReportMetric(float64(size2)/(1<<20), "db-MiB-2nd")
		// bbolt grows the file up to 16 MiB ahead of its pages; the blocks
		// allocated are what the database takes on disk.
		b.ReportMetric(float64(disk1)/(1<<20), "db-MiB-1st-on-disk")
		b.ReportMetric(float64(max(rss, rss2))/(1<<20), "peak-RSS-MiB")
		b.ReportMetric(wall2.Seconds(), "wall-s-2nd")
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		// The fake API runs in this process, on the same two cores: how busy
		// the machine was tells whether the backup waited on the API or on
		// the CPU it shares with the API.
		b.ReportMetric(fakeCPU.Seconds(), "fake-cpu-s")
		b.ReportMetric(100*(cpu+fakeCPU).Seconds()/(wall.Seconds()*float64(runtime.NumCPU())), "%-cpu-busy")
	}
}

// changeItems edits one item in every `every` of each demo type through the
// fake's own API and returns the zstd-compressed size of the edited items
// as the API now serves them.
func changeItems(b *testing.B, srv *fakeapi.Server, url string, every int) int64 {
	b.Helper()
	ws := srv.Workspace("acme")
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithZeroFrames(true))
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	fields := map[string]string{"clients": "city", "contracts": "status", "invoices": "paid"}
	values := map[string]any{"clients": "Campinas", "contracts": "active", "invoices": true}
	for _, typ := range []string{"clients", "contracts", "invoices"} {
		for i, id := range ws.ItemIDs(typ) {
			if i%every != 0 {
				continue
			}
			if err := ws.UpdateItem(typ, id, map[string]any{fields[typ]: values[typ]}); err != nil {
				b.Fatalf("update %s %d: %v", typ, id, err)
			}
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/ws/types/%s/items/%d", url, typ, id), nil)
			req.Header.Set("x-api-key", fakeapi.DemoAPIKey)
			req.Header.Set("en-workspace", "acme")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			total += int64(len(enc.EncodeAll(body, nil)))
		}
	}
	return total
}

func listSnapshots(b *testing.B, cfg string) []map[string]any {
	b.Helper()
	out, err := selfCommand("snapshots", "--config", cfg, "--json").Output()
	if err != nil {
		b.Fatal(err)
	}
	var snaps []map[string]any
	if err := json.Unmarshal(out, &snaps); err != nil {
		b.Fatal(err)
	}
	return snaps
}

// runMeasured runs the program as a child and returns its wall time and
// peak resident set size in bytes.
func runMeasured(b *testing.B, args ...string) (time.Duration, int64) {
	wall, rss, _ := runMeasuredCPU(b, args...)
	return wall, rss
}

// runMeasuredCPU is runMeasured that also returns the child's CPU time.
func runMeasuredCPU(b *testing.B, args ...string) (time.Duration, int64, time.Duration) {
	b.Helper()
	cmd := selfCommand(args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("%v: %v\n%s", args, err, out)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var rss int64
	var cpu time.Duration
	if ru != nil {
		rss = ru.Maxrss * 1024 // kilobytes on Linux
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return wall, rss, cpu
}

func fileSize(b *testing.B, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

// diskUsage is the disk space allocated to the file at path.
func diskUsage(path string) int64 {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0
	}
	return st.Blocks * 512
}

// selfCPU is the CPU time (user and system) this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
