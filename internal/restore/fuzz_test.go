package restore

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzDecodePlan feeds plan files, which an operator may edit or corrupt:
// DecodePlan must refuse what the engine cannot run, and never panic.
func FuzzDecodePlan(f *testing.F) {
	f.Add(`{"format":"enspace-sync plan","version":1,"source":"a","target":"b","steps":[{"kind":"types","key":"x","action":"create","source_id":"7","body":{"slug":"x"},"level":1}]}`)
	f.Add(`{"format":"enspace-sync plan","version":1,"source":"a","target":"b","steps":[{"kind":"permissions","key":"5","action":"update","body":{"add":[]},"level":5},{"kind":"types","key":"x","action":"delete","target_id":"9","level":12}]}`)
	f.Add(`{"format":"enspace-sync plan","version":2}`)
	f.Add(`{"format":"enspace-sync plan","version":1,"source":"a","target":"b","steps":[null]}`)
	f.Add(`[]`)
	f.Add(`{"format":"enspace-sync plan","version":1,"source":"a","target":"b","scope":{"kinds":["items"],"types":["x"],"items":{"x":["7",".."]}},"steps":[]}`)
	f.Fuzz(func(t *testing.T, in string) {
		p, err := DecodePlan(strings.NewReader(in))
		if err != nil {
			return
		}
		if err := p.Scope.check(); err != nil {
			t.Fatalf("accepted a scope that fails its check: %v", err)
		}
		for _, s := range p.Steps {
			if err := s.check(); err != nil {
				t.Fatalf("accepted a step that fails its check: %v", err)
			}
		}
		var buf bytes.Buffer
		if err := WritePlan(&buf, p); err != nil {
			t.Fatal(err)
		}
		if _, err := DecodePlan(&buf); err != nil {
			t.Fatalf("a plan written back does not read: %v", err)
		}
		_ = WriteText(&bytes.Buffer{}, p)
	})
}
