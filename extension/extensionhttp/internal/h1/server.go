// Package h1 serves HTTP/1.1 connections to an http.Handler with far less
// work per request than net/http's server: no background read goroutine,
// no per-request allocation of the request, its header map or its buffers,
// one write system call per response. It exists because a server stack's
// calls are small and many: net/http's own cost per request is most of the
// cost of a ping.
//
// It implements what the handlers of extensionhttp need of HTTP/1.x:
// keep-alive and pipelining, Content-Length and chunked request bodies,
// Expect: 100-continue, 1xx interim responses, responses with a known length
// (one write), without one (chunked, or close-delimited for HTTP/1.0), HEAD,
// idle/header/read/write timeouts, header size limits, ConnState
// notifications and graceful shutdown. It does not do TLS, HTTP/2,
// upgrades, hijacking or trailers in responses.
//
// Handlers must follow the http.Handler contract strictly: the request, its
// header and body and the ResponseWriter are reused by the next request on
// the connection once ServeHTTP returns. The request's context is not
// canceled when the client disconnects (that would need a read in the
// background for every request, which is what makes net/http slow here).
package h1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// temporary reports whether an accept error passes: out of descriptors,
// buffers or memory, or a connection aborted before it was accepted.
func temporary(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// DefaultMaxHeaderBytes limits the request line and header fields; 64 KiB,
// the limit of AWS's load balancers.
const DefaultMaxHeaderBytes = 64 << 10

// maxFields limits the header fields of a request (and so the memory a
// connection keeps for them).
const maxFields = 256

// maxDrain is how much of an unread request body is discarded to keep the
// connection; larger remainders close it (as net/http does).
const maxDrain = 256 << 10

// Server serves HTTP/1.x. Set its fields before Serve; do not change them
// afterwards.
type Server struct {
	Handler http.Handler
	// IdleTimeout bounds the wait for the next request on a connection.
	IdleTimeout time.Duration
	// HeaderTimeout bounds reading a request's line and header fields,
	// from its first byte.
	HeaderTimeout time.Duration
	// ReadTimeout bounds reading the body, from the end of the header.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing the response, from the end of the header.
	WriteTimeout time.Duration
	// MaxHeaderBytes limits the request line and header; default 64 KiB.
	MaxHeaderBytes int
	// ConnState, when set, is called as connections change state.
	ConnState func(net.Conn, http.ConnState)
	// Log receives handler panics and accept errors; default slog.Default.
	Log *slog.Logger

	mu       sync.Mutex
	ln       net.Listener
	conns    map[*conn]struct{}
	shutdown atomic.Bool
	done     chan struct{} // closed when shutdown begins
	once     sync.Once
	date     atomic.Pointer[dateLine]
}

// ErrServerClosed is returned by Serve after Shutdown; it is net/http's.
var ErrServerClosed = http.ErrServerClosed

func (s *Server) init() {
	s.once.Do(func() {
		s.done = make(chan struct{})
		s.conns = make(map[*conn]struct{})
		if s.MaxHeaderBytes <= 0 {
			s.MaxHeaderBytes = DefaultMaxHeaderBytes
		}
		if s.Log == nil {
			s.Log = slog.Default()
		}
	})
}

// Serve accepts connections on ln and serves each in its own goroutine
// until Shutdown, when it returns ErrServerClosed; otherwise it returns the
// listener's error. It closes ln.
func (s *Server) Serve(ln net.Listener) error {
	s.init()
	s.mu.Lock()
	if s.shutdown.Load() {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.ln = ln
	s.mu.Unlock()
	defer ln.Close()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.shutdown.Load() {
				return ErrServerClosed
			}
			if temporary(err) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.Log.Warn(fmt.Sprintf("h1: accept error: %v; retrying in %v", err, delay))
				select {
				case <-time.After(delay):
				case <-s.done:
				}
				continue
			}
			return err
		}
		delay = 0
		c := s.newConn(nc)
		if c == nil {
			nc.Close()
			return ErrServerClosed
		}
		go c.serve()
	}
}

// Shutdown stops accepting connections, closes idle ones and those that
// finish their request, and waits until none is left or ctx is done, when
// it returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.mu.Lock()
	s.shutdown.Store(true)
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	if s.ln != nil {
		s.ln.Close()
	}
	s.mu.Unlock()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.closeIdle() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// closeIdle closes the idle connections and reports whether none is left.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		// A connection waiting for, or still reading, its first or next
		// request head; once the head is read it is Active and finishes.
		if c.state.CompareAndSwap(int32(http.StateIdle), int32(http.StateClosed)) ||
			c.state.CompareAndSwap(int32(http.StateNew), int32(http.StateClosed)) {
			c.nc.Close()
		}
	}
	return len(s.conns) == 0
}

