package export

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const childEnv = "EXPORT_TEST_KILL_CHILD_DIR"

// TestKilledExportLeavesNoFinalName runs a child that writes half of a
// directory export and half of an archive export, then kills it with
// SIGKILL and checks that neither final name exists.
func TestKilledExportLeavesNoFinalName(t *testing.T) {
	if dir := os.Getenv(childEnv); dir != "" {
		runKillChild(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledExportLeavesNoFinalName$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child said %q, %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("child exited cleanly, want killed")
	}
	for _, name := range []string{"out", "out.tar.gz"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s exists after kill: %v", name, err)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var tmps int
	for _, e := range ents {
		if !strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("unexpected entry %s", e.Name())
		}
		tmps++
	}
	if tmps == 0 {
		t.Error("no temporary output found: the child wrote nothing")
	}
	// A new export to the same names succeeds despite the leftovers.
	w, err := NewDir(filepath.Join(dir, "out"), testOpts(""))
	if err != nil {
		t.Fatal(err)
	}
	putSample(t, w)
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkSample(t, readDir(t, filepath.Join(dir, "out")))
}

func runKillChild(dir string) {
	fail := func(err error) {
		fmt.Println("error:", err)
		os.Exit(3)
	}
	d, err := NewDir(filepath.Join(dir, "out"), testOpts(""))
	if err != nil {
		fail(err)
	}
	a, err := NewTarGz(filepath.Join(dir, "out.tar.gz"), testOpts(""))
	if err != nil {
		fail(err)
	}
	item := []byte(`{"id":1,"type":"contracts","data":{"title":"half written"}}`)
	for i := 0; i < 2000; i++ {
		for _, w := range []*Writer{d, a} {
			if err := w.Put("items", "contracts", "", item); err != nil {
				fail(err)
			}
			if err := w.Put("types", "", fmt.Sprint(i), []byte(`{}`)); err != nil {
				fail(err)
			}
		}
	}
	fmt.Println("ready")
	select {} // wait for SIGKILL
}
