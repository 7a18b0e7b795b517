// Package extensionlambda hosts extension functions as an AWS Lambda stack,
// speaking the protocol of Celigo's lambda-integrator-extension (PROTOCOL
// §4): the event is the function options, the client context is the
// extension options envelope ({"diy":true,"function":"preSavePage",…}), a
// result is the response payload (null for no value), and a failure is the
// string error the Node runtime reports:
//
//	{"errorType":"string","errorMessage":"{\"statusCode\":422,\"errors\":[…]}","trace":[]}
//
// It implements the Lambda Runtime API loop itself instead of using
// github.com/aws/aws-lambda-go, whose client-context type drops the
// envelope's top-level keys.
//
// A Lambda stack is a main package that calls Start:
//
//	func main() {
//		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
//		defer stop()
//		err := extensionlambda.Start(ctx, extension.Config{DIY: &module})
//		if err != nil {
//			slog.Error("lambda runtime failed", "err", err)
//			os.Exit(1)
//		}
//	}
//
// Build it as the bootstrap of an OS-only runtime (provided.al2023), zip it
// and upload it with a handler name of your choice (it is not used):
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -o bootstrap .   # GOARCH=amd64 for x86_64
//	zip function.zip bootstrap
//
// (The lambda.norpc build tag that aws-lambda-go programs use is not needed.)
//
// Differences from the Node handler, besides those of PROTOCOL §0.1: the
// configuration is validated once and the "Loaded …" lines are logged once,
// not per invocation (an invalid configuration still fails every
// invocation); a missing client context gets the 422 validation errors of
// an empty envelope instead of a TypeError; a malformed one gets 422
// invalid_client_context; and a function's deadline is
// Lambda-Runtime-Deadline-Ms less DeadlineReserve, so that its 422 timeout
// reaches Lambda before Lambda stops the function.
//
// extension/extensiontest has a fake Runtime API to test a stack, in process
// or as a built bootstrap binary.
package extensionlambda

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/hookstack/hookstack/extension"
)

// EnvRuntimeAPI is the environment variable in which Lambda passes the
// Runtime API's host:port.
const EnvRuntimeAPI = "AWS_LAMBDA_RUNTIME_API"

// DeadlineReserve is how long before the invocation's deadline
// (Lambda-Runtime-Deadline-Ms) a function's context expires, leaving time
// to post its timeout error.
const DeadlineReserve = 200 * time.Millisecond

// Runtime API headers.
const (
	headerRequestID     = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline      = "Lambda-Runtime-Deadline-Ms"
	headerClientContext = "Lambda-Runtime-Client-Context"
	headerTraceID       = "Lambda-Runtime-Trace-Id"
	headerErrorType     = "Lambda-Runtime-Function-Error-Type"
)

// Option configures Start.
type Option func(*settings)

type settings struct {
	addr   string
	getenv func(string) string
	init   func(context.Context) error
}

// WithRuntimeAPI sets the Runtime API's host:port, instead of reading it
// from AWS_LAMBDA_RUNTIME_API.
func WithRuntimeAPI(hostport string) Option {
	return func(s *settings) { s.addr = hostport }
}

// WithGetenv sets how the environment is read; the default is os.Getenv.
func WithGetenv(getenv func(key string) string) Option {
	return func(s *settings) { s.getenv = getenv }
}

// WithInit runs fn once before the first invocation, for set-up such as
// opening clients. If fn fails, Start reports the error to the Runtime API
// (POST /runtime/init/error, errorType "InitError") and returns it.
func WithInit(fn func(ctx context.Context) error) Option {
	return func(s *settings) { s.init = fn }
}

