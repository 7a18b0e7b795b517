// Package extensionhttp hosts extension functions as a server stack: the
// HTTP protocol of Celigo's express-integrator-extension (PROTOCOL §3), so
// that integrator.io, the Hookstack platform and any Node-era tooling can
// call it unchanged.
//
// Use Serve for a complete server (listening, timeouts, graceful drain on
// SIGTERM or /stopServer; HTTP/1.1 through a lean connection server of its
// own, much cheaper per call than net/http's), or NewHandler to mount the
// routes in a server of your own, such as an http.Server with TLS:
//
//	err := extensionhttp.Serve(ctx, extensionhttp.Config{
//		Extension: extension.Config{DIY: &module},
//		Addr:      ":8080",
//	}) // system token from INTEGRATOR_EXTENSION_SYSTEM_TOKEN
//
// Routes: GET / and /healthCheck ({"success":true}), /livez and /readyz
// ("OK", 503 once terminating), POST /function (system token required),
// GET /openConnections[?terminate=true] and GET /stopServer. Paths match
// case-insensitively with an optional trailing slash, as in Express; GET
// routes answer HEAD too.
package extensionhttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/extensionhttp/internal/h1"
)

// EnvSystemToken is the environment variable holding the system token(s),
// comma-separated when several are accepted during a rotation.
const EnvSystemToken = "INTEGRATOR_EXTENSION_SYSTEM_TOKEN"

// Defaults, from express-integrator-extension (PROTOCOL §1.3, §3.6, §3.7).
const (
	DefaultMaxBodyBytes      = 50 << 20
	DefaultMaxInFlightBytes  = 256 << 20
	DefaultFunctionTimeout   = 300 * time.Second
	DefaultHeartbeatAfter    = 270 * time.Second
	DefaultKeepAliveTimeout  = 301 * time.Second
	DefaultHeadersTimeout    = 305 * time.Second
	DefaultInactivityTimeout = 315 * time.Second
)

// TimeoutHeader lets a caller shorten the function's deadline: the number of
// milliseconds the caller will wait. The Hookstack platform sends it; other
// callers may omit it.
const TimeoutHeader = "X-Hookstack-Timeout-Ms"

// Config configures a server stack.
type Config struct {
	// Extension holds the modules served.
	Extension extension.Config
	// SystemTokens are the accepted system tokens. When empty, they are read
	// from INTEGRATOR_EXTENSION_SYSTEM_TOKEN (comma-separated).
	SystemTokens []string
	// Addr is the listen address for Serve; default ":" + $PORT, else ":80".
	Addr string
	// MaxBodyBytes limits request bodies; default 50 MB.
	MaxBodyBytes int64
	// MaxInFlightBytes bounds the request bodies being processed at once
	// (by their size); further calls wait, first come first served, until
	// their deadline (then 503 timeout). Default
	// 256 MiB; negative means no bound. A CPU-bound stack receiving large
	// pages does better with a few MiB per core.
	MaxInFlightBytes int64
	// MaxConcurrentCalls bounds the calls being processed at once, in the
	// same first-come-first-served queue; default 0, no bound. Functions
	// that wait on other services want no bound; a CPU-bound stack answers
	// with a shorter tail when it works on a few calls per core at a time
	// instead of sharing the cores among all of them.
	MaxConcurrentCalls int
	// FunctionTimeout is the deadline of each call; default 300 s.
	FunctionTimeout time.Duration
	// HeartbeatAfter is when one "102 Processing" is sent during a long
	// call; default 270 s; negative disables it.
	HeartbeatAfter time.Duration
	// KeepAliveTimeout, HeadersTimeout and InactivityTimeout are the socket
	// timeouts for Serve; defaults 301 s, 305 s, 315 s.
	KeepAliveTimeout  time.Duration
	HeadersTimeout    time.Duration
	InactivityTimeout time.Duration
	// Getenv reads the environment; default os.Getenv.
	Getenv func(string) string
	// Now and RandUint64 make request ids deterministic in tests; defaults
	// time.Now and math/rand/v2.
	Now        func() time.Time
	RandUint64 func() uint64
}

