package h1

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestRequestParsing sends raw requests to a real Server and compares what
// the handler saw, or the error status and the closed connection.
func TestRequestParsing(t *testing.T) {
	t.Parallel()
	addr := startServer(t, &Server{Handler: echoHandler, MaxHeaderBytes: 16 << 10})

	// get is the echo of "GET / HTTP/1.1" with no header, changed by fn.
	get := func(fn func(e *echo)) *echo {
		e := &echo{Method: "GET", RequestURI: "/", Path: "/", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}}
		if fn != nil {
			fn(e)
		}
		return e
	}
	long := strings.Repeat("v", 10<<10) // longer than the 4 KiB reader buffer

	for _, test := range []struct {
		name string
		req  string // LFs become CRLFs
		raw  bool   // req is sent as is
		want *echo  // nil: an error status
		// status is the error status when want is nil.
		status int
		// closes: the connection closes after a successful response.
		closes bool
	}{
		// Request line forms.
		{
			name: "origin-form with query",
			req:  "GET /a/b?x=1&y=2 HTTP/1.1\nHost: example.com\n\n",
			want: get(func(e *echo) {
				e.RequestURI, e.Path, e.RawQuery, e.Host = "/a/b?x=1&y=2", "/a/b", "x=1&y=2", "example.com"
			}),
		},
		{
			name: "percent-encoded path",
			req:  "GET /a%2Fb/c%20d?q=%41 HTTP/1.1\n\n",
			want: get(func(e *echo) {
				e.RequestURI, e.Path, e.RawPath, e.RawQuery = "/a%2Fb/c%20d?q=%41", "/a/b/c d", "/a%2Fb/c%20d", "q=%41"
			}),
		},
		{
			name: "path with sub-delims keeps its raw form",
			req:  "GET /f(x)[1]!* HTTP/1.1\n\n",
			want: get(func(e *echo) {
				e.RequestURI, e.Path, e.RawPath = "/f(x)[1]!*", "/f(x)[1]!*", "/f(x)[1]!*"
			}),
		},
		{
			name: "absolute-form",
			req:  "GET http://example.com:8080/p?q HTTP/1.1\nHost: other.example\n\n",
			want: get(func(e *echo) {
				e.RequestURI, e.Scheme, e.URLHost, e.Path, e.RawQuery = "http://example.com:8080/p?q", "http", "example.com:8080", "/p", "q"
				e.Host = "example.com:8080"
			}),
		},
		{
			name: "asterisk-form",
			req:  "OPTIONS * HTTP/1.1\n\n",
			want: get(func(e *echo) { e.Method, e.RequestURI, e.Path = "OPTIONS", "*", "*" }),
		},
		{
			name: "leading empty lines",
			req:  "\r\n\n\r\nGET / HTTP/1.1\r\n\r\n",
			raw:  true,
			want: get(nil),
		},
		{
			name:   "HTTP/1.0",
			req:    "GET / HTTP/1.0\n\n",
			want:   get(func(e *echo) { e.Proto, e.ProtoMinor = "HTTP/1.0", 0 }),
			closes: true,
		},
		{
			name: "HTTP/1.9 is 1.x",
			req:  "GET / HTTP/1.9\n\n",
			want: get(func(e *echo) { e.Proto, e.ProtoMinor = "HTTP/1.9", 9 }),
		},
		{
			name: "bare LF line ends",
			req:  "GET / HTTP/1.1\nX-A: b\n\n",
			raw:  true,
			want: get(func(e *echo) { e.Header = http.Header{"X-A": {"b"}} }),
		},
		{name: "HTTP/2.0", req: "GET / HTTP/2.0\n\n", status: 505},
		{name: "HTTP/0.9", req: "GET / HTTP/0.9\n\n", status: 505},
		{name: "garbage", req: "hello\n\n", status: 400},
		{name: "no version", req: "GET /\n\n", status: 400},
		{name: "double space", req: "GET  / HTTP/1.1\n\n", status: 400},
		{name: "space in target", req: "GET /a b HTTP/1.1\n\n", status: 400},
		{name: "bad method", req: "G@T / HTTP/1.1\n\n", status: 400},
		{name: "lower-case version", req: "GET / http/1.1\n\n", status: 400},
		{name: "control char in target", req: "GET /a\x01 HTTP/1.1\n\n", status: 400},
		{name: "bad escape", req: "GET /%zz HTTP/1.1\n\n", status: 400},
		{name: "relative target", req: "GET a/b HTTP/1.1\n\n", status: 400},

		// Header fields.
		{
			name: "canonical keys",
			req:  "GET / HTTP/1.1\ncontent-type: a\nx-custom-HEADER: b\nACCEPT: c\nx_under: d\n\n",
			want: get(func(e *echo) {
				e.Header = http.Header{"Content-Type": {"a"}, "X-Custom-Header": {"b"}, "Accept": {"c"}, "X_under": {"d"}}
			}),
		},
		{
			name: "repeated keys in order",
			req:  "GET / HTTP/1.1\nX-A: 1\nAccept: a\nx-a: 2\naccept: b\nX-A: 3\n\n",
			want: get(func(e *echo) {
				e.Header = http.Header{"X-A": {"1", "2", "3"}, "Accept": {"a", "b"}}
			}),
		},
		{
			name: "Host moves to r.Host",
			req:  "GET / HTTP/1.1\nhost: example.com:80\nX-A: 1\n\n",
			want: get(func(e *echo) { e.Host, e.Header = "example.com:80", http.Header{"X-A": {"1"}} }),
		},
		{
			name: "optional white space trimmed",
			req:  "GET / HTTP/1.1\nX-A:\t v w \t\nX-B:\nX-C: \xc3\xa9\n\n",
			want: get(func(e *echo) { e.Header = http.Header{"X-A": {"v w"}, "X-B": {""}, "X-C": {"é"}} }),
		},
		{
			name: "long header line",
			req:  "GET / HTTP/1.1\nX-Long: " + long + "\n\n",
			want: get(func(e *echo) { e.Header = http.Header{"X-Long": {long}} }),
		},
		{
			name: "long request line",
			req:  "GET /" + long + " HTTP/1.1\n\n",
			want: get(func(e *echo) { e.RequestURI, e.Path = "/"+long, "/"+long }),
		},
		{name: "space before colon", req: "GET / HTTP/1.1\nX-A : b\n\n", status: 400},
		{name: "obs-fold", req: "GET / HTTP/1.1\nX-A: b\n  c\n\n", status: 400},
		{name: "leading space on first field", req: "GET / HTTP/1.1\n X-A: b\n\n", status: 400},
		{name: "control char in value", req: "GET / HTTP/1.1\nX-A: b\x01c\n\n", status: 400},
		{name: "NUL in value", req: "GET / HTTP/1.1\nX-A: b\x00c\n\n", status: 400},
		{name: "DEL in value", req: "GET / HTTP/1.1\nX-A: b\x7fc\n\n", status: 400},
		{name: "CR in value", req: "GET / HTTP/1.1\nX-A: b\rc\n\n", status: 400},
		{name: "empty name", req: "GET / HTTP/1.1\n: b\n\n", status: 400},
		{name: "non-token name", req: "GET / HTTP/1.1\nX(A): b\n\n", status: 400},
		{name: "no colon", req: "GET / HTTP/1.1\njunk\n\n", status: 400},
		{name: "two Host fields", req: "GET / HTTP/1.1\nHost: a\nHost: b\n\n", status: 400},
		{name: "header too large", req: "GET / HTTP/1.1\nX-A: " + strings.Repeat("a", 20<<10) + "\n\n", status: 431},
		{name: "many fields too large", req: "GET / HTTP/1.1\n" + strings.Repeat("X-A: aaaaaaaaaaaaaaaaaaaaaaa\n", 1000) + "\n", status: 431},

		// Framing.
		{
			name: "Content-Length",
			req:  "POST /p HTTP/1.1\nContent-Length: 5\n\nhello",
			want: get(func(e *echo) {
				e.Method, e.RequestURI, e.Path, e.ContentLength, e.Body = "POST", "/p", "/p", 5, "hello"
				e.Header = http.Header{"Content-Length": {"5"}}
			}),
		},
		{
			name: "Content-Length zero",
			req:  "POST / HTTP/1.1\nContent-Length: 0\n\n",
			want: get(func(e *echo) { e.Method, e.Header = "POST", http.Header{"Content-Length": {"0"}} }),
		},
		{
			name: "repeated equal Content-Length",
			req:  "POST / HTTP/1.1\nContent-Length: 5\ncontent-length: 5\n\nhello",
			want: get(func(e *echo) {
				e.Method, e.ContentLength, e.Body = "POST", 5, "hello"
				e.Header = http.Header{"Content-Length": {"5"}}
			}),
		},
		{name: "differing Content-Length", req: "POST / HTTP/1.1\nContent-Length: 5\nContent-Length: 6\n\nhello!", status: 400},
		{name: "plus Content-Length", req: "POST / HTTP/1.1\nContent-Length: +5\n\nhello", status: 400},
		{name: "negative Content-Length", req: "POST / HTTP/1.1\nContent-Length: -1\n\n", status: 400},
		{name: "non-digit Content-Length", req: "POST / HTTP/1.1\nContent-Length: 5a\n\nhello", status: 400},
		{name: "list Content-Length", req: "POST / HTTP/1.1\nContent-Length: 5, 5\n\nhello", status: 400},
		{name: "empty Content-Length", req: "POST / HTTP/1.1\nContent-Length:\n\n", status: 400},
		{name: "huge Content-Length", req: "POST / HTTP/1.1\nContent-Length: 99999999999999999999\n\n", status: 400},
		{
			name: "chunked with extensions and trailers",
			req:  "POST / HTTP/1.1\nTransfer-Encoding: chunked\nTrailer: X-T\n\n5;ext=1\nhello\n6;a=\"b\"\n world\n0\nX-T: t\nX-U: u\n\n",
			want: get(func(e *echo) {
				e.Method, e.ContentLength, e.TransferEncoding, e.Body = "POST", -1, []string{"chunked"}, "hello world"
				e.Header = http.Header{"Trailer": {"X-T"}}
			}),
		},
		{
			name: "chunked, any case",
			req:  "POST / HTTP/1.1\nTransfer-Encoding: Chunked\n\n3\nabc\n0\n\n",
			want: get(func(e *echo) {
				e.Method, e.ContentLength, e.TransferEncoding, e.Body = "POST", -1, []string{"chunked"}, "abc"
			}),
		},
		{name: "chunked and Content-Length", req: "POST / HTTP/1.1\nTransfer-Encoding: chunked\nContent-Length: 3\n\n3\nabc\n0\n\n", status: 400},
		{name: "chunked in HTTP/1.0", req: "POST / HTTP/1.0\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n", status: 400},
		{name: "gzip", req: "POST / HTTP/1.1\nTransfer-Encoding: gzip\n\n", status: 501},
		{name: "gzip, chunked", req: "POST / HTTP/1.1\nTransfer-Encoding: gzip, chunked\n\n", status: 501},
		{name: "two Transfer-Encoding fields", req: "POST / HTTP/1.1\nTransfer-Encoding: chunked\nTransfer-Encoding: chunked\n\n", status: 501},
		{name: "Expect other than 100-continue", req: "GET / HTTP/1.1\nExpect: 200-ok\n\n", status: 417},
		// These used to panic the server (equalFoldASCII read past "chunked").
		{name: "long transfer coding", req: "POST / HTTP/1.1\nTransfer-Encoding: chunked-and-more\n\n", status: 501},
		{name: "long Expect", req: "POST / HTTP/1.1\nExpect: 100-continue-and-more\n\n", status: 417},
	} {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, addr)
			req := test.req
			if !test.raw {
				req = crlf(req)
			}
			c.write(req)
			resp := c.response("GET")
			if test.want == nil {
				if resp.StatusCode != test.status {
					t.Errorf("status = %d, want %d; body %q", resp.StatusCode, test.status, bodyOf(resp))
				}
				if !resp.Close {
					t.Error("error response without Connection: close")
				}
				c.expectClosed()
				return
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %q", resp.StatusCode, bodyOf(resp))
			}
			var got echo
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(test.want, &got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			if test.closes {
				if !resp.Close {
					t.Error("response without Connection: close")
				}
				c.expectClosed()
				return
			}
			// The framing left the connection at the next request.
			c.write("GET /next HTTP/1.1\r\n\r\n")
			resp = c.response("GET")
			got = echo{}
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if got.Path != "/next" {
				t.Errorf("next request: path %q, want /next", got.Path)
			}
		})
	}
}

