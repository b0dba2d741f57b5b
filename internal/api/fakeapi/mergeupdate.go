package fakeapi

// mergeData sets the values of changes over an item's old values. With
// Options.MergeOnUpdate a value set to null is removed, as the contract
// says a null clears a key; otherwise it is kept as a null value.
func (s *Server) mergeData(old, changes []value) []value {
	merged := mergeVals(old, changes)
	if !s.opts.MergeOnUpdate {
		return merged
	}
	out := merged[:0]
	for _, v := range merged {
		if !isNull(v.raw) {
			out = append(out, v)
		}
	}
	return out
}
