package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/enspace-sync/enspace-sync/internal/config"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// ScrubJob is the name of the daemon's scrub job: trigger, status and
// notifications call it so, and no workspace or replication may.
const ScrubJob = config.ScrubJob

// ScrubStats is what one scrub read and found.
type ScrubStats struct {
	BytesRead  int64    `json:"bytes_read"`
	Objects    int64    `json:"objects"`    // entries checked, over all snapshots
	Damaged    int      `json:"damaged"`    // blobs whose content is damaged: the next backup that fetches them heals them
	Structural int      `json:"structural"` // problems no backup heals: backups refuse the database
	Snapshots  []string `json:"snapshots"`  // short ids of the snapshots with problems
}

// RunScrub is the daemon's scrub job: every object every snapshot refers
// to is read back and checked at the configured bandwidth, and what is
// damaged is recorded (see snapshot.DB.Scrub). A scrub that finds damage
// reports StatusFailed, so that the webhook hears of it; one stopped by ctx
// is aborted and records nothing.
func (s *Service) RunScrub(ctx context.Context) JobResult {
	res := JobResult{RunInfo: RunInfo{StartedAt: time.Now().UTC()}, Workspace: ScrubJob}
	db, err := s.needDB()
	if err == nil {
		var rep *snapshot.ScrubReport
		if rep, err = db.Scrub(ctx, int64(s.Config().Scrub.Bandwidth)); err == nil {
			return scrubResult(res, rep)
		}
	}
	res.FinishedAt, res.Scrub = time.Now().UTC(), &ScrubStats{}
	if ctx.Err() != nil {
		res.Status, res.Error = StatusAborted, "stopped: the daemon is shutting down"
		res.Summary = "the scrub was stopped; nothing of it was recorded"
		return res
	}
	res.Status, res.Error = StatusFailed, err.Error()
	res.Summary = "the scrub could not read the database: " + err.Error()
	res.Hint = "check the whole database with: enspace-sync verify --read-data"
	return res
}

// scrubResult sums a finished scrub up.
func scrubResult(res JobResult, rep *snapshot.ScrubReport) JobResult {
	st := &ScrubStats{BytesRead: rep.BytesRead, Objects: rep.Objects, Damaged: rep.Check.Content, Structural: rep.Check.Structural,
		Snapshots: []string{}}
	for _, id := range rep.Damaged() {
		st.Snapshots = append(st.Snapshots, ShortID(id))
	}
	res.FinishedAt, res.Scrub, res.Status = time.Now().UTC(), st, StatusComplete
	res.Summary = fmt.Sprintf("read %d objects of %d snapshots (%s) in %s: nothing damaged",
		rep.Objects, rep.Snapshots, HumanBytes(rep.BytesRead), rep.Took.Round(time.Second))
	if rep.OK() {
		return res
	}
	res.Status = StatusFailed
	var parts []string
	if st.Damaged > 0 {
		parts = append(parts, fmt.Sprintf("%d damaged objects (the next backup that fetches them stores them afresh)", st.Damaged))
	}
	if st.Structural > 0 {
		parts = append(parts, fmt.Sprintf("%d structural problems (backups refuse the database until it is repaired; the first: %s)",
			st.Structural, rep.Check.FirstProblem))
	}
	res.Error = "found " + strings.Join(parts, " and ") + " in snapshots " + strings.Join(st.Snapshots, ", ")
	res.Summary = fmt.Sprintf("read %d objects of %d snapshots (%s): %s", rep.Objects, rep.Snapshots, HumanBytes(rep.BytesRead), res.Error)
	res.Hint = "see every problem with: enspace-sync verify --read-data"
	if st.Structural > 0 {
		res.Hint = "see every problem and what to do with: " + RepairCommand
	}
	return res
}

// scrubHistory is the scrub job's history: the last recorded scrub. Its
// LastOK is when that scrub finished, damage or not: it ran, and the next
// one is due a period later.
func (s *Service) scrubHistory() (JobHistory, error) {
	var h JobHistory
	db, err := s.needDB()
	if err != nil {
		return h, err
	}
	r, ok, err := db.LastScrub()
	if err != nil || !ok {
		return h, err
	}
	info := &RunInfo{StartedAt: r.Time.Add(-time.Duration(r.TookMS) * time.Millisecond).UTC(), FinishedAt: r.Time.UTC(), Status: StatusComplete}
	if r.Content > 0 || r.Structural > 0 {
		info.Status = StatusFailed
		info.Error = fmt.Sprintf("found %d damaged objects and %d structural problems", r.Content, r.Structural)
	}
	h.LastRun, h.LastBackup, h.LastOK = info, info, r.Time.UTC()
	return h, nil
}
