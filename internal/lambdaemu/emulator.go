// Package lambdaemu emulates AWS Lambda locally for Lambda stacks: it runs a
// bootstrap binary (a provided.al2023 function, such as one built with
// extension/extensionlambda) under a local Runtime API and serves the Lambda
// Invoke REST API in front of it, so that a real AWS SDK client — the
// platform's invoke.Lambda with an EndpointURL — can call it as it calls
// AWS:
//
//	POST /2015-03-31/functions/{FunctionName}/invocations
//
// The function name may be the name, the ARN or the partial ARN, with an
// optional qualifier that must be $LATEST. Requests are answered as Lambda
// answers them:
//
//   - success: 200 with the function's response as the body and the
//     headers X-Amz-Executed-Version: $LATEST and X-Amzn-RequestId;
//   - a function error (posted to the Runtime API's /error, a timeout, an
//     init error, a crash, a response over 6 MB): 200 with
//     X-Amz-Function-Error: Unhandled and the error payload
//     {"errorType":…,"errorMessage":…};
//   - a request Lambda refuses: an AWS error, i.e. the status, the header
//     X-Amzn-ErrorType and the body {"Type":"User","message":…}: 404
//     ResourceNotFoundException for an unknown function or qualifier, 400
//     InvalidParameterValueException for a client context that is not
//     base64 of a JSON object or is over 3583 bytes and for an invocation
//     type other than RequestResponse or DryRun, 400
//     InvalidRequestContentException for a payload that is not JSON, 413
//     RequestTooLargeException for a payload over 6 MB.
//
// X-Amz-Client-Context is base64-decoded and handed to the runtime as the
// Lambda-Runtime-Client-Context header, as Lambda does.
//
// Differences from AWS: requests are not authenticated — SigV4 signatures
// are accepted without being checked, whatever the keys — so serve it on
// loopback only; only synchronous invocations run (Event is refused;
// DryRun answers 204); X-Amz-Log-Type: Tail is ignored; the error messages
// are the emulator's own; and sandboxes run at most Function.Concurrency
// invocations at once instead of scaling out.
package lambdaemu

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// Lambda's limits.
const (
	// MaxClientContext is the largest X-Amz-Client-Context, in bytes of base64.
	MaxClientContext = 3583
	// MaxPayload is the largest synchronous request payload (6 MB).
	MaxPayload = 6 * 1024 * 1024
	// MaxResponse is the largest synchronous response payload.
	MaxResponse = 6*1024*1024 + 100
)

// DefaultShutdownTimeout is how long Serve waits for invocations in flight
// when it stops.
const DefaultShutdownTimeout = 5 * time.Second

// Emulator is an http.Handler serving the Lambda Invoke API for its
// functions. Create it with New.
type Emulator struct {
	// ShutdownTimeout bounds how long Serve waits for invocations in
	// flight when ctx ends; default DefaultShutdownTimeout.
	ShutdownTimeout time.Duration

	log       *slog.Logger
	functions map[string]*Function
	mux       *http.ServeMux
}

// New returns an Emulator serving fns, which must have distinct names. log
// gets one line per invocation; nil discards them. The Emulator owns the
// functions: Serve and Close close them.
func New(log *slog.Logger, fns ...*Function) (*Emulator, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Emulator{log: log, functions: make(map[string]*Function, len(fns)), mux: http.NewServeMux()}
	for _, f := range fns {
		name := f.FunctionName()
		if _, dup := e.functions[name]; dup {
			return nil, fmt.Errorf("lambdaemu: two functions named %q", name)
		}
		e.functions[name] = f
	}
	e.mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", e.invoke)
	e.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeAWSError(w, http.StatusNotFound, "UnknownOperationException",
			fmt.Sprintf("lambdaemu serves only POST /2015-03-31/functions/{name}/invocations, not %s %s", r.Method, r.URL.Path))
	})
	return e, nil
}

// ServeHTTP serves the Invoke API.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.mux.ServeHTTP(w, r) }

// Start starts one sandbox of every function (see Function.Start), so that
// a bootstrap that cannot run is reported before the first request.
func (e *Emulator) Start() error {
	for _, f := range e.functions {
		if err := f.Start(); err != nil {
			return err
		}
	}
	return nil
}

