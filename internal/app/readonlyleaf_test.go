package app

import (
	"errors"
	"testing"

	"github.com/enspace-sync/enspace-sync/internal/restore"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// TestReadOnlyLeafNotWorkspace: the workspace has no create route and no
// kind has it as Parent, but a plan cannot go without its context: a
// failed workspace.context read on the target must refuse the plan, not
// be swallowed by planSink as an unread read-only kind. Forms and schedule
// tasks stay read-only leaves.
func TestReadOnlyLeafNotWorkspace(t *testing.T) {
	for _, k := range kind.All() {
		if k.Singleton && readOnlyLeaf(k) {
			t.Errorf("%s (a singleton) counts as a read-only leaf", k.Name)
		}
	}
	if readOnlyLeaf(kind.Of(kind.Workspace)) {
		t.Errorf("the workspace counts as a read-only leaf")
	}
	some := false
	for _, k := range kind.All() {
		some = some || readOnlyLeaf(k)
	}
	if !some {
		t.Errorf("no kind is a read-only leaf any more")
	}
}

// TestPlanSinkWorkspaceFailureRefuses: planSink keeps the failure of the
// workspace in the set (which refuses the plan), not among the unread
// read-only kinds it only warns about.
func TestPlanSinkWorkspaceFailureRefuses(t *testing.T) {
	sink := &planSink{Set: restore.NewSet(), unread: map[string]string{}}
	sink.Fail(kind.Workspace, errors.New("workspace.context: 500"))
	if _, ok := sink.Failed()[kind.Workspace]; !ok || len(sink.unread) != 0 {
		t.Fatalf("failed %v, unread %v: want the workspace failed", sink.Failed(), sink.unread)
	}
}

// TestReadRouteOfSingleton: the warning about an unread read-only kind
// names the route to switch off, its list route: every kind the warning
// can be given for has one (it used to print "routes: {: none}" for the
// singletons, which are no read-only leaves now).
func TestReadRouteOfSingleton(t *testing.T) {
	for _, k := range kind.All() {
		if readOnlyLeaf(k) && k.List == "" {
			t.Errorf("%s: a read-only leaf without a list route: the warning would print routes: {: none}", k.Name)
		}
	}
}
