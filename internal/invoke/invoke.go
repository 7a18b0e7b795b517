// Package invoke calls extension functions on stacks exactly as integrator.io
// does (PROTOCOL §3–§4): it builds the extension options envelope for the
// stack's framework, sends it, and turns every way a call can fail into one
// clear error code.
package invoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Frameworks of a stack (PLATFORM §5.2): 1.0 sends the category type, 2.0
// calls functions at the top level of the module.
const (
	Framework1 = "1.0"
	Framework2 = "2.0"
)

// Codes of the failures an invoker reports itself; a stack's own 422 errors
// come back unchanged.
const (
	CodeStackUnreachable     = "stack_unreachable"
	CodeStackTimeout         = "stack_timeout"
	CodeStackUnauthorized    = "stack_unauthorized"
	CodeInvalidStackResponse = "invalid_stack_response"
	CodeResponseSizeExceeded = "response_size_exceeded"
	CodeInvalidCall          = "invalid_call"
)

// DefaultMaxResponseSize is the response cap sent when a call sets none.
const DefaultMaxResponseSize = 5 * 1024 * 1024

// Call is one function call.
type Call struct {
	// Framework is Framework1 or Framework2 (default).
	Framework string
	// Type is the framework-1.0 category type (hook, wrapper, installer, …).
	Type string
	// Function is the function's name.
	Function string
	// DIY or ConnectorID selects the module.
	DIY         bool
	ConnectorID string
	// MaxResponseSize caps the answer; 0 means DefaultMaxResponseSize.
	MaxResponseSize int64
	// Options are the function options (JSON); nil sends {}.
	Options json.RawMessage
	// TraceID is sent as the traceid header (server stacks).
	TraceID string
	// IdempotencyKey stays the same when the same call is retried.
	IdempotencyKey string
}

// Validate reports an *Error with CodeInvalidCall for a call that cannot be sent.
func (c *Call) Validate() error {
	switch {
	case c.Function == "":
		return &Error{Code: CodeInvalidCall, Message: "a function name is required"}
	case c.DIY == (c.ConnectorID != ""):
		return &Error{Code: CodeInvalidCall, Message: "exactly one of diy or a connector id is required"}
	case c.Framework != "" && c.Framework != Framework1 && c.Framework != Framework2:
		return &Error{Code: CodeInvalidCall, Message: fmt.Sprintf("unknown framework %q (want 1.0 or 2.0)", c.Framework)}
	case c.Framework == Framework1 && c.Type == "":
		return &Error{Code: CodeInvalidCall, Message: "framework 1.0 calls need a type (hook, wrapper, installer, uninstaller, setting, utility)"}
	case c.Options != nil && !json.Valid(c.Options):
		return &Error{Code: CodeInvalidCall, Message: "options are not valid JSON"}
	}
	return nil
}

func (c *Call) limit() int64 {
	if c.MaxResponseSize > 0 {
		return c.MaxResponseSize
	}
	return DefaultMaxResponseSize
}

// Properties returns the JSON of the extension properties without the
// options: what a Lambda stack receives as its client context.
func (c *Call) Properties() []byte { return c.envelope(nil) }

// Body returns the JSON of the whole envelope a server stack receives.
func (c *Call) Body() []byte {
	opts := c.Options
	if opts == nil {
		opts = json.RawMessage("{}")
	}
	return c.envelope(opts)
}

// envelope writes {diy|_connectorId, type (1.0 only), function,
// maxResponseSize[, options]} without re-encoding the options.
func (c *Call) envelope(options []byte) []byte {
	b := make([]byte, 0, 128+len(options))
	b = append(b, '{')
	if c.DIY {
		b = append(b, `"diy":true`...)
	} else {
		b = append(b, `"_connectorId":`...)
		b = appendJSONString(b, c.ConnectorID)
	}
	if c.Framework == Framework1 && c.Type != "" {
		b = append(b, `,"type":`...)
		b = appendJSONString(b, c.Type)
	}
	b = append(b, `,"function":`...)
	b = appendJSONString(b, c.Function)
	b = append(b, `,"maxResponseSize":`...)
	b = strconv.AppendInt(b, c.limit(), 10)
	if options != nil {
		b = append(b, `,"options":`...)
		b = append(b, bytes.TrimSpace(options)...)
	}
	return append(b, '}')
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

// Error is one {code, message} error.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// StackError is a call that failed: the stack's own 422 errors, or one
// error with an invoker code (stack_unreachable, stack_timeout, …).
type StackError struct {
	// StatusCode is the stack's HTTP status (422, 401, …), or 0 when no
	// answer came back.
	StatusCode int     `json:"statusCode,omitempty"`
	Errors     []Error `json:"errors"`
}

func (e *StackError) Error() string {
	var b bytes.Buffer
	for i, x := range e.Errors {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(x.Code + ": " + x.Message)
	}
	return b.String()
}

// Code returns the first error's code.
func (e *StackError) Code() string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

func stackErr(status int, code, format string, args ...any) *StackError {
	return &StackError{StatusCode: status, Errors: []Error{{Code: code, Message: fmt.Sprintf(format, args...)}}}
}

// Invoker calls functions on one stack. Invoke returns the function's result
// as JSON (nil when the function returned nothing) or a *StackError.
type Invoker interface {
	Invoke(ctx context.Context, call *Call) (json.RawMessage, error)
}

// parseErrors decodes {"errors":[…]} (or {"statusCode":…,"errors":[…]}).
func parseErrors(status int, body []byte) (*StackError, error) {
	var e struct {
		StatusCode int               `json:"statusCode"`
		Errors     []json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Errors == nil {
		return nil, errors.New("no errors array")
	}
	se := &StackError{StatusCode: status, Errors: make([]Error, 0, len(e.Errors))}
	if se.StatusCode == 0 {
		se.StatusCode = e.StatusCode
	}
	for _, raw := range e.Errors {
		// A Node function error may have a missing code or message ({}).
		var x struct {
			Code    any `json:"code"`
			Message any `json:"message"`
		}
		_ = json.Unmarshal(raw, &x)
		se.Errors = append(se.Errors, Error{Code: text(x.Code), Message: text(x.Message)})
	}
	return se, nil
}

func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, _ := json.Marshal(v)
	return string(b)
}
