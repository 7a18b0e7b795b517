package h1

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// routes is the handler of most server tests.
func routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/echo", echoHandler)
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	})
	// /size?n=N writes N bytes without a Content-Length, in writes of
	// at most 1000 bytes; &cl sets the Content-Length; &one writes them at
	// once.
	mux.HandleFunc("/size", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		b := bytes.Repeat([]byte("0123456789"), n/10+1)[:n]
		if r.URL.Query().Has("cl") {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		if r.URL.Query().Has("one") {
			w.Write(b)
			return
		}
		for len(b) > 0 {
			k := min(len(b), 1000)
			w.Write(b[:k])
			w.Write(nil) // an empty write must not end a chunked body
			b = b[k:]
		}
	})
	mux.HandleFunc("/ignore", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ignored")
	})
	return mux
}

func TestKeepAlive(t *testing.T) {
	t.Parallel()
	addr := startServer(t, &Server{Handler: routes()})
	c := dial(t, addr)
	for i := range 3 {
		c.write(crlf(fmt.Sprintf("POST /echo?i=%d HTTP/1.1\nContent-Length: 1\n\n%d", i, i)))
		resp := c.response("POST")
		if resp.Close {
			t.Errorf("request %d: Connection: close", i)
		}
		if got, want := bodyOf(resp), fmt.Sprintf(`"Body":"%d"`, i); !strings.Contains(got, want) {
			t.Errorf("request %d: body %s, want %s", i, got, want)
		}
	}
}

func TestPipelining(t *testing.T) {
	t.Parallel()
	addr := startServer(t, &Server{Handler: routes()})
	for _, test := range []struct {
		name string
		reqs string
		want []string // paths, in order
	}{
		{
			name: "two GETs",
			reqs: "GET /echo?a HTTP/1.1\n\nGET /echo?b HTTP/1.1\n\n",
			want: []string{"a", "b"},
		},
		{
			name: "bodies",
			reqs: "POST /echo?a HTTP/1.1\nContent-Length: 3\n\nabcPOST /echo?b HTTP/1.1\nTransfer-Encoding: chunked\n\n1\nx\n0\n\nGET /echo?c HTTP/1.1\n\n",
			want: []string{"a", "b", "c"},
		},
		{
			// Some clients send a CRLF after a POST body; the response must
			// not wait for a next request that is not coming.
			name: "stray CRLF after body",
			reqs: "POST /echo?a HTTP/1.1\nContent-Length: 3\n\nabc\n",
			want: []string{"a"},
		},
	} {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, addr)
			c.nc.SetDeadline(time.Now().Add(2 * time.Second))
			c.write(crlf(test.reqs))
			for _, q := range test.want {
				resp := c.response("GET")
				if got := bodyOf(resp); !strings.Contains(got, `"RawQuery":"`+q+`"`) {
					t.Errorf("want the response to ?%s, got %s", q, got)
				}
			}
		})
	}
}

func TestExpectContinue(t *testing.T) {
	t.Parallel()
	addr := startServer(t, &Server{Handler: routes()})
	const head = "POST %s HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"

	t.Run("handler reads the body", func(t *testing.T) {
		t.Parallel()
		c := dial(t, addr)
		c.write(fmt.Sprintf(head, "/echo"))
		resp := c.response("POST")
		if resp.StatusCode != http.StatusContinue {
			t.Fatalf("status %d, want 100", resp.StatusCode)
		}
		c.write("hello")
		resp = c.response("POST")
		if got := bodyOf(resp); resp.StatusCode != 200 || !strings.Contains(got, `"Body":"hello"`) {
			t.Errorf("got %d %s", resp.StatusCode, got)
		}
		// The connection serves on.
		c.expectReuse(false)
	})
	t.Run("handler ignores the body", func(t *testing.T) {
		t.Parallel()
		c := dial(t, addr)
		c.write(fmt.Sprintf(head, "/ignore"))
		resp := c.response("POST")
		if resp.StatusCode != http.StatusOK || bodyOf(resp) != "ignored" {
			t.Fatalf("status %d, want 200 without a 100 before", resp.StatusCode)
		}
		if !resp.Close {
			t.Error("no Connection: close")
		}
		c.expectClosed()
	})
	t.Run("handler reads the body after the response header", func(t *testing.T) {
		t.Parallel()
		addr := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "2")
			w.Write([]byte("ok"))
			w.(http.Flusher).Flush()
			io.ReadAll(r.Body) // no 100 Continue after the final header
		}), ReadTimeout: 100 * time.Millisecond})
		c := dial(t, addr)
		c.write(fmt.Sprintf(head, "/"))
		resp := c.response("POST")
		if resp.StatusCode != http.StatusOK || bodyOf(resp) != "ok" {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
		if !resp.Close {
			t.Error("no Connection: close")
		}
		c.expectClosed()
	})
	t.Run("HTTP/1.0", func(t *testing.T) {
		t.Parallel()
		c := dial(t, addr)
		c.write("POST /echo HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello")
		resp := c.response("POST")
		if got := bodyOf(resp); resp.StatusCode != 200 || !strings.Contains(got, `"Body":"hello"`) {
			t.Errorf("got %d %s", resp.StatusCode, got)
		}
	})
}

