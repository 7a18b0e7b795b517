package extensionlambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/internal/wire"
)

// CodeInvalidClientContext is the code of the 422 error answered when the
// Lambda client context is not JSON or not an object. (Node's runtime fails
// such an invocation before the handler runs.)
const CodeInvalidClientContext = "invalid_client_context"

// Invocation is one event of the Runtime API, as Handler.Invoke needs it.
type Invocation struct {
	// RequestID is the Lambda-Runtime-Aws-Request-Id header. It becomes the
	// envelope's ReqID, logged as _reqId.
	RequestID string
	// ClientContext is the Lambda-Runtime-Client-Context header: the JSON of
	// the extension options envelope ({"diy":true,"function":"x",…}). Nil (or
	// JSON null) when the invoker sent none.
	ClientContext []byte
	// TraceID is the Lambda-Runtime-Trace-Id header, if any; it becomes the
	// envelope's TraceID.
	TraceID string
	// Payload is the event: the JSON of the function options.
	Payload []byte
}

// Handler answers Lambda invocations for one configuration without any
// transport: Start runs it in the Runtime API loop, and tests and emulators
// can call Invoke directly. It is safe for concurrent use.
type Handler struct {
	x      *extension.Extension
	cfgErr *extension.CallError // set when the configuration is invalid
	log    *slog.Logger
}

// NewHandler returns the handler of cfg. It does not fail: when cfg breaks a
// rule of PROTOCOL §1.1, the error is logged once and every invocation is
// answered with it, as 422 {message, code}, because the Node handler
// re-checks its configuration on each invocation.
func NewHandler(cfg extension.Config) *Handler {
	h := &Handler{log: cfg.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	x, err := extension.New(cfg)
	if err != nil {
		h.cfgErr = toCallError(err)
		h.log.Error("invalid integrator-extension configuration; every invocation will fail", "err", err)
		return h
	}
	h.x = x
	return h
}

// Invoke answers one invocation; ctx carries the function's deadline.
//
// On success it returns the response payload, the result's JSON (null when
// the function returned no value), and a nil *extension.CallError. On
// failure it returns the error payload (see ErrorPayload) and the error it
// carries: the configuration error of NewHandler; invalid_client_context
// for a client context that is malformed JSON or not an object; otherwise
// every error of extension.Extension.Call (validation errors,
// object_not_found, invalid_function, the function's error, panic,
// timeout, …).
//
// A missing client context is not an error of its own: the Node handler
// throws a TypeError there, while Invoke treats it as an empty envelope and
// answers the validation errors that gives (no diy or _connectorId, no
// function). An event that is empty or JavaScript-falsy (null, false, 0,
// "") counts as no function options. A member "options" in the client
// context is ignored: on Lambda the event is the function options.
func (h *Handler) Invoke(ctx context.Context, inv Invocation) (payload []byte, cerr *extension.CallError) {
	defer func() {
		if p := recover(); p != nil {
			h.log.ErrorContext(ctx, "Lambda handler panicked", "panic", fmt.Sprint(p))
			cerr = callError(extension.Error{Code: extension.CodePanic, Message: fmt.Sprintf("The Lambda handler panicked: %v", p)})
			payload = ErrorPayload(cerr)
		}
	}()
	if h.cfgErr != nil {
		return ErrorPayload(h.cfgErr), h.cfgErr
	}
	env, err := parseClientContext(inv.ClientContext)
	if err != nil {
		h.log.WarnContext(ctx, "invalid Lambda client context", "err", err, "requestId", inv.RequestID)
		cerr := callError(extension.Error{Code: CodeInvalidClientContext, Message: "The Lambda client context is not a JSON object: " + err.Error()})
		return ErrorPayload(cerr), cerr
	}
	env.ReqID, env.TraceID = inv.RequestID, inv.TraceID
	if extension.Truthy(inv.Payload) {
		env.Options = inv.Payload
	}
	res, err := h.x.Call(ctx, env)
	if err != nil {
		cerr := toCallError(err)
		return ErrorPayload(cerr), cerr
	}
	defer res.Release()
	if res.JSON == nil {
		return []byte("null"), nil
	}
	return bytes.Clone(res.JSON), nil
}

// parseClientContext decodes the client context with extension.ParseEnvelope,
// treating an absent (or null) one as an empty envelope and dropping any
// "options" member it carries.
func parseClientContext(b []byte) (*extension.Envelope, error) {
	t := trimSpace(b)
	if len(t) == 0 || string(t) == "null" {
		return &extension.Envelope{}, nil
	}
	env, err := extension.ParseEnvelope(t)
	if err != nil || env.Options == nil {
		return env, err
	}
	// Rare: the client context has its own truthy "options". Re-parse it
	// without them, so that the event's options are validated and logged.
	var m map[string]json.RawMessage
	if err := json.Unmarshal(t, &m); err != nil {
		return nil, err
	}
	delete(m, "options")
	t, err = json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return extension.ParseEnvelope(t)
}

// trimSpace trims JSON whitespace.
func trimSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}

