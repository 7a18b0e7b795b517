package extensiontest

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// DefaultTimeout is a Runtime's function timeout when Timeout is zero:
// Lambda's default.
const DefaultTimeout = 3 * time.Second

// ErrStopped is returned by Runtime.Invoke once the runtime is stopped.
var ErrStopped = errors.New("extensiontest: runtime stopped")

// InvokeResult is what a synchronous Lambda Invoke returns.
type InvokeResult struct {
	// Payload is the response payload, or the error payload when
	// FunctionError is set.
	Payload []byte
	// FunctionError is "Unhandled" when the runtime posted an error (to the
	// invocation's /error or to /init/error) or the function timed out, as
	// the X-Amz-Function-Error header of Lambda's Invoke; empty on success.
	FunctionError string
	// ErrorType is the Lambda-Runtime-Function-Error-Type header the
	// runtime sent with its error ("Sandbox.Timedout" for a timeout). Lambda
	// does not return it; it is here for tests.
	ErrorType string
}

// Runtime is a fake AWS Lambda Runtime API (version 2018-06-01), an
// http.Handler serving the routes a runtime calls:
//
//	GET  /2018-06-01/runtime/invocation/next
//	POST /2018-06-01/runtime/invocation/{id}/response
//	POST /2018-06-01/runtime/invocation/{id}/error
//	POST /2018-06-01/runtime/init/error
//
// Invoke queues an invocation, /next hands it to a waiting runtime (long
// polling until there is one) with the headers Lambda-Runtime-Aws-Request-Id,
// Lambda-Runtime-Deadline-Ms, Lambda-Runtime-Invoked-Function-Arn,
// Lambda-Runtime-Trace-Id and, when given, Lambda-Runtime-Client-Context,
// and Invoke returns what the runtime posts. Several runtime processes may
// poll the same Runtime, like concurrent Lambda sandboxes.
//
// It does not start or restart runtime processes (StartBinary does, for
// tests) and does not enforce Lambda's payload limits. Create it with
// NewRuntime; set the exported fields before the first Invoke.
type Runtime struct {
	// Timeout is the function timeout; 0 means DefaultTimeout. An
	// invocation unanswered by then returns a Sandbox.Timedout error.
	Timeout time.Duration
	// FunctionARN is sent as Lambda-Runtime-Invoked-Function-Arn; empty
	// means arn:aws:lambda:us-east-1:000000000000:function:extensiontest.
	FunctionARN string

	mux   *http.ServeMux
	queue chan *invocation

	mu         sync.Mutex
	pending    map[string]*invocation
	initErr    InvokeResult
	initFailed chan struct{} // closed by the first /init/error
	stopped    chan struct{} // closed by Stop
	cause      error
}

type invocation struct {
	id            string
	clientContext []byte
	payload       []byte
	deadline      time.Time     // set before delivered is closed
	delivered     chan struct{} // closed when a runtime received it
	result        chan InvokeResult
}

// NewRuntime returns a Runtime with no invocations queued.
func NewRuntime() *Runtime {
	r := &Runtime{
		mux:        http.NewServeMux(),
		queue:      make(chan *invocation),
		pending:    make(map[string]*invocation),
		initFailed: make(chan struct{}),
		stopped:    make(chan struct{}),
	}
	r.mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", r.next)
	r.mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", r.answer(false))
	r.mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", r.answer(true))
	r.mux.HandleFunc("POST /2018-06-01/runtime/init/error", r.initError)
	return r
}

// ServeHTTP serves the Runtime API routes.
func (r *Runtime) ServeHTTP(w http.ResponseWriter, req *http.Request) { r.mux.ServeHTTP(w, req) }

