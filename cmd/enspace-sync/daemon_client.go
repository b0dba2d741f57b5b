package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/enspace-sync/enspace-sync/internal/daemon"
	"github.com/enspace-sync/enspace-sync/internal/snapshot"
)

// openCopy fetches a consistent copy of the database from the daemon into
// a private temporary file (mode 0600, removed when the command ends) and
// opens it read-only.
func openCopy(m *Main, c *daemon.Client) (*snapshot.DB, error) {
	f, err := os.CreateTemp("", "enspace-sync-db-*.db")
	if err != nil {
		return nil, fmt.Errorf("a temporary copy of the database: %w", err)
	}
	path := f.Name()
	m.onClose(func() error { return removeIfExists(path) })
	n, err := c.Download(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("copy the database from the daemon at %s: %w", c.Addr(), err)
	}
	m.log.Info("the daemon holds the database: reading a consistent copy it served", "daemon", c.Addr(), "bytes", n)
	db, err := snapshot.Open(path, snapshot.Options{ReadOnly: true, Timeout: -1, Logger: m.log})
	if err != nil {
		return nil, fmt.Errorf("open the copy served by the daemon: %w", err)
	}
	m.onClose(db.Close)
	return db, nil
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
