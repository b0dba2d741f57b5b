package api

import (
	"context"
	"encoding/json"
	"fmt"
)

// Page sends one request of a list route with the query parameters page
// and limit set, as List does for each page, and returns the answer's body
// undecoded: for callers that look at a server's list shape and paging
// themselves (the doctor command). limit must be between 1 and MaxPageSize.
func (c *Client) Page(ctx context.Context, route, workspace string, params map[string]string, page, limit int) (json.RawMessage, error) {
	if page < 1 || limit < 1 || limit > MaxPageSize {
		return nil, fmt.Errorf("page %d, limit %d: out of range (page from 1, limit 1 to %d)", page, limit, MaxPageSize)
	}
	req, err := c.newRequest(route, workspace, params, nil)
	if err != nil {
		return nil, c.scrub(err)
	}
	if req.path, err = withPage(req.path, page, limit); err != nil {
		return nil, c.scrub(err)
	}
	return c.send(ctx, req)
}
