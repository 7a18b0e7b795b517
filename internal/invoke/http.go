package invoke

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultTimeout bounds one call to a stack (PLATFORM §3.1).
const DefaultTimeout = 300 * time.Second

// HTTP invokes functions on a server stack: POST {BaseURL}/function.
type HTTP struct {
	// BaseURL is the stack's host URI.
	BaseURL string
	// Token is the stack's system token, sent as a Bearer token.
	Token string
	// Client sends requests; nil uses a shared keep-alive client.
	Client *http.Client
	// Timeout bounds each call; default 300 s. A shorter ctx deadline wins.
	Timeout time.Duration
}

var defaultClient = &http.Client{Transport: &http.Transport{
	Proxy:               http.ProxyFromEnvironment,
	DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConnsPerHost: 64,
	IdleConnTimeout:     90 * time.Second,
}}

// Invoke sends the call and returns the function's result. Failures are a
// *StackError: the stack's 422 errors unchanged, or stack_unreachable,
// stack_timeout, stack_unauthorized (401), invalid_stack_response (anything
// else that is not the protocol), response_size_exceeded (an answer larger
// than the call's MaxResponseSize), invalid_call.
func (h *HTTP) Invoke(ctx context.Context, call *Call) (json.RawMessage, error) {
	if err := call.Validate(); err != nil {
		return nil, &StackError{Errors: []Error{*err.(*Error)}}
	}
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	deadline, _ := ctx.Deadline()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(h.BaseURL, "/")+"/function", bytes.NewReader(call.Body()))
	if err != nil {
		return nil, stackErr(0, CodeStackUnreachable, "invalid stack URL %q: %v", h.BaseURL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+h.Token)
	if call.TraceID != "" {
		req.Header.Set("traceid", call.TraceID)
	}
	if call.IdempotencyKey != "" {
		req.Header.Set("Idempotency-Key", call.IdempotencyKey)
	}
	req.Header.Set("X-Hookstack-Timeout-Ms", strconv.FormatInt(time.Until(deadline).Milliseconds(), 10))

	client := h.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, stackErr(0, CodeStackTimeout, "the stack did not answer within %v", timeout)
		}
		return nil, stackErr(0, CodeStackUnreachable, "cannot reach the stack at %s: %v", h.BaseURL, err)
	}
	defer resp.Body.Close()

	limit := call.limit()
	// Bytes bound the UTF-16 length from above; a body larger than 4×limit
	// bytes cannot be within the limit of UTF-16 units, allow for envelope.
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4*limit+1024))
	if err != nil {
		if ctx.Err() != nil {
			return nil, stackErr(0, CodeStackTimeout, "the stack did not answer within %v", timeout)
		}
		return nil, stackErr(resp.StatusCode, CodeInvalidStackResponse, "reading the stack's answer: %v", err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if n := utf16Len(body); int64(n) > limit {
			return nil, stackErr(resp.StatusCode, CodeResponseSizeExceeded, "response stream exceeded limit of %d bytes.", limit)
		}
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, nil // the function returned nothing
		}
		if !json.Valid(body) {
			return nil, stackErr(resp.StatusCode, CodeInvalidStackResponse, "the stack answered 200 with a body that is not JSON: %.120q", body)
		}
		return body, nil
	case http.StatusUnauthorized:
		se, perr := parseErrors(resp.StatusCode, body)
		msg := "the stack refused the system token"
		if perr == nil && len(se.Errors) > 0 {
			msg += ": " + se.Errors[0].Message
		}
		return nil, stackErr(resp.StatusCode, CodeStackUnauthorized, "%s", msg)
	case http.StatusUnprocessableEntity:
		se, perr := parseErrors(resp.StatusCode, body)
		if perr != nil {
			return nil, stackErr(resp.StatusCode, CodeInvalidStackResponse, "the stack answered 422 without an errors array: %.120q", body)
		}
		return nil, se
	}
	if se, perr := parseErrors(resp.StatusCode, body); perr == nil && len(se.Errors) > 0 {
		se.Errors = append([]Error{{Code: CodeInvalidStackResponse, Message: "the stack answered HTTP " + strconv.Itoa(resp.StatusCode)}}, se.Errors...)
		return nil, se
	}
	return nil, stackErr(resp.StatusCode, CodeInvalidStackResponse, "the stack answered HTTP %d: %.120q", resp.StatusCode, body)
}

// utf16Len is JavaScript's length of the UTF-8 text b (an invalid byte
// counts as one unit, U+FFFD). ASCII is counted eight bytes at a time.
func utf16Len(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		if i+8 <= len(b) && binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 == 0 {
			n += 8
			i += 8
			continue
		}
		if b[i] < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