func (c *Config) defaults() {
	if c.Getenv == nil {
		c.Getenv = os.Getenv
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxInFlightBytes == 0 {
		c.MaxInFlightBytes = DefaultMaxInFlightBytes
	}
	if c.FunctionTimeout <= 0 {
		c.FunctionTimeout = DefaultFunctionTimeout
	}
	if c.HeartbeatAfter == 0 {
		c.HeartbeatAfter = DefaultHeartbeatAfter
	}
	if c.KeepAliveTimeout <= 0 {
		c.KeepAliveTimeout = DefaultKeepAliveTimeout
	}
	if c.HeadersTimeout <= 0 {
		c.HeadersTimeout = DefaultHeadersTimeout
	}
	if c.InactivityTimeout <= 0 {
		c.InactivityTimeout = DefaultInactivityTimeout
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.RandUint64 == nil {
		c.RandUint64 = randUint64
	}
	if c.Addr == "" {
		c.Addr = ":80"
		if p := c.Getenv("PORT"); p != "" {
			c.Addr = ":" + p
		}
	}
	if len(c.SystemTokens) == 0 {
		for _, t := range strings.Split(c.Getenv(EnvSystemToken), ",") {
			if t = strings.TrimSpace(t); t != "" {
				c.SystemTokens = append(c.SystemTokens, t)
			}
		}
	}
}

// Handler serves the routes of a server stack. Create it with NewHandler.
type Handler struct {
	cfg         Config
	x           *extension.Extension
	log         *slog.Logger
	tokens      [][]byte
	inFlight    *budget // nil: unbounded
	terminating atomic.Bool
	// conns counts open connections when the handler runs under Serve (or a
	// server whose ConnState is TrackConn); -1 when unknown.
	conns   atomic.Int64
	tracked atomic.Bool
	stop    func() // set by Serve: begins a graceful shutdown
	stopMu  sync.Mutex
}

// NewHandler validates cfg and returns its handler. The error is an
// *extension.Error: the configuration rules of PROTOCOL §1.1, then
// missing_required_field "systemToken not provided in options." when no
// token is configured.
func NewHandler(cfg Config) (*Handler, error) {
	cfg.defaults()
	if err := cfg.Extension.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.SystemTokens) == 0 {
		return nil, extension.NewError(extension.CodeMissingRequiredField, "systemToken not provided in options.")
	}
	x, err := extension.New(cfg.Extension)
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, x: x, log: x.Logger()}
	switch {
	case cfg.MaxInFlightBytes > 0:
		h.inFlight = newBudget(cfg.MaxInFlightBytes, max(cfg.MaxConcurrentCalls, 0))
	case cfg.MaxConcurrentCalls > 0:
		h.inFlight = newBudget(math.MaxInt64, cfg.MaxConcurrentCalls)
	}
	for _, t := range cfg.SystemTokens {
		h.tokens = append(h.tokens, []byte(t))
	}
	return h, nil
}

// TrackConn is an http.Server ConnState hook that lets the handler count
// open connections for /openConnections and /stopServer. Serve installs it.
func (h *Handler) TrackConn(_ net.Conn, state http.ConnState) {
	h.tracked.Store(true)
	switch state {
	case http.StateNew:
		h.conns.Add(1)
	case http.StateClosed, http.StateHijacked:
		h.conns.Add(-1)
	}
}

// Terminating reports whether /openConnections?terminate=true was called or a
// shutdown began; health checks then fail with 503.
func (h *Handler) Terminating() bool { return h.terminating.Load() }

// Serve runs a server stack until ctx is done, SIGTERM or SIGINT arrives, or
// /stopServer is called; it then stops accepting connections, fails health
// checks, waits for calls in flight to finish, and returns nil. It returns
// the configuration errors of NewHandler, or the listener's error.
func Serve(ctx context.Context, cfg Config) error {
	h, err := NewHandler(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", h.cfg.Addr)
	if err != nil {
		h.log.Error(fmt.Sprintf("Express integrator-extension server error - %v", err))
		return err
	}
	return h.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done, a signal arrives, or /stopServer is
// called, then drains as the package-level Serve does. A call is not
// canceled when its client disconnects; it runs to its deadline.
func (h *Handler) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancelSignals := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer cancelSignals()
	srv := &h1.Server{
		Handler:       h,
		HeaderTimeout: h.cfg.HeadersTimeout,
		ReadTimeout:   h.cfg.InactivityTimeout,
		WriteTimeout:  max(h.cfg.InactivityTimeout, h.cfg.FunctionTimeout+15*time.Second),
		IdleTimeout:   h.cfg.KeepAliveTimeout,
		ConnState:     h.TrackConn,
		Log:           h.log,
	}
	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	h.stopMu.Lock()
	h.stop = stop
	h.stopMu.Unlock()

	port := ln.Addr().String()
	if _, p, err := net.SplitHostPort(port); err == nil {
		port = p
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	h.log.Info("Express integrator-extension server listening on port: " + port)

	select {
	case err := <-errc:
		h.log.Error(fmt.Sprintf("Express integrator-extension server error - %v", err))
		return err
	case <-stopCtx.Done():
	}
	h.terminating.Store(true)
	drain, cancel := context.WithTimeout(context.Background(), h.cfg.FunctionTimeout+15*time.Second)
	defer cancel()
	err := srv.Shutdown(drain)
	h.log.Info("Express integrator-extension server stopped listening on port: "+port, "logName", "serverStopped")
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("extensionhttp: drain: calls still running after %v", h.cfg.FunctionTimeout+15*time.Second)
	}
	return nil
}
