package extensionhttp

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/internal/logline"
)

var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	textContentType = []string{"text/plain; charset=utf-8"}
	successBody     = []byte(`{"success":true}`)
)

func randUint64() uint64 { return rand.Uint64() }

// header returns the first value of a header by its canonical key, without
// canonicalising the key again as http.Header.Get does.
func header(r *http.Request, canonicalKey string) string {
	if v := r.Header[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// route normalises a request path the way Express matches routes: case
// insensitive, one optional trailing slash.
func route(p string) string {
	if len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(p)
		}
	}
	return p
}

// ServeHTTP routes a request; see the package documentation for the routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.cfg.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	p := route(r.URL.Path)
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	var reqID, traceID string
	switch {
	case p == "/function" && r.Method == http.MethodPost:
		reqID, traceID = h.function(rec, r)
	case (p == "/" || p == "/healthcheck") && get:
		writeBody(rec, http.StatusOK, jsonContentType, successBody)
	case (p == "/livez" || p == "/readyz") && get:
		h.health(rec)
		return // health routes are not logged (PROTOCOL §3.8)
	case p == "/openconnections" && get:
		h.openConnections(rec, r)
	case p == "/stopserver" && get:
		h.stopServer(rec)
	default:
		writeErrors(rec, http.StatusNotFound, extension.Error{Code: "not_found", Message: "Cannot " + r.Method + " " + r.URL.Path})
	}
	h.logRequest(r, rec.status, start, reqID, traceID)
}

func (h *Handler) logRequest(r *http.Request, status int, start time.Time, reqID, traceID string) {
	if !h.log.Enabled(r.Context(), slog.LevelInfo) {
		return
	}
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs,
		slog.String("logName", "reqFinished"),
		slog.String("method", r.Method),
		slog.String("url", r.URL.RequestURI()),
		slog.Int("statusCode", status),
		slog.String("responseTime", strconv.FormatInt(h.cfg.Now().Sub(start).Milliseconds(), 10)+"ms"),
	)
	if reqID != "" {
		attrs = append(attrs, slog.String("_reqId", reqID))
	}
	attrs = append(attrs, slog.String("traceId", traceID))
	logline.Info(r.Context(), h.log, "reqFinished", attrs...)
}

func (h *Handler) health(w http.ResponseWriter) {
	if h.terminating.Load() {
		h.log.Error("healthCheckFailure", "logName", "healthCheckFailure", "message", "applicationInTerminatingState")
		writeBody(w, http.StatusServiceUnavailable, textContentType, []byte("Service Unavailable"))
		return
	}
	writeBody(w, http.StatusOK, textContentType, []byte("OK"))
}

// openConnections answers the number of open connections other than the
// caller's; with ?terminate=true it also starts failing health checks.
func (h *Handler) openConnections(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("terminate") == "true" {
		h.terminating.Store(true)
	}
	n := h.openCount()
	attrs := []any{"logName", "noOfOpenConnections", "noOfOpenConnections", n}
	if h.terminating.Load() {
		attrs = append(attrs, "isTerminating", true)
	}
	h.log.Info("noOfOpenConnections", attrs...)
	w.Header()["Content-Length"] = []string{strconv.Itoa(len(strconv.FormatInt(n, 10)))}
	w.Header()["Content-Type"] = nil // as res.end: no Content-Type (not even a sniffed one)
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, strconv.FormatInt(n, 10))
}

func (h *Handler) openCount() int64 {
	if !h.tracked.Load() {
		return 0
	}
	return max(h.conns.Load()-1, 0)
}

// stopServer begins a graceful shutdown unless other connections are open.
func (h *Handler) stopServer(w http.ResponseWriter) {
	h.log.Info("serverHit", "logName", "serverHit", "u", "/stopServer")
	if n := h.openCount(); n > 1 {
		h.log.Error("shouldNeverHappen", "logName", "shouldNeverHappen",
			"message", "killServerCalledWhileConnectionStillOpen", "noOfOpenConnections", n)
		writeErrors(w, 422, extension.Error{Code: "connections_still_open", Message: strconv.FormatInt(n, 10) + " connection(s) still open."})
		return
	}
	h.stopMu.Lock()
	stop := h.stop
	h.stopMu.Unlock()
	if stop == nil {
		writeErrors(w, 422, extension.Error{Code: "invaid_function_call", Message: "Integration-extension server not deployed."})
		return
	}
	writeBody(w, http.StatusOK, textContentType, []byte("preparing to shut down."))
	stop()
}

