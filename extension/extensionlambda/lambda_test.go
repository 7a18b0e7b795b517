package extensionlambda_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/extensionlambda"
	"github.com/hookstack/hookstack/extension/extensiontest"
)

var discard = slog.New(slog.DiscardHandler)

// module serves every test function in both layouts: flat (framework 2.0)
// and categorised (framework 1.0).
func module() *extension.Module {
	never := make(chan struct{})
	echo := extension.Raw(func(ctx context.Context, options json.RawMessage) (any, error) {
		return options, nil
	})
	ping := extension.Ping(func(ctx context.Context, o *extension.PingOptions) (*extension.PingResult, error) {
		return &extension.PingResult{StatusCode: 200}, nil
	})
	preSavePage := extension.PreSavePage(func(ctx context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
		return &extension.PreSavePageResult{Data: o.Data, Errors: o.Errors}, nil
	})
	fns := extension.Functions{
		"echo": echo,
		"ping": ping,
		"nothing": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			return nil, nil
		}),
		"fail": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			return nil, extension.NewError("my_code", "my message")
		}),
		"plain": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			return nil, errors.New("plain failure")
		}),
		"chan": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			return map[string]any{"c": make(chan int)}, nil
		}),
		"nan": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			return []float64{math.NaN()}, nil
		}),
		"panic": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			panic("boom")
		}),
		"block": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			<-never // ignores its context
			return nil, nil
		}),
	}
	return &extension.Module{
		Functions: fns,
		Hooks:     extension.Functions{"preSavePage": preSavePage},
		Wrappers:  extension.Functions{"ping": ping},
	}
}

func diyConfig() extension.Config {
	return extension.Config{DIY: module(), Logger: discard}
}

func connectorsConfig() extension.Config {
	return extension.Config{Connectors: map[string]*extension.Module{"c1": module()}, Logger: discard}
}

// startLoop runs Start for cfg against a fake Runtime API until the test ends.
func startLoop(t *testing.T, cfg extension.Config, timeout time.Duration) *extensiontest.RuntimeServer {
	t.Helper()
	rt := extensiontest.StartRuntime(t)
	rt.Timeout = timeout
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- extensionlambda.Start(ctx, cfg, extensionlambda.WithRuntimeAPI(rt.Addr)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Start: %v", err)
		}
	})
	return rt
}

// errorPayload is the error payload a Lambda stack posts.
type errorPayload struct {
	ErrorType    string   `json:"errorType"`
	ErrorMessage string   `json:"errorMessage"`
	Trace        []string `json:"trace"`
}

// callError decodes an error payload twice, checking the outer shape.
func callError(t *testing.T, res extensiontest.InvokeResult) *extension.CallError {
	t.Helper()
	if res.FunctionError != "Unhandled" || res.ErrorType != "string" {
		t.Fatalf("FunctionError, ErrorType = %q, %q; want Unhandled, string (payload %s)", res.FunctionError, res.ErrorType, res.Payload)
	}
	var outer errorPayload
	if err := json.Unmarshal(res.Payload, &outer); err != nil {
		t.Fatalf("error payload %s: %v", res.Payload, err)
	}
	if diff := cmp.Diff(errorPayload{ErrorType: "string", ErrorMessage: outer.ErrorMessage, Trace: []string{}}, outer); diff != "" {
		t.Errorf("error payload (-want +got):\n%s", diff)
	}
	var got extension.CallError
	if err := json.Unmarshal([]byte(outer.ErrorMessage), &got); err != nil {
		t.Fatalf("errorMessage %q: %v", outer.ErrorMessage, err)
	}
	return &got
}

func errs(e ...extension.Error) *extension.CallError {
	return &extension.CallError{StatusCode: 422, Errors: e}
}

