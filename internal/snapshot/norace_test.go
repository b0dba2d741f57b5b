//go:build !race

package snapshot

// raceEnabled reports whether the tests run with the race detector, which
// makes the store about eight times slower.
const raceEnabled = false
