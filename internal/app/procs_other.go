//go:build !unix

package app

import "time"

// processCPU is -1 where the process's CPU time is not read: the governor
// then stays off (procs.go).
func processCPU() time.Duration { return -1 }
