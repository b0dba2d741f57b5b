package snapshot

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const crashEnv = "SNAPSHOT_TEST_CRASH_DB"

// TestCrashChild is the child process of TestCrashRecovery: it starts a
// run, puts objects (several batches reach the file), says so on stdout
// and waits to be killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("child process of TestCrashRecovery")
	}
	db, err := Open(path, Options{Logger: quiet, BatchObjects: 500, Command: "snapshot.test crash-child"})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	w, err := db.Begin("acme", t0.Add(time.Hour))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for id := 1; id <= 2200; id++ {
		if err := w.Put("items", "contracts", fmt.Sprint(id), item(id, 7)); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
	}
	fmt.Println("ready", w.ID())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // blocks until killed
	os.Exit(3)
}

func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshots.db")
	db, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	before := snapshotOf(t, db, "acme", 100, same)
	blobs := countBlobs(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child said %q, %v", line, err)
	}
	runID := strings.TrimSpace(strings.TrimPrefix(line, "ready "))

	// While the child holds the lock, a second opener is told who holds it.
	_, err = Open(path, Options{Logger: quiet, Timeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d (snapshot.test crash-child)", cmd.Process.Pid)) {
		t.Errorf("open while the child runs: %v, want ErrLocked naming pid %d", err, cmd.Process.Pid)
	}

	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = cmd.Wait()

	db, err = Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatalf("open after the kill: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
		checkFile(t, path)
	})
	rec := db.Recovered()
	if len(rec) != 1 || rec[0].ID != runID || rec[0].Outcome != OutcomeAborted || rec[0].Error != interrupted || rec[0].Ending != EndKilled {
		t.Errorf("recovered = %+v, want run %s aborted", rec, runID)
	}
	snaps, err := db.Snapshots("")
	if err != nil || len(snaps) != 1 || snaps[0].ID != before.ID {
		t.Errorf("snapshots after the kill = %v, %v; want only %s", snaps, err, before.ID)
	}
	runs, err := db.Runs("acme")
	if err != nil || len(runs) != 2 || runs[1].ID != runID || runs[1].Outcome != OutcomeAborted {
		t.Errorf("runs = %+v, %v", runs, err)
	}
	if got := countBlobs(t, db); got != blobs {
		t.Errorf("blobs after recovery = %d, want %d (the killed run's reclaimed)", got, blobs)
	}
	if got := count(t, db, bucketPending); got != 0 {
		t.Errorf("pending keys after recovery = %d, want 0", got)
	}
	rep, err := db.Verify(true, nil)
	if err != nil || !rep.OK() {
		t.Errorf("verify after recovery: %v %v", err, rep.Problems)
	}
	next := snapshotOf(t, db, "acme", 150, same)
	if next.Objects != 150 || next.Status != StatusComplete {
		t.Errorf("next snapshot: %d objects, %s", next.Objects, next.Status)
	}
}

// TestCloseMidRun abandons a Writer by closing the database, the in-process
// form of a crash.
func TestCloseMidRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "snapshots.db")
	db, err := Open(path, Options{Logger: quiet, BatchObjects: 10})
	if err != nil {
		t.Fatal(err)
	}
	w, err := db.Begin("acme", t0)
	if err != nil {
		t.Fatal(err)
	}
	for id := 1; id <= 35; id++ {
		if err := w.Put("types", "", fmt.Sprint(id), item(id, 0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(lockInfoPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock info after Close: %v, want removed", err)
	}
	db, err = Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = db.Close()
		checkFile(t, path)
	}()
	if rec := db.Recovered(); len(rec) != 1 || rec[0].ID != w.ID() {
		t.Errorf("recovered = %+v", rec)
	}
	if got := countBlobs(t, db); got != 0 {
		t.Errorf("%d blobs left, want 0", got)
	}
	if s, _ := db.Snapshots(""); len(s) != 0 {
		t.Errorf("%d snapshots, want 0", len(s))
	}
}
