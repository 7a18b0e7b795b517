package h1

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// preBuffer is how much of a response without a Content-Length is held
// back so that its length can still be sent; beyond it the response is
// chunked (HTTP/1.1) or ends with the connection (HTTP/1.0).
const preBuffer = 4 << 10

// bigWrite is the size above which a body is written straight from the
// handler's slice (with the header, in one writev) rather than copied.
const bigWrite = 8 << 10

// response is the http.ResponseWriter of one request; one per connection.
type response struct {
	c       *conn
	req     *http.Request
	header  http.Header
	keys    []string // scratch for sorting header keys
	status  int
	length  int64 // Content-Length set by the handler, -1 if none
	written int64
	pending []byte // body held back before the header is committed

	wroteHeader bool
	committed   bool // the header is in c.out or on the wire
	chunked     bool
	closeAfter  bool
	noBody      bool // HEAD, 204, 304
}

func (w *response) reset(c *conn, r *http.Request) {
	clear(w.header)
	*w = response{c: c, req: r, header: w.header, keys: w.keys[:0], pending: w.pending[:0], length: -1}
}

func (w *response) Header() http.Header { return w.header }

// WriteHeader sends a 1xx interim response at once; for a final status it
// records the status, sent with the first body bytes or when the handler
// returns.
func (w *response) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		panic("h1: invalid WriteHeader code " + strconv.Itoa(code))
	}
	if code < 200 {
		if code == http.StatusSwitchingProtocols || !w.req.ProtoAtLeast(1, 1) {
			return
		}
		c := w.c
		c.out = appendStatus(c.out, w.req, code)
		// The header so far goes with it, as in net/http (103 Early Hints).
		c.out = w.appendHeader(c.out)
		c.out = append(c.out, "\r\n"...)
		c.flush()
		return
	}
	w.wroteHeader, w.status = true, code
	if cl := w.header["Content-Length"]; len(cl) == 1 {
		if n, err := strconv.ParseInt(cl[0], 10, 64); err == nil && n >= 0 {
			w.length = n
		}
	}
	w.noBody = w.req.Method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified
}

func (w *response) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.length >= 0 && w.written+int64(len(p)) > w.length {
		return 0, http.ErrContentLength
	}
	if w.noBody {
		if w.req.Method != http.MethodHead {
			return 0, http.ErrBodyNotAllowed
		}
		w.written += int64(len(p)) // counted for the Content-Length, not sent
		return len(p), nil
	}
	w.written += int64(len(p))
	c := w.c
	if !w.committed {
		if w.length < 0 && len(w.pending)+len(p) <= preBuffer {
			w.pending = append(w.pending, p...)
			return len(p), nil
		}
		w.commit()
		if len(w.pending) > 0 {
			w.appendBody(w.pending)
			w.pending = w.pending[:0]
		}
	}
	if len(p) > bigWrite && !w.chunked {
		if err := c.writeBig(p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	w.appendBody(p)
	if len(c.out) > 64<<10 {
		if err := c.flush(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (w *response) appendBody(p []byte) {
	c := w.c
	if len(p) == 0 {
		return // a chunk of size 0 would end a chunked body
	}
	if w.chunked {
		c.out = strconv.AppendInt(c.out, int64(len(p)), 16)
		c.out = append(c.out, "\r\n"...)
		c.out = append(c.out, p...)
		c.out = append(c.out, "\r\n"...)
		return
	}
	c.out = append(c.out, p...)
}

// Flush sends what is written so far.
func (w *response) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		w.commit()
		if len(w.pending) > 0 {
			w.appendBody(w.pending)
			w.pending = w.pending[:0]
		}
	}
	w.c.flush()
}

// finish completes the response after the handler returned.
func (w *response) finish() error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		switch {
		case w.length >= 0:
		case !w.noBody:
			w.length = int64(len(w.pending))
		case w.written > 0: // HEAD: the length of the body it would have had
			w.length = w.written
		}
		w.commit()
		w.appendBody(w.pending)
	}
	if w.chunked {
		w.c.out = append(w.c.out, "0\r\n\r\n"...)
	}
	if !w.noBody && w.length >= 0 && w.written < w.length {
		w.closeAfter = true // a short body: the client cannot find the next response
	}
	if len(w.c.out) > 64<<10 {
		return w.c.flush()
	}
	return nil
}

// commit appends the status line and header fields to the connection's
// output.
func (w *response) commit() {
	w.committed = true
	c, r := w.c, w.req
	if w.length < 0 && !w.noBody {
		if r.ProtoAtLeast(1, 1) {
			w.chunked = true
		} else {
			w.closeAfter = true
		}
	}
	if r.Close || c.s.shutdown.Load() {
		w.closeAfter = true
	}
	if c.body.owesContinue {
		// The final status goes first: no 100 Continue after it, and the
		// client may or may not send the body, so the connection ends.
		c.body.owesContinue = false
		w.closeAfter = true
	} else if !w.closeAfter && !c.body.drain(maxDrain) {
		// What the handler left unread is read now, before the response,
		// so that the response can say whether the connection goes on.
		w.closeAfter = true
	}
	out := appendStatus(c.out, r, w.status)
	if _, ok := w.header["Date"]; !ok {
		out = append(out, c.s.dateHeader(time.Now())...)
	}
	out = w.appendHeader(out)
	switch {
	case w.chunked:
		out = append(out, "Transfer-Encoding: chunked\r\n"...)
	case w.length >= 0 && w.status != http.StatusNoContent && w.status != http.StatusNotModified:
		out = append(out, "Content-Length: "...)
		out = strconv.AppendInt(out, w.length, 10)
		out = append(out, "\r\n"...)
	}
	if w.closeAfter {
		out = append(out, "Connection: close\r\n"...)
	} else if r.ProtoMinor == 0 {
		out = append(out, "Connection: keep-alive\r\n"...)
	}
	c.out = append(out, "\r\n"...)
}

// appendHeader appends the handler's header fields, sorted, but those the
// server decides.
func (w *response) appendHeader(out []byte) []byte {
	w.keys = w.keys[:0]
	for k := range w.header {
		switch k {
		case "Content-Length", "Transfer-Encoding", "Connection":
			continue // written by commit from what the server decided
		}
		w.keys = append(w.keys, k)
	}
	slices.Sort(w.keys)
	for _, k := range w.keys {
		for _, v := range w.header[k] {
			out = appendField(out, k, v)
		}
	}
	return out
}

func appendStatus(b []byte, r *http.Request, code int) []byte {
	if r.ProtoAtLeast(1, 1) {
		b = append(b, "HTTP/1.1 "...)
	} else {
		b = append(b, "HTTP/1.0 "...)
	}
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ' ')
	text := http.StatusText(code)
	if text == "" {
		text = "status code " + strconv.Itoa(code)
	}
	b = append(b, text...)
	return append(b, "\r\n"...)
}

// appendField writes one header field; line breaks in the value become
// spaces, as in net/http, so a handler cannot inject fields.
func appendField(b []byte, k, v string) []byte {
	b = append(b, k...)
	b = append(b, ": "...)
	if strings.ContainsAny(v, "\r\n") {
		v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
	}
	b = append(b, strings.TrimSpace(v)...)
	return append(b, "\r\n"...)
}
