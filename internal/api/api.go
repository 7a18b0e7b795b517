// Package api serves the platform's REST API, compatible with integrator.io's
// /v1: API tokens, stacks and stack sharing (PLATFORM §1, §2.1, §2.2, §2.8,
// §7.1, §7.2). Handlers return errors; one adapter writes every failure as
// {"errors":[{code,message,field}]} with the status its platform.Code maps to
// (statusOf), so the mapping lives in exactly one place.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/hookstack/hookstack/internal/connection"
	"github.com/hookstack/hookstack/internal/invoke"
	"github.com/hookstack/hookstack/internal/ott"
	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/secret"
)

// MaxBodyBytes limits request bodies of the API.
const MaxBodyBytes = 1 << 20

// Limiter meters requests per account (a leaky bucket of 1000 draining 300/s).
type Limiter interface {
	Allow(ctx context.Context, key string, now time.Time) (ok bool, retryAfter time.Duration, err error)
}

// Config is what the API needs.
type Config struct {
	Store   platform.Store
	Sealer  *secret.Sealer
	Limiter Limiter // nil: no rate limiting
	// Invokers returns the invoker that calls a stack's functions; nil means
	// StackInvokers(Sealer).
	Invokers func(*platform.Stack) (invoke.Invoker, error)
	// Offline is told when a ping takes a connection offline (the platform
	// schedules its re-pings); nil means nobody is told.
	Offline func(ctx context.Context, accountID, connectionID string) error
	Logger  *slog.Logger
	Now     func() time.Time
}

// Server is the REST API, an http.Handler.
type Server struct {
	store   platform.Store
	sealer  *secret.Sealer
	limiter Limiter
	pinger  *connection.Pinger
	offline func(ctx context.Context, accountID, connectionID string) error
	log     *slog.Logger
	now     func() time.Time
	mux     *http.ServeMux
	routes  []string
}

// New returns the API server with every route registered.
func New(cfg Config) *Server {
	s := &Server{store: cfg.Store, sealer: cfg.Sealer, limiter: cfg.Limiter, offline: cfg.Offline, log: cfg.Logger, now: cfg.Now, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	invokers := cfg.Invokers
	if invokers == nil {
		invokers = StackInvokers(cfg.Sealer)
	}
	s.pinger = &connection.Pinger{Store: cfg.Store, Sealer: cfg.Sealer, Invokers: invokers, Now: s.now}
	s.register()
	return s
}

// Routes returns the registered route patterns ("GET /v1/stacks/{id}"), for
// checking them against api/openapi.yaml.
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// ServeHTTP serves the API. A request no route matches is answered with
// the usual JSON error body too: 405 method_not_allowed (with Allow) when
// the path has routes for other methods, else 404 not_found.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	// The mux's own handler knows which of 404 and 405 applies; let it
	// answer into a recorder and keep only its status and Allow header.
	rec := &statusRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if rec.status == http.StatusMethodNotAllowed {
		allow := rec.header.Get("Allow")
		w.Header().Set("Allow", allow)
		s.writeError(w, r, platform.Errorf(platform.CodeMethodNotAllowed, "%s is not allowed here; use %s.", r.Method, allow))
		return
	}
	s.writeError(w, r, platform.Errorf(platform.CodeNotFound, "No such endpoint: %s %s.", r.Method, r.URL.Path))
}

// statusRecorder keeps the status and headers a handler writes and drops
// its body.
type statusRecorder struct {
	header http.Header
	status int
}

func (c *statusRecorder) Header() http.Header { return c.header }

func (c *statusRecorder) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return len(b), nil
}

func (c *statusRecorder) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

// handlerFunc is an API handler: it writes its success itself and returns
// the failure for the adapter to write.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *principal) error

// handle registers an authenticated, rate-limited administration route:
// API tokens only, never one-time tokens.
func (s *Server) handle(pattern string, h handlerFunc) { s.handleClass(pattern, ott.ClassAdmin, h) }

// handleClass registers a route that one-time tokens may call when their
// scope allows class.
func (s *Server) handleClass(pattern string, class ott.Class, h handlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		p, err := s.authenticate(r)
		if err == nil {
			err = p.permits(class)
		}
		if err == nil {
			err = s.limit(w, r, p)
		}
		if err == nil {
			err = h(w, r, p)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "request", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Duration("took", s.now().Sub(start)))
	}))
}