func TestHead(t *testing.T) {
	t.Parallel()
	addr := startServer(t, &Server{Handler: routes()})
	for _, test := range []struct {
		target string
		wantCL string
	}{
		{"/size?n=1234&cl", "1234"},
		{"/size?n=10", "10"},
		{"/size?n=10000", "10000"},
		{"/size?n=10000&one", "10000"},
		{"/size?n=0", ""},
	} {
		t.Run(test.target, func(t *testing.T) {
			t.Parallel()
			c := dial(t, addr)
			c.write("HEAD " + test.target + " HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n")
			resp := c.response("HEAD")
			if got := resp.Header.Get("Content-Length"); got != test.wantCL {
				t.Errorf("Content-Length %q, want %q", got, test.wantCL)
			}
			if resp.Header.Get("Transfer-Encoding") != "" || resp.TransferEncoding != nil {
				t.Errorf("Transfer-Encoding %q", resp.TransferEncoding)
			}
			// No body was sent: the next response follows at once.
			if got := bodyOf(c.response("GET")); got != "hello" {
				t.Errorf("next response %q", got)
			}
		})
	}
}

func TestResponseFraming(t *testing.T) {
	t.Parallel()
	addr := startServer(t, &Server{Handler: routes()})
	for _, test := range []struct {
		name, proto, target string
		n                   int
		wantCL              int64 // -1: none
		wantChunked         bool
		wantClose           bool
	}{
		{name: "small", proto: "HTTP/1.1", target: "/size?n=100", n: 100, wantCL: 100},
		{name: "empty", proto: "HTTP/1.1", target: "/size?n=0", n: 0, wantCL: 0},
		{name: "4 KiB", proto: "HTTP/1.1", target: "/size?n=4096", n: 4096, wantCL: 4096},
		{name: "large chunked", proto: "HTTP/1.1", target: "/size?n=5000", n: 5000, wantCL: -1, wantChunked: true},
		{name: "large chunked in one write", proto: "HTTP/1.1", target: "/size?n=100000&one", n: 100000, wantCL: -1, wantChunked: true},
		{name: "large HTTP/1.0", proto: "HTTP/1.0", target: "/size?n=5000", n: 5000, wantCL: -1, wantClose: true},
		{name: "small HTTP/1.0", proto: "HTTP/1.0", target: "/size?n=100", n: 100, wantCL: 100, wantClose: true},
		{name: "big with Content-Length", proto: "HTTP/1.1", target: "/size?n=100000&cl&one", n: 100000, wantCL: 100000},
		{name: "big with Content-Length in pieces", proto: "HTTP/1.1", target: "/size?n=100000&cl", n: 100000, wantCL: 100000},
		{name: "big with Content-Length HTTP/1.0", proto: "HTTP/1.0", target: "/size?n=20000&cl&one", n: 20000, wantCL: 20000, wantClose: true},
	} {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, addr)
			c.write("GET " + test.target + " " + test.proto + "\r\n\r\n")
			resp := c.response("GET")
			if resp.ContentLength != test.wantCL {
				t.Errorf("Content-Length %d, want %d", resp.ContentLength, test.wantCL)
			}
			if got := resp.TransferEncoding != nil; got != test.wantChunked {
				t.Errorf("chunked %v, want %v", got, test.wantChunked)
			}
			if resp.Close != test.wantClose {
				t.Errorf("Close %v, want %v", resp.Close, test.wantClose)
			}
			want := strings.Repeat("0123456789", test.n/10+1)[:test.n]
			if got := bodyOf(resp); got != want {
				t.Errorf("body of %d bytes, want %d", len(got), len(want))
			}
			c.expectReuse(test.wantClose)
		})
	}
}

