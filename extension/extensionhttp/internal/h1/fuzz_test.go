package h1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzReadRequest compares this package's request parser with net/http's
// (http.ReadRequest, then reading the body) on arbitrary bytes. Where both
// accept, they must agree on the request, its body and where it ends. Where
// only one accepts, the difference must be one of those this package
// chooses (see acceptableRejection and acceptableAcceptance).
func FuzzReadRequest(f *testing.F) {
	for _, seed := range []string{
		"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
		"GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
		"GET /f(x)%2F[1]?q#frag HTTP/1.1\r\nhost: h\r\naccept: a\r\nACCEPT: b\r\n\r\n",
		"GET http://user@example.com:8080/p?q HTTP/1.1\r\nHost: other\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\n\r\n",
		"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
		"HEAD /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"GET / HTTP/1.0\r\nConnection: close, keep-alive\r\n\r\n",
		"\r\n\nGET / HTTP/1.9\nX-A: b\n\n",
		"GET / HTTP/2.0\r\n\r\n",
		"POST /function HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: Bearer t\r\nContent-Length: 13\r\n\r\n{\"a\":[1,2,3]}",
		"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabcGET / HTTP/1.1\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n5;e=1\r\nhello\r\n0\r\nX-T: t\r\n\r\nGET / HTTP/1.1\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\nGET /smuggled HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nX-A: b\r\n  c\r\n\r\n",
		"GET / HTTP/1.1\r\nX-A : b\r\n\r\n",
		"GET / HTTP/1.1\r\nPragma: no-cache\r\nExpect: 100-continue\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"PUT /caf\xc3\xa9 HTTP/1.1\r\nX-Empty:\r\nX-Obs: \xff\t\r\n\r\n",
		"0 * HTTP/1.1\nTrAnsfer-EnCoding:Chunked00\n\n", // panicked: equalFoldASCII
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX: y\nZ: w\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTrailer: Content-Length\r\n\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\njunk\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Long: " + strings.Repeat("x", 5000) + "\r\n\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, gotErr := parseRequest(data)
		// RFC 9112 §2.2: empty lines before the request line are skipped;
		// http.ReadRequest rejects them.
		want, wantErr := stdReadRequest(skipEmptyLines(data))

		switch {
		case gotErr != nil && wantErr != nil:
			return
		case gotErr != nil && got.req == nil:
			if why := acceptableRejection(gotErr, want, data); why == "" {
				t.Fatalf("h1 rejects what net/http accepts: %v\nrequest %q", gotErr, data)
			}
			return
		case gotErr != nil:
			if why := acceptableBodyRejection(gotErr, want); why == "" {
				t.Fatalf("h1 fails reading the body net/http reads: %v\nrequest %q", gotErr, data)
			}
			return
		case wantErr != nil:
			if why := acceptableAcceptance(wantErr, got); why == "" {
				t.Fatalf("h1 accepts what net/http rejects: %v\nrequest %q", wantErr, data)
			}
			return
		}

		if r := got.req; r.Method == http.MethodConnect && !strings.HasPrefix(r.RequestURI, "/") {
			// net/http reads the authority-form of CONNECT into URL.Host;
			// h1 has no CONNECT support (no hijacking) and parses the target
			// as any other, so a handler sees an odd URL it cannot route.
			return
		}
		g, w := summarize(got), summarize(want)
		userinfo := cmp.Comparer(func(a, b *url.Userinfo) bool { return a.String() == b.String() })
		if diff := cmp.Diff(w, g, cmpopts.EquateEmpty(), userinfo); diff != "" {
			t.Fatalf("request %q (-net/http +h1):\n%s", data, diff)
		}
	})
}

// requestSummary is what the differential fuzz test compares.
type requestSummary struct {
	Method, RequestURI, Proto string
	ProtoMajor, ProtoMinor    int
	URL                       *url.URL
	Path, RawPath, RawQuery   string
	EscapedPath               string
	Host                      string
	Header                    http.Header
	ContentLength             int64
	TransferEncoding          []string
	Close                     bool
	Body, Rest                string
}

func summarize(p parseResult) requestSummary {
	r := p.req
	h := r.Header.Clone()
	// net/http keeps Host in the map until its server removes it; this
	// package removes it at once.
	delete(h, "Host")
	// net/http moves a chunked request's Trailer field to r.Trailer; this
	// package discards trailers and leaves the field.
	if len(r.TransferEncoding) > 0 {
		delete(h, "Trailer")
	}
	// net/http adds "Cache-Control: no-cache" for "Pragma: no-cache"
	// (fixPragmaCacheControl); this package does not.
	if pr := h["Pragma"]; len(pr) > 0 && pr[0] == "no-cache" && h["Cache-Control"] == nil {
		h["Cache-Control"] = []string{"no-cache"}
	}
	return requestSummary{
		Method:           r.Method,
		RequestURI:       r.RequestURI,
		Proto:            r.Proto,
		ProtoMajor:       r.ProtoMajor,
		ProtoMinor:       r.ProtoMinor,
		URL:              r.URL,
		Path:             r.URL.Path,
		RawPath:          r.URL.RawPath,
		RawQuery:         r.URL.RawQuery,
		EscapedPath:      r.URL.EscapedPath(),
		Host:             r.Host,
		Header:           h,
		ContentLength:    r.ContentLength,
		TransferEncoding: r.TransferEncoding,
		// net/http decides Close while reading; this package in serveOne.
		Close: r.Close || wantsClose(r),
		Body:  string(p.body),
		Rest:  string(p.rest),
	}
}