// ErrorPayload encodes err as the Node runtime reports the string error of
// the Node handler (PROTOCOL §4.2): errorType "string", errorMessage the
// JSON text of {"statusCode":422,"errors":[…]}, and an empty trace:
//
//	{"errorType":"string","errorMessage":"{\"statusCode\":422,\"errors\":[{\"code\":\"c\",\"message\":\"m\"}]}","trace":[]}
//
// Start posts it to the Runtime API's /error route with the header
// Lambda-Runtime-Function-Error-Type: string. err must not be nil.
func ErrorPayload(err *extension.CallError) []byte {
	inner := *err
	if inner.Errors == nil {
		inner.Errors = []extension.Error{}
	}
	msg, e := wire.Append(nil, inner)
	if e != nil { // cannot happen: only strings and an int
		msg = []byte(`{"statusCode":422,"errors":[]}`)
	}
	b := make([]byte, 0, len(msg)+64)
	b = append(b, `{"errorType":"string","errorMessage":`...)
	b = append(b, jsonString(string(msg))...)
	b = append(b, `,"trace":[]}`...)
	return b
}

// ParseError decodes the error payload of a Lambda stack, as ErrorPayload
// writes it or as the Node runtime did ({"errorMessage":"<JSON>",…}), into
// the call error it carries. It returns an error when payload is not JSON
// or its errorMessage is not the JSON of {"statusCode":…,"errors":[…]}, as
// for Lambda's own errors (a timeout, a crash, an init error).
func ParseError(payload []byte) (*extension.CallError, error) {
	var outer struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if err := json.Unmarshal(payload, &outer); err != nil {
		return nil, fmt.Errorf("extensionlambda: error payload: %w", err)
	}
	var cerr extension.CallError
	if err := json.Unmarshal([]byte(outer.ErrorMessage), &cerr); err != nil {
		return nil, fmt.Errorf("extensionlambda: error payload of type %q is not an extension error: %w", outer.ErrorType, err)
	}
	if cerr.StatusCode == 0 || cerr.Errors == nil {
		return nil, fmt.Errorf("extensionlambda: error payload of type %q is not an extension error: no statusCode or errors", outer.ErrorType)
	}
	return &cerr, nil
}

// jsonString encodes s as a JSON string, as JSON.stringify would.
func jsonString(s string) []byte { return wire.AppendString(nil, s) }

func callError(errs ...extension.Error) *extension.CallError {
	return &extension.CallError{StatusCode: 422, Errors: errs}
}

// toCallError converts what extension.New and Call return.
func toCallError(err error) *extension.CallError {
	if ce, ok := errors.AsType[*extension.CallError](err); ok {
		return ce
	}
	if e, ok := errors.AsType[*extension.Error](err); ok {
		return callError(*e)
	}
	return callError(extension.Error{Code: "Error", Message: err.Error()})
}
