package lambdaemu_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hookstack/hookstack/examples/orders"
	"github.com/hookstack/hookstack/extension/extensiontest"
	"github.com/hookstack/hookstack/internal/invoke"
	"github.com/hookstack/hookstack/internal/lambdaemu"
)

// emulator serves fns on a loopback httptest server until the test ends
// and counts the requests that reach it.
type emulator struct {
	URL      string
	requests atomic.Int64
}

func startEmulator(t *testing.T, fns ...*lambdaemu.Function) *emulator {
	t.Helper()
	emu, err := lambdaemu.New(nil, fns...)
	if err != nil {
		t.Fatal(err)
	}
	e := &emulator{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.requests.Add(1)
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		if err := emu.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	e.URL = srv.URL
	return e
}

// stack is the platform's Lambda invoker for the emulator's function name,
// through the real AWS SDK with any static keys.
func (e *emulator) stack(name string) *invoke.Lambda {
	return &invoke.Lambda{
		AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Region: "us-east-1",
		FunctionName: name, EndpointURL: e.URL, Timeout: 20 * time.Second,
	}
}

// jsonEqual compares JSON texts structurally.
func jsonEqual(t *testing.T, want string, got []byte) {
	t.Helper()
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON: %v", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("result is not JSON: %v: %s", err, got)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("result mismatch (-want +got):\n%s", diff)
	}
}

func stackError(t *testing.T, err error) *invoke.StackError {
	t.Helper()
	se, ok := err.(*invoke.StackError)
	if !ok {
		t.Fatalf("error %v (%T), want a *invoke.StackError", err, err)
	}
	return se
}

const conn = `"connection":{"unencrypted":{"baseURI":"https://erp.example"},"encrypted":{"apiKey":"erp_1"}}`

// TestOrdersThroughSDK calls the orders example's Lambda bootstrap through
// the real AWS SDK client (invoke.Lambda) and the emulator, for framework
// 1.0 and 2.0 stacks.
func TestOrdersThroughSDK(t *testing.T) {
	t.Parallel()
	bin := extensiontest.BuildBinary(t, "../../examples/orders/cmd/orders-lambda")
	emu := startEmulator(t, &lambdaemu.Function{Name: "orders", Path: bin, Timeout: 20 * time.Second})
	stack := emu.stack("orders")

	cases := []struct {
		name, kind, function, options, want string
	}{
		{
			name: "ping", kind: "wrapper", function: "ping",
			options: `{` + conn + `}`,
			want:    `{"statusCode":200}`,
		},
		{
			name: "export", kind: "wrapper", function: "export",
			options: `{` + conn + `,"configuration":{"pageSize":2}}`,
			want:    `{"data":[` + orders.Catalog[0] + `,` + orders.Catalog[1] + `],"lastPage":false,"state":{"offset":2}}`,
		},
		{
			name: "preSavePage", kind: "hook", function: "preSavePage",
			options: `{"data":[{"id":"SO-1","status":"pending"},{"id":"SO-3","status":"cancelled"},{"status":"pending"}],"errors":[]}`,
			want:    `{"data":[{"id":"SO-1","status":"pending"}],"errors":[{"code":"missing_id","message":"order has no id","source":"preSavePage"}],"abort":false}`,
		},
	}
	for _, fw := range []string{invoke.Framework1, invoke.Framework2} {
		for _, tc := range cases {
			t.Run(fw+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				got, err := stack.Invoke(t.Context(), &invoke.Call{
					Framework: fw, Type: tc.kind, Function: tc.function, DIY: true, Options: json.RawMessage(tc.options),
				})
				if err != nil {
					t.Fatal(err)
				}
				jsonEqual(t, tc.want, got)
			})
		}
	}

	t.Run("function error is the stack's 422", func(t *testing.T) {
		t.Parallel()
		_, err := stack.Invoke(t.Context(), &invoke.Call{Function: "nosuch", DIY: true})
		want := &invoke.StackError{StatusCode: 422, Errors: []invoke.Error{{
			Code: "invalid_function", Message: "The function passed in the extension options doesn't map to a function.",
		}}}
		if diff := cmp.Diff(want, stackError(t, err)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})

	t.Run("function ARN", func(t *testing.T) {
		t.Parallel()
		arn := emu.stack("arn:aws:lambda:us-east-1:000000000000:function:orders:$LATEST")
		got, err := arn.Invoke(t.Context(), &invoke.Call{Function: "ping", DIY: true, Options: json.RawMessage(`{` + conn + `}`)})
		if err != nil {
			t.Fatal(err)
		}
		jsonEqual(t, `{"statusCode":200}`, got)
	})
}