func TestShortBody(t *testing.T) {
	t.Parallel()
	addr := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "short")
	})})
	c := dial(t, addr)
	c.write("GET / HTTP/1.1\r\n\r\n")
	resp, err := c.tryResponse("GET")
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read: %v, want unexpected EOF", err)
	}
	if got := bodyOf(resp); got != "short" {
		t.Errorf("body %q", got)
	}
}

func TestInterimResponse(t *testing.T) {
	t.Parallel()
	addr := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusProcessing)
		w.Header().Del("Link")
		w.Header().Set("X-Final", "1")
		io.WriteString(w, "final")
	})})
	type interim struct {
		Code int
		Link string
	}
	var got []interim
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		got = append(got, interim{code, h.Get("Link")})
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", "http://"+addr+"/", nil)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	want := []interim{{103, "</style.css>; rel=preload"}, {102, "</style.css>; rel=preload"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("interim responses (-want +got):\n%s", diff)
	}
	if resp.StatusCode != 200 || string(b) != "final" || resp.Header.Get("X-Final") != "1" || resp.Header.Get("Link") != "" {
		t.Errorf("final response %d %q %v", resp.StatusCode, b, resp.Header)
	}
}

func TestPanic(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	mux := http.NewServeMux()
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		panic("boom")
	})
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	})
	mux.Handle("/hello", routes())
	addr := startServer(t, &Server{Handler: mux, Log: slog.New(slog.NewTextHandler(&logs, nil))})

	c := dial(t, addr)
	c.write("GET /abort HTTP/1.1\r\n\r\n")
	c.expectClosed()
	if got := logs.String(); got != "" {
		t.Errorf("ErrAbortHandler logged: %s", got)
	}

	c = dial(t, addr)
	c.write("GET /panic HTTP/1.1\r\n\r\n")
	c.expectClosed()
	if got := logs.String(); !strings.Contains(got, "panic serving") || !strings.Contains(got, "boom") {
		t.Errorf("log %q, want the panic", got)
	}

	c = dial(t, addr)
	c.write("GET /hello HTTP/1.1\r\n\r\n")
	if got := bodyOf(c.response("GET")); got != "hello" {
		t.Errorf("after a panic: %q", got)
	}
}

func TestUnreadBody(t *testing.T) {
	t.Parallel()
	addr := startServer(t, &Server{Handler: routes()})
	for _, test := range []struct {
		name      string
		head      string
		body      string
		wantClose bool
	}{
		{name: "small", head: "Content-Length: 1000", body: strings.Repeat("a", 1000)},
		{name: "at the limit", head: "Content-Length: 262144", body: strings.Repeat("a", 256<<10)},
		{name: "over the limit", head: "Content-Length: 262145", body: strings.Repeat("a", 256<<10+1), wantClose: true},
		{name: "chunked", head: "Transfer-Encoding: chunked", body: "3\r\nabc\r\n0\r\n\r\n"},
		{name: "chunked over the limit", head: "Transfer-Encoding: chunked", body: "40001\r\n" + strings.Repeat("a", 256<<10+1) + "\r\n0\r\n\r\n", wantClose: true},
	} {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, addr)
			go io.WriteString(c.nc, "POST /ignore HTTP/1.1\r\n"+test.head+"\r\n\r\n"+test.body) // may fail when the server closes
			resp := c.response("POST")
			if bodyOf(resp) != "ignored" {
				t.Fatal("no response")
			}
			if resp.Close != test.wantClose {
				t.Errorf("Connection: close is %v, want %v", resp.Close, test.wantClose)
			}
			c.expectReuse(test.wantClose)
		})
	}
}

