package app

import (
	"encoding/json"

	"github.com/enspace-sync/enspace-sync/internal/offsite"
)

// A failed target's report, in JSON, carries its error and only the
// figures of what it did before it failed: zero counts (no problems,
// nothing pending, nothing to forget) would read as a success.

type plainPush OffsitePush

// MarshalJSON gives a failed push its error and what it uploaded before
// it failed; the figures of a finished push (already there, pending,
// target snapshots) are left out.
func (p OffsitePush) MarshalJSON() ([]byte, error) {
	if p.Error == "" {
		return json.Marshal(plainPush(p))
	}
	return json.Marshal(struct {
		Target   string   `json:"target"`
		Pushed   []string `json:"pushed,omitempty"`
		Repaired []string `json:"repaired,omitempty"`
		Packs    int      `json:"packs,omitempty"`
		Blobs    int      `json:"blobs,omitempty"`
		Chunks   int      `json:"tree_chunks,omitempty"`
		Uploaded int64    `json:"uploaded_bytes,omitempty"`
		Seconds  float64  `json:"seconds,omitempty"`
		Error    string   `json:"error"`
	}{p.Target, p.Pushed, p.Repaired, p.Packs, p.Blobs, p.Chunks, p.Uploaded, p.Seconds, p.Error})
}

type plainVerify OffsiteVerify

// MarshalJSON gives a failed verify its error alone, unless it found
// problems before it failed: then its whole report.
func (v OffsiteVerify) MarshalJSON() ([]byte, error) {
	if v.Error == "" || len(v.Problems) > 0 {
		return json.Marshal(plainVerify(v))
	}
	return json.Marshal(failedTarget{v.Target, v.Error})
}

type plainForget OffsiteForget

// MarshalJSON gives a failed forget its error and the snapshots it
// forgot before it failed.
func (f OffsiteForget) MarshalJSON() ([]byte, error) {
	if f.Error == "" {
		return json.Marshal(plainForget(f))
	}
	return json.Marshal(struct {
		Target    string   `json:"target"`
		Forgotten []string `json:"forgotten,omitempty"`
		Error     string   `json:"error"`
	}{f.Target, f.Forgotten, f.Error})
}

type plainPrune OffsitePrune

// MarshalJSON gives a failed prune its error and what it deleted,
// repacked and freed before it failed.
func (p OffsitePrune) MarshalJSON() ([]byte, error) {
	if p.Error == "" {
		return json.Marshal(plainPrune(p))
	}
	return json.Marshal(struct {
		Target     string `json:"target"`
		Deleted    int    `json:"deleted_packs,omitempty"`
		Repacked   int    `json:"repacked_packs,omitempty"`
		TempFiles  int    `json:"temp_files_removed,omitempty"`
		FreedBytes int64  `json:"freed_bytes,omitempty"`
		Uploaded   int64  `json:"uploaded_bytes,omitempty"`
		Error      string `json:"error"`
	}{p.Target, p.Deleted, p.Repacked, p.TempFiles, p.FreedBytes, p.Uploaded, p.Error})
}

type plainUnlock OffsiteUnlock

// MarshalJSON gives a failed unlock its error and the locks it removed
// before it failed.
func (u OffsiteUnlock) MarshalJSON() ([]byte, error) {
	if u.Error == "" {
		return json.Marshal(plainUnlock(u))
	}
	return json.Marshal(struct {
		Target  string         `json:"target"`
		Removed []offsite.Lock `json:"removed,omitempty"`
		Error   string         `json:"error"`
	}{u.Target, u.Removed, u.Error})
}

// failedTarget is a failed target's report that did nothing.
type failedTarget struct {
	Target string `json:"target"`
	Error  string `json:"error"`
}