// Start runs the Lambda Runtime API loop for cfg until ctx is done, then
// returns nil: it fetches each invocation, answers it with a Handler (see
// Handler.Invoke) and posts the result to /response or the error payload to
// /error. Invalid configurations and bad invocations are answered, never
// fatal.
//
// Start returns an error when the Runtime API address is not set
// (AWS_LAMBDA_RUNTIME_API), when the WithInit function fails, and when the
// Runtime API cannot be reached or answers a 5xx status (Lambda's signal
// that the runtime must exit). An answer refused with a 4xx status (such as
// 413 for a payload over Lambda's limit) is logged and the loop goes on.
func Start(ctx context.Context, cfg extension.Config, opts ...Option) error {
	s := settings{getenv: os.Getenv}
	for _, o := range opts {
		o(&s)
	}
	if s.addr == "" {
		s.addr = s.getenv(EnvRuntimeAPI)
	}
	if s.addr == "" {
		return errors.New("extensionlambda: " + EnvRuntimeAPI + " is not set; run the program as the bootstrap of a Lambda function")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	c := &client{
		base: "http://" + s.addr + "/2018-06-01/runtime",
		http: &http.Client{Transport: &http.Transport{}}, // no proxy
		log:  log,
	}
	if s.init != nil {
		if err := s.init(ctx); err != nil {
			body := initErrorPayload(err)
			perr := c.post(context.WithoutCancel(ctx), "/init/error", "InitError", body)
			return errors.Join(fmt.Errorf("extensionlambda: init: %w", err), perr)
		}
	}
	h := NewHandler(cfg)
	for {
		inv, deadline, err := c.next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := c.answer(ctx, h, inv, deadline); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

func initErrorPayload(err error) []byte {
	var b bytes.Buffer
	b.WriteString(`{"errorType":"InitError","errorMessage":`)
	b.Write(jsonString(err.Error()))
	b.WriteString(`}`)
	return b.Bytes()
}

// client talks to the Runtime API.
type client struct {
	base string // http://host:port/2018-06-01/runtime
	http *http.Client
	log  *slog.Logger
}

// next long-polls for the next invocation.
func (c *client) next(ctx context.Context) (Invocation, time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/invocation/next", nil)
	if err != nil {
		return Invocation{}, time.Time{}, fmt.Errorf("extensionlambda: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Invocation{}, time.Time{}, fmt.Errorf("extensionlambda: get next invocation: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Invocation{}, time.Time{}, fmt.Errorf("extensionlambda: read next invocation: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Invocation{}, time.Time{}, fmt.Errorf("extensionlambda: get next invocation: %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	inv := Invocation{
		RequestID: resp.Header.Get(headerRequestID),
		TraceID:   resp.Header.Get(headerTraceID),
		Payload:   body,
	}
	if inv.RequestID == "" {
		return Invocation{}, time.Time{}, errors.New("extensionlambda: next invocation has no " + headerRequestID + " header")
	}
	if cc := resp.Header.Get(headerClientContext); cc != "" {
		inv.ClientContext = []byte(cc)
	}
	var deadline time.Time
	if ms, err := strconv.ParseInt(resp.Header.Get(headerDeadline), 10, 64); err == nil {
		deadline = time.UnixMilli(ms)
	}
	return inv, deadline, nil
}

// answer runs one invocation and posts its outcome.
func (c *client) answer(ctx context.Context, h *Handler, inv Invocation, deadline time.Time) error {
	fctx, cancel := ctx, context.CancelFunc(func() {})
	if !deadline.IsZero() {
		fctx, cancel = context.WithDeadline(ctx, deadline.Add(-DeadlineReserve))
	}
	payload, cerr := h.Invoke(fctx, inv)
	cancel()
	// Post even while shutting down: the invocation is done.
	pctx := context.WithoutCancel(ctx)
	path := "/invocation/" + url.PathEscape(inv.RequestID)
	if cerr != nil {
		return c.post(pctx, path+"/error", "string", payload)
	}
	return c.post(pctx, path+"/response", "", payload)
}

// post sends body to the Runtime API. A 4xx answer is logged; a 5xx one or a
// transport failure is returned.
func (c *client) post(ctx context.Context, path, errorType string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("extensionlambda: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if errorType != "" {
		req.Header.Set(headerErrorType, errorType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("extensionlambda: post %s: %w", path, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 500:
		return fmt.Errorf("extensionlambda: post %s: %s: %s", path, resp.Status, bytes.TrimSpace(msg))
	case resp.StatusCode >= 300:
		c.log.ErrorContext(ctx, "Lambda Runtime API refused the answer",
			"path", path, "status", resp.StatusCode, "body", string(bytes.TrimSpace(msg)))
	}
	return nil
}
