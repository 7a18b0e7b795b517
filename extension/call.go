package extension

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime/debug"
	"strconv"
	"sync"

	"github.com/hookstack/hookstack/extension/internal/logline"
	"github.com/hookstack/hookstack/extension/internal/wire"
)

// Extension dispatches calls to the functions of a validated Config. It is
// safe for concurrent use; each value holds its own configuration.
type Extension struct {
	diy        *Module
	connectors map[string]*Module
	log        *slog.Logger
}

// New validates cfg (see Config.Validate) and returns an Extension serving it.
// The error, if any, is an *Error with the exact code and message of
// PROTOCOL §1.1.
func New(cfg Config) (*Extension, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	x := &Extension{diy: cfg.DIY, connectors: cfg.Connectors, log: cfg.Logger}
	if x.log == nil {
		x.log = slog.Default()
	}
	x.log.Info("Loaded integrator-extension configuration.")
	if cfg.DIY != nil {
		x.log.Info("Loaded DIY module.")
	}
	for id := range cfg.Connectors {
		x.log.Info("Loaded connector module for _connectorId: " + id)
	}
	return x, nil
}

// Logger returns the logger the Extension writes to.
func (x *Extension) Logger() *slog.Logger { return x.log }

// Result is a successful call's answer: the function's result as JSON text,
// or nil JSON when the function returned nothing (JavaScript's undefined: an
// empty HTTP body, a Lambda null).
type Result struct {
	JSON []byte
	buf  *[]byte
}

// Release returns the result's buffer for reuse. JSON must not be used after.
// Calling it is optional.
func (r *Result) Release() {
	if r == nil || r.buf == nil {
		return
	}
	if cap(*r.buf) <= maxPooledBuffer {
		*r.buf = (*r.buf)[:0]
		bufPool.Put(r.buf)
	}
	r.buf, r.JSON = nil, nil
}

const maxPooledBuffer = 16 << 20

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// callState is what a Function needs to run, and how its outcome comes back.
type callState struct {
	ctx     context.Context
	options []byte      // valid JSON
	index   *wire.Index // of options' top-level arrays, or nil
	fn      Function
	limit   int64
	done    chan outcome // buffered: the runner never blocks
}

// callPool recycles call states whose runner has finished.
var callPool = sync.Pool{New: func() any { return &callState{done: make(chan outcome, 1)} }}

type ctxKey struct{}

// EnvelopeFrom returns the envelope of the call a function is running in, so
// that a function can log its trace and request ids, or nil outside a call.
func EnvelopeFrom(ctx context.Context) *Envelope {
	env, _ := ctx.Value(ctxKey{}).(*Envelope)
	return env
}

// Call runs one extension function as PROTOCOL §2 describes: it logs the
// call, validates the envelope (accumulating errors), resolves the module,
// category and function, runs the function with ctx (its deadline is the
// call's), and checks the result. Any failure is a *CallError (status 422):
// validation errors, object_not_found, invalid_function, the function's own
// error, invalid_function_options when typed options cannot be decoded,
// invalid_extension_response, response_size_exceeded, panic, timeout and
// canceled.
func (x *Extension) Call(ctx context.Context, env *Envelope) (*Result, error) {
	if env.Options != nil && !env.optionsChecked {
		meta, idx, err := checkOptions(env.Options)
		if err != nil {
			x.logCall(ctx, env)
			return nil, callError(Error{CodeInvalidFunctionOptions, "Function options are not valid JSON: " + err.Error()})
		}
		env.meta, env.index, env.optionsChecked = meta, idx, true
	}
	x.logCall(ctx, env)

	var errs []Error
	var mod *Module
	switch {
	case env.DIY:
		if mod = x.diy; mod == nil {
			errs = append(errs, errDIYDoesntExist)
		}
	case env.ConnectorID != "":
		if mod = x.connectors[env.ConnectorID]; mod == nil {
			errs = append(errs, errConnectorDoesntExist)
		}
	default:
		errs = append(errs, errRequiredDIYOrConnector)
	}
	switch {
	case env.functionNotString:
		errs = append(errs, errFunctionNotString)
	case env.Function == "":
		errs = append(errs, errMissingFunction)
	}
	// Options set by hand (e.g. a Lambda event) may hold a falsy JSON value.
	if env.Options == nil || !Truthy(env.Options) {
		errs = append(errs, errMissingFunctionOptions)
	}
	if len(errs) > 0 {
		return nil, callError(errs...)
	}

	obj := mod.Functions
	if env.Type != "" {
		if obj = mod.object(env.Type); obj == nil {
			return nil, callError(Error{CodeObjectNotFound, "The object " + env.Type + " doesn't exist in the module."})
		}
	}
	fn := obj[env.Function]
	if fn == nil {
		return nil, callError(errIncorrectFunction)
	}

	limit := env.MaxResponseSize
	if limit == 0 && !env.limitZero {
		limit = DefaultMaxResponseSize
	}
	cs := callPool.Get().(*callState)
	cs.ctx, cs.options, cs.index, cs.fn, cs.limit = context.WithValue(ctx, ctxKey{}, env), env.Options, env.index, fn, limit
	if ctx.Done() == nil {
		o := x.run(cs)
		cs.release()
		env.index.Release()
		env.index = nil
		return o.res, o.err
	}
	go x.runAsync(cs)
	select {
	case o := <-cs.done:
		cs.release()
		env.index.Release() // the function and the encoder are done with it
		env.index = nil
		return o.res, o.err
	case <-ctx.Done():
		// The runner still holds cs: it is left to the garbage collector.
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, callError(Error{CodeTimeout, "The extension function did not return before the call's deadline."})
		}
		return nil, callError(Error{CodeCanceled, "The call was canceled before the extension function returned."})
	}
}

