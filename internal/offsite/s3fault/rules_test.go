package s3fault

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func apply(rule Rule, methods ...string) []Fault {
	var out []Fault
	for i, m := range methods {
		out = append(out, rule(Request{N: int64(i + 1), Method: m, Path: "/b/k"}))
	}
	return out
}

func TestRules(t *testing.T) {
	six := []string{"GET", "PUT", "PUT", "GET", "PUT", "DELETE"}
	tests := []struct {
		name string
		rule Rule
		want []Fault
	}{
		{"nth", Nth(2, Reset), []Fault{Pass, Reset, Pass, Pass, Pass, Pass}},
		{"every", Every(3, SlowDown), []Fault{Pass, Pass, SlowDown, Pass, Pass, SlowDown}},
		{"only counts its methods", Only("PUT", Nth(2, Stall)), []Fault{Pass, Pass, Stall, Pass, Pass, Pass}},
		{"only several methods", Only("put, delete", Every(1, Truncate)), []Fault{Pass, Truncate, Truncate, Pass, Truncate, Truncate}},
		{"on path", OnPath("PUT", "/k", Nth(2, Reset)), []Fault{Pass, Pass, Reset, Pass, Pass, Pass}},
		{"where", Where(func(r Request) bool { return r.Method != "GET" }, Every(2, SlowDown)), []Fault{Pass, Pass, SlowDown, Pass, Pass, SlowDown}},
		{"first wins", First(Nth(1, Reset), Every(1, SlowDown)), []Fault{Reset, SlowDown, SlowDown, SlowDown, SlowDown, SlowDown}},
		{"never", Random(1, 0, Reset), []Fault{Pass, Pass, Pass, Pass, Pass, Pass}},
		{"always", Random(1, 1, LoseAnswer), []Fault{LoseAnswer, LoseAnswer, LoseAnswer, LoseAnswer, LoseAnswer, LoseAnswer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, apply(tt.rule, six...)); diff != "" {
				t.Errorf("faults (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRandomIsSeeded(t *testing.T) {
	methods := make([]string, 200)
	for i := range methods {
		methods[i] = "PUT"
	}
	a := apply(Random(7, 0.3, SlowDown, Reset, Truncate), methods...)
	b := apply(Random(7, 0.3, SlowDown, Reset, Truncate), methods...)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different faults:\n%s", diff)
	}
	counts := map[Fault]int{}
	for _, f := range a {
		counts[f]++
	}
	if counts[Pass] < 100 || counts[Pass] > 180 || counts[SlowDown] == 0 || counts[Reset] == 0 || counts[Truncate] == 0 {
		t.Errorf("200 requests at 30%%: %v, want about 140 passes and each fault at least once", counts)
	}
}

func TestFaultNames(t *testing.T) {
	got := []string{Pass.String(), SlowDown.String(), Reset.String(), LoseAnswer.String(), Truncate.String(), Stall.String(), Fault(99).String()}
	want := []string{"pass", "slowdown", "reset", "lose-answer", "truncate", "stall", "fault(99)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}
