package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/offsite"
)

// TestOffsiteCacheDirSpellings: restore-db given the target as
// "file:///dir/target/" fills the cache that a push to the config's
// "file:///dir/target" reads, so the rebuilt machine's first push does
// not read the target again. Before, the cache was named by the URL as
// typed, and the two spellings had two caches.
func TestOffsiteCacheDirSpellings(t *testing.T) {
	dir := t.TempDir()
	db := openOrigDB(t, dir)
	writeRoundTripDay(t, db, "acme", 1)
	svc := offsiteTestService(t, dir, db, "cache-Password-1")
	ctx := context.Background()
	if _, err := svc.OffsitePush(ctx, ""); err != nil {
		t.Fatal(err)
	}
	to := filepath.Join(dir, "new", "restored.db")
	if _, err := RestoreDB(ctx, RestoreDBRequest{From: "file://" + dir + "/./target/", Password: "cache-Password-1", To: to}); err != nil {
		t.Fatal(err)
	}
	t0, _ := svc.Config().OffsiteTarget("nas")
	want := offsiteCacheDir(to, t0.Location(), t0.URL)
	entries, err := os.ReadDir(filepath.Dir(want))
	if err != nil || len(entries) != 1 || entries[0].Name() != filepath.Base(want) {
		t.Fatalf("restore-db filled %v (%v), want only %s, the cache a push to %s reads", entries, err, filepath.Base(want), t0.URL)
	}
	if left, _ := os.ReadDir(want); len(left) == 0 {
		t.Errorf("restore-db left the cache %s empty", want)
	}
}

// TestOffsiteCacheDirMoved: a cache named by the URL as typed (earlier
// builds) is moved to the canonical name the first time it is used, and
// one already there is left alone.
func TestOffsiteCacheDirMoved(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "enspace-sync.db")
	const typed = "s3://bkt/acme/?region=eu-west-1&path_style=true"
	loc, err := offsite.ParseURL(typed)
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "offsite-cache", cacheKey(typed))
	if err := os.MkdirAll(filepath.Join(old, "index"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old, "index", "ab"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := offsiteCacheDir(db, loc, typed)
	if got == old {
		t.Fatalf("the cache of %q is still named by its spelling", typed)
	}
	if _, err := os.Stat(filepath.Join(got, "index", "ab")); err != nil {
		t.Errorf("the old cache was not moved to %s: %v", got, err)
	}
	other, _ := offsite.ParseURL("s3://bkt/acme?path_style=true&region=eu-west-1")
	if again := offsiteCacheDir(db, other, "s3://bkt/acme?path_style=true&region=eu-west-1"); again != got {
		t.Errorf("two spellings of one target: caches %s and %s", got, again)
	}
	// A second old directory does not replace the canonical one.
	if err := os.MkdirAll(old, 0o700); err != nil {
		t.Fatal(err)
	}
	offsiteCacheDir(db, loc, typed)
	if _, err := os.Stat(filepath.Join(got, "index", "ab")); err != nil {
		t.Errorf("the canonical cache was replaced: %v", err)
	}
}
