package h1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"unsafe"
)

// A parseError is a request the server answers with status and then closes
// the connection.
type parseError struct {
	status int
	msg    string
}

func (e *parseError) Error() string { return e.msg }

var (
	errHeaderTooLarge = &parseError{http.StatusRequestHeaderFieldsTooLarge, "request header too large"}
	errBadRequestLine = &parseError{http.StatusBadRequest, "malformed request line"}
	errBadHeader      = &parseError{http.StatusBadRequest, "malformed header line"}
	errBadLength      = &parseError{http.StatusBadRequest, "bad Content-Length"}
	errBadEncoding    = &parseError{http.StatusNotImplemented, "unsupported transfer encoding"}
	errLengthAndChunk = &parseError{http.StatusBadRequest, "both Transfer-Encoding and Content-Length"}
	errEncoding10     = &parseError{http.StatusBadRequest, "Transfer-Encoding in an HTTP/1.0 request"}
	errHosts          = &parseError{http.StatusBadRequest, "too many Host fields"}
	errVersion        = &parseError{http.StatusHTTPVersionNotSupported, "unsupported HTTP version"}
)

// knownKeys are header names interned in their canonical form, so that the
// usual headers of a call cost no allocation.
var knownKeys = []string{
	"Accept", "Accept-Encoding", "Authorization", "Connection", "Content-Encoding",
	"Content-Length", "Content-Type", "Expect", "Host", "Idempotency-Key", "Traceid",
	"Transfer-Encoding", "User-Agent", "X-Hookstack-Timeout-Ms", "X-Request-Id",
}

// field records where a header's key and value lie in the request's slab.
type field struct {
	key        string // interned canonical key, or "" when kOff/kLen hold it
	kOff, kLen int
	vOff, vLen int
}

// parsed is a request head as read from the connection.
type parsed struct {
	slab   []byte // method, target and header values, copied out of the reader
	method [2]int // offset, length in slab
	target [2]int
	minor  int // HTTP/1.minor
	fields []field
}