// Invoke sends an invocation synchronously, as Lambda's Invoke with
// InvocationType RequestResponse: payload is the event, clientContext the
// already decoded JSON of the client context (nil for none). It waits for a
// runtime to take the invocation and answer it, and returns the answer; a
// runtime that reported an init error, or does not answer within Timeout,
// gives an "Unhandled" result like Lambda's. It returns ctx's error when ctx
// ends first, and the cause given to Stop (or ErrStopped) once stopped.
func (r *Runtime) Invoke(ctx context.Context, clientContext, payload []byte) (InvokeResult, error) {
	inv := &invocation{
		id:            requestID(),
		clientContext: clientContext,
		payload:       payload,
		delivered:     make(chan struct{}),
		result:        make(chan InvokeResult, 1),
	}
	r.mu.Lock()
	r.pending[inv.id] = inv
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.pending, inv.id)
		r.mu.Unlock()
	}()

	select {
	case r.queue <- inv:
	case <-r.initFailed:
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.initErr, nil
	case <-r.stopped:
		return InvokeResult{}, r.stopCause()
	case <-ctx.Done():
		return InvokeResult{}, ctx.Err()
	}
	<-inv.delivered
	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	select {
	case res := <-inv.result:
		return res, nil
	case <-timer.C:
		msg := fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, r.timeout().Seconds())
		return InvokeResult{
			Payload:       errorBody("Sandbox.Timedout", msg),
			FunctionError: "Unhandled",
			ErrorType:     "Sandbox.Timedout",
		}, nil
	case <-r.stopped:
		return InvokeResult{}, r.stopCause()
	case <-ctx.Done():
		return InvokeResult{}, ctx.Err()
	}
}

// InitError returns the body a runtime posted to /runtime/init/error, if any.
func (r *Runtime) InitError() ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.initErr.Payload, r.initErr.FunctionError != ""
}

// Stop ends the runtime: waiting and future Invokes return cause (ErrStopped
// when nil) and /next answers 500, which tells a runtime to exit. Only the
// first call has an effect.
func (r *Runtime) Stop(cause error) {
	if cause == nil {
		cause = ErrStopped
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.stopped:
	default:
		r.cause = cause
		close(r.stopped)
	}
}

func (r *Runtime) stopCause() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cause
}

func (r *Runtime) timeout() time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return DefaultTimeout
}

// next hands the next invocation to a runtime, waiting for one.
func (r *Runtime) next(w http.ResponseWriter, req *http.Request) {
	var inv *invocation
	select {
	case inv = <-r.queue:
	case <-r.stopped:
		writeError(w, http.StatusInternalServerError, "Runtime.Stopped", "The runtime was stopped.")
		return
	case <-req.Context().Done():
		return
	}
	inv.deadline = time.Now().Add(r.timeout())
	close(inv.delivered)
	arn := r.FunctionARN
	if arn == "" {
		arn = "arn:aws:lambda:us-east-1:000000000000:function:extensiontest"
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", arn)
	h.Set("Lambda-Runtime-Trace-Id", traceID())
	if inv.clientContext != nil {
		h.Set("Lambda-Runtime-Client-Context", string(inv.clientContext))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

// answer takes a runtime's /response or /error for an invocation.
func (r *Runtime) answer(isError bool) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) { r.take(w, req, isError) }
}

func (r *Runtime) take(w http.ResponseWriter, req *http.Request, isError bool) {
	id := req.PathValue("id")
	r.mu.Lock()
	inv := r.pending[id]
	if inv != nil {
		select {
		case <-inv.delivered:
			delete(r.pending, id)
		default:
			inv = nil // not handed out yet
		}
	}
	r.mu.Unlock()
	if inv == nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	res := InvokeResult{Payload: body}
	if isError {
		res.FunctionError = "Unhandled"
		res.ErrorType = req.Header.Get("Lambda-Runtime-Function-Error-Type")
	}
	inv.result <- res
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

// initError records a runtime's initialization failure.
func (r *Runtime) initError(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	r.mu.Lock()
	select {
	case <-r.initFailed:
	default:
		r.initErr = InvokeResult{Payload: body, FunctionError: "Unhandled", ErrorType: req.Header.Get("Lambda-Runtime-Function-Error-Type")}
		close(r.initFailed)
	}
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(errorBody(typ, msg))
}

// errorBody encodes Lambda's error shape.
func errorBody(typ, msg string) []byte {
	b, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{typ, msg})
	return b
}

// traceID returns a random X-Ray trace header value.
func traceID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%x;Parent=%x;Sampled=0", time.Now().Unix(), b[:12], b[12:])
}

// requestID returns a random UUID, the form of Lambda's request ids.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