// function serves POST /function.
func (h *Handler) function(w *statusRecorder, r *http.Request) (reqID, traceID string) {
	traceID = header(r, "Traceid")
	// The call's deadline counts from now: waiting for admission is part
	// of the time the caller gives the call.
	timeout := h.cfg.FunctionTimeout
	if v := header(r, "X-Hookstack-Timeout-Ms"); v != "" {
		if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 && time.Duration(ms)*time.Millisecond < timeout {
			timeout = time.Duration(ms) * time.Millisecond
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()

	// Admission: wait until this body fits in the in-flight budget. An
	// unknown length (chunked) counts as the 64 KiB it starts reading with.
	weight := r.ContentLength
	if weight < 0 {
		weight = 64 << 10
	}
	if err := h.inFlight.acquire(ctx, weight); err != nil {
		e := extension.Error{Code: "canceled", Message: "The request ended while waiting for its turn."}
		if errors.Is(err, context.DeadlineExceeded) {
			e = extension.Error{Code: extension.CodeTimeout, Message: "The call's deadline passed while it waited for its turn."}
		}
		writeErrors(w, http.StatusServiceUnavailable, e)
		return "", traceID
	}
	defer h.inFlight.release(weight)
	body, herr := h.readBody(r)
	if herr != nil {
		writeErrors(w, herr.status, herr.err)
		return "", traceID
	}
	var env *extension.Envelope
	if body == nil {
		env = &extension.Envelope{}
	} else {
		var err error
		if env, err = extension.ParseEnvelope(body); err != nil {
			writeErrors(w, http.StatusBadRequest, extension.Error{Code: "invalid_json", Message: err.Error()})
			return "", traceID
		}
	}
	if !h.authorized(r, env) {
		w.Header().Set("WWW-Authenticate", "invalid system token")
		writeErrors(w, http.StatusUnauthorized, extension.Error{Code: "unauthorized", Message: "Invalid system token."})
		return "", traceID
	}
	env.TraceID = traceID
	env.ReqID = h.newReqID()

	var hb *heartbeat
	// No 1xx to HTTP/1.0 clients (RFC 9110 §15.2).
	if h.cfg.HeartbeatAfter > 0 && h.cfg.HeartbeatAfter < timeout && r.ProtoAtLeast(1, 1) {
		hb = startHeartbeat(w, h.cfg.HeartbeatAfter)
	}
	res, err := h.x.Call(ctx, env)
	if hb != nil {
		hb.finish()
	}
	if err != nil {
		var ce *extension.CallError
		if errors.As(err, &ce) {
			writeErrors(w, ce.StatusCode, ce.Errors...)
		} else {
			writeErrors(w, 422, extension.Error{Code: "Error", Message: err.Error()})
		}
		return env.ReqID, traceID
	}
	writeBody(w, http.StatusOK, jsonContentType, res.JSON)
	res.Release()
	return env.ReqID, traceID
}

type httpError struct {
	status int
	err    extension.Error
}

// readBody reads a JSON body as body-parser does: nil for a non-JSON content
// type or an empty body (both count as {}), errors for oversized bodies (413),
// unsupported charsets or encodings (415) and broken streams (400).
func (h *Handler) readBody(r *http.Request) ([]byte, *httpError) {
	defer r.Body.Close()
	ct := header(r, "Content-Type")
	if !isJSON(ct) {
		io.Copy(io.Discard, io.LimitReader(r.Body, h.cfg.MaxBodyBytes))
		return nil, nil
	}
	if cs := charset(ct); cs != "" && !strings.HasPrefix(cs, "utf-") {
		return nil, &httpError{http.StatusUnsupportedMediaType, extension.Error{Code: "charset_unsupported", Message: `unsupported charset "` + strings.ToUpper(cs) + `"`}}
	}
	limit := h.cfg.MaxBodyBytes
	tooLarge := &httpError{http.StatusRequestEntityTooLarge, extension.Error{Code: "entity_too_large", Message: "request entity too large"}}
	var src io.Reader = r.Body
	encoding := strings.ToLower(header(r, "Content-Encoding"))
	switch encoding {
	case "", "identity":
		if r.ContentLength > limit {
			return nil, tooLarge
		}
		if r.ContentLength >= 0 {
			body := make([]byte, r.ContentLength)
			if _, err := io.ReadFull(r.Body, body); err != nil {
				return nil, &httpError{http.StatusBadRequest, extension.Error{Code: "request_aborted", Message: "request aborted: " + err.Error()}}
			}
			return nonEmpty(body), nil
		}
	case "gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, &httpError{http.StatusBadRequest, extension.Error{Code: "invalid_encoding", Message: "invalid gzip body: " + err.Error()}}
		}
		src = zr
	case "deflate": // zlib format, as HTTP and body-parser (zlib.createInflate) define it
		zr, err := zlib.NewReader(r.Body)
		if err != nil {
			return nil, &httpError{http.StatusBadRequest, extension.Error{Code: "invalid_encoding", Message: "invalid deflate body: " + err.Error()}}
		}
		src = zr
	default:
		return nil, &httpError{http.StatusUnsupportedMediaType, extension.Error{Code: "encoding_unsupported", Message: `unsupported content encoding "` + encoding + `"`}}
	}
	buf := bytes.NewBuffer(make([]byte, 0, 64<<10))
	n, err := io.Copy(buf, io.LimitReader(src, limit+1))
	if err != nil {
		return nil, &httpError{http.StatusBadRequest, extension.Error{Code: "request_aborted", Message: "request aborted: " + err.Error()}}
	}
	if n > limit {
		return nil, tooLarge
	}
	return nonEmpty(buf.Bytes()), nil
}

func nonEmpty(b []byte) []byte {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	return b
}

func isJSON(ct string) bool {
	if ct == "application/json" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

func charset(ct string) string {
	if !strings.Contains(ct, ";") {
		return ""
	}
	_, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return strings.ToLower(params["charset"])
}

// bearer extracts the token from an Authorization header value as Celigo's
// findToken does: exactly two space-separated parts, the first "Bearer" in
// any case. ok is false for any other shape.
func bearer(auth string) (token string, ok bool) {
	scheme, tok, found := strings.Cut(auth, " ")
	if !found || strings.Contains(tok, " ") || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return tok, true
}

// authorized applies PROTOCOL §3.3: the Authorization header if present
// (fallbacks ignored), else a truthy access_token in the body, else in the
// query. Tokens are compared in constant time against every accepted token.
func (h *Handler) authorized(r *http.Request, env *extension.Envelope) bool {
	var token string
	if auth := header(r, "Authorization"); auth != "" {
		tok, ok := bearer(auth)
		if !ok {
			return false
		}
		token = tok
	} else if tok, sent := env.BodyToken(); sent {
		token = tok // empty for a non-string token: never authorised
	} else if r.URL.RawQuery != "" {
		// Express's query parser makes a repeated key an array, which never
		// equals the token.
		if v := r.URL.Query()["access_token"]; len(v) == 1 {
			token = v[0]
		}
	}
	return h.matches(token)
}

func (h *Handler) matches(token string) bool {
	if token == "" {
		return false
	}
	ok := 0
	for _, t := range h.tokens {
		ok |= subtle.ConstantTimeCompare([]byte(token), t)
	}
	return ok == 1
}

// newReqID returns Date.now() followed by four [0-9a-z] characters, the
// request id format of express-integrator-extension.
func (h *Handler) newReqID() string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 0, 17)
	b = strconv.AppendInt(b, h.cfg.Now().UnixMilli(), 10)
	x := h.cfg.RandUint64()
	for range 4 {
		b = append(b, alphabet[x%36])
		x /= 36
	}
	return string(b)
}