// TestTrailerLineEnds checks that the trailer section of a chunked body,
// unlike the head, must end its lines with CRLF: a bare LF there is how
// requests are smuggled past proxies that require CRLF (as net/http does,
// see CVE-2025-22871).
func TestTrailerLineEnds(t *testing.T) {
	t.Parallel()
	const head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
	for _, test := range []struct {
		name    string
		trailer string
		wantErr bool
	}{
		{name: "no trailer", trailer: "\r\n"},
		{name: "trailer fields", trailer: "X-A: b\r\nX-C: d\r\n\r\n"},
		{name: "long trailer field", trailer: "X-A: " + strings.Repeat("b", 6000) + "\r\n\r\n"},
		{name: "bare LF end", trailer: "\nGET /smuggled HTTP/1.1\r\n\r\n", wantErr: true},
		{name: "bare LF field", trailer: "X-A: b\n\r\n", wantErr: true},
		{name: "unterminated", trailer: "X-A: b\r\n", wantErr: true},
		{name: "too large", trailer: strings.Repeat("X-A: "+strings.Repeat("b", 1000)+"\r\n", 100) + "\r\n", wantErr: true},
	} {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseRequest([]byte(head + test.trailer + "NEXT"))
			if test.wantErr {
				if err == nil {
					t.Fatalf("body read: no error; rest %q", got.rest)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got.body) != "abc" || string(got.rest) != "NEXT" {
				t.Errorf("body %q, rest %q; want \"abc\", \"NEXT\"", got.body, got.rest)
			}
		})
	}
}

// TestParseErrors checks the status of each kind of malformed head without
// a network.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, test := range []struct {
		req  string
		want int // 0: not a parse error (the connection just closes)
	}{
		{"", 0},
		{"\r\n\r\n", 0},
		{"GET / HTTP/1.1\r\nX-A: b", 0},
		{"GET / HTTP/1.1\r\nX-A: b\r\n", 0},
		{"GET / HTTP/1.1", 0},
		{"GET / HTTP/3\r\n\r\n", 505},
		{"GET / HTTP/1.10\r\n\r\n", 505},
		{"GET / HTTP/1.x\r\n\r\n", 505},
		{"GET / FTP/1.1\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\n\tX: y\r\n\r\n", 400},
	} {
		_, err := parseRequest([]byte(test.req))
		if err == nil {
			t.Errorf("%q: no error", test.req)
			continue
		}
		if got := statusOf(err); got != test.want {
			t.Errorf("%q: status %d (%v), want %d", test.req, got, err, test.want)
		}
		if test.want == 0 && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%q: error %v, want EOF", test.req, err)
		}
	}
}
