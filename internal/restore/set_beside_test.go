package restore

import "testing"

// A target object byte for byte equal to the source's object of the same
// kind, parent and key shares the source's bytes; any other is a copy of
// what was put, so that changing the caller's buffer changes nothing.
func TestSetBesideSharesEqualBytes(t *testing.T) {
	src := setOf(t,
		[4]string{"items", "contracts", "12", `{"id":12,"data":{"title":"A"}}`},
		[4]string{"items", "contracts", "13", `{"id":13,"data":{"title":"B"}}`},
	)
	dst := NewSetBeside(src)
	same := []byte(`{"id":12,"data":{"title":"A"}}`)
	changed := []byte(`{"id":13,"data":{"title":"b"}}`)
	other := []byte(`{"id":14,"data":{"title":"A"}}`)
	for key, raw := range map[string][]byte{"12": same, "13": changed, "14": other} {
		if err := dst.Put("items", "contracts", key, raw); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := dst.ByKey("items", "contracts", "12"), src.ByKey("items", "contracts", "12"); &got.Raw[0] != &want.Raw[0] {
		t.Errorf("an equal object was copied, not shared")
	}
	if got := dst.ByKey("items", "contracts", "13"); &got.Raw[0] == &src.ByKey("items", "contracts", "13").Raw[0] || &got.Raw[0] == &changed[0] {
		t.Errorf("a changed object shares bytes it must not")
	}
	other[1] = 'X'
	if o := dst.ByID("items", "14"); o == nil || string(o.Raw) != `{"id":14,"data":{"title":"A"}}` {
		t.Errorf("an object the source lacks was not copied: %v", o)
	}
	if dst.Len() != 3 || src.Len() != 2 {
		t.Errorf("lengths %d, %d; want 3, 2", dst.Len(), src.Len())
	}
}
