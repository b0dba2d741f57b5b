// Command enspace-sync backs up Enspace workspaces into versioned snapshots,
// shows what changed between them, and restores or replicates objects.
//
// main only wires the process to Main: it cancels the context on the first
// SIGINT or SIGTERM, exits at once on the second, and turns the error that
// Main.Run returns into an exit code (see exitcodes.go).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(realMain())
}

func realMain() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig := <-signals
		fmt.Fprintf(os.Stderr, "enspace-sync: %s: stopping (send it again to exit at once)\n", sig)
		cancel()
		<-signals
		fmt.Fprintln(os.Stderr, "enspace-sync: second signal: exiting now")
		os.Exit(ExitInterrupted)
	}()
	m := NewMain()
	err := m.Run(ctx, os.Args[1:])
	closeErr := m.Close()
	if err == nil {
		err = closeErr
	}
	return m.ReportError(err)
}