// TestInvokeErrors checks the codes invoke.Lambda gives for what the
// emulator (like Lambda) answers, using the test bootstrap.
func TestInvokeErrors(t *testing.T) {
	t.Parallel()
	bin := extensiontest.BuildBinary(t, "./internal/testbootstrap")
	emu := startEmulator(t,
		&lambdaemu.Function{Name: "fn", Path: bin, Timeout: 10 * time.Second},
		&lambdaemu.Function{Name: "short", Path: bin, Timeout: time.Second},
		&lambdaemu.Function{Name: "broken", Path: bin, Env: []string{"TESTBOOTSTRAP_INIT_ERROR=no database"}},
	)
	cases := []struct {
		name     string
		function string // the Lambda function name
		options  string
		max      int64         // the call's MaxResponseSize
		timeout  time.Duration // the invoker's timeout
		wantCode string
		wantMsg  string // contained in the first error's message
	}{
		{name: "unknown function name", function: "nosuch", wantCode: invoke.CodeStackUnreachable, wantMsg: "the Lambda function nosuch was not found in us-east-1: Function not found: arn:aws:lambda:us-east-1:000000000000:function:nosuch"},
		{name: "unknown qualifier", function: "fn:7", wantCode: invoke.CodeStackUnreachable, wantMsg: "Function not found: arn:aws:lambda:us-east-1:000000000000:function:fn:7"},
		{name: "Lambda timeout", function: "short", options: `{"sleep":"1h"}`, wantCode: invoke.CodeStackTimeout, wantMsg: "Task timed out after 1.00 seconds"},
		{name: "invoker timeout", function: "fn", options: `{"sleep":"1h"}`, timeout: 300 * time.Millisecond, wantCode: invoke.CodeStackTimeout, wantMsg: "did not answer within 300ms"},
		{name: "error that is not the protocol's", function: "fn", options: `{"fail":"boom"}`, wantCode: invoke.CodeInvalidStackResponse, wantMsg: "the Lambda function failed (Unhandled): TestError: boom"},
		{name: "crash", function: "fn", options: `{"exit":2}`, wantCode: invoke.CodeInvalidStackResponse, wantMsg: "Runtime.ExitError: RequestId: "},
		{name: "init error", function: "broken", wantCode: invoke.CodeInvalidStackResponse, wantMsg: "TestInitError: no database"},
		{name: "over maxResponseSize", function: "fn", options: `{"big":1000}`, max: 100, wantCode: invoke.CodeResponseSizeExceeded, wantMsg: "response stream exceeded limit of 100 bytes."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stack := emu.stack(tc.function)
			if tc.timeout > 0 {
				stack.Timeout = tc.timeout
			}
			opts := tc.options
			if opts == "" {
				opts = "{}"
			}
			_, err := stack.Invoke(t.Context(), &invoke.Call{Function: "f", DIY: true, Options: json.RawMessage(opts), MaxResponseSize: tc.max})
			se := stackError(t, err)
			if se.Code() != tc.wantCode || !strings.Contains(se.Errors[0].Message, tc.wantMsg) {
				t.Errorf("got %v, want %s: …%s…", se, tc.wantCode, tc.wantMsg)
			}
		})
	}

	t.Run("client context over 3583 bytes is refused before sending", func(t *testing.T) {
		t.Parallel()
		emu := startEmulator(t, &lambdaemu.Function{Name: "fn", Path: bin})
		_, err := emu.stack("fn").Invoke(t.Context(), &invoke.Call{DIY: true, Function: strings.Repeat("f", 2700)})
		if se := stackError(t, err); se.Code() != invoke.CodeInvalidCall || !strings.Contains(se.Error(), "over AWS's limit of 3583") {
			t.Errorf("got %v, want invalid_call over the limit", se)
		}
		if n := emu.requests.Load(); n != 0 {
			t.Errorf("the emulator got %d requests, want none", n)
		}
	})
}

// echo is the test bootstrap's answer to a plain event.
type echo struct {
	Event         json.RawMessage `json:"event"`
	ClientContext json.RawMessage `json:"clientContext"`
	Function      string          `json:"function"`
	PID           int             `json:"pid"`
}

func invokeEcho(t *testing.T, stack *invoke.Lambda, call *invoke.Call) echo {
	t.Helper()
	got, err := stack.Invoke(t.Context(), call)
	if err != nil {
		t.Fatal(err)
	}
	var e echo
	if err := json.Unmarshal(got, &e); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	return e
}

