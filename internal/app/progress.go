package app

// Progress hears how far long work has come; the command line draws it on
// a terminal. The zero of every method is "do nothing": use NoProgress.
type Progress interface {
	// Expect sets the total number of objects, per kind when known;
	// estimated says the total is a guess (the previous snapshot's size).
	Expect(total int64, perKind map[string]int, estimated bool)
	// Update says objects are done so far, the latest being of kind.
	Update(kind string, objects int64)
	// Step counts one more object of kind.
	Step(kind string)
}

// NoProgress ignores every report.
type NoProgress struct{}

func (NoProgress) Expect(int64, map[string]int, bool) {}
func (NoProgress) Update(string, int64)               {}
func (NoProgress) Step(string)                        {}

func orNoProgress(p Progress) Progress {
	if p == nil {
		return NoProgress{}
	}
	return p
}