func (s *Server) newConn(nc net.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown.Load() {
		return nil
	}
	c := &conn{s: s, nc: nc, br: bufio.NewReaderSize(nc, 4<<10), remoteAddr: nc.RemoteAddr().String()}
	c.state.Store(int32(http.StateNew))
	s.conns[c] = struct{}{}
	if s.ConnState != nil {
		s.ConnState(nc, http.StateNew)
	}
	return c
}

// conn is one client connection and everything reused between its requests.
type conn struct {
	s          *Server
	nc         net.Conn
	br         *bufio.Reader
	remoteAddr string
	state      atomic.Int32 // an http.ConnState

	out     []byte // response bytes not yet written
	werr    error  // the first failed write
	scratch []byte // long header lines
	head    parsed
	req     http.Request
	url     url.URL
	header  http.Header
	body    body
	resp    response
}

func (c *conn) setState(st http.ConnState) {
	c.state.Store(int32(st))
	if c.s.ConnState != nil {
		c.s.ConnState(c.nc, st)
	}
}

func (c *conn) serve() {
	c.header = make(http.Header, 8)
	c.resp.header = make(http.Header, 4)
	for first := true; ; first = false {
		if c.flush() != nil {
			c.close()
			return
		}
		waiting := http.StateNew
		if !first {
			// Idle until the next head is read: Shutdown may close the
			// connection from now on.
			waiting = http.StateIdle
			c.setState(http.StateIdle)
		}
		if c.s.shutdown.Load() {
			c.close()
			return
		}
		if c.br.Buffered() == 0 { // else a pipelined request is waiting
			if c.s.IdleTimeout > 0 {
				c.nc.SetReadDeadline(time.Now().Add(c.s.IdleTimeout))
			} else if !first && (c.s.HeaderTimeout > 0 || c.s.ReadTimeout > 0) {
				c.nc.SetReadDeadline(time.Time{}) // not the last request's
			}
			if _, err := c.br.Peek(1); err != nil {
				c.close()
				return
			}
		}
		if !c.serveOne(waiting) {
			c.flush()
			c.closeUnread()
			return
		}
		c.forget()
	}
}

// serveOne reads and answers one request; false closes the connection.
// The connection becomes Active once the request head is read, unless
// Shutdown closed it while it was waiting.
func (c *conn) serveOne(waiting http.ConnState) (keep bool) {
	s := c.s
	start := time.Now()
	if s.HeaderTimeout > 0 {
		c.nc.SetReadDeadline(start.Add(s.HeaderTimeout))
	}
	err := readHead(c.br, &c.head, &c.scratch, s.MaxHeaderBytes)
	if err == nil {
		err = c.head.build(&c.req, &c.url, c.header, c.remoteAddr)
	}
	var length int64
	var chunked bool
	if err == nil {
		length, chunked, err = framing(&c.req)
	}
	if err != nil {
		var pe *parseError
		if errors.As(err, &pe) {
			c.writeError(pe.status, pe.msg)
		}
		return false
	}
	if !c.state.CompareAndSwap(int32(waiting), int32(http.StateActive)) {
		return false // closed by Shutdown
	}
	if s.ConnState != nil {
		s.ConnState(c.nc, http.StateActive)
	}
	r := &c.req
	r.Close = wantsClose(r)
	expect := false
	if e := r.Header["Expect"]; len(e) > 0 {
		if len(e) != 1 || !equalFoldASCII("100-continue", []byte(e[0])) {
			c.writeError(http.StatusExpectationFailed, "unsupported Expect")
			return false
		}
		expect = r.ProtoAtLeast(1, 1)
	}
	c.body.reset(c, length, chunked, expect)
	r.Body = &c.body
	if length == 0 && !chunked {
		r.Body = http.NoBody
	}
	now := time.Now()
	if s.ReadTimeout > 0 {
		c.nc.SetReadDeadline(now.Add(s.ReadTimeout))
	} else if s.HeaderTimeout > 0 {
		c.nc.SetReadDeadline(time.Time{}) // the body is not the header's
	}
	if s.WriteTimeout > 0 {
		c.nc.SetWriteDeadline(now.Add(s.WriteTimeout))
	}

	w := &c.resp
	w.reset(c, r)
	if !c.call(w, r) {
		return false
	}
	if w.finish() != nil || c.werr != nil {
		return false
	}
	keep = !w.closeAfter && !r.Close && !s.shutdown.Load()
	if keep && !c.body.drain(maxDrain) {
		keep = false
	}
	return keep
}