func TestConnectionHeader(t *testing.T) {
	t.Parallel()
	addr := startServer(t, &Server{Handler: routes()})
	for _, test := range []struct {
		name, req     string
		wantClose     bool
		wantKeepAlive bool // "Connection: keep-alive" in the response
	}{
		{name: "HTTP/1.1", req: "GET /hello HTTP/1.1\r\n\r\n"},
		{name: "HTTP/1.1 close", req: "GET /hello HTTP/1.1\r\nConnection: Keep-Alive, Close\r\n\r\n", wantClose: true},
		{name: "HTTP/1.0", req: "GET /hello HTTP/1.0\r\n\r\n", wantClose: true},
		{name: "HTTP/1.0 keep-alive", req: "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", wantKeepAlive: true},
		{name: "HTTP/1.0 keep-alive and close", req: "GET /hello HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", wantClose: true},
	} {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, addr)
			for range 2 {
				c.write(test.req)
				resp := c.response("GET")
				if resp.Close != test.wantClose {
					t.Errorf("Close %v, want %v", resp.Close, test.wantClose)
				}
				if got := resp.Header.Get("Connection") == "keep-alive"; got != test.wantKeepAlive {
					t.Errorf("Connection: %q", resp.Header.Get("Connection"))
				}
				if test.wantClose {
					c.expectClosed()
					return
				}
			}
		})
	}
}

// connStates records the ConnState calls of each connection.
type connStates struct {
	mu     sync.Mutex
	states map[string][]http.ConnState // by the client's address
	closed chan string
}

func newConnStates() *connStates {
	return &connStates{states: make(map[string][]http.ConnState), closed: make(chan string, 100)}
}

func (s *connStates) hook(nc net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := nc.RemoteAddr().String()
	s.states[k] = append(s.states[k], st)
	if st == http.StateClosed {
		s.closed <- k
	}
}

func (s *connStates) of(k string) []http.ConnState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.states[k]
}

func TestConnState(t *testing.T) {
	t.Parallel()
	states := newConnStates()
	addr := startServer(t, &Server{Handler: routes(), ConnState: states.hook})
	c := dial(t, addr)
	c.write("GET /hello HTTP/1.1\r\n\r\n")
	c.response("GET")
	c.write("GET /hello HTTP/1.1\r\n\r\n")
	c.response("GET")
	// Two pipelined requests: each head is read while Idle, as any other.
	c.write("GET /hello HTTP/1.1\r\n\r\nGET /hello HTTP/1.1\r\n\r\n")
	c.response("GET")
	c.response("GET")
	c.nc.Close()
	k := c.nc.LocalAddr().String()
	select {
	case got := <-states.closed:
		if got != k {
			t.Fatalf("closed %s, want %s", got, k)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no StateClosed")
	}
	want := []http.ConnState{http.StateNew, http.StateActive, http.StateIdle, http.StateActive, http.StateIdle,
		http.StateActive, http.StateIdle, http.StateActive, http.StateIdle, http.StateClosed}
	if diff := cmp.Diff(want, states.of(k)); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	const d = 100 * time.Millisecond
	slowBody := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusRequestTimeout)
			return
		}
		w.Write(b)
	})
	slowHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * d)
		io.WriteString(w, "slow")
	})

	// closedWithin checks that the server closes c within max.
	closedWithin := func(t *testing.T, c *client, max time.Duration) {
		t.Helper()
		start := time.Now()
		c.expectClosed()
		if el := time.Since(start); el > max {
			t.Errorf("closed after %v, want within %v", el, max)
		}
	}

	t.Run("idle", func(t *testing.T) {
		t.Parallel()
		c := dial(t, startServer(t, &Server{Handler: routes(), IdleTimeout: d}))
		c.write("GET /hello HTTP/1.1\r\n\r\n")
		c.response("GET")
		closedWithin(t, c, 10*d)
	})
	t.Run("idle before the first request", func(t *testing.T) {
		t.Parallel()
		c := dial(t, startServer(t, &Server{Handler: routes(), IdleTimeout: d}))
		closedWithin(t, c, 10*d)
	})
	t.Run("header", func(t *testing.T) {
		t.Parallel()
		c := dial(t, startServer(t, &Server{Handler: routes(), HeaderTimeout: d, IdleTimeout: time.Hour}))
		c.write("GET /hello HTTP/1.1\r\nX-A: ")
		closedWithin(t, c, 10*d)
	})
	t.Run("read", func(t *testing.T) {
		t.Parallel()
		c := dial(t, startServer(t, &Server{Handler: slowBody, ReadTimeout: d}))
		c.write("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nhello")
		resp := c.response("POST")
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Errorf("status %d, want the handler's 408", resp.StatusCode)
		}
		closedWithin(t, c, 10*d)
	})
	t.Run("header timeout does not bound the body", func(t *testing.T) {
		t.Parallel()
		c := dial(t, startServer(t, &Server{Handler: slowBody, HeaderTimeout: d}))
		c.write("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nhello")
		time.Sleep(2 * d)
		c.write("world")
		if got := bodyOf(c.response("POST")); got != "helloworld" {
			t.Errorf("body %q", got)
		}
	})
	t.Run("read timeout does not bound the idle wait", func(t *testing.T) {
		t.Parallel()
		c := dial(t, startServer(t, &Server{Handler: slowHandler, ReadTimeout: d}))
		for range 2 {
			c.write("GET / HTTP/1.1\r\n\r\n")
			if got := bodyOf(c.response("GET")); got != "slow" {
				t.Fatalf("body %q", got)
			}
		}
	})
	t.Run("slow handler within the read timeout", func(t *testing.T) {
		t.Parallel()
		c := dial(t, startServer(t, &Server{Handler: slowHandler, ReadTimeout: d, IdleTimeout: time.Hour, HeaderTimeout: d}))
		for range 2 {
			c.write("GET / HTTP/1.1\r\n\r\n")
			if got := bodyOf(c.response("GET")); got != "slow" {
				t.Fatalf("body %q", got)
			}
		}
	})
}