// Serve serves the Invoke API on ln until ctx ends, then shuts down
// gracefully: it stops accepting connections, waits up to ShutdownTimeout
// for invocations in flight, and closes the functions (stopping their
// processes). It returns nil after a shutdown caused by ctx, or the error
// that stopped the server.
func (e *Emulator) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 30 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	grace := e.ShutdownTimeout
	if grace <= 0 {
		grace = DefaultShutdownTimeout
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	shutdownErr := srv.Shutdown(sctx)
	closeErr := e.Close() // ends invocations still in flight (503)
	if shutdownErr != nil {
		_ = srv.Close()
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return closeErr
}

// Close closes every function (see Function.Close).
func (e *Emulator) Close() error {
	var errs []error
	for _, f := range e.functions {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// resolve finds the function a path's FunctionName (and the Qualifier
// query parameter) names: my-function, my-function:$LATEST,
// 123456789012:function:my-function or
// arn:aws:lambda:us-east-1:123456789012:function:my-function[:$LATEST].
func (e *Emulator) resolve(name, qualifier string) (*Function, string) {
	fn := name
	if i := strings.Index(name, ":function:"); i >= 0 {
		fn = name[i+len(":function:"):]
	}
	if i := strings.IndexByte(fn, ':'); i >= 0 {
		if qualifier == "" {
			qualifier = fn[i+1:]
		}
		fn = fn[:i]
	}
	f := e.functions[fn]
	if f == nil {
		arn := "arn:aws:lambda:" + DefaultRegion + ":000000000000:function:" + fn
		if strings.HasPrefix(name, "arn:") {
			arn = name
		}
		return nil, "Function not found: " + arn
	}
	if qualifier != "" && qualifier != "$LATEST" {
		return nil, "Function not found: " + f.ARN() + ":" + qualifier
	}
	return f, ""
}

func (e *Emulator) invoke(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	f, notFound := e.resolve(r.PathValue("name"), r.URL.Query().Get("Qualifier"))
	if f == nil {
		writeAWSError(w, http.StatusNotFound, "ResourceNotFoundException", notFound)
		return
	}
	switch t := r.Header.Get("X-Amz-Invocation-Type"); t {
	case "", "RequestResponse":
	case "DryRun":
		w.Header().Set("X-Amzn-RequestId", requestID())
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		writeAWSError(w, http.StatusBadRequest, "InvalidParameterValueException",
			"lambdaemu runs only synchronous invocations: set X-Amz-Invocation-Type to RequestResponse, not Event")
		return
	default:
		writeAWSError(w, http.StatusBadRequest, "InvalidParameterValueException",
			fmt.Sprintf("X-Amz-Invocation-Type %q is not one of RequestResponse, Event, DryRun", t))
		return
	}
	var clientContext []byte
	if cc := r.Header.Get("X-Amz-Client-Context"); cc != "" {
		if len(cc) > MaxClientContext {
			writeAWSError(w, http.StatusBadRequest, "InvalidParameterValueException",
				fmt.Sprintf("Client context is %d bytes of base64, over the limit of %d.", len(cc), MaxClientContext))
			return
		}
		dec, err := base64.StdEncoding.DecodeString(cc)
		if t := bytes.TrimSpace(dec); err != nil || len(t) == 0 || t[0] != '{' || !json.Valid(t) {
			writeAWSError(w, http.StatusBadRequest, "InvalidParameterValueException",
				"Client context must be a valid Base64-encoded JSON object.")
			return
		}
		clientContext = dec
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, MaxPayload+1))
	if err != nil {
		writeAWSError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not read the request body: "+err.Error())
		return
	}
	if len(payload) > MaxPayload {
		writeAWSError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException",
			fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", MaxPayload))
		return
	}
	if len(bytes.TrimSpace(payload)) == 0 {
		payload = []byte("{}")
	} else if !json.Valid(payload) {
		writeAWSError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: the payload is not valid JSON")
		return
	}

	res, err := f.Invoke(r.Context(), clientContext, payload)
	if err != nil {
		switch {
		case r.Context().Err() != nil:
			e.log.Info("invocation abandoned by the caller", "function", f.FunctionName(), "duration", time.Since(start))
			return
		case errors.Is(err, ErrClosed):
			writeAWSErrorType(w, http.StatusServiceUnavailable, "ServiceException", "Service", "The Lambda emulator is shutting down.")
		default:
			writeAWSErrorType(w, http.StatusInternalServerError, "ServiceException", "Service", err.Error())
		}
		e.log.Error("invocation failed", "function", f.FunctionName(), "err", err)
		return
	}
	if res.FunctionError == "" && len(res.Payload) > MaxResponse {
		res.Payload, _ = json.Marshal(struct {
			ErrorType    string `json:"errorType"`
			ErrorMessage string `json:"errorMessage"`
		}{"Function.ResponseSizeTooLarge", fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxResponse)})
		res.FunctionError, res.ErrorType = "Unhandled", "Function.ResponseSizeTooLarge"
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Executed-Version", "$LATEST")
	h.Set("X-Amzn-RequestId", requestID())
	if res.FunctionError != "" {
		h.Set("X-Amz-Function-Error", res.FunctionError)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Payload)
	e.log.Info("invoked", "function", f.FunctionName(), "duration", time.Since(start),
		"functionError", res.FunctionError, "errorType", res.ErrorType, "bytes", len(res.Payload))
}

// writeAWSError writes a client error the way Lambda's REST API does.
func writeAWSError(w http.ResponseWriter, status int, errorType, msg string) {
	writeAWSErrorType(w, status, errorType, "User", msg)
}

func writeAWSErrorType(w http.ResponseWriter, status int, errorType, typ, msg string) {
	body, _ := json.Marshal(struct {
		Type    string `json:"Type"`
		Message string `json:"message"`
	}{typ, msg})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", errorType)
	h.Set("X-Amzn-RequestId", requestID())
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
