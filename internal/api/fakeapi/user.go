package fakeapi

import (
	"sort"
	"time"
)

// logEntry is one line of a key's request log.
type logEntry struct {
	ID         int64   `json:"id"`
	Method     string  `json:"method"`
	Path       string  `json:"path"`
	StatusCode int     `json:"status_code"`
	Workspace  *string `json:"workspace"`
	CreatedAt  string  `json:"created_at"`
}

// logRequest records an answered request in the calling key's log,
// keeping the newest maxRequestLog entries.
func (s *Server) logRequest(c *call, status int) {
	if c.key == nil || status == 0 {
		return
	}
	e := logEntry{Method: c.method, Path: c.uri, StatusCode: status, CreatedAt: stamp(c.now)}
	if c.ws != nil {
		slug := c.ws.slug
		e.Workspace = &slug
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	e.ID = s.next(seqRequestLog)
	c.key.log = append(c.key.log, e)
	// Trim in batches, so that recording stays cheap once the log is full.
	if len(c.key.log) >= 2*maxRequestLog {
		c.key.log = append(make([]logEntry, 0, 2*maxRequestLog), c.key.log[len(c.key.log)-maxRequestLog:]...)
	}
}

// recentLog returns a copy of the newest maxRequestLog entries of k.
func (s *Server) recentLog(k *keyRec) []logEntry {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	rows := k.log
	if len(rows) > maxRequestLog {
		rows = rows[len(rows)-maxRequestLog:]
	}
	return append([]logEntry(nil), rows...)
}

// requestLogsList answers the calling key's request log, oldest first.
func requestLogsList(c *call) resp {
	rows := c.s.recentLog(c.key)
	return c.list(len(rows), func(b []byte, i int) []byte { return append(b, marshal(rows[i])...) })
}

type apiKeyView struct {
	ID          int64       `json:"id"`
	CreatedAt   string      `json:"created_at"`
	UpdatedAt   string      `json:"updated_at"`
	Description string      `json:"description"`
	ExpiresAt   *string     `json:"expires_at"`
	Reference   string      `json:"reference"`
	Scope       apiKeyScope `json:"scope"`
}

type apiKeyScope struct {
	Global     []string `json:"global"`
	Workspaces []string `json:"workspaces"`
}

// apiKeysList answers the keys of the caller (the calling key's owner),
// never their secrets.
func apiKeysList(c *call) resp {
	var rows []*keyRec
	for _, k := range c.s.keys {
		if k.owner == c.user {
			rows = append(rows, k)
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].id < rows[j].id })
	return listOf(c, rows, func(k *keyRec) any {
		v := apiKeyView{ID: k.id, CreatedAt: stamp(k.created), UpdatedAt: stamp(k.created), Description: k.Description,
			Reference: k.reference, Scope: apiKeyScope{Global: []string{}, Workspaces: []string{}}}
		for _, sc := range []string{"read", "write", "delete"} {
			if k.scopes[sc] {
				v.Scope.Global = append(v.Scope.Global, sc)
			}
		}
		v.Scope.Workspaces = append(v.Scope.Workspaces, k.Workspaces...)
		if !k.ExpiresAt.IsZero() {
			e := k.ExpiresAt.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z")
			v.ExpiresAt = &e
		}
		return v
	})
}
