package extensionhttp

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hookstack/hookstack/extension"
)

// TestCallErrors sends every error of PROTOCOL §2.3 (and the Hookstack
// additions of §0.1) through HTTP, for DIY and connector stacks of both
// frameworks.
func TestCallErrors(t *testing.T) {
	t.Parallel()
	servers := map[string]*testServer{
		"diy-2.0": startServer(t, diyConfig()),
		"diy-1.0": startServer(t, Config{Extension: extension.Config{DIY: categorisedModule()}}),
		"connectors": startServer(t, Config{Extension: extension.Config{Connectors: map[string]*extension.Module{
			"flat": flatModule(),
			"cat":  categorisedModule(),
		}}}),
	}
	fnErr := extension.Error{Code: "my_code", Message: "my message"}

	for _, tc := range []struct {
		name       string
		srv        string
		body       string
		wantStatus int
		wantBody   string            // when wantErrors is nil
		wantErrors []extension.Error // in order
	}{
		// Validation errors accumulate in the order diy/connector, function, options.
		{name: "neither diy nor connector", srv: "diy-2.0", body: `{"function":"doSomething","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errNeedDIYOrConnector}},
		{name: "falsy diy and connector", srv: "connectors", body: `{"diy":false,"_connectorId":"","function":"doSomething","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errNeedDIYOrConnector}},
		{name: "misspelled connectorId", srv: "connectors", body: `{"connectorId":"flat","function":"doSomething","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errNeedDIYOrConnector}},
		{name: "diy on a connectors stack", srv: "connectors", body: `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errDIYNotConfigured}},
		{name: "diy wins over connector", srv: "connectors", body: `{"diy":1,"_connectorId":"flat","function":"doSomething","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errDIYNotConfigured}},
		{name: "connector on a diy stack", srv: "diy-2.0", body: `{"_connectorId":"flat","function":"doSomething","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errUnknownConnector}},
		{name: "unknown connector", srv: "connectors", body: `{"_connectorId":"nosuch","function":"doSomething","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errUnknownConnector}},
		{name: "missing function", srv: "diy-2.0", body: `{"diy":true,"options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errMissingFunction}},
		{name: "empty function", srv: "diy-2.0", body: `{"diy":true,"function":"","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errMissingFunction}},
		{name: "zero function", srv: "diy-2.0", body: `{"diy":true,"function":0,"options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errMissingFunction}},
		{name: "null function", srv: "connectors", body: `{"_connectorId":"flat","function":null,"options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errMissingFunction}},
		{name: "true function", srv: "diy-2.0", body: `{"diy":true,"function":true,"options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errFunctionNotString}},
		{name: "object function", srv: "connectors", body: `{"_connectorId":"cat","type":"hook","function":{},"options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errFunctionNotString}},
		{name: "array function", srv: "diy-1.0", body: `{"diy":true,"type":"hook","function":["doSomething"],"options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errFunctionNotString}},
		{name: "missing options", srv: "diy-2.0", body: `{"diy":true,"function":"doSomething"}`,
			wantStatus: 422, wantErrors: []extension.Error{errMissingOptions}},
		{name: "null options", srv: "diy-1.0", body: `{"diy":true,"type":"hook","function":"doSomething","options":null}`,
			wantStatus: 422, wantErrors: []extension.Error{errMissingOptions}},
		{name: "false options", srv: "connectors", body: `{"_connectorId":"flat","function":"doSomething","options":false}`,
			wantStatus: 422, wantErrors: []extension.Error{errMissingOptions}},
		{name: "zero options", srv: "diy-2.0", body: `{"diy":true,"function":"doSomething","options":0}`,
			wantStatus: 422, wantErrors: []extension.Error{errMissingOptions}},
		{name: "empty string options", srv: "diy-2.0", body: `{"diy":true,"function":"doSomething","options":""}`,
			wantStatus: 422, wantErrors: []extension.Error{errMissingOptions}},
		{name: "all three on connectors", srv: "connectors", body: `{"_connectorId":"nosuch","function":7}`,
			wantStatus: 422, wantErrors: []extension.Error{errUnknownConnector, errFunctionNotString, errMissingOptions}},
		{name: "diy missing and function missing", srv: "connectors", body: `{"diy":true,"options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errDIYNotConfigured, errMissingFunction}},

		// Resolution (framework 1.0 types, framework 2.0 flat).
		{name: "1.0 hook", srv: "diy-1.0", body: `{"diy":true,"type":"hook","function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: `"hooks.doSomething"`},
		{name: "1.0 plural hooks", srv: "diy-1.0", body: `{"diy":true,"type":"hooks","function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: `"hooks.doSomething"`},
		{name: "1.0 wrapper", srv: "diy-1.0", body: `{"diy":true,"type":"wrapper","function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: `"wrappers.doSomething"`},
		{name: "1.0 setting", srv: "diy-1.0", body: `{"diy":true,"type":"setting","function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: `"settings.doSomething"`},
		{name: "1.0 utility", srv: "diy-1.0", body: `{"diy":true,"type":"utility","function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: `"utilities.doSomething"`},
		{name: "1.0 installer", srv: "connectors", body: `{"_connectorId":"cat","type":"installer","function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: `"installer.doSomething"`},
		{name: "1.0 uninstaller", srv: "connectors", body: `{"_connectorId":"cat","type":"uninstaller","function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: `"uninstaller.doSomething"`},
		{name: "1.0 custom category", srv: "diy-1.0", body: `{"diy":true,"type":"custom","function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: `"custom.doSomething"`},
		{name: "2.0 flat", srv: "diy-2.0", body: `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: `"doSomething"`},
		{name: "2.0 flat falsy type", srv: "connectors", body: `{"_connectorId":"flat","type":"","function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: `"doSomething"`},
		{name: "object not found on 1.0 module", srv: "diy-1.0", body: `{"diy":true,"type":"nosuch","function":"doSomething","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{objectNotFound("nosuch")}},
		{name: "type sent to a flat module", srv: "diy-2.0", body: `{"diy":true,"type":"hook","function":"doSomething","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{objectNotFound("hook")}},
		{name: "object not found on connector", srv: "connectors", body: `{"_connectorId":"flat","type":"wrapper","function":"doSomething","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{objectNotFound("wrapper")}},
		{name: "1.0 call without type", srv: "diy-1.0", body: `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errInvalidFunction}},
		{name: "invalid function 1.0", srv: "diy-1.0", body: `{"diy":true,"type":"hook","function":"nosuch","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errInvalidFunction}},
		{name: "invalid function 2.0 connector", srv: "connectors", body: `{"_connectorId":"flat","function":"nosuch","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errInvalidFunction}},
		{name: "no prototype lookups", srv: "diy-2.0", body: `{"diy":true,"function":"constructor","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errInvalidFunction}},
		{name: "no prototype lookups in categories", srv: "diy-1.0", body: `{"diy":true,"type":"hook","function":"toString","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errInvalidFunction}},

		// Function errors.
		{name: "function error 2.0", srv: "diy-2.0", body: `{"diy":true,"function":"fail","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{fnErr}},
		{name: "function error 1.0", srv: "diy-1.0", body: `{"diy":true,"type":"hook","function":"fail","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{fnErr}},
		{name: "function error connector 1.0", srv: "connectors", body: `{"_connectorId":"cat","type":"setting","function":"fail","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{fnErr}},
		{name: "plain error", srv: "connectors", body: `{"_connectorId":"flat","function":"failPlain","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{{Code: "Error", Message: "plain failure"}}},
		{name: "wrapped error keeps its code", srv: "diy-2.0", body: `{"diy":true,"function":"failWrapped","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{{Code: "wrapped_code", Message: "wrapped message"}}},
		{name: "panic", srv: "diy-2.0", body: `{"diy":true,"function":"panic","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{{Code: "panic", Message: "The extension function panicked: boom"}}},

		// Result checks.
		{name: "not serializable func", srv: "diy-2.0", body: `{"diy":true,"function":"notSerializableFunc","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errNotSerializable}},
		{name: "not serializable NaN", srv: "connectors", body: `{"_connectorId":"flat","function":"notSerializableNaN","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errNotSerializable}},
		{name: "not serializable and too large", srv: "diy-2.0", body: `{"diy":true,"function":"notSerializableFunc","options":{},"maxResponseSize":1}`,
			wantStatus: 422, wantErrors: []extension.Error{errNotSerializable}},
		{name: "response size exceeded", srv: "diy-2.0", body: `{"diy":true,"function":"abc","options":{},"maxResponseSize":2}`,
			wantStatus: 422, wantErrors: []extension.Error{{Code: "response_size_exceeded", Message: "response stream exceeded limit of 2 bytes."}}},
		{name: "response size exceeded connector", srv: "connectors", body: `{"_connectorId":"flat","function":"abc","options":{},"maxResponseSize":"2"}`,
			wantStatus: 422, wantErrors: []extension.Error{{Code: "response_size_exceeded", Message: "response stream exceeded limit of 2 bytes."}}},
		{name: "response at the size limit", srv: "diy-2.0", body: `{"diy":true,"function":"five","options":{},"maxResponseSize":1}`,
			wantStatus: 200, wantBody: `5`},
		{name: "non-numeric size never triggers", srv: "diy-2.0", body: `{"diy":true,"function":"abc","options":{},"maxResponseSize":"big"}`,
			wantStatus: 200, wantBody: `"abc"`},
		{name: "falsy size is the default", srv: "diy-2.0", body: `{"diy":true,"function":"abc","options":{},"maxResponseSize":0}`,
			wantStatus: 200, wantBody: `"abc"`},
		{name: "undecodable typed options", srv: "diy-2.0", body: `{"diy":true,"function":"preSavePage","options":{"data":"not an array"}}`,
			wantStatus: 422},

		// Typed functions.
		{name: "preSavePage", srv: "diy-2.0", body: `{"diy":true,"function":"preSavePage","options":{"data":[{"a":1},[2]],"errors":[{"code":"c","message":"m"}]}}`,
			wantStatus: 200, wantBody: `{"data":[{"a":1},[2]],"errors":[{"code":"c","message":"m"}],"abort":false}`},
		{name: "ping", srv: "connectors", body: `{"_connectorId":"flat","function":"ping","options":{"connection":{"encrypted":{},"unencrypted":{}}}}`,
			wantStatus: 200, wantBody: `{"statusCode":200}`},
		{name: "action", srv: "diy-2.0", body: `{"diy":true,"function":"action","options":{"data":[]}}`,
			wantStatus: 200, wantBody: ``},
	} {
		t.Run(tc.srv+"/"+tc.name, func(t *testing.T) {
			t.Parallel()
			got := servers[tc.srv].post(t, tc.body)
			if got.status != tc.wantStatus {
				t.Errorf("status = %d, want %d (body %q)", got.status, tc.wantStatus, got.body)
			}
			if ct := got.header.Get("Content-Type"); ct != jsonUTF8 {
				t.Errorf("Content-Type = %q, want %q", ct, jsonUTF8)
			}
			switch {
			case tc.wantErrors != nil:
				if diff := cmp.Diff(tc.wantErrors, errorsBody(t, got.body)); diff != "" {
					t.Errorf("errors mismatch (-want +got):\n%s", diff)
				}
			case tc.wantStatus == 422:
				errs := errorsBody(t, got.body)
				if len(errs) != 1 || errs[0].Code != "invalid_function_options" {
					t.Errorf("errors = %+v, want one invalid_function_options", errs)
				}
			default:
				if diff := cmp.Diff(tc.wantBody, got.body); diff != "" {
					t.Errorf("body mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestPanicKeepsServing checks that a panicking function answers 422 and the
// server goes on serving, on the same connection and on new ones.
func TestPanicKeepsServing(t *testing.T) {
	t.Parallel()
	s := startServer(t, diyConfig())
	for i := range 3 {
		got := s.post(t, `{"diy":true,"function":"panic","options":{}}`)
		want := []extension.Error{{Code: "panic", Message: "The extension function panicked: boom"}}
		if got.status != 422 {
			t.Fatalf("call %d: status = %d, want 422", i, got.status)
		}
		if diff := cmp.Diff(want, errorsBody(t, got.body)); diff != "" {
			t.Errorf("call %d: errors mismatch (-want +got):\n%s", i, diff)
		}
		got = s.post(t, `{"diy":true,"function":"doSomething","options":{}}`)
		if got.status != 200 || got.body != `"doSomething"` {
			t.Errorf("call after panic: %d %q, want 200 \"doSomething\"", got.status, got.body)
		}
	}
	if len(s.logs.named(t, "functionPanicked")) != 3 {
		t.Errorf("want 3 functionPanicked log lines, got %v", s.logs.named(t, "functionPanicked"))
	}
}

// TestTimeouts checks that a function outliving its deadline is cut off with
// a 422 timeout, from FunctionTimeout or from the X-Hookstack-Timeout-Ms header.
func TestTimeouts(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	cfg := diyConfig()
	cfg.Extension.DIY.Functions["block"] = extension.Raw(func(context.Context, json.RawMessage) (any, error) {
		<-release // ignores its context on purpose
		return "released", nil
	})
	cfg.Extension.DIY.Functions["sleep300"] = sleeper(300 * time.Millisecond)
	cfg.FunctionTimeout = 200 * time.Millisecond
	short := startServer(t, cfg)

	cfg = diyConfig()
	cfg.Extension.DIY.Functions["sleep300"] = sleeper(300 * time.Millisecond)
	long := startServer(t, cfg) // default timeout: 300 s

	for _, tc := range []struct {
		name        string
		srv         *testServer
		function    string
		header      string
		wantTimeout bool
		minElapsed  time.Duration
		maxElapsed  time.Duration
	}{
		{name: "blocking function cut off at FunctionTimeout", srv: short, function: "block",
			wantTimeout: true, minElapsed: 190 * time.Millisecond, maxElapsed: 3 * time.Second},
		{name: "function honouring its context", srv: short, function: "sleep300",
			wantTimeout: true, minElapsed: 190 * time.Millisecond, maxElapsed: 3 * time.Second},
		{name: "header shortens the deadline", srv: long, function: "sleep300", header: "100",
			wantTimeout: true, minElapsed: 90 * time.Millisecond, maxElapsed: 290 * time.Millisecond},
		{name: "header cannot lengthen the deadline", srv: short, function: "sleep300", header: "100000",
			wantTimeout: true, minElapsed: 190 * time.Millisecond, maxElapsed: 3 * time.Second},
		{name: "invalid header ignored", srv: long, function: "sleep300", header: "soon",
			minElapsed: 290 * time.Millisecond, maxElapsed: 5 * time.Second},
		{name: "zero header ignored", srv: long, function: "sleep300", header: "0",
			minElapsed: 290 * time.Millisecond, maxElapsed: 5 * time.Second},
		{name: "negative header ignored", srv: long, function: "sleep300", header: "-5",
			minElapsed: 290 * time.Millisecond, maxElapsed: 5 * time.Second},
		{name: "fast function within the deadline", srv: short, function: "doSomething",
			maxElapsed: 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := authJSON()
			if tc.header != "" {
				h.Set(TimeoutHeader, tc.header)
			}
			start := time.Now()
			got := tc.srv.do(t, http.MethodPost, "/function", h, `{"diy":true,"function":"`+tc.function+`","options":{}}`)
			elapsed := time.Since(start)
			if tc.wantTimeout {
				if got.status != 422 {
					t.Fatalf("status = %d, want 422 (body %q)", got.status, got.body)
				}
				if diff := cmp.Diff([]extension.Error{errTimeout}, errorsBody(t, got.body)); diff != "" {
					t.Errorf("errors mismatch (-want +got):\n%s", diff)
				}
			} else if got.status != 200 {
				t.Errorf("status = %d, want 200 (body %q)", got.status, got.body)
			}
			if elapsed < tc.minElapsed || elapsed > tc.maxElapsed {
				t.Errorf("answered after %v, want between %v and %v", elapsed, tc.minElapsed, tc.maxElapsed)
			}
		})
	}
}

// TestSystemTokens checks several accepted tokens, from the configuration
// and from INTEGRATOR_EXTENSION_SYSTEM_TOKEN through the Getenv hook.
func TestSystemTokens(t *testing.T) {
	t.Parallel()
	fromConfig := diyConfig()
	fromConfig.SystemTokens = []string{"new", "old"}
	fromEnv := diyConfig()
	fromEnv.Getenv = func(k string) string {
		if k == EnvSystemToken {
			return " new , old,, "
		}
		return ""
	}
	configWinsOverEnv := diyConfig()
	configWinsOverEnv.SystemTokens = []string{"cfg"}
	configWinsOverEnv.Getenv = fromEnv.Getenv

	for _, tc := range []struct {
		name   string
		cfg    Config
		accept []string
		reject []string
	}{
		{"config", fromConfig, []string{"new", "old"}, []string{"", "ne", "newold", "new,old", "NEW"}},
		{"env", fromEnv, []string{"new", "old"}, []string{"", " new ", "new , old", " "}},
		{"config wins over env", configWinsOverEnv, []string{"cfg"}, []string{"new", "old"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, tc.cfg)
			call := func(tok string, where string) int {
				t.Helper()
				body := `{"diy":true,"function":"doSomething","options":{}`
				h := http.Header{"Content-Type": {"application/json"}}
				path := "/function"
				switch where {
				case "header":
					h.Set("Authorization", "Bearer "+tok)
				case "body":
					body += `,"access_token":` + strings.ReplaceAll(jsonString(tok), "\n", "")
				}
				return s.do(t, http.MethodPost, path, h, body+"}").status
			}
			for _, tok := range tc.accept {
				for _, where := range []string{"header", "body"} {
					if got := call(tok, where); got != 200 {
						t.Errorf("token %q in %s: status %d, want 200", tok, where, got)
					}
				}
			}
			for _, tok := range tc.reject {
				for _, where := range []string{"header", "body"} {
					if got := call(tok, where); got != 401 {
						t.Errorf("token %q in %s: status %d, want 401", tok, where, got)
					}
				}
			}
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
