package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/offsite"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// BenchmarkOffsite measures the offsite figures of issue 20 on 100,000
// items of about 350 bytes, pushed to a file:// target:
//
//	go test ./internal/app -run '^$' -bench Offsite -benchtime 1x
//
// It reports the bytes the first push uploaded, those of a push after an
// unchanged backup, and after a backup that changed 1% of the items
// (against the bytes the local database added for that snapshot); the
// target's size after 10 days at 1% churn against the bytes the local
// database holds for those snapshots; and restore-db of that history
// against a plain copy of the target's files, with the part of it that
// reads the target (restore-read-s: the key's derivation, every tree and
// needed pack, each object checked against its id). The pushes keep a
// cache (Options.CacheDir); the 9th day's push is timed with it
// (warm-push-s), the 10th's with an empty one (cold-push-s: every index
// file, and the tree packs that index entries take refs from, read from
// the target). Another daemon with an empty cache then pushes the same
// history to a copy of the target (cold-full-push-s: a full tree of
// objects the target holds, which a format-4 push confirms by reading
// the packs that hold them).
func BenchmarkOffsite(b *testing.B) {
	const n, days = 100_000, 10
	for range b.N {
		dir := b.TempDir()
		db, err := snapshot.Open(filepath.Join(dir, "local.db"), snapshot.Options{Logger: slog.New(slog.DiscardHandler), BatchObjects: 20_000, BatchBytes: 16 << 20})
		if err != nil {
			b.Fatal(err)
		}
		target := filepath.Join(dir, "target")
		ctx := context.Background()
		opts := offsite.Options{Password: "bench-password", Name: "bench", BlobID: blobID, CacheDir: filepath.Join(dir, "cache")}
		repo, err := offsite.OpenOrInit(ctx, offsite.NewFileBackend(target), opts)
		if err != nil {
			b.Fatal(err)
		}
		push := func() offsite.PushReport {
			rep, err := repo.Push(ctx, dbSource{db})
			if err != nil {
				b.Fatal(err)
			}
			return rep
		}
		var localAdded int64
		s, err := writeOffsiteDay(db, n, 1, 1)
		if err != nil {
			b.Fatal(err)
		}
		localAdded += s.AddedBytes
		first := push()
		b.ReportMetric(float64(first.Uploaded), "first-push-B")
		b.ReportMetric(float64(s.AddedBytes), "first-local-added-B")
		s, err = writeOffsiteDay(db, n, 1, 2) // the same content: an unchanged backup
		if err != nil {
			b.Fatal(err)
		}
		localAdded += s.AddedBytes
		b.ReportMetric(float64(push().Uploaded), "unchanged-push-B")
		for d := 2; d <= days; d++ {
			s, err := writeOffsiteDay(db, n, d, d+1)
			if err != nil {
				b.Fatal(err)
			}
			localAdded += s.AddedBytes
			if d == days {
				opts.CacheDir = filepath.Join(dir, "cold-cache")
				if repo, err = offsite.Open(ctx, offsite.NewFileBackend(target), opts); err != nil {
					b.Fatal(err)
				}
			}
			start := time.Now()
			rep := push()
			switch d {
			case days - 1:
				b.ReportMetric(time.Since(start).Seconds(), "warm-push-s")
			case days:
				b.ReportMetric(time.Since(start).Seconds(), "cold-push-s")
			}
			if d == 2 {
				b.ReportMetric(float64(rep.Uploaded), "churn-push-B")
				b.ReportMetric(float64(s.AddedBytes), "churn-local-added-B")
				b.ReportMetric(float64(rep.Uploaded)/float64(s.AddedBytes), "churn-push/local")
			}
		}
		size, _ := dirSize(target)
		b.ReportMetric(float64(size), "target-B")
		b.ReportMetric(float64(localAdded), "local-added-B")
		b.ReportMetric(float64(size)/float64(localAdded), "target/local")
		if fi, err := os.Stat(filepath.Join(dir, "local.db")); err == nil {
			b.ReportMetric(float64(fi.Size()), "local-file-B")
		}
		// Another daemon with an empty cache pushes the same history to a
		// copy of the target: its first snapshot, a full tree, names only
		// objects the target holds, which it must confirm are these
		// (format 4 reads the packs that hold them and hashes them).
		other := filepath.Join(dir, "other-target")
		if _, err := copyDir(target, other); err != nil {
			b.Fatal(err)
		}
		oo := opts
		oo.Name, oo.CacheDir = "bench-other", filepath.Join(dir, "other-cache")
		orepo, err := offsite.Open(ctx, offsite.NewFileBackend(other), oo)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		orep, err := orepo.Push(ctx, dbSource{db})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "cold-full-push-s")
		b.ReportMetric(float64(orep.Blobs), "cold-full-push-objects")
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		if _, err := copyDir(target, filepath.Join(dir, "copy")); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "copy-s")
		// What restore-db spends reading the target: every tree, every
		// data pack that holds an object of a snapshot, each object
		// checked against its id; the rest is filing them locally.
		start = time.Now()
		rr, err := offsite.Open(ctx, offsite.NewFileBackend(target), offsite.Options{Password: "bench-password", BlobID: blobID})
		if err != nil {
			b.Fatal(err)
		}
		snaps, err := rr.Snapshots(ctx)
		if err != nil {
			b.Fatal(err)
		}
		rs, err := rr.NewRestorer(ctx, snaps, dir)
		if err == nil {
			err = rs.Wait(ctx)
		}
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "restore-read-s")
		rs.Close()
		start = time.Now()
		rep, err := RestoreDB(ctx, RestoreDBRequest{From: "file://" + target, Password: "bench-password", To: filepath.Join(dir, "restored.db")})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "restore-db-s")
		if len(rep.Snapshots) != days+1 {
			b.Fatalf("restored %d snapshots", len(rep.Snapshots))
		}
	}
}

// writeOffsiteDay commits a snapshot of n items as on day d: item i
// carries the revision of the last day before or on d whose 1% it is in
// (i%100 == day%100), so each day changes another 1% of the items.
func writeOffsiteDay(db *snapshot.DB, n, d, hour int) (*snapshot.Snapshot, error) {
	at := time.Date(2026, 3, 1, hour, 0, 0, 0, time.UTC)
	w, err := db.Begin("acme", at)
	if err != nil {
		return nil, err
	}
	var buf []byte
	for i := range n {
		rev := 1
		if i%100 >= 2 && i%100 <= d {
			rev = i % 100
		}
		buf = benchItem(buf[:0], i+1, false)
		buf = append(buf[:len(buf)-1], fmt.Sprintf(`,"rev":%d}`, rev)...)
		if err := w.Put("items", "clients", strconv.Itoa(i+1), buf); err != nil {
			_ = w.Abort(err)
			return nil, err
		}
	}
	return w.Commit(snapshot.CommitInfo{FinishedAt: at.Add(time.Minute), Walked: []string{"items"}})
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return err
	})
	return n, err
}

// copyDir copies every file of src under dst: the plain read of the same
// bytes restore-db reads.
func copyDir(src, dst string) (int64, error) {
	var n int64
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		c, err := io.Copy(f, in)
		n += c
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return n, err
}