func TestShutdown(t *testing.T) {
	t.Parallel()

	// serve starts s and returns its address and Serve's result.
	serve := func(t *testing.T, s *Server) (string, <-chan error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- s.Serve(ln) }()
		return ln.Addr().String(), done
	}
	serveErr := func(t *testing.T, done <-chan error) {
		t.Helper()
		select {
		case err := <-done:
			if !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("Serve = %v, want ErrServerClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return")
		}
	}

	t.Run("idle connections close at once", func(t *testing.T) {
		t.Parallel()
		s := &Server{Handler: routes()}
		addr, done := serve(t, s)
		c := dial(t, addr)
		c.write("GET /hello HTTP/1.1\r\n\r\n")
		c.response("GET")
		start := time.Now()
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el > time.Second {
			t.Errorf("Shutdown took %v", el)
		}
		c.expectClosed()
		serveErr(t, done)
		if _, err := net.Dial("tcp", addr); err == nil {
			t.Error("listener still open")
		}
	})

	t.Run("a connection still sending its next head closes at once", func(t *testing.T) {
		t.Parallel()
		s := &Server{Handler: routes(), HeaderTimeout: time.Minute}
		addr, done := serve(t, s)
		c := dial(t, addr)
		c.write("GET /hello HTTP/1.1\r\n\r\n")
		c.response("GET")
		c.write("GET /hello HTTP/1.1\r\nX-Half: ")
		time.Sleep(50 * time.Millisecond) // the server is reading the head
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		c.expectClosed()
		serveErr(t, done)
	})

	t.Run("in-flight request finishes", func(t *testing.T) {
		t.Parallel()
		started, release := make(chan struct{}), make(chan struct{})
		s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(started)
			<-release
			io.WriteString(w, "done")
		})}
		addr, done := serve(t, s)
		c := dial(t, addr)
		c.write("GET / HTTP/1.1\r\n\r\n")
		<-started
		shut := make(chan error, 1)
		go func() { shut <- s.Shutdown(context.Background()) }()
		select {
		case err := <-shut:
			t.Fatalf("Shutdown returned %v with a request in flight", err)
		case <-time.After(50 * time.Millisecond):
		}
		close(release)
		resp := c.response("GET")
		if bodyOf(resp) != "done" || !resp.Close {
			t.Errorf("response %q, Close %v; want done and Connection: close", bodyOf(resp), resp.Close)
		}
		c.expectClosed()
		if err := <-shut; err != nil {
			t.Errorf("Shutdown = %v", err)
		}
		serveErr(t, done)
	})

	t.Run("context ends first", func(t *testing.T) {
		t.Parallel()
		started, release := make(chan struct{}), make(chan struct{})
		s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(started)
			<-release
		})}
		addr, done := serve(t, s)
		c := dial(t, addr)
		c.write("GET / HTTP/1.1\r\n\r\n")
		<-started
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown = %v, want DeadlineExceeded", err)
		}
		serveErr(t, done)
		close(release)
		c.response("GET")
		if err := s.Shutdown(context.Background()); err != nil {
			t.Errorf("second Shutdown = %v", err)
		}
	})

	t.Run("Serve after Shutdown", func(t *testing.T) {
		t.Parallel()
		s := &Server{Handler: routes()}
		if err := s.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		_, done := serve(t, s)
		serveErr(t, done)
	})
}

