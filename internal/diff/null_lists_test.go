package diff

import (
	"fmt"
	"testing"
)

// A null member is absent also where ordered lists find their common
// head and tail: an element
// inserted at the front of an ordered list of objects, the old elements
// differing only by a null member, is one addition at [0], not an
// edit of [0] and an addition at [1].
func TestNullMemberInOrderedListElements(t *testing.T) {
	old := `{"id":1,"type":"contracts","data":{"lines":[{"sku":"a","note":null},{"sku":"b"}]}}`
	new := `{"id":1,"type":"contracts","data":{"lines":[{"sku":"z"},{"sku":"a"},{"sku":"b"}]}}`
	ref := `{"id":1,"type":"contracts","data":{"lines":[{"sku":"a"},{"sku":"b"}]}}`
	got, _, err := Fields(itemKind, []byte(old), []byte(new))
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := Fields(itemKind, []byte(ref), []byte(new))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("with a null member: %+v\nwithout it (the same value): %+v", got, want)
	}
}

// An element {"id":null,...} pairs with the same element without the
// member: a field edit shows as that edit, not as removed + added.
func TestNullIDIsAbsentInListElementIdentity(t *testing.T) {
	old := `{"id":5,"name":"A","permissions":[{"id":null,"entity":"clients","action":"read","rules":{"x":1}}]}`
	new := `{"id":5,"name":"A","permissions":[{"entity":"clients","action":"read","rules":{"x":2}}]}`
	ref := `{"id":5,"name":"A","permissions":[{"entity":"clients","action":"read","rules":{"x":1}}]}`
	k := roleKind
	k.ServerAssigned = serverAssigned // permissions[].id not server-assigned: identity by id
	got, _, err := Fields(k, []byte(old), []byte(new))
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := Fields(k, []byte(ref), []byte(new))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("with id:null: %+v\nwithout it (the same value): %+v", got, want)
	}
}
