package snapshot

import "encoding/binary"

// waitTable is the set of waiting blob index entries (unfiled.go): hash
// -> id, in a list of entries and an open-addressing table of their
// positions, indexed by the hash's own bits (bytes 8 to 15: a content
// hash needs no hashing again) and probed linearly. A Go map of the same
// entries took 8 MiB at the filing's limit of 65,536 (40-byte slots, the
// table doubled past seven eighths full), a quarter of a first backup's
// heap, and its first touch some 2,000 page faults; this takes 40 bytes
// an entry and 8 bytes a slot at most half full: 3 MiB. Entries are only
// added, replaced or dropped all at once (reset); drop, the rare path of
// a filing that failed midway, rebuilds the table. The list is given its
// room when the slots are: grown by append (a quarter at a time past 256
// entries) it was copied some twenty times on the way to 65,536 entries,
// 13 MB of fresh memory and a fifth of a first backup's page faults.
// Both are big buffers (bigbuf.go), outside the Go heap: release gives
// them back.
type waitTable struct {
	slots []int32 // position in list + 1; 0 is empty; a power of two long
	list  []filedBlob
}

func slotOf(h Hash) uint64 { return binary.BigEndian.Uint64(h[8:16]) }

// get returns the id filed for h, 0 when none.
func (t *waitTable) get(h Hash) uint64 {
	if len(t.slots) == 0 {
		return 0
	}
	mask := uint64(len(t.slots) - 1)
	for i := slotOf(h) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return 0
		}
		if e := &t.list[s-1]; e.hash == h {
			return e.id
		}
	}
}

// put files h -> id; an entry for h already there keeps its id unless
// replace is set. room is the number of entries to make room for at once.
func (t *waitTable) put(h Hash, id uint64, replace bool, room int) {
	if 2*(len(t.list)+1) > len(t.slots) {
		t.grow(max(2*(len(t.list)+1), 2*room), room)
	}
	mask := uint64(len(t.slots) - 1)
	i := slotOf(h) & mask
	for ; t.slots[i] != 0; i = (i + 1) & mask {
		if e := &t.list[t.slots[i]-1]; e.hash == h {
			if replace {
				e.id = id
			}
			return
		}
	}
	if len(t.list) == cap(t.list) {
		t.moveList(2 * cap(t.list))
	}
	t.list = append(t.list, filedBlob{hash: h, id: id})
	t.slots[i] = int32(len(t.list))
}

// grow makes the table at least n slots long, with room for at least
// room entries in its list, and files the entries again.
func (t *waitTable) grow(n, room int) {
	size := max(len(t.slots), 1024)
	for size < n {
		size *= 2
	}
	bigSliceFree(t.slots)
	t.slots = bigSlice[int32](size)
	if cap(t.list) < room {
		t.moveList(room)
	}
	t.rehash()
}

// moveList gives the list room for at least room entries.
func (t *waitTable) moveList(room int) {
	list := bigSlice[filedBlob](room)[:len(t.list)]
	copy(list, t.list)
	bigSliceFree(t.list)
	t.list = list
}

// release gives the table's buffers back, leaving it empty.
func (t *waitTable) release() {
	bigSliceFree(t.slots)
	bigSliceFree(t.list)
	t.slots, t.list = nil, nil
}

func (t *waitTable) rehash() {
	clear(t.slots)
	mask := uint64(len(t.slots) - 1)
	for j := range t.list {
		i := slotOf(t.list[j].hash) & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = int32(j + 1)
	}
}

func (t *waitTable) len() int { return len(t.list) }

// drop removes the entries of the hashes in done.
func (t *waitTable) drop(done []filedBlob) {
	gone := make(map[Hash]bool, len(done))
	for _, b := range done {
		gone[b.hash] = true
	}
	kept := t.list[:0]
	for _, e := range t.list {
		if !gone[e.hash] {
			kept = append(kept, e)
		}
	}
	clear(t.list[len(kept):])
	t.list = kept
	if len(t.slots) > 0 {
		t.rehash()
	}
}

// reset drops every entry, keeping the room.
func (t *waitTable) reset() {
	clear(t.slots)
	t.list = t.list[:0]
}