// TestNetHTTPClient runs many concurrent calls from net/http's client.
func TestNetHTTPClient(t *testing.T) {
	t.Parallel()
	addr := startServer(t, &Server{Handler: routes()})
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for g := range 32 {
		wg.Go(func() {
			for i := range 20 {
				var err error
				switch i % 3 {
				case 0: // a POST with a body, sometimes chunked
					body := strings.Repeat(fmt.Sprintf("%d.%d;", g, i), i*50)
					var rd io.Reader = strings.NewReader(body)
					if i%2 == 0 {
						rd = io.MultiReader(rd) // unknown length: chunked
					}
					var resp *http.Response
					resp, err = client.Post("http://"+addr+"/echo", "text/plain", rd)
					if err == nil {
						b, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if !bytes.Contains(b, []byte(`"Body":"`+body+`"`)) {
							err = fmt.Errorf("echo of %d bytes: %.100s", len(body), b)
						}
					}
				case 1: // a large chunked response
					var resp *http.Response
					resp, err = client.Get("http://" + addr + "/size?n=30000")
					if err == nil {
						b, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						if len(b) != 30000 || len(resp.TransferEncoding) == 0 {
							err = fmt.Errorf("size: %d bytes, %v", len(b), resp.TransferEncoding)
						}
					}
				case 2:
					var resp *http.Response
					resp, err = client.Head("http://" + addr + "/size?n=30000")
					if err == nil {
						resp.Body.Close()
						if resp.ContentLength != 30000 {
							err = fmt.Errorf("HEAD: Content-Length %d", resp.ContentLength)
						}
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestEarlyAnswer: a response sent without reading a large body reaches
// a client still sending it, instead of being lost to a connection reset
// (net/http's client reports the failed write unless the response came
// first).
func TestEarlyAnswer(t *testing.T) {
	t.Parallel()
	addr := startServer(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		io.WriteString(w, "too large")
	})})
	body := bytes.Repeat([]byte("a"), 8<<20)
	client := &http.Client{Transport: &http.Transport{}}
	for i := range 5 {
		resp, err := client.Post("http://"+addr+"/", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close || bodyOf(resp) != "too large" {
			t.Errorf("request %d: status %d, close %v", i, resp.StatusCode, resp.Close)
		}
	}
}

// TestPipelinedNotHeldBack: a response is sent before the next pipelined
// request is handled.
func TestPipelinedNotHeldBack(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/fast", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "fast") })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "slow")
	})
	addr := startServer(t, &Server{Handler: mux})
	c := dial(t, addr)
	c.write("GET /fast HTTP/1.1\r\n\r\nGET /slow HTTP/1.1\r\n\r\n")
	c.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, err := c.tryResponse("GET")
	if err != nil || bodyOf(resp) != "fast" {
		t.Fatalf("first response while the second request runs: %v", err)
	}
	close(release)
	if got := bodyOf(c.response("GET")); got != "slow" {
		t.Errorf("second response %q", got)
	}
}

// TestTooManyFields: more than maxFields header fields is a 431.
func TestTooManyFields(t *testing.T) {
	t.Parallel()
	addr := startServer(t, &Server{Handler: routes()})
	c := dial(t, addr)
	c.write("GET /hello HTTP/1.1\r\n" + strings.Repeat("A: b\r\n", maxFields+1) + "\r\n")
	if resp := c.response("GET"); resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status %d, want 431", resp.StatusCode)
	}
	c = dial(t, addr)
	c.write("GET /hello HTTP/1.1\r\n" + strings.Repeat("A: b\r\n", maxFields) + "\r\n")
	if resp := c.response("GET"); resp.StatusCode != http.StatusOK {
		t.Errorf("status %d with %d fields, want 200", resp.StatusCode, maxFields)
	}
}
