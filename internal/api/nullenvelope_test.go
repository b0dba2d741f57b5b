package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestNullListBesideEmptyKeys: a Go server marshals every nil slice as
// null, its errors too, and envelopes carry keys of their own: a null list
// beside them is an empty collection; beside an error that holds
// something, or beside rows under another key, it is an invalid body.
func TestNullListBesideEmptyKeys(t *testing.T) {
	for _, body := range []string{
		`{"data": null, "errors": null, "total": 0}`,
		`{"data": null, "error": null, "total": 0}`,
		`{"data": null, "errors": [], "total": 0}`,
		`{"success": true, "data": null, "total": 0}`,
		`{"data": null, "message": "OK", "total": 0}`,
		`{"data": null, "statusCode": 200}`,
		`{"data": null, "totalCount": 0}`,
		`{"data": null, "total": 0, "timestamp": "2026-01-01T00:00:00Z", "path": "/x"}`,
		`{"data": null, "current_page": 1, "last_page": 1, "total": 0}`,
		`{"data": null, "status": "ok", "filters": {"tags": []}}`,
	} {
		p, err := DecodeList([]byte(body), "id")
		if err != nil || p.Items == nil || len(p.Items) != 0 {
			t.Errorf("%s: %d items, %v; want an empty list", body, len(p.Items), err)
		}
	}
	for _, body := range []string{
		`{"data": null, "errors": [{"message": "db timeout"}]}`,
		`{"data": null, "error": "Internal Server Error"}`,
		`{"statusCode": 500, "message": "db timeout", "data": null}`,
		`{"results": null, "rows": [{"id": 1}]}`,
		`{"data": null, "result": {"rows": [{"id": 1}]}}`,
	} {
		if _, err := DecodeList([]byte(body), "id"); !errors.Is(err, ErrInvalidBody) {
			t.Errorf("%s: %v, want ErrInvalidBody", body, err)
		}
	}
}

// TestRepeatPastEndNeedsAMatchingCount: a server whose envelope "count"
// is the page's own row count, and which clamps the page number at a
// result window, repeats page 3 while 20 rows remain: that count confirms
// nothing, so the listing is not complete.
func TestRepeatPastEndNeedsAMatchingCount(t *testing.T) {
	objs := objects(1, 50)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/count") {
			writeJSON(w, 404, `{"statusCode":404,"error":"Not Found"}`)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		from := min((min(page, 3)-1)*limit, len(objs))
		rows := objs[from:min(from+limit, len(objs))]
		writeJSON(w, 200, fmt.Sprintf(`{"data": [%s], "count": %d}`, strings.Join(rows, ","), len(rows)))
	})
	c, _ := newTestClient(t, srv.URL, func(o *Options) { o.PageSize = 10 })
	fn, got := collect()
	res, err := c.List(context.Background(), mustKind(t, "members"), "acme", Object{}, fn)
	if !errors.Is(err, ErrUnconfirmedEnd) || !res.Drift {
		t.Fatalf("%d of 50 rows, %+v, %v: want ErrUnconfirmedEnd and drift", len(*got), res, err)
	}
}
