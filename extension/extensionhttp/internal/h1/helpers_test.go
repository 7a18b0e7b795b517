package h1

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startServer serves s on a loopback listener until the test ends and
// returns the listener's address. s.Log defaults to one that fails the test
// on any log line, so that unexpected panics show up.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.Log == nil {
		s.Log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve = %v, want ErrServerClosed", err)
		}
	})
	return ln.Addr().String()
}

// testWriter fails the test for every log line written to it.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Errorf("unexpected log line: %s", p)
	return len(p), nil
}

// logBuffer collects log lines safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// client is a raw connection to the server under test.
type client struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	return &client{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (c *client) write(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.nc, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// response reads one response to a request with method.
func (c *client) response(method string) *http.Response {
	c.t.Helper()
	resp, err := c.tryResponse(method)
	if err != nil {
		c.t.Fatalf("read response: %v", err)
	}
	return resp
}

// tryResponse reads one response and its body.
func (c *client) tryResponse(method string) (*http.Response, error) {
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, err
}

// bodyOf returns the body of resp, already read by response.
func bodyOf(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// expectClosed checks that the server closes the connection without sending
// more bytes. A reset counts as closed: the server closes without reading
// what is left of a request it rejected.
func (c *client) expectClosed() {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	b, err := io.ReadAll(c.br)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		c.t.Errorf("connection not closed: %v", err)
	}
	if len(b) > 0 {
		c.t.Errorf("unexpected bytes before close: %q", b)
	}
}

// expectReuse checks that the server closed the connection (wantClose) or
// answers another request on it; the server's handler must serve
// GET /hello with "hello".
func (c *client) expectReuse(wantClose bool) {
	c.t.Helper()
	if wantClose {
		c.expectClosed()
		return
	}
	c.write("GET /hello HTTP/1.1\r\n\r\n")
	if got := bodyOf(c.response("GET")); got != "hello" {
		c.t.Errorf("next response %q", got)
	}
}

// echo is what echoHandler reports about a request.
type echo struct {
	Method           string
	RequestURI       string
	Path             string
	RawPath          string
	RawQuery         string
	Scheme           string
	URLHost          string
	Proto            string
	ProtoMajor       int
	ProtoMinor       int
	Host             string
	Header           http.Header
	ContentLength    int64
	TransferEncoding []string
	Body             string
	BodyErr          string
}

// echoHandler answers with an echo of the request as JSON.
var echoHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	e := echo{
		Method:           r.Method,
		RequestURI:       r.RequestURI,
		Path:             r.URL.Path,
		RawPath:          r.URL.RawPath,
		RawQuery:         r.URL.RawQuery,
		Scheme:           r.URL.Scheme,
		URLHost:          r.URL.Host,
		Proto:            r.Proto,
		ProtoMajor:       r.ProtoMajor,
		ProtoMinor:       r.ProtoMinor,
		Host:             r.Host,
		Header:           r.Header,
		ContentLength:    r.ContentLength,
		TransferEncoding: r.TransferEncoding,
		Body:             string(b),
	}
	if err != nil {
		e.BodyErr = err.Error()
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(e)
})

// parseResult is what the parser of this package makes of raw bytes,
// without a network: the request, its body and the bytes left after it.
type parseResult struct {
	req  *http.Request
	body []byte
	rest []byte
}

// parseRequest runs readHead, build, framing and the body reader over data
// as serveOne does. A head error is returned as is; a body error is returned
// with the request.
func parseRequest(data []byte) (parseResult, error) {
	c := &conn{br: bufio.NewReaderSize(bytes.NewReader(data), 4<<10)}
	var (
		p   parsed
		req http.Request
		u   url.URL
		h   = make(http.Header)
	)
	if err := readHead(c.br, &p, &c.scratch, DefaultMaxHeaderBytes); err != nil {
		return parseResult{}, err
	}
	if err := p.build(&req, &u, h, "192.0.2.1:1234"); err != nil {
		return parseResult{}, err
	}
	length, chunked, err := framing(&req)
	if err != nil {
		return parseResult{}, err
	}
	c.body.reset(c, length, chunked, false)
	b, err := io.ReadAll(&c.body)
	if err != nil {
		return parseResult{req: &req}, err
	}
	rest, _ := io.ReadAll(c.br)
	return parseResult{req: &req, body: b, rest: rest}, nil
}

// statusOf returns the status a parse error is answered with, or 0.
func statusOf(err error) int {
	var pe *parseError
	if errors.As(err, &pe) {
		return pe.status
	}
	return 0
}

// crlf turns the LFs of s into CRLFs, for readable request literals.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
