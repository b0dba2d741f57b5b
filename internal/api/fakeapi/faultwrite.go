package fakeapi

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"time"
)

const (
	// htmlPage is what a misconfigured proxy or a login wall answers.
	htmlPage = "<!DOCTYPE html>\n<html><head><title>Enspace</title></head>" +
		"<body><h1>We'll be back soon</h1><p>Enspace is under maintenance.</p></body></html>\n"
	// badGatewayPage is what the proxy in front of the API answers for 502.
	badGatewayPage = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n" +
		"<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)

// failStatus answers any status with a NestJS body, the way FailRoutes
// breaks a route.
func failStatus(status int) resp {
	if status < 100 || status > 999 {
		status = http.StatusInternalServerError
	}
	if status == http.StatusInternalServerError {
		return internalError()
	}
	text := http.StatusText(status)
	if text == "" {
		text = "Error"
	}
	return fail(status, text)
}

// internalError is NestJS's answer to an unexpected exception.
func internalError() resp {
	return resp{status: http.StatusInternalServerError, body: []byte(`{"statusCode":500,"message":"Internal server error"}`)}
}

// faultAnswer is the answer of a 429, 5xx or HTML fault to a request that
// arrived at at. When it carries Retry-After, wait is true and until is the
// moment (unix ns) the header asks the client to wait for.
func faultAnswer(f *Faults, d decision, at time.Time) (res resp, until int64, wait bool) {
	switch {
	case d.kind == FaultHTML:
		return resp{status: http.StatusOK, body: []byte(htmlPage), ctype: "text/html; charset=utf-8"}, 0, false
	case d.kind == FaultRateLimit:
		res = fail(http.StatusTooManyRequests, "ThrottlerException: Too Many Requests")
	case d.status == http.StatusBadGateway:
		return resp{status: http.StatusBadGateway, body: []byte(badGatewayPage), ctype: "text/html"}, 0, false
	case d.status == http.StatusServiceUnavailable:
		res = fail(http.StatusServiceUnavailable, "Service Unavailable")
	default:
		return internalError(), 0, false
	}
	if d.retryAfter {
		var value string
		value, until = f.retryAfterValue(at)
		res.header = map[string]string{"Retry-After": value}
		if f.RetryAfterDate {
			// The date's reference: the server's own clock, as a real
			// server's Date header (net/http's would be the real clock).
			res.header["Date"] = at.UTC().Format(http.TimeFormat)
		}
	}
	return res, until, d.retryAfter
}

// cutPoint picks how many bytes of a body of n bytes are sent: at least
// one fewer than n, and at least one when n allows.
func cutPoint(n int, draw uint64) int {
	if n <= 1 {
		return 0
	}
	return 1 + int(draw%uint64(n-1))
}

// writeBroken sends res with a Content-Length for the whole body but only
// part of it. With reset the connection is then reset (RST); otherwise it
// is closed normally, which a client sees as a body cut short.
func writeBroken(w http.ResponseWriter, res resp, reset bool, draw uint64) {
	part := res.body[:cutPoint(len(res.body), draw)]
	if reset {
		if hj, ok := w.(http.Hijacker); ok {
			conn, rw, err := hj.Hijack()
			if err == nil {
				writeRaw(rw, res, part)
				if tcp, ok := conn.(*net.TCPConn); ok {
					tcp.SetLinger(0)
				}
				conn.Close()
				return
			}
		}
	}
	// The net/http server closes the connection after a handler that wrote
	// less than its Content-Length.
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", formatLen(len(res.body)))
	w.WriteHeader(res.status)
	w.Write(part)
}

// writeRaw writes a response head and part of a body on a hijacked
// connection.
func writeRaw(rw *bufio.ReadWriter, res resp, part []byte) {
	rw.WriteString("HTTP/1.1 " + strconv.Itoa(res.status) + " " + http.StatusText(res.status) + "\r\n")
	rw.WriteString("Content-Type: application/json; charset=utf-8\r\n")
	rw.WriteString("Content-Length: " + formatLen(len(res.body)) + "\r\n\r\n")
	rw.Write(part)
	rw.Flush()
}

// hijack takes the connection over, to close it without an answer. It
// reports false when that is impossible (HTTP/2, a recorder).
func hijack(w http.ResponseWriter) (net.Conn, bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, false
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return nil, false
	}
	return conn, true
}

func formatLen(n int) string { return strconv.Itoa(n) }
