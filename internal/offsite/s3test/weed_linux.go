package s3test

import "syscall"

// dieWithParent has the kernel kill the server when the test process
// dies, so a killed test run leaves no server behind.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
