package restore

import "testing"

// A server may answer the lists whose order it does not promise (a role's
// permissions, a group's users, a stage's tasks and their assignees) in
// another order on every read: a saved plan must still apply. A real
// change, or a new order of a list whose order matters (a form's fields),
// must change the fingerprint.
func TestFingerprintIgnoresOrderOfUnorderedLists(t *testing.T) {
	base := func(role, group, stage, form string) *Set {
		return setOf(t,
			[4]string{"roles", "", "5", role},
			[4]string{"groups", "", "7", group},
			[4]string{"stages", "f1", "9", stage},
			[4]string{"forms", "contracts", "3", form},
		)
	}
	const (
		role    = `{"id":5,"slug":"sales","permissions":[{"id":1,"entity":"contracts","action":"read"},{"id":2,"entity":"invoices","action":"update"}]}`
		group   = `{"id":7,"name":"Finance","users":[11,12,13]}`
		stage   = `{"id":9,"name":"Review","tasks":[{"name":"a","assignees":{"members":[11,12]}},{"name":"b","assignees":{"members":[13]}}]}`
		form    = `{"id":3,"name":"New","fields":["title","amount"]}`
		roleRev = `{"id":5,"slug":"sales","permissions":[{"id":2,"entity":"invoices","action":"update"},{"id":1,"entity":"contracts","action":"read"}]}`
		groupRe = `{"id":7,"name":"Finance","users":[13,11,12]}`
		stageRe = `{"id":9,"name":"Review","tasks":[{"name":"b","assignees":{"members":[13]}},{"name":"a","assignees":{"members":[12,11]}}]}`
	)
	fp := Fingerprint(base(role, group, stage, form))
	if got := Fingerprint(base(roleRev, groupRe, stageRe, form)); got != fp {
		t.Errorf("reordered unordered lists changed the fingerprint")
	}
	if !SameFingerprint(base(roleRev, groupRe, stageRe, form), fp) {
		t.Errorf("SameFingerprint refused reordered unordered lists")
	}
	for name, s := range map[string]*Set{
		"a user removed":            base(role, `{"id":7,"name":"Finance","users":[11,12]}`, stage, form),
		"a permission changed":      base(`{"id":5,"slug":"sales","permissions":[{"id":1,"entity":"contracts","action":"update"},{"id":2,"entity":"invoices","action":"update"}]}`, group, stage, form),
		"an assignee moved":         base(role, group, `{"id":9,"name":"Review","tasks":[{"name":"a","assignees":{"members":[11]}},{"name":"b","assignees":{"members":[12,13]}}]}`, form),
		"a form's fields reordered": base(role, group, stage, `{"id":3,"name":"New","fields":["amount","title"]}`),
	} {
		if Fingerprint(s) == fp || SameFingerprint(s, fp) {
			t.Errorf("%s: the fingerprint did not change", name)
		}
	}
}
