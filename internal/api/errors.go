package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/enspace-sync/enspace-sync/internal/kind"
)

// Sentinel errors of the api package.
var (
	// ErrUnknownKind is returned by KindByName for a name no kind has.
	//
	// Deprecated: use kind.ErrUnknown (the same error).
	ErrUnknownKind = kind.ErrUnknown
	// ErrRepeatedPage is returned when a page holds exactly the ids of the
	// page before it: the server ignores paging, or loops.
	ErrRepeatedPage = errors.New("the server answered the same page twice")
	// ErrInvalidBody is returned when a 2xx answer is not the JSON the
	// contract describes (HTML, truncated JSON, a wrong shape).
	ErrInvalidBody = errors.New("invalid response body")
	// ErrHTMLPage is returned, with ErrInvalidBody, when a 2xx answer is
	// an HTML web page: the base URL is most likely a web site, not the
	// API.
	ErrHTMLPage = errors.New("an HTML web page, not the API")
	// ErrRouteOff is returned when a request needs a route the config
	// switched off ("none", see Routes.WithOverrides): for a list or get
	// route, the kind is not read.
	ErrRouteOff = errors.New("switched off in the config")
	// ErrTooLarge is returned when an answer is larger than the client's
	// MaxResponseBytes.
	ErrTooLarge = errors.New("response body too large")
	// ErrTooManyPages is returned when a listing has not ended after the
	// client's MaxPages pages: the server pages endlessly.
	ErrTooManyPages = errors.New("too many pages")
	// ErrPagingIgnored is returned when a listing's server ignores the
	// page or limit it was asked: a page longer than asked, or a full page
	// that mostly repeats rows listed before. The kind fails.
	ErrPagingIgnored = errors.New("the server ignores page/limit")
	// ErrShortListing is returned by List when a listing holds fewer
	// distinct objects than a count that did not change while it was
	// paged, or than both the count before and the count after paging (an
	// envelope's total counts too): the server returned fewer than its
	// count, and the listing cannot be called complete.
	ErrShortListing = errors.New("the server returned fewer than its count")
	// ErrUnconfirmedEnd is returned by List, with ErrRepeatedPage, when a
	// listing without a count or total ended on a page the server
	// answered as the page before it: a server that clamps the page
	// number at a maximum result window answers the same way while rows
	// remain, so the listing cannot be called complete.
	ErrUnconfirmedEnd = errors.New("no count confirms the end of the listing")
)

// Error is a non-2xx answer of the Enspace API. The body is the NestJS
// error shape: {"statusCode": 401, "error": "Unauthorized", "message": "..."}
// where message may also be a list of strings.
type Error struct {
	StatusCode int      // the HTTP status of the answer
	Status     string   // the body's "error" ("Unauthorized"), or the HTTP status text
	Messages   []string // the body's "message", one or several
	Method     string   // the request's method
	Path       string   // the request's path and query, never a header
	RetryAfter string   // the Retry-After header, if any
	Body       string   // the start of a body that was not the NestJS shape
}

// Error implements error. It never contains a request header, so never the
// API key.
func (e *Error) Error() string {
	msg := strings.Join(e.Messages, "; ")
	if msg == "" && e.Body != "" {
		msg = e.Body
	}
	status := e.Status
	if status == "" {
		status = http.StatusText(e.StatusCode)
	}
	where := ""
	if e.Method != "" {
		where = e.Method + " " + e.Path + ": "
	}
	if msg == "" {
		return fmt.Sprintf("%s%d %s", where, e.StatusCode, status)
	}
	return fmt.Sprintf("%s%d %s: %s", where, e.StatusCode, status, msg)
}

// Message returns the messages joined with "; ".
func (e *Error) Message() string { return strings.Join(e.Messages, "; ") }

// ParseError builds an *Error from a status code and a response body. It
// accepts the NestJS shape with message as a string or a list of strings,
// and keeps up to 200 bytes of any other body.
func ParseError(statusCode int, body []byte) *Error {
	e := &Error{StatusCode: statusCode}
	var nest struct {
		StatusCode int             `json:"statusCode"`
		Error      string          `json:"error"`
		Message    json.RawMessage `json:"message"`
	}
	if err := json.Unmarshal(body, &nest); err == nil && (nest.Error != "" || len(nest.Message) > 0) {
		e.Status = nest.Error
		var one string
		var many []string
		switch {
		case len(nest.Message) == 0:
			// no message, only the status text
		case json.Unmarshal(nest.Message, &one) == nil:
			if one != "" {
				e.Messages = []string{one}
			}
		case json.Unmarshal(nest.Message, &many) == nil:
			e.Messages = many
		default:
			e.Messages = []string{string(nest.Message)}
		}
		return e
	}
	b := strings.TrimSpace(string(body))
	if html := htmlSummary(b); html != "" {
		e.Body = html
		return e
	}
	if len(b) > 200 {
		b = b[:200] + "…"
	}
	e.Body = strings.Map(printable, strings.ToValidUTF8(b, "?"))
	return e
}

// htmlSummary names an HTML page by its title (a proxy's error page),
// instead of quoting its markup; "" when b is not HTML.
func htmlSummary(b string) string {
	head := strings.ToLower(b[:min(len(b), 512)])
	if !strings.HasPrefix(head, "<!doctype html") && !strings.HasPrefix(head, "<html") {
		return ""
	}
	title := ""
	lower := strings.ToLower(b)
	if i := strings.Index(lower, "<title>"); i >= 0 {
		if j := strings.Index(lower[i:], "</title>"); j > 0 {
			title = strings.Join(strings.Fields(b[i+len("<title>"):i+j]), " ")
		}
	}
	if len(title) > 100 {
		title = title[:100] + "…"
	}
	if title == "" {
		return "an HTML page, not the API's JSON (a proxy or gateway answered?)"
	}
	return "an HTML page titled " + strconv.Quote(strings.ToValidUTF8(title, "?")) + ", not the API's JSON (a proxy or gateway answered?)"
}

// printable replaces control characters (but tab) of an error body, so an
// answer cannot move the cursor or forge log lines.
func printable(r rune) rune {
	if r == '\t' || (r >= 0x20 && r != 0x7f) {
		return r
	}
	return ' '
}

// StatusOf returns the HTTP status of an *Error in err's chain, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// The error bodies the contract documents, byte for byte.
const (
	BodyMissingWorkspace = `{"statusCode":400,"error":"Bad Request","message":"Missing required header: en-workspace"}`
	BodyUnauthorized     = `{"statusCode":401,"error":"Unauthorized","message":"Invalid or missing API key"}`
	BodyForbidden        = `{"statusCode":403,"error":"Forbidden","message":"Token not authorized for this workspace"}`
)
