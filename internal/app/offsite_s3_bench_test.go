package app

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/enspace-sync/enspace-sync/internal/offsite"
	"github.com/enspace-sync/enspace-sync/internal/offsite/s3test"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// BenchmarkOffsiteS3 is BenchmarkOffsite's history (100,000 items, 10
// days at 1% churn) pushed to the real S3 server of the offsite suites
// (internal/offsite/s3test: SeaweedFS on loopback, or the endpoint the
// ENSPACE_TEST_S3_* variables name):
//
//	go test ./internal/app -run '^$' -bench OffsiteS3 -benchtime 1x
//
// It reports what the pushes uploaded, the bucket's bytes against what the
// local database added, and restore-db from the bucket against a plain
// download of every object of the target, one at a time and 8 at once.
func BenchmarkOffsiteS3(b *testing.B) {
	srv := s3test.Get(b)
	const n, days = 100_000, 10
	creds := offsite.Credentials{AccessKeyID: srv.AccessKeyID, SecretAccessKey: srv.SecretAccessKey}
	for range b.N {
		dir := b.TempDir()
		db, err := snapshot.Open(filepath.Join(dir, "local.db"), snapshot.Options{Logger: slog.New(slog.DiscardHandler), BatchObjects: 20_000, BatchBytes: 16 << 20})
		if err != nil {
			b.Fatal(err)
		}
		url := srv.URL(s3test.Prefix(b))
		loc, err := offsite.ParseURL(url)
		if err != nil {
			b.Fatal(err)
		}
		backend, err := offsite.OpenBackend(loc, creds)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		repo, err := offsite.OpenOrInit(ctx, backend, offsite.Options{Password: "bench-password", Name: "bench", BlobID: blobID})
		if err != nil {
			b.Fatal(err)
		}
		var localAdded int64
		pushSeconds := 0.0
		for d := 1; d <= days; d++ {
			s, err := writeOffsiteDay(db, n, d, d)
			if err != nil {
				b.Fatal(err)
			}
			localAdded += s.AddedBytes
			start := time.Now()
			rep, err := repo.Push(ctx, dbSource{db})
			if err != nil {
				b.Fatal(err)
			}
			switch d {
			case 1:
				b.ReportMetric(float64(rep.Uploaded), "first-push-B")
				b.ReportMetric(time.Since(start).Seconds(), "first-push-s")
			case 2:
				b.ReportMetric(float64(rep.Uploaded)/float64(s.AddedBytes), "churn-push/local")
			}
			pushSeconds += time.Since(start).Seconds()
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		var names []string
		var size int64
		if err := backend.List(ctx, "", func(o offsite.ObjectInfo) error {
			names = append(names, o.Name)
			size += o.Size
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(size), "bucket-B")
		b.ReportMetric(float64(size)/float64(localAdded), "bucket/local")
		b.ReportMetric(float64(len(names)), "objects")

		download := func(parallel int) float64 {
			start := time.Now()
			var g errgroup.Group
			g.SetLimit(parallel)
			for _, name := range names {
				g.Go(func() error {
					_, err := backend.Get(ctx, name)
					return err
				})
			}
			if err := g.Wait(); err != nil {
				b.Fatal(err)
			}
			return time.Since(start).Seconds()
		}
		b.ReportMetric(download(1), "download-1-s")
		plain := download(8)
		b.ReportMetric(plain, "download-8-s")
		start := time.Now()
		rep, err := RestoreDB(ctx, RestoreDBRequest{From: url, Password: "bench-password", Credentials: creds, To: filepath.Join(dir, "restored.db")})
		if err != nil {
			b.Fatal(err)
		}
		restore := time.Since(start).Seconds()
		b.ReportMetric(restore, "restore-db-s")
		b.ReportMetric(restore/plain, "restore/download-8")
		if len(rep.Snapshots) != days {
			b.Fatalf("restored %d snapshots, want %d", len(rep.Snapshots), days)
		}
	}
}
