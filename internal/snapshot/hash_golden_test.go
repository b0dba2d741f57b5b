package snapshot

import (
	"crypto/sha256"
	"testing"
)

// TestContentHashGolden pins the content hashes of a few objects. Since
// format 5 a blob's address is the hash of its canonical form, computed
// from its content on every read: a change of the canonicalizer that
// changed one would make every stored blob look damaged or unknown, so it
// must fail here first.
func TestContentHashGolden(t *testing.T) {
	canon := `{"a":2,"b":1}`
	if got := Hash(sha256.Sum256([]byte(canon))).String(); got != "d3626ac30a87e6f7a6428233b3c68299976865fa5508e4267c5415c76af7a772" {
		t.Fatalf("sha256 of %s = %s", canon, got)
	}
	for _, c := range []struct{ raw, hash string }{
		{`{"b":1,"a":2}`, "d3626ac30a87e6f7a6428233b3c68299976865fa5508e4267c5415c76af7a772"},
		{canon, "d3626ac30a87e6f7a6428233b3c68299976865fa5508e4267c5415c76af7a772"},
		{` { "id" : 7 , "name" : "Ana \u00e9" , "v" : [1, 2.50, true, null] } `, "7a787811eafe0aa9e7853f3ece0fc593baad45abcbf9bc012ae6798401bbaed8"},
		{`{"z":{"y":"x","a":[{"k":1,"c":2}]},"e":""}`, "103f51bf5b22a16d31d58662ed868e38a166d115f8af219359771d6300bad857"},
		{string(item(3, 0)), "5551fb75c71406f136068b7fdbc94aadce5d1190046b782900fe6f1b546d25e8"},
		// Already canonical, with a letter outside ASCII: hashed as it is
		// (jsonv.CanonicalForm returns it), the same address as its
		// spellings above.
		{`{"id":7,"name":"Ana é","v":[1,2.50,true,null]}`, "7a787811eafe0aa9e7853f3ece0fc593baad45abcbf9bc012ae6798401bbaed8"},
		// U+2028 as UTF-8 (escaped by the canonical form) and an invalid
		// byte (U+FFFD): canonicalised, not hashed as they are.
		{"{\"s\":\"a\u2028b\"}", "b2fa4323bba8d3a5d6411821b536586a2c8e365b26248df49133818f395b56ed"},
		{"{\"s\":\"a\xffb\"}", "831e2ffe20d5ec81d65bb674545ecad8eb14892a421787b7d9588084a3e038c7"},
	} {
		h, err := ContentHash([]byte(c.raw))
		if err != nil || h.String() != c.hash {
			t.Errorf("ContentHash(%.60s) = %s, %v; want %s", c.raw, h, err, c.hash)
		}
	}
}