// TestSandboxes checks what reaches the runtime and that sandboxes are
// started again after a timeout or a crash, and run side by side.
func TestSandboxes(t *testing.T) {
	t.Parallel()
	bin := extensiontest.BuildBinary(t, "./internal/testbootstrap")

	t.Run("event and client context", func(t *testing.T) {
		t.Parallel()
		stack := startEmulator(t, &lambdaemu.Function{Name: "fn", Path: bin}).stack("fn")
		for _, tc := range []struct {
			call *invoke.Call
			want string
		}{
			{&invoke.Call{Framework: invoke.Framework1, Type: "hook", Function: "preSavePage", DIY: true, Options: json.RawMessage(`{"data":[1]}`)},
				`{"diy":true,"type":"hook","function":"preSavePage","maxResponseSize":5242880}`},
			{&invoke.Call{Framework: invoke.Framework2, Type: "hook", Function: "preSavePage", ConnectorID: "c1", MaxResponseSize: 100000}, // options nil: {}
				`{"_connectorId":"c1","function":"preSavePage","maxResponseSize":100000}`},
		} {
			e := invokeEcho(t, stack, tc.call)
			if diff := cmp.Diff(tc.want, string(e.ClientContext)); diff != "" {
				t.Errorf("client context (-want +got):\n%s", diff)
			}
			wantEvent := string(tc.call.Options)
			if wantEvent == "" {
				wantEvent = "{}"
			}
			if string(e.Event) != wantEvent || e.Function != "fn" {
				t.Errorf("event %s, function %q; want %s, fn", e.Event, e.Function, wantEvent)
			}
		}
	})

	t.Run("restart after timeout and crash", func(t *testing.T) {
		t.Parallel()
		stack := startEmulator(t, &lambdaemu.Function{Name: "fn", Path: bin, Timeout: time.Second}).stack("fn")
		call := &invoke.Call{Function: "f", DIY: true}
		first := invokeEcho(t, stack, call)
		if again := invokeEcho(t, stack, call); again.PID != first.PID {
			t.Errorf("a warm sandbox was not reused: pid %d, then %d", first.PID, again.PID)
		}
		pids := map[int]bool{first.PID: true}
		for _, opts := range []string{`{"sleep":"1h"}`, `{"exit":0}`} {
			_, err := stack.Invoke(t.Context(), &invoke.Call{Function: "f", DIY: true, Options: json.RawMessage(opts)})
			if err == nil {
				t.Fatalf("%s: no error", opts)
			}
			next := invokeEcho(t, stack, call)
			if pids[next.PID] {
				t.Errorf("after %s: the same process answered (pid %d)", opts, next.PID)
			}
			pids[next.PID] = true
		}
	})

	t.Run("concurrency", func(t *testing.T) {
		t.Parallel()
		stack := startEmulator(t, &lambdaemu.Function{Name: "fn", Path: bin, Concurrency: 2}).stack("fn")
		var wg sync.WaitGroup
		var pids [2]int
		for i := range pids {
			wg.Go(func() {
				got, err := stack.Invoke(context.Background(), &invoke.Call{Function: "f", DIY: true, Options: json.RawMessage(`{"sleep":"300ms"}`)})
				if err != nil {
					t.Error(err)
					return
				}
				var e echo
				_ = json.Unmarshal(got, &e)
				pids[i] = e.PID
			})
		}
		wg.Wait()
		if pids[0] == pids[1] {
			t.Errorf("two concurrent invocations ran in one sandbox (pid %d)", pids[0])
		}
	})
}

