package fakeapi

import "strconv"

// seqKind names one id sequence. Every kind of record has its own sequence
// per server, shared by all workspaces, as on the real service.
type seqKind int

const (
	seqWorkspace seqKind = iota
	seqType
	seqField
	seqItem
	seqForm
	seqFlow
	seqStage
	seqTask
	seqSchedule
	seqMember
	seqUser
	seqRole
	seqPermission
	seqGroup
	seqQuickTask
	seqIntegration
	seqAPIKey
	seqRequestLog
	numSeq
)

// seqBase is the first id of each sequence. The bases differ so that an id
// used for the wrong kind (a type id as an item id) rarely finds anything.
var seqBase = [numSeq]int64{
	seqWorkspace:   1,
	seqType:        7,
	seqField:       20,
	seqItem:        1001,
	seqForm:        3,
	seqFlow:        4,
	seqStage:       1,
	seqTask:        50,
	seqSchedule:    8,
	seqMember:      12,
	seqUser:        9,
	seqRole:        5,
	seqPermission:  31,
	seqGroup:       300,
	seqQuickTask:   4,
	seqIntegration: 75,
	seqAPIKey:      5983,
	seqRequestLog:  1,
}

// next returns the next id of a sequence.
func (s *Server) next(k seqKind) int64 { return s.seq[k].Add(1) }

// nextWorkspaceID returns a new workspace id, a string like "ws-1".
func (s *Server) nextWorkspaceID() string {
	return "ws-" + strconv.FormatInt(s.next(seqWorkspace), 10)
}
