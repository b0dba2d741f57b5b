//go:build !linux

package s3test

import "syscall"

// dieWithParent is nil where the kernel has no parent-death signal: a
// killed test run may leave its server behind there.
func dieWithParent() *syscall.SysProcAttr { return nil }