var (
	errNoDIYOrConnector = extension.Error{Code: "missing_required_field", Message: "Need to set either the diy or _connectorId field in extension options."}
	errNoDIY            = extension.Error{Code: "missing_required_field", Message: "DIY is not configured in the extension configuration."}
	errNoConnector      = extension.Error{Code: "invalid_field", Message: "The _connectorId set in the extension options does't match any of the _connectorId's present in extension configuration."}
	errNoFunction       = extension.Error{Code: "missing_required_field", Message: "Missing required field function in the extension options."}
	errFunctionType     = extension.Error{Code: "invalid_field", Message: "The function field in the extension options must be of type string."}
	errNoOptions        = extension.Error{Code: "missing_required_field", Message: "Function options haven't been provided."}
	errInvalidFunction  = extension.Error{Code: "invalid_function", Message: "The function passed in the extension options doesn't map to a function."}
	errNotSerializable  = extension.Error{Code: "invalid_extension_response", Message: "Extension response is not serializable."}
)

func TestLoop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		cfg           extension.Config
		timeout       time.Duration
		clientContext string // "" for no client context header
		event         string
		want          string               // response payload on success
		wantErr       *extension.CallError // else the error
	}{
		// Success, both layouts.
		{name: "2.0 flat echo", clientContext: `{"diy":true,"function":"echo"}`, event: `{"a":[1,"<&>"]}`, want: `{"a":[1,"<&>"]}`},
		{name: "2.0 flat ping", clientContext: `{"diy":true,"function":"ping"}`, event: `{"connection":{}}`, want: `{"statusCode":200}`},
		{name: "1.0 type wrapper", clientContext: `{"diy":true,"type":"wrapper","function":"ping"}`, event: `{}`, want: `{"statusCode":200}`},
		{name: "1.0 type wrappers plural", clientContext: `{"diy":true,"type":"wrappers","function":"ping"}`, event: `{}`, want: `{"statusCode":200}`},
		{name: "1.0 type hook", clientContext: `{"diy":true,"type":"hook","function":"preSavePage"}`, event: `{"data":[{"id":1}]}`, want: `{"data":[{"id":1}],"abort":false}`},
		{name: "1.0 type hooks plural", clientContext: `{"diy":true,"type":"hooks","function":"preSavePage"}`, event: `{"data":[]}`, want: `{"data":[],"abort":false}`},
		{name: "connector 1.0", cfg: connectorsConfig(), clientContext: `{"_connectorId":"c1","type":"hook","function":"preSavePage"}`, event: `{"data":[2]}`, want: `{"data":[2],"abort":false}`},
		{name: "connector 2.0", cfg: connectorsConfig(), clientContext: `{"_connectorId":"c1","function":"echo"}`, event: `[1]`, want: `[1]`},
		{name: "nil result is null", clientContext: `{"diy":true,"function":"nothing"}`, event: `{}`, want: `null`},
		{name: "client context options ignored", clientContext: `{"diy":true,"function":"echo","options":{"x":1}}`, event: `{"y":2}`, want: `{"y":2}`},
		{name: "maxResponseSize fits", clientContext: `{"diy":true,"function":"echo","maxResponseSize":7}`, event: `{"a":1}`, want: `{"a":1}`},

		// Validation errors (PROTOCOL §2.3).
		{name: "empty envelope", clientContext: `{}`, event: `null`, wantErr: errs(errNoDIYOrConnector, errNoFunction, errNoOptions)},
		{name: "no client context", event: `{}`, wantErr: errs(errNoDIYOrConnector, errNoFunction)},
		{name: "null client context", clientContext: `null`, event: `{}`, wantErr: errs(errNoDIYOrConnector, errNoFunction)},
		{name: "missing diy and _connectorId", clientContext: `{"connectorId":"c1","function":"echo"}`, event: `{}`, wantErr: errs(errNoDIYOrConnector)},
		{name: "falsy diy", clientContext: `{"diy":0,"function":"echo"}`, event: `{}`, wantErr: errs(errNoDIYOrConnector)},
		{name: "DIY not configured", cfg: connectorsConfig(), clientContext: `{"diy":true,"function":"echo"}`, event: `{}`, wantErr: errs(errNoDIY)},
		{name: "unknown _connectorId", cfg: connectorsConfig(), clientContext: `{"_connectorId":"unknown","function":"x"}`, event: `{}`, wantErr: errs(errNoConnector)},
		{name: "missing function", clientContext: `{"diy":true}`, event: `{}`, wantErr: errs(errNoFunction)},
		{name: "empty function", clientContext: `{"diy":true,"function":""}`, event: `{}`, wantErr: errs(errNoFunction)},
		{name: "function not a string", clientContext: `{"diy":true,"function":5}`, event: `{}`, wantErr: errs(errFunctionType)},
		{name: "options null", clientContext: `{"diy":true,"function":"echo"}`, event: `null`, wantErr: errs(errNoOptions)},
		{name: "options false", clientContext: `{"diy":true,"function":"echo"}`, event: `false`, wantErr: errs(errNoOptions)},
		{name: "options 0", clientContext: `{"diy":true,"function":"echo"}`, event: ` 0 `, wantErr: errs(errNoOptions)},
		{name: "options empty string", clientContext: `{"diy":true,"function":"echo"}`, event: `""`, wantErr: errs(errNoOptions)},
		{name: "options absent", clientContext: `{"diy":true,"function":"echo"}`, event: ``, wantErr: errs(errNoOptions)},

		// Lookup errors.
		{name: "object_not_found", clientContext: `{"diy":true,"type":"nosuch","function":"x"}`, event: `{}`,
			wantErr: errs(extension.Error{Code: "object_not_found", Message: "The object nosuch doesn't exist in the module."})},
		{name: "invalid_function 1.0", clientContext: `{"diy":true,"type":"hook","function":"nosuch"}`, event: `{}`, wantErr: errs(errInvalidFunction)},
		{name: "invalid_function 2.0", clientContext: `{"diy":true,"function":"nosuch"}`, event: `{}`, wantErr: errs(errInvalidFunction)},

		// Function and result errors.
		{name: "function error with code", clientContext: `{"diy":true,"function":"fail"}`, event: `{}`,
			wantErr: errs(extension.Error{Code: "my_code", Message: "my message"})},
		{name: "plain Go error", clientContext: `{"diy":true,"function":"plain"}`, event: `{}`,
			wantErr: errs(extension.Error{Code: "Error", Message: "plain failure"})},
		{name: "response_size_exceeded", clientContext: `{"diy":true,"function":"echo","maxResponseSize":2}`, event: `{"a":1}`,
			wantErr: errs(extension.Error{Code: "response_size_exceeded", Message: "response stream exceeded limit of 2 bytes."})},
		{name: "result with a channel", clientContext: `{"diy":true,"function":"chan"}`, event: `{}`, wantErr: errs(errNotSerializable)},
		{name: "result with NaN", clientContext: `{"diy":true,"function":"nan"}`, event: `{}`, wantErr: errs(errNotSerializable)},
		{name: "panic", clientContext: `{"diy":true,"function":"panic"}`, event: `{}`,
			wantErr: errs(extension.Error{Code: "panic", Message: "The extension function panicked: boom"})},
		{name: "timeout", timeout: time.Second, clientContext: `{"diy":true,"function":"block"}`, event: `{}`,
			wantErr: errs(extension.Error{Code: "timeout", Message: "The extension function did not return before the call's deadline."})},
		{name: "invalid options JSON", clientContext: `{"diy":true,"function":"echo"}`, event: `{"a":`,
			wantErr: errs(extension.Error{Code: "invalid_function_options", Message: "Function options are not valid JSON: "})},

		// Client context errors.
		{name: "malformed client context", clientContext: `{"diy":true,`, event: `{}`,
			wantErr: errs(extension.Error{Code: "invalid_client_context", Message: "The Lambda client context is not a JSON object: "})},
		{name: "client context not an object", clientContext: `"diy"`, event: `{}`,
			wantErr: errs(extension.Error{Code: "invalid_client_context", Message: "The Lambda client context is not a JSON object: "})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			if cfg.DIY == nil && cfg.Connectors == nil {
				cfg = diyConfig()
			}
			rt := startLoop(t, cfg, tt.timeout)
			var cc []byte
			if tt.clientContext != "" {
				cc = []byte(tt.clientContext)
			}
			res, err := rt.Invoke(t.Context(), cc, []byte(tt.event))
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if tt.wantErr == nil {
				if res.FunctionError != "" {
					t.Fatalf("FunctionError = %q, payload %s; want success", res.FunctionError, res.Payload)
				}
				if diff := cmp.Diff(tt.want, string(res.Payload)); diff != "" {
					t.Errorf("payload (-want +got):\n%s", diff)
				}
				return
			}
			got := callError(t, res)
			// Messages that embed a parser's error are compared by prefix.
			for i := range got.Errors {
				if i < len(tt.wantErr.Errors) && strings.HasSuffix(tt.wantErr.Errors[i].Message, ": ") {
					got.Errors[i].Message, _, _ = strings.Cut(got.Errors[i].Message, ": ")
					got.Errors[i].Message += ": "
				}
			}
			if diff := cmp.Diff(tt.wantErr, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoopConfigError checks that an invalid configuration answers every
// invocation with its §1.1 error, as the Node handler does.
func TestLoopConfigError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  extension.Config
		want extension.Error
	}{
		{"empty", extension.Config{}, extension.Error{Code: "missing_parameter", Message: "Options parameter is not provided."}},
		{"no modules", extension.Config{Logger: discard}, extension.Error{Code: "missing_required_field", Message: "Either DIY or connectors field needs to be set."}},
		{"both", extension.Config{DIY: module(), Connectors: map[string]*extension.Module{"c": module()}, Logger: discard},
			extension.Error{Code: "invalid_configuration", Message: "The configuration object should only have one of the diy or connectors field."}},
		{"empty connectors", extension.Config{Connectors: map[string]*extension.Module{}, Logger: discard},
			extension.Error{Code: "invalid_field", Message: "No connector modules provided in the connectors field."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rt := startLoop(t, tt.cfg, 0)
			for range 2 {
				res, err := rt.Invoke(t.Context(), []byte(`{"diy":true,"function":"echo"}`), []byte(`{}`))
				if err != nil {
					t.Fatalf("Invoke: %v", err)
				}
				if diff := cmp.Diff(errs(tt.want), callError(t, res)); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestLoopErrorPayloadBytes pins the exact bytes of an error payload.
func TestLoopErrorPayloadBytes(t *testing.T) {
	t.Parallel()
	rt := startLoop(t, diyConfig(), 0)
	res, err := rt.Invoke(t.Context(), []byte(`{"diy":true,"function":"fail"}`), []byte(`{}`))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	want := `{"errorType":"string","errorMessage":"{\"statusCode\":422,\"errors\":[{\"code\":\"my_code\",\"message\":\"my message\"}]}","trace":[]}`
	if diff := cmp.Diff(want, string(res.Payload)); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
}

// TestLoopSurvives checks that one loop answers a run of bad and good
// invocations in a row.
func TestLoopSurvives(t *testing.T) {
	t.Parallel()
	rt := startLoop(t, diyConfig(), 0)
	for i, cc := range []string{`{"diy":true,"function":"panic"}`, `{oops`, `[]`, `{"diy":true,"function":"chan"}`, `{"diy":true,"function":"echo"}`} {
		res, err := rt.Invoke(t.Context(), []byte(cc), []byte(`{"i":1}`))
		if err != nil {
			t.Fatalf("Invoke %d: %v", i, err)
		}
		if i == 4 && string(res.Payload) != `{"i":1}` {
			t.Errorf("last payload = %s, want {\"i\":1}", res.Payload)
		}
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	t.Run("no runtime API", func(t *testing.T) {
		t.Parallel()
		err := extensionlambda.Start(t.Context(), diyConfig(), extensionlambda.WithGetenv(func(string) string { return "" }))
		if err == nil || !strings.Contains(err.Error(), "AWS_LAMBDA_RUNTIME_API") {
			t.Errorf("Start = %v, want an error naming AWS_LAMBDA_RUNTIME_API", err)
		}
	})
	t.Run("runtime API from Getenv", func(t *testing.T) {
		t.Parallel()
		rt := extensiontest.StartRuntime(t)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() {
			done <- extensionlambda.Start(ctx, diyConfig(), extensionlambda.WithGetenv(func(k string) string {
				if k == extensionlambda.EnvRuntimeAPI {
					return rt.Addr
				}
				return ""
			}))
		}()
		res, err := rt.Invoke(t.Context(), []byte(`{"diy":true,"function":"ping"}`), []byte(`{}`))
		if err != nil || string(res.Payload) != `{"statusCode":200}` {
			t.Errorf("Invoke = %s, %v; want {\"statusCode\":200}", res.Payload, err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Start after cancel = %v, want nil", err)
		}
	})
	t.Run("init error", func(t *testing.T) {
		t.Parallel()
		rt := extensiontest.StartRuntime(t)
		err := extensionlambda.Start(t.Context(), diyConfig(), extensionlambda.WithRuntimeAPI(rt.Addr),
			extensionlambda.WithInit(func(context.Context) error { return errors.New("no database") }))
		if err == nil || !strings.Contains(err.Error(), "no database") {
			t.Errorf("Start = %v, want the init error", err)
		}
		body, ok := rt.InitError()
		if !ok {
			t.Fatal("no init error posted")
		}
		if diff := cmp.Diff(`{"errorType":"InitError","errorMessage":"no database"}`, string(body)); diff != "" {
			t.Errorf("init error (-want +got):\n%s", diff)
		}
		res, err := rt.Invoke(t.Context(), []byte(`{"diy":true,"function":"ping"}`), []byte(`{}`))
		if err != nil || res.FunctionError != "Unhandled" || res.ErrorType != "InitError" {
			t.Errorf("Invoke after init error = %+v, %v; want the Unhandled init error", res, err)
		}
	})
	t.Run("runtime stopped", func(t *testing.T) {
		t.Parallel()
		rt := extensiontest.StartRuntime(t)
		rt.Stop(nil)
		err := extensionlambda.Start(t.Context(), diyConfig(), extensionlambda.WithRuntimeAPI(rt.Addr))
		if err == nil || !strings.Contains(err.Error(), "500") {
			t.Errorf("Start = %v, want the 500 of /next", err)
		}
	})
	t.Run("runtime unreachable", func(t *testing.T) {
		t.Parallel()
		err := extensionlambda.Start(t.Context(), diyConfig(), extensionlambda.WithRuntimeAPI("127.0.0.1:1"))
		if err == nil {
			t.Error("Start = nil, want a connection error")
		}
	})
}

// TestEndToEnd builds a bootstrap binary and runs it under the fake Runtime API.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := extensiontest.BuildBinary(t, "./internal/testbootstrap")
	rt := extensiontest.StartBinary(t, bin)

	tests := []struct {
		name    string
		env     extension.Envelope
		want    string
		wantErr *extension.CallError
	}{
		{name: "ping 2.0", env: extensiontest.DIY("ping"), want: `{"statusCode":200}`},
		{name: "ping 1.0", env: extensiontest.Wrapper("ping"), want: `{"statusCode":200}`},
		{name: "function error", env: extensiontest.DIY("fail"), wantErr: errs(extension.Error{Code: "my_code", Message: "it failed"})},
		{name: "unknown function", env: extensiontest.DIY("nosuch"), wantErr: errs(errInvalidFunction)},
	}
	for _, tt := range tests { // in sequence: one process
		t.Run(tt.name, func(t *testing.T) {
			res, err := rt.Invoke(t.Context(), extensiontest.ClientContext(tt.env), []byte(`{"connection":{}}`))
			if err != nil {
				t.Fatalf("Invoke: %v", err)
			}
			if tt.wantErr == nil {
				if diff := cmp.Diff(extensiontest.InvokeResult{Payload: []byte(tt.want)}, res); diff != "" {
					t.Errorf("result (-want +got):\n%s", diff)
				}
				return
			}
			if diff := cmp.Diff(tt.wantErr, callError(t, res)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("bootstrap exits", func(t *testing.T) {
		rt := extensiontest.StartBinary(t, bin, extensionlambda.EnvRuntimeAPI+"=")
		_, err := rt.Invoke(t.Context(), extensiontest.ClientContext(extensiontest.DIY("ping")), []byte(`{}`))
		if err == nil || !strings.Contains(err.Error(), "exited") {
			t.Errorf("Invoke = %v, want an error saying the bootstrap exited", err)
		}
	})
}