// statusOf maps every platform error code to its HTTP status.
func statusOf(c platform.Code) int {
	switch c {
	case platform.CodeMissingRequiredField, platform.CodeInvalidField, platform.CodeStackInUse,
		platform.CodeShareInUse, platform.CodeTokenNotRevoked:
		return http.StatusUnprocessableEntity
	case platform.CodeInvalidQueryParams, platform.CodeInvalidJSON:
		return http.StatusBadRequest
	case platform.CodeNotFound:
		return http.StatusNotFound
	case platform.CodeUnauthorized:
		return http.StatusUnauthorized
	case platform.CodeForbidden:
		return http.StatusForbidden
	case platform.CodeConflict:
		return http.StatusConflict
	case platform.CodeRateLimited:
		return http.StatusTooManyRequests
	case platform.CodeUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case platform.CodeEntityTooLarge:
		return http.StatusRequestEntityTooLarge
	case platform.CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Errors []*platform.Error `json:"errors"`
}

// writeError writes err as {"errors":[…]}. Internal errors are logged and
// answered with a generic message: their text is not for clients.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var list []*platform.Error
	var es platform.Errors
	var e *platform.Error
	switch {
	case errors.As(err, &es):
		list = es
	case errors.As(err, &e):
		list = []*platform.Error{e}
	default:
		s.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		list = []*platform.Error{{Code: platform.CodeInternal, Message: "Internal error."}}
	}
	if list[0].Code == platform.CodeUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hookstack"`)
	}
	writeJSON(w, statusOf(list[0].Code), errorBody{Errors: list})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"errors":[{"code":"internal","message":"Internal error."}]}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// decode reads a JSON body into v: 415 for another content type, 413 over
// MaxBodyBytes, 400 for malformed JSON, 422 invalid_field (with the member
// path) for a value of the wrong type.
func decode(r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return platform.Errorf(platform.CodeUnsupportedMediaType, "Request bodies must be JSON (Content-Type: application/json).")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return platform.Errorf(platform.CodeInvalidJSON, "Reading the request body failed: %v", err)
	}
	if len(body) > MaxBodyBytes {
		return platform.Errorf(platform.CodeEntityTooLarge, "The request body is larger than %d bytes.", MaxBodyBytes)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return platform.FieldError(platform.CodeInvalidField, te.Field, "%s must be %s, not a JSON %s.", fieldName(te.Field), jsonKind(te.Type), te.Value)
		}
		return platform.Errorf(platform.CodeInvalidJSON, "The request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return platform.Errorf(platform.CodeInvalidJSON, "The request body holds more than one JSON value.")
	}
	return nil
}

func fieldName(f string) string {
	if f == "" {
		return "The body"
	}
	return f
}

// jsonKind names the JSON kind a Go type decodes from.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	}
	return t.String()
}

// page reads ?skip= and ?limit= (default 100, at most 1000).
func page(r *http.Request) (platform.Page, error) {
	p := platform.Page{Limit: 100}
	q := r.URL.Query()
	// In a fixed order, so that the same request always gets the same error.
	for _, param := range []struct {
		name string
		dst  *int
	}{{"skip", &p.Skip}, {"limit", &p.Limit}} {
		name, v := param.name, q.Get(param.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || name == "limit" && (n < 1 || n > 1000) {
			return p, platform.FieldError(platform.CodeInvalidQueryParams, name, "%s must be a whole number (limit 1 to 1000).", name)
		}
		*param.dst = n
	}
	return p, nil
}

// list answers one page of a list: it reads ?skip and ?limit, fetches one
// record more than the page to learn whether another page follows, renders
// each record with view, and writes the page with its Link header.
func list[T, V any](w http.ResponseWriter, r *http.Request, fetch func(platform.Page) ([]T, error), view func(T) (V, error)) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, err := fetch(platform.Page{Skip: pg.Skip, Limit: pg.Limit + 1})
	if err != nil {
		return err
	}
	out := make([]V, 0, min(len(items), pg.Limit))
	for _, it := range items[:min(len(items), pg.Limit)] {
		v, err := view(it)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	writeList(w, r, pg, out, len(items) > pg.Limit)
	return nil
}

// plain adapts a view that cannot fail.
func plain[T, V any](f func(T) V) func(T) (V, error) {
	return func(t T) (V, error) { return f(t), nil }
}

// writeList writes one page of a list. more reports whether a further page
// exists; the Link header then names it with an absolute URL on the same
// host, and the previous page when skip > 0.
func writeList[T any](w http.ResponseWriter, r *http.Request, p platform.Page, items []T, more bool) {
	var links []string
	link := func(skip int, rel string) {
		u := url.URL{Scheme: scheme(r), Host: r.Host, Path: r.URL.Path}
		q := r.URL.Query()
		q.Set("skip", strconv.Itoa(skip))
		q.Set("limit", strconv.Itoa(p.Limit))
		u.RawQuery = q.Encode()
		links = append(links, fmt.Sprintf("<%s>; rel=%q", u.String(), rel))
	}
	if more {
		link(p.Skip+p.Limit, "next")
	}
	if p.Skip > 0 {
		link(max(p.Skip-p.Limit, 0), "prev")
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	if items == nil {
		items = []T{}
	}
	writeJSON(w, http.StatusOK, items)
}

func scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		return p
	}
	return "http"
}

// timeJSON renders a time as integrator.io does: UTC, milliseconds, Z.
func timeJSON(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// plainText reports whether s is free of control characters (NUL among
// them, which PostgreSQL text cannot hold); tabs are allowed.
func plainText(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return false
		}
	}
	return true
}

// mask is how every secret is answered.
const mask = "******"
