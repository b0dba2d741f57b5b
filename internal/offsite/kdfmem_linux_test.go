//go:build linux && !race

package offsite

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// minorFaults returns the process's minor page faults so far.
func minorFaults(t *testing.T) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Skip(err)
	}
	return int64(ru.Minflt)
}

// kdfPages is DefaultKDF's memory in 4 KiB pages: what a cold derivation
// faults in.
var kdfPages = int64(DefaultKDF.Memory) / 4

// The child process of TestWarmKDF: the repository to open, and whether
// to warm.
const (
	warmKDFDirEnv  = "ENSPACE_TEST_WARMKDF_DIR"
	warmKDFWarmEnv = "ENSPACE_TEST_WARMKDF_WARM"
	warmKDFPassEnv = "ENSPACE_TEST_WARMKDF_PASSWORD"
)

// openFaults opens the repository at dir in a new process, as restore-db
// (warm) or the daemon (cold) would, and returns the page faults the Open
// took. A process of its own: the huge-page advice stays on the heap for
// the process's life, and what earlier tests of the package (or earlier
// derivations) left free on the heap decides where IDKey's allocation
// lands; a new process has neither, as restore-db has not. The fewest of
// three, each a new process.
func openFaults(t *testing.T, dir, password string, warm bool) int64 {
	fewest := int64(-1)
	for range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWarmKDF$", "-test.v")
		cmd.Env = append(os.Environ(), warmKDFDirEnv+"="+dir, warmKDFWarmEnv+"="+strconv.FormatBool(warm), warmKDFPassEnv+"="+password)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		_, after, ok := strings.Cut(string(out), "open faults: ")
		if !ok {
			t.Fatalf("child said no faults:\n%s", out)
		}
		n, err := strconv.ParseInt(strings.Fields(after)[0], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if fewest < 0 || n < fewest {
			fewest = n
		}
	}
	return fewest
}

// thp returns the kernel's transparent huge page mode: always, madvise,
// never, or "" when it cannot be read.
func thp() string {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return ""
	}
	_, after, ok := strings.Cut(string(b), "[")
	mode, _, ok2 := strings.Cut(after, "]")
	if !ok || !ok2 {
		return ""
	}
	return mode
}

// TestWarmKDF checks that Open leaves argon2id's 64 MiB cold by
// default (the daemon's derivations), that Options.WarmKDF has it come
// warm instead of faulted in page by page, and that the key is the same.
// Each Open runs in a process of its own (openFaults). Not under the
// race detector, whose shadow memory faults in beside the heap.
func TestWarmKDF(t *testing.T) {
	ctx := context.Background()
	if dir := os.Getenv(warmKDFDirEnv); dir != "" {
		warm := os.Getenv(warmKDFWarmEnv) == "true"
		before := minorFaults(t)
		if _, err := Open(ctx, NewFileBackend(dir), Options{Password: os.Getenv(warmKDFPassEnv), WarmKDF: warm}); err != nil {
			t.Fatal(err)
		}
		t.Logf("open faults: %d", minorFaults(t)-before)
		return
	}
	if testing.Short() {
		t.Skip("derivations at 64 MiB")
	}
	dir := t.TempDir()
	r, err := OpenOrInit(ctx, NewFileBackend(dir), Options{Password: "pw", KDF: DefaultKDF})
	if err != nil {
		t.Fatal(err)
	}
	// A second key (a rotated password): Open with it derives twice,
	// the first key's name coming first.
	if _, err := r.AddKey(ctx, "pw2"); err != nil {
		t.Fatal(err)
	}
	mode := thp()
	switch mode {
	case "always": // every derivation gets huge pages
		t.Log("transparent huge pages always on: a cold derivation is not checked")
	default:
		if n := openFaults(t, dir, "pw", false); n < kdfPages/2 {
			t.Errorf("Open without WarmKDF faulted %d pages at best, want about %d: it was warmed", n, kdfPages)
		}
	}
	switch mode {
	case "always", "madvise":
		if n := openFaults(t, dir, "pw", true); n >= kdfPages/4 {
			t.Errorf("Open with WarmKDF faulted %d pages at best, want under %d: its memory was not warm", n, kdfPages/4)
		}
		if n := openFaults(t, dir, "pw2", true); n >= kdfPages/4 {
			t.Errorf("Open with WarmKDF of the second key (two derivations) faulted %d pages at best, want under %d: the second was not warm", n, kdfPages/4)
		}
	default: // no huge pages to ask for: warming only moves the faults
		t.Logf("transparent huge pages %q: a warm derivation is not checked", mode)
	}
	salt := make([]byte, 32)
	if string(derive("password", salt, DefaultKDF, true)) != string(derive("password", salt, DefaultKDF, false)) {
		t.Fatal("a warm derivation gave another key")
	}
}