// readLine returns the next line without its CRLF (or LF). It reads at most
// *budget bytes, which it decreases; lines longer than the reader's buffer
// are assembled in scratch.
func readLine(br *bufio.Reader, scratch *[]byte, budget *int) ([]byte, error) {
	line, err := readRawLine(br, scratch, budget)
	if err != nil {
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// readRawLine is readLine keeping the line's end.
func readRawLine(br *bufio.Reader, scratch *[]byte, budget *int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		*scratch = append((*scratch)[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(*scratch) > *budget {
				return nil, errHeaderTooLarge
			}
			line, err = br.ReadSlice('\n')
			*scratch = append(*scratch, line...)
		}
		line = *scratch
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if *budget -= len(line); *budget < 0 {
		return nil, errHeaderTooLarge
	}
	return line, nil
}

// readHead reads a request line and its header fields into p.
func readHead(br *bufio.Reader, p *parsed, scratch *[]byte, maxHeaderBytes int) error {
	p.slab, p.fields = p.slab[:0], p.fields[:0]
	budget := maxHeaderBytes
	line, err := readLine(br, scratch, &budget)
	// RFC 9112 §2.2: ignore at least one empty line before the request line.
	for err == nil && len(line) == 0 {
		line, err = readLine(br, scratch, &budget)
	}
	if err != nil {
		return err
	}
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		return errBadRequestLine
	}
	rest := line[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 <= 0 {
		return errBadRequestLine
	}
	method, target, proto := line[:sp1], rest[:sp2], rest[sp2+1:]
	if !isToken(method) || bytes.IndexByte(target, ' ') >= 0 || !validTarget(target) {
		return errBadRequestLine
	}
	if len(proto) != 8 || string(proto[:7]) != "HTTP/1." || proto[7] < '0' || proto[7] > '9' {
		if len(proto) > 5 && string(proto[:5]) == "HTTP/" {
			return errVersion
		}
		return errBadRequestLine
	}
	p.minor = int(proto[7] - '0')
	p.method = [2]int{len(p.slab), len(method)}
	p.slab = append(p.slab, method...)
	p.target = [2]int{len(p.slab), len(target)}
	p.slab = append(p.slab, target...)

	for {
		line, err := readLine(br, scratch, &budget)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if len(line) == 0 {
			return nil
		}
		if len(p.fields) == maxFields {
			return errHeaderTooLarge
		}
		colon := bytes.IndexByte(line, ':')
		// No obsolete line folding, no whitespace before the colon (RFC 9112 §5).
		if colon <= 0 || !isToken(line[:colon]) {
			return errBadHeader
		}
		key, value := line[:colon], trimOWS(line[colon+1:])
		if !validValue(value) {
			return errBadHeader
		}
		f := field{key: intern(key)}
		if f.key == "" {
			f.kOff, f.kLen = len(p.slab), len(key)
			p.slab = append(p.slab, key...)
			canonicalize(p.slab[f.kOff:])
		}
		f.vOff, f.vLen = len(p.slab), len(value)
		p.slab = append(p.slab, value...)
		p.fields = append(p.fields, f)
	}
}

func intern(key []byte) string {
	for _, k := range knownKeys {
		if equalFoldASCII(k, key) {
			return k
		}
	}
	return ""
}

// equalFoldASCII reports whether s and b are equal ignoring ASCII case.
func equalFoldASCII(s string, b []byte) bool {
	if len(s) != len(b) {
		return false
	}
	for i := range len(b) {
		c, d := s[i], b[i]
		if c == d {
			continue
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

// canonicalize rewrites a header key in place as textproto does: upper case
// after each hyphen and at the start, lower case elsewhere.
func canonicalize(k []byte) {
	upper := true
	for i, c := range k {
		switch {
		case upper && 'a' <= c && c <= 'z':
			k[i] = c - ('a' - 'A')
		case !upper && 'A' <= c && c <= 'Z':
			k[i] = c + ('a' - 'A')
		}
		upper = c == '-'
	}
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// isToken reports whether b is a non-empty RFC 9110 token.
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c >= 0x80 || !tokenChars[c] {
			return false
		}
	}
	return true
}

var tokenChars = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// validValue rejects control characters other than horizontal tab.
func validValue(b []byte) bool {
	for _, c := range b {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func validTarget(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// build fills r from p. The strings of r point into one copy of p's slab,
// made once per request; r, its URL and its Header are reused per
// connection.
func (p *parsed) build(r *http.Request, u *url.URL, h http.Header, remoteAddr string) error {
	// One allocation for every string of the request. The copy is never
	// written again, so strings into it are immutable as Go requires.
	s := unsafe.String(unsafe.SliceData(bytes.Clone(p.slab)), len(p.slab))
	str := func(off, n int) string { return s[off : off+n] }

	clear(h)
	target := str(p.target[0], p.target[1])
	*u = url.URL{}
	if path, query, hasQuery := cut(target, '?'); plainPath(path) {
		u.Path, u.RawQuery, u.ForceQuery = path, query, hasQuery && query == ""
	} else {
		pu, err := url.ParseRequestURI(target)
		if err != nil {
			return errBadRequestLine
		}
		*u = *pu
	}
	*r = http.Request{
		Method:     method(str(p.method[0], p.method[1])),
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: p.minor,
		Header:     h,
		RequestURI: target,
		RemoteAddr: remoteAddr,
	}
	if p.minor == 0 {
		r.Proto = "HTTP/1.0"
	} else if p.minor != 1 {
		r.Proto = "HTTP/1." + strconv.Itoa(p.minor)
	}
	vals := make([]string, len(p.fields))
	for i, f := range p.fields {
		key := f.key
		if key == "" {
			key = str(f.kOff, f.kLen)
		}
		vals[i] = str(f.vOff, f.vLen)
		if prev, ok := h[key]; ok {
			h[key] = append(prev, vals[i])
		} else {
			h[key] = vals[i : i+1 : i+1]
		}
	}
	if host := h["Host"]; len(host) > 0 {
		if len(host) > 1 { // RFC 9112 §3.2
			return errHosts
		}
		r.Host = host[0]
		delete(h, "Host")
	}
	if u.Host != "" {
		r.Host = u.Host
	}
	return nil
}

func method(m string) string {
	switch m {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodPost:
		return http.MethodPost
	case http.MethodHead:
		return http.MethodHead
	}
	return m
}

// plainPath reports whether path is an absolute path that url.URL holds
// as is: no byte that url.URL.EscapedPath would escape (or unescape), so
// that RawPath stays empty, as url.ParseRequestURI leaves it.
func plainPath(path string) bool {
	if len(path) == 0 || path[0] != '/' {
		return false
	}
	for i := range len(path) {
		if c := path[i]; c >= 0x80 || !plainPathChars[c] {
			return false
		}
	}
	return true
}

var plainPathChars = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "-_.~$&+,/:;=@" {
		t[c] = true
	}
	return t
}()

func cut(s string, c byte) (before, after string, found bool) {
	for i := range len(s) {
		if s[i] == c {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// framing decides how the body of r is delimited (RFC 9112 §6) and removes
// the Transfer-Encoding header as net/http does.
func framing(r *http.Request) (length int64, chunked bool, err error) {
	te := r.Header["Transfer-Encoding"]
	cl := r.Header["Content-Length"]
	if len(te) > 0 {
		if len(cl) > 0 {
			return 0, false, errLengthAndChunk
		}
		if r.ProtoMinor == 0 { // faulty framing, RFC 9112 §6.1
			return 0, false, errEncoding10
		}
		if len(te) != 1 || !equalFoldASCII("chunked", []byte(te[0])) {
			return 0, false, errBadEncoding
		}
		delete(r.Header, "Transfer-Encoding")
		r.TransferEncoding = []string{"chunked"}
		r.ContentLength = -1
		return -1, true, nil
	}
	if len(cl) == 0 {
		return 0, false, nil
	}
	for _, v := range cl[1:] {
		if v != cl[0] {
			return 0, false, errBadLength
		}
	}
	n, err := strconv.ParseUint(cl[0], 10, 63)
	if err != nil || cl[0][0] == '+' {
		return 0, false, errBadLength
	}
	if len(cl) > 1 {
		r.Header["Content-Length"] = cl[:1]
	}
	r.ContentLength = int64(n)
	return int64(n), false, nil
}

// body is a request body: a fixed length or chunked, read from the
// connection's reader. One per connection, reset for each request.
type body struct {
	c            *conn
	br           *bufio.Reader
	remain       int64 // bytes left of a fixed-length body
	chunked      io.Reader
	sawEOF       bool
	closed       bool
	err          error // sticky read error
	owesContinue bool  // a "100 Continue" is owed before the first read
}

var errBodyAfterClose = errors.New("h1: invalid Read on closed Body")

func (b *body) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errBodyAfterClose
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.sawEOF {
		return 0, io.EOF
	}
	if b.owesContinue {
		b.owesContinue = false
		if err := b.c.writeContinue(); err != nil {
			b.err = err
			return 0, err
		}
	}
	if b.chunked != nil {
		n, err := b.chunked.Read(p)
		if err == io.EOF {
			if err = b.readTrailer(); err == nil {
				b.sawEOF = true
				err = io.EOF
			}
		}
		if err != nil && err != io.EOF {
			b.err = err
		}
		return n, err
	}
	if int64(len(p)) > b.remain {
		p = p[:b.remain]
	}
	n, err := b.br.Read(p)
	b.remain -= int64(n)
	if b.remain == 0 {
		b.sawEOF = true
		return n, nil
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

var errTrailerLine = errors.New("h1: trailer line not ended by CRLF")

// readTrailer consumes the trailer section after the last chunk; trailer
// fields are discarded. Its lines must end with CRLF, as chunk lines must:
// a bare LF read as a line end here but not by a proxy would let a request
// be smuggled.
func (b *body) readTrailer() error {
	budget := 64 << 10
	for {
		line, err := readRawLine(b.br, &b.c.scratch, &budget)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if !bytes.HasSuffix(line, []byte("\r\n")) {
			return errTrailerLine
		}
		if len(line) == 2 {
			return nil
		}
	}
}

func (b *body) Close() error {
	b.closed = true
	return nil
}

// drain discards what the handler left unread, up to limit bytes; it
// reports whether the connection can serve another request.
func (b *body) drain(limit int64) bool {
	if b.err != nil {
		return false
	}
	if b.sawEOF {
		return true
	}
	if b.owesContinue {
		// The client waits for a 100 Continue that was never sent: it
		// may or may not send the body, so the connection cannot be reused.
		return false
	}
	if b.chunked == nil && b.remain > limit {
		return false
	}
	b.closed = false // the handler may have closed it
	n, err := io.Copy(io.Discard, io.LimitReader(b, limit+1))
	return err == nil && n <= limit && b.sawEOF
}

func (b *body) reset(c *conn, length int64, chunked, expectContinue bool) {
	*b = body{c: c, br: c.br, remain: length, owesContinue: expectContinue}
	if chunked {
		b.chunked = httputil.NewChunkedReader(c.br)
		return
	}
	if length == 0 {
		b.sawEOF, b.owesContinue = true, false
	}
}
