//go:build race

package snapshot

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// TestBigBufSeenByRaceDetector: an unsynchronised write to a big buffer
// is reported, as in a heap buffer (under the race detector, big buffers
// come from the heap). The racing runs in a child process.
func TestBigBufSeenByRaceDetector(t *testing.T) {
	if os.Getenv("SNAPSHOT_RACE_CHILD") == "1" {
		b := bigAlloc(copyChunk)
		var wg sync.WaitGroup
		for g := range 2 {
			wg.Go(func() {
				for i := range 1000 {
					b[0] = byte(g + i)
				}
			})
		}
		wg.Wait()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBigBufSeenByRaceDetector$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SNAPSHOT_RACE_CHILD=1")
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "WARNING: DATA RACE") {
		t.Fatalf("a race on a big buffer went unreported:\n%s", out)
	}
}