type outcome struct {
	res *Result
	err error
}

func (cs *callState) release() {
	cs.ctx, cs.options, cs.index, cs.fn = nil, nil, nil, nil
	callPool.Put(cs)
}

func (x *Extension) runAsync(cs *callState) { cs.done <- x.run(cs) }

// invoke runs the function with its options trusted (see Index.Trust).
func (cs *callState) invoke() (any, error) {
	cs.index.Trust()
	defer cs.index.Revoke()
	return cs.fn.invoke(cs)
}

// run invokes the function, turning a panic into a 422, and encodes and
// checks the result.
func (x *Extension) run(cs *callState) (o outcome) {
	limit := cs.limit
	defer func() {
		if p := recover(); p != nil {
			x.log.ErrorContext(cs.ctx, "extension function panicked",
				"logName", "functionPanicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			o = outcome{err: callError(Error{CodePanic, fmt.Sprintf("The extension function panicked: %v", p)})}
		}
	}()
	v, err := cs.invoke()
	if err != nil {
		if oe, ok := err.(*optionsError); ok {
			return outcome{err: callError(Error{CodeInvalidFunctionOptions, "Function options could not be decoded: " + oe.err.Error()})}
		}
		return outcome{err: callError(toError(err))}
	}
	if isUndefined(v) {
		if 0 > limit {
			return outcome{err: sizeError(limit)}
		}
		return outcome{res: &Result{}}
	}
	bp := bufPool.Get().(*[]byte)
	// Most results are about as large as the options (pages passed on):
	// size the buffer once instead of growing it step by step.
	if hint := len(cs.options) + 512; cap(*bp) < hint {
		*bp = make([]byte, 0, hint)
	}
	b, err := wire.AppendIndexed((*bp)[:0], v, cs.index)
	if err != nil {
		bufPool.Put(bp)
		return outcome{err: callError(errResponseNotSerializable)}
	}
	*bp = b
	res := &Result{JSON: b, buf: bp}
	if size := int64(wire.UTF16Len(b)); size > limit {
		res.Release()
		return outcome{err: sizeError(limit)}
	}
	return outcome{res: res}
}

func sizeError(limit int64) *CallError {
	return callError(Error{CodeResponseSizeExceeded, "response stream exceeded limit of " + strconv.FormatInt(limit, 10) + " bytes."})
}

// isUndefined reports whether a function's result is JavaScript's undefined:
// a nil interface, pointer, map or slice.
func isUndefined(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil() && !wire.IsRaw(rv.Type())
	}
	return false
}

// logCall writes the metadata line of PROTOCOL §2.7.
func (x *Extension) logCall(ctx context.Context, env *Envelope) {
	if !x.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs, slog.String("logName", "callFunctionInvoked"))
	add := func(k, v string) {
		if v != "" {
			attrs = append(attrs, slog.String(k, v))
		}
	}
	add("type", env.Type)
	add("function", env.Function)
	add("_connectorId", env.ConnectorID)
	if env.Options != nil {
		add("_integrationId", env.meta.integrationID)
		if env.Type == "hook" || env.Type == "wrapper" {
			add("_flowId", env.meta.flowID)
			add("_exportId", env.meta.exportID)
			add("_importId", env.meta.importID)
			add("_connectionId", env.meta.connectionID)
		}
	}
	add("_reqId", env.ReqID)
	add("traceId", env.TraceID)
	logline.Info(ctx, x.log, "callFunctionInvoked", attrs...)
}

// optionsError marks a failure to decode typed function options.
type optionsError struct{ err error }

func (e *optionsError) Error() string { return e.err.Error() }

// typed is a Function with decoded options and a result.
type typed[O, R any] func(context.Context, *O) (R, error)

func (f typed[O, R]) invoke(c *callState) (any, error) {
	o := new(O)
	if err := wire.UnmarshalIndexed(c.options, o, c.index); err != nil {
		return nil, &optionsError{err}
	}
	r, err := f(c.ctx, o)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// action is a Function with decoded options and no result.
type action[O any] func(context.Context, *O) error

func (f action[O]) invoke(c *callState) (any, error) {
	o := new(O)
	if err := wire.UnmarshalIndexed(c.options, o, c.index); err != nil {
		return nil, &optionsError{err}
	}
	return nil, f(c.ctx, o)
}

type raw func(context.Context, json.RawMessage) (any, error)

func (f raw) invoke(c *callState) (any, error) { return f(c.ctx, c.options) }

// Func makes a Function from any typed signature: the options are decoded
// into O (records stay raw; unknown members are kept in a `json:",unknown"`
// map if O has one) and the result R is sent as JSON. A nil pointer, slice or
// map result is sent as no value. Use it for kinds this package has no
// constructor for.
func Func[O, R any](fn func(ctx context.Context, options *O) (R, error)) Function {
	return typed[O, R](fn)
}

// Action makes a Function whose options decode into O and that returns no
// value, only an error or nil.
func Action[O any](fn func(ctx context.Context, options *O) error) Function {
	return action[O](fn)
}

// Raw makes a Function that receives the options as raw JSON and returns any
// value that encodes to JSON (or nil for no value). Use it for utilities and
// anything untyped.
func Raw(fn func(ctx context.Context, options json.RawMessage) (any, error)) Function {
	return raw(fn)
}