func writeBody(w http.ResponseWriter, status int, ct []string, body []byte) {
	hdr := w.Header()
	hdr["Content-Type"] = ct
	if len(body) > 2048 || len(body) == 0 { // net/http counts smaller bodies itself
		hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	w.WriteHeader(status)
	w.Write(body)
}

func writeErrors(w http.ResponseWriter, status int, errs ...extension.Error) {
	b, err := errorsJSON(errs)
	if err != nil {
		b = []byte(`{"errors":[{"code":"internal","message":"error response could not be encoded"}]}`)
	}
	writeBody(w, status, jsonContentType, b)
}

// statusRecorder remembers the status written, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if code >= 200 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// heartbeat sends one "102 Processing" if a call outlives the delay.
type heartbeat struct {
	mu    sync.Mutex
	done  bool
	timer *time.Timer
}

func startHeartbeat(w http.ResponseWriter, after time.Duration) *heartbeat {
	hb := &heartbeat{}
	hb.timer = time.AfterFunc(after, func() {
		hb.mu.Lock()
		defer hb.mu.Unlock()
		if hb.done {
			return
		}
		// WriteHeader flushes a 1xx response itself. Do not call Flush: on a
		// response whose final header is not yet written it commits a 200.
		w.WriteHeader(http.StatusProcessing)
	})
	return hb
}

// finish stops the heartbeat; after it returns no 102 can be written.
func (hb *heartbeat) finish() {
	hb.timer.Stop()
	hb.mu.Lock()
	hb.done = true
	hb.mu.Unlock()
}