// TestInvokeAPI checks the emulator's answers on the wire, as Lambda gives them.
func TestInvokeAPI(t *testing.T) {
	t.Parallel()
	bin := extensiontest.BuildBinary(t, "./internal/testbootstrap")
	emu := startEmulator(t, &lambdaemu.Function{Name: "fn", Path: bin})
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name, method, path, body string
		header                   map[string]string
		wantStatus               int
		wantHeader               map[string]string
		wantBody                 string // JSON, compared structurally; "" skips
	}{
		{
			name: "success", path: "/2015-03-31/functions/fn/invocations", body: `{"x":1}`,
			header:     map[string]string{"X-Amz-Client-Context": b64(`{"diy":true}`), "X-Amz-Invocation-Type": "RequestResponse"},
			wantStatus: 200, wantHeader: map[string]string{"X-Amz-Executed-Version": "$LATEST", "Content-Type": "application/json", "X-Amz-Function-Error": ""},
		},
		{
			name: "function error", path: "/2015-03-31/functions/fn/invocations", body: `{"fail":"boom"}`,
			wantStatus: 200, wantHeader: map[string]string{"X-Amz-Function-Error": "Unhandled", "X-Amz-Executed-Version": "$LATEST"},
			wantBody: `{"errorType":"TestError","errorMessage":"boom"}`,
		},
		{
			name: "unknown function", path: "/2015-03-31/functions/other/invocations", body: `{}`,
			wantStatus: 404, wantHeader: map[string]string{"X-Amzn-ErrorType": "ResourceNotFoundException"},
			wantBody: `{"Type":"User","message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:other"}`,
		},
		{
			name: "client context not base64", path: "/2015-03-31/functions/fn/invocations", body: `{}`,
			header:     map[string]string{"X-Amz-Client-Context": "not base64!"},
			wantStatus: 400, wantHeader: map[string]string{"X-Amzn-ErrorType": "InvalidParameterValueException"},
			wantBody: `{"Type":"User","message":"Client context must be a valid Base64-encoded JSON object."}`,
		},
		{
			name: "client context not a JSON object", path: "/2015-03-31/functions/fn/invocations", body: `{}`,
			header:     map[string]string{"X-Amz-Client-Context": b64(`[1]`)},
			wantStatus: 400, wantHeader: map[string]string{"X-Amzn-ErrorType": "InvalidParameterValueException"},
		},
		{
			name: "client context too long", path: "/2015-03-31/functions/fn/invocations", body: `{}`,
			header:     map[string]string{"X-Amz-Client-Context": b64(`{"a":"` + strings.Repeat("a", 2700) + `"}`)},
			wantStatus: 400, wantHeader: map[string]string{"X-Amzn-ErrorType": "InvalidParameterValueException"},
		},
		{
			name: "Event invocation", path: "/2015-03-31/functions/fn/invocations", body: `{}`,
			header:     map[string]string{"X-Amz-Invocation-Type": "Event"},
			wantStatus: 400, wantHeader: map[string]string{"X-Amzn-ErrorType": "InvalidParameterValueException"},
		},
		{
			name: "DryRun", path: "/2015-03-31/functions/fn/invocations", body: `{}`,
			header:     map[string]string{"X-Amz-Invocation-Type": "DryRun"},
			wantStatus: 204,
		},
		{
			name: "payload not JSON", path: "/2015-03-31/functions/fn/invocations", body: `{`,
			wantStatus: 400, wantHeader: map[string]string{"X-Amzn-ErrorType": "InvalidRequestContentException"},
		},
		{
			name: "payload over 6 MB", path: "/2015-03-31/functions/fn/invocations", body: `"` + strings.Repeat("x", lambdaemu.MaxPayload) + `"`,
			wantStatus: 413, wantHeader: map[string]string{"X-Amzn-ErrorType": "RequestTooLargeException"},
		},
		{
			name: "other operation", method: http.MethodGet, path: "/2015-03-31/functions/fn",
			wantStatus: 404, wantHeader: map[string]string{"X-Amzn-ErrorType": "UnknownOperationException"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			req, err := http.NewRequestWithContext(t.Context(), method, emu.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantStatus, body)
			}
			for k, v := range tc.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if resp.StatusCode >= 400 {
				var e struct {
					Type    string `json:"Type"`
					Message string `json:"message"`
				}
				if err := json.Unmarshal(body, &e); err != nil || e.Type != "User" || e.Message == "" {
					t.Errorf("not an AWS error body: %s", body)
				}
			}
			if tc.wantBody != "" {
				jsonEqual(t, tc.wantBody, body)
			}
		})
	}
}

// TestServeShutdown checks that Serve stops on ctx and stops the bootstrap.
func TestServeShutdown(t *testing.T) {
	t.Parallel()
	bin := extensiontest.BuildBinary(t, "./internal/testbootstrap")
	emu, err := lambdaemu.New(nil, &lambdaemu.Function{Name: "fn", Path: bin})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- emu.Serve(ctx, ln) }()
	stack := &invoke.Lambda{AccessKeyID: "k", SecretAccessKey: "s", Region: "eu-west-1", FunctionName: "fn", EndpointURL: "http://" + ln.Addr().String()}
	e := invokeEcho(t, stack, &invoke.Call{Function: "f", DIY: true})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after ctx ended")
	}
	if p, err := os.FindProcess(e.PID); err == nil && p.Signal(syscall.Signal(0)) == nil {
		t.Errorf("the bootstrap (pid %d) still runs", e.PID)
	}
	if _, err := stack.Invoke(context.Background(), &invoke.Call{Function: "f", DIY: true}); err == nil {
		t.Error("invoking after shutdown succeeded")
	}
}