// call runs the handler; false means it panicked and the connection must
// be closed without more output.
func (c *conn) call(w *response, r *http.Request) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			ok = false
			if v == http.ErrAbortHandler {
				return
			}
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			c.s.Log.Error(fmt.Sprintf("h1: panic serving %s: %v\n%s", c.remoteAddr, v, buf))
		}
	}()
	c.s.Handler.ServeHTTP(w, r)
	return true
}

func wantsClose(r *http.Request) bool {
	conn := r.Header["Connection"]
	for _, v := range conn {
		if hasToken(v, "close") {
			return true
		}
	}
	if r.ProtoMinor == 0 {
		for _, v := range conn {
			if hasToken(v, "keep-alive") {
				return false
			}
		}
		return true
	}
	return false
}

// hasToken reports whether the comma-separated list v holds token,
// case-insensitively.
func hasToken(v, token string) bool {
	for len(v) > 0 {
		var item string
		item, v, _ = cut(v, ',')
		if t := trimOWS([]byte(item)); equalFoldASCII(token, t) {
			return true
		}
	}
	return false
}

// writeError answers a request that could not be read, then the connection
// closes.
func (c *conn) writeError(status int, msg string) {
	body := fmt.Sprintf("%d %s: %s", status, http.StatusText(status), msg)
	c.out = fmt.Appendf(c.out, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s",
		status, http.StatusText(status), len(body), body)
	if c.s.WriteTimeout > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(c.s.WriteTimeout))
	}
}

func (c *conn) writeContinue() error {
	c.out = append(c.out, "HTTP/1.1 100 Continue\r\n\r\n"...)
	return c.flush()
}

// flush writes the pending response bytes. A failed write sticks: the
// client cannot tell where the next response would begin.
func (c *conn) flush() error {
	if c.werr != nil || len(c.out) == 0 {
		c.out = c.out[:0]
		return c.werr
	}
	_, c.werr = c.nc.Write(c.out)
	c.out = c.out[:0]
	if cap(c.out) > 64<<10 {
		c.out = nil
	}
	return c.werr
}

// writeBig writes the pending bytes and p with one system call.
func (c *conn) writeBig(p []byte) error {
	if c.werr == nil {
		bufs := net.Buffers{c.out, p}
		_, c.werr = bufs.WriteTo(c.nc)
	}
	c.out = c.out[:0]
	return c.werr
}

// forget drops what the last request left in the connection's reused
// state: references into its head (so that the head's copy is not kept
// while idle) and buffers grown by an unusually large request.
func (c *conn) forget() {
	c.req, c.url = http.Request{}, url.URL{}
	if len(c.header) > 32 {
		c.header = make(http.Header, 8)
	} else {
		clear(c.header)
	}
	if cap(c.head.fields) > 64 {
		c.head.fields = nil
	}
	if cap(c.head.slab) > 16<<10 {
		c.head.slab = nil
	}
	if cap(c.scratch) > 16<<10 {
		c.scratch = nil
	}
}

// closeUnread closes a connection that may hold unread request bytes:
// closing at once would make the kernel reset the connection, and a client
// still sending its body lose the response it has not read yet (a 413,
// say). So it sends FIN first and discards what the client still sends
// until the client closes too, for half a second at most (RFC 9112 §9.6).
func (c *conn) closeUnread() {
	if tc, ok := c.nc.(*net.TCPConn); ok && c.werr == nil {
		tc.CloseWrite()
		tc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		io.Copy(io.Discard, c.br)
	}
	c.close()
}

func (c *conn) close() {
	c.nc.Close()
	c.state.Store(int32(http.StateClosed))
	if c.s.ConnState != nil {
		c.s.ConnState(c.nc, http.StateClosed)
	}
	c.s.mu.Lock()
	delete(c.s.conns, c)
	c.s.mu.Unlock()
}

// dateLine caches the Date header of the current second.
type dateLine struct {
	unix int64
	line []byte // "Date: ...\r\n"
}

func (s *Server) dateHeader(now time.Time) []byte {
	sec := now.Unix()
	if d := s.date.Load(); d != nil && d.unix == sec {
		return d.line
	}
	line := now.UTC().AppendFormat([]byte("Date: "), http.TimeFormat)
	line = append(line, "\r\n"...)
	s.date.Store(&dateLine{unix: sec, line: line})
	return line
}