// stdReadRequest is net/http's reading of data.
func stdReadRequest(data []byte) (parseResult, error) {
	br := bufio.NewReaderSize(bytes.NewReader(data), 4<<10)
	req, err := http.ReadRequest(br)
	if err != nil {
		return parseResult{}, err
	}
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return parseResult{req: req, body: b}, err
	}
	rest, _ := io.ReadAll(br)
	return parseResult{req: req, body: b, rest: rest}, nil
}

// skipEmptyLines removes the empty lines readHead skips.
func skipEmptyLines(b []byte) []byte {
	for {
		switch {
		case bytes.HasPrefix(b, []byte("\r\n")):
			b = b[2:]
		case bytes.HasPrefix(b, []byte("\n")):
			b = b[1:]
		default:
			return b
		}
	}
}

// acceptableRejection says why h1 may reject, with err, a head net/http
// accepted as want; "" when it may not.
func acceptableRejection(err error, want parseResult, data []byte) string {
	r := want.req
	switch {
	case errors.Is(err, errHeaderTooLarge):
		return "h1 limits the head to MaxHeaderBytes"
	case err == errVersion && r.ProtoMajor != 1:
		return "h1 serves HTTP/1.x only (505); net/http's server also answers 505"
	case err == errLengthAndChunk && len(r.TransferEncoding) > 0:
		return "h1 rejects Transfer-Encoding with Content-Length (RFC 9112 §6.1: ought to be an error); net/http drops Content-Length"
	case (err == errEncoding10 || err == errLengthAndChunk) && r.ProtoMinor == 0:
		return "h1 rejects Transfer-Encoding in HTTP/1.0 (RFC 9112 §6.1: faulty framing); net/http ignores it"
	case err == errBadHeader && hasObsFold(data):
		return "h1 rejects obs-fold (RFC 9112 §5.2 allows a 400); net/http joins the lines"
	case err == errBadHeader && hasBadKey(r.Header):
		return "h1 rejects white space before the colon (RFC 9112 §5.1: MUST); so does net/http's server, after ReadRequest"
	case err == errBadRequestLine && r.Method == http.MethodConnect:
		return "h1 has no CONNECT support; net/http parses its authority-form"
	}
	return ""
}

// hasObsFold reports whether the head of the request in data has a field
// line continued on the next line (RFC 9112 §5.2).
func hasObsFold(data []byte) bool {
	data = skipEmptyLines(data)
	_, head, _ := bytes.Cut(data, []byte("\n")) // after the request line
	for len(head) > 0 {
		var line []byte
		line, head, _ = bytes.Cut(head, []byte("\n"))
		if len(line) == 0 || string(line) == "\r" {
			return false // end of the head
		}
		if line[0] == ' ' || line[0] == '\t' {
			return true
		}
	}
	return false
}

// hasBadKey reports whether h has a key that is not a token: net/http's
// textproto keeps keys with a space before the colon.
func hasBadKey(h http.Header) bool {
	for k := range h {
		if !isToken([]byte(k)) {
			return true
		}
	}
	return false
}

// acceptableBodyRejection says why h1 may fail reading a body net/http read.
func acceptableBodyRejection(err error, want parseResult) string {
	switch {
	case err == errTrailerLine && len(want.req.TransferEncoding) > 0:
		return "h1 requires CRLF at the end of trailer lines (smuggling); net/http's textproto accepts LF"
	case errors.Is(err, errHeaderTooLarge) && len(want.req.TransferEncoding) > 0:
		return "h1 limits the trailer section to 64 KiB"
	}
	return ""
}

// acceptableAcceptance says why h1 may accept, as got, what net/http
// rejected with err; "" when it may not.
func acceptableAcceptance(err error, got parseResult) string {
	r := got.req
	chunked := len(r.TransferEncoding) > 0
	msg := err.Error()
	switch {
	case r.Method == http.MethodConnect && !strings.HasPrefix(r.RequestURI, "/"):
		return "h1 has no CONNECT support; net/http parses its authority-form"
	case chunked && strings.Contains(msg, "bad trailer key"):
		return "h1 discards trailers and does not check the Trailer field"
	case chunked && (strings.Contains(msg, "trailer") || strings.Contains(msg, "MIME header")):
		// The chunked reader is the same code in both; only the trailer
		// section, which h1 discards after checking its line ends, differs.
		return "h1 does not parse trailer fields"
	}
	return ""
}
