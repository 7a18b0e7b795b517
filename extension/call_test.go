package extension_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstack/hookstack/extension"
)

// recordingHandler is a slog.Handler that keeps every record's message and
// attributes as "key=value" text.
type recordingHandler struct {
	mu    sync.Mutex
	lines []string
	msgs  []string
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler            { return h }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	var parts []string
	r.Attrs(func(a slog.Attr) bool {
		parts = append(parts, a.Key+"="+a.Value.String())
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, r.Message)
	h.lines = append(h.lines, strings.Join(parts, ", "))
	return nil
}

func (h *recordingHandler) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.msgs...)
}

// named returns a function that answers with its own name, to show which
// function a call reached.
func named(name string) extension.Function {
	return extension.Raw(func(context.Context, json.RawMessage) (any, error) { return name, nil })
}

func fullModule(prefix string) *extension.Module {
	fns := func(names ...string) extension.Functions {
		m := extension.Functions{}
		for _, n := range names {
			m[n] = named(prefix + n)
		}
		return m
	}
	return &extension.Module{
		Functions:   fns("doSomething", "preSavePage"),
		Hooks:       fns("doSomething"),
		Wrappers:    fns("ping"),
		Installer:   fns("install"),
		Uninstaller: fns("uninstall"),
		Settings:    fns("persist"),
		Utilities:   fns("util"),
		Categories: map[string]extension.Functions{
			"custom":          {"fn": named(prefix + "custom.fn")},
			"5":               {"fn": named(prefix + "5.fn")},
			"true":            {"fn": named(prefix + "true.fn")},
			"[object Object]": {"fn": named(prefix + "object.fn")},
			"installer":       {"fn": named(prefix + "shadowed")},
		},
	}
}

func newExtension(t testing.TB, cfg extension.Config) *extension.Extension {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = discard
	}
	x, err := extension.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return x
}

// call parses body as an HTTP stack would and calls the function. It returns
// the result JSON ("" for no value) or the call's errors.
func call(t testing.TB, ctx context.Context, x *extension.Extension, body string) (string, []extension.Error) {
	t.Helper()
	env, err := extension.ParseEnvelope([]byte(body))
	if err != nil {
		t.Fatalf("ParseEnvelope(%s): %v", body, err)
	}
	return callEnv(t, ctx, x, env)
}

func callEnv(t testing.TB, ctx context.Context, x *extension.Extension, env *extension.Envelope) (string, []extension.Error) {
	t.Helper()
	res, err := x.Call(ctx, env)
	if err != nil {
		var ce *extension.CallError
		if !errors.As(err, &ce) {
			t.Fatalf("Call error = %T %v, want *extension.CallError", err, err)
		}
		if ce.StatusCode != 422 || len(ce.Errors) == 0 {
			t.Errorf("CallError = %+v, want status 422 and errors", ce)
		}
		if res != nil {
			t.Errorf("Call returned both a result and an error")
		}
		return "", ce.Errors
	}
	defer res.Release()
	return string(res.JSON), nil
}

var (
	errNeedDIYOrConnector = extension.Error{Code: "missing_required_field", Message: "Need to set either the diy or _connectorId field in extension options."}
	errNoDIY              = extension.Error{Code: "missing_required_field", Message: "DIY is not configured in the extension configuration."}
	errNoConnector        = extension.Error{Code: "invalid_field", Message: "The _connectorId set in the extension options does't match any of the _connectorId's present in extension configuration."}
	errNoFunction         = extension.Error{Code: "missing_required_field", Message: "Missing required field function in the extension options."}
	errFunctionNotString  = extension.Error{Code: "invalid_field", Message: "The function field in the extension options must be of type string."}
	errNoOptions          = extension.Error{Code: "missing_required_field", Message: "Function options haven't been provided."}
	errBadFunction        = extension.Error{Code: "invalid_function", Message: "The function passed in the extension options doesn't map to a function."}
	errNotSerializable    = extension.Error{Code: "invalid_extension_response", Message: "Extension response is not serializable."}
)

func objectNotFound(typ string) extension.Error {
	return extension.Error{Code: "object_not_found", Message: "The object " + typ + " doesn't exist in the module."}
}

func tooLarge(limit string) extension.Error {
	return extension.Error{Code: "response_size_exceeded", Message: "response stream exceeded limit of " + limit + " bytes."}
}

func TestDispatch(t *testing.T) {
	t.Parallel()
	diy := newExtension(t, extension.Config{DIY: fullModule("diy.")})
	conn := newExtension(t, extension.Config{Connectors: map[string]*extension.Module{
		"c1": fullModule("c1."),
		"5":  fullModule("c5."),
		"c2": {Functions: extension.Functions{"doSomething": named("c2.doSomething")}}, // flat only
	}})
	tests := []struct {
		name string
		x    *extension.Extension
		body string
		want string            // result JSON, when no errors
		errs []extension.Error // in order
	}{
		// Validation: errors accumulate in the order diy/connector, function, options.
		{"empty body", diy, `{}`, "", []extension.Error{errNeedDIYOrConnector, errNoFunction, errNoOptions}},
		{"empty body, connectors", conn, `{}`, "", []extension.Error{errNeedDIYOrConnector, errNoFunction, errNoOptions}},
		{"top-level array", diy, `[1,2]`, "", []extension.Error{errNeedDIYOrConnector, errNoFunction, errNoOptions}},
		{"only options", diy, `{"options":{}}`, "", []extension.Error{errNeedDIYOrConnector, errNoFunction}},
		{"only function", diy, `{"function":"doSomething"}`, "", []extension.Error{errNeedDIYOrConnector, errNoOptions}},
		{"diy without DIY module", conn, `{"diy":true,"function":5}`, "", []extension.Error{errNoDIY, errFunctionNotString, errNoOptions}},
		{"unknown connector", conn, `{"_connectorId":"unknown","function":"x","options":{}}`, "", []extension.Error{errNoConnector}},
		{"connector on DIY stack", diy, `{"_connectorId":"c1","function":"doSomething","options":{}}`, "", []extension.Error{errNoConnector}},
		{"misspelled connectorId", conn, `{"connectorId":"c1","function":"doSomething","options":{}}`, "", []extension.Error{errNeedDIYOrConnector}},
		{"function is a number", diy, `{"diy":true,"function":5,"options":{}}`, "", []extension.Error{errFunctionNotString}},
		{"function is true", diy, `{"diy":true,"function":true,"options":{}}`, "", []extension.Error{errFunctionNotString}},
		{"function is an object", diy, `{"diy":true,"function":{},"options":{}}`, "", []extension.Error{errFunctionNotString}},
		{"function is an array", diy, `{"diy":true,"function":[],"options":{}}`, "", []extension.Error{errFunctionNotString}},
		{"function is empty", diy, `{"diy":true,"function":"","options":{}}`, "", []extension.Error{errNoFunction}},
		{"function is 0", diy, `{"diy":true,"function":0,"options":{}}`, "", []extension.Error{errNoFunction}},
		{"function is false", diy, `{"diy":true,"function":false,"options":{}}`, "", []extension.Error{errNoFunction}},
		{"function is null", diy, `{"diy":true,"function":null,"options":{}}`, "", []extension.Error{errNoFunction}},
		{"options absent", diy, `{"diy":true,"function":"doSomething"}`, "", []extension.Error{errNoOptions}},
		{"options null", diy, `{"diy":true,"function":"doSomething","options":null}`, "", []extension.Error{errNoOptions}},
		{"options 0", diy, `{"diy":true,"function":"doSomething","options":0}`, "", []extension.Error{errNoOptions}},
		{"options empty string", diy, `{"diy":true,"function":"doSomething","options":""}`, "", []extension.Error{errNoOptions}},
		{"options false", diy, `{"diy":true,"function":"doSomething","options":false}`, "", []extension.Error{errNoOptions}},
		{"options {}", diy, `{"diy":true,"function":"doSomething","options":{}}`, `"diy.doSomething"`, nil},
		{"options []", diy, `{"diy":true,"function":"doSomething","options":[]}`, `"diy.doSomething"`, nil},
		{"options 1", diy, `{"diy":true,"function":"doSomething","options":1}`, `"diy.doSomething"`, nil},
		{"options string", diy, `{"diy":true,"function":"doSomething","options":"x"}`, `"diy.doSomething"`, nil},

		// diy and _connectorId truthiness.
		{"diy 1", diy, `{"diy":1,"function":"doSomething","options":{}}`, `"diy.doSomething"`, nil},
		{"diy string", diy, `{"diy":"yes","function":"doSomething","options":{}}`, `"diy.doSomething"`, nil},
		{"diy {}", diy, `{"diy":{},"function":"doSomething","options":{}}`, `"diy.doSomething"`, nil},
		{"diy []", diy, `{"diy":[],"function":"doSomething","options":{}}`, `"diy.doSomething"`, nil},
		{"diy false", diy, `{"diy":false,"function":"doSomething","options":{}}`, "", []extension.Error{errNeedDIYOrConnector}},
		{"diy 0", diy, `{"diy":0,"function":"doSomething","options":{}}`, "", []extension.Error{errNeedDIYOrConnector}},
		{"diy empty string", diy, `{"diy":"","function":"doSomething","options":{}}`, "", []extension.Error{errNeedDIYOrConnector}},
		{"diy null", diy, `{"diy":null,"function":"doSomething","options":{}}`, "", []extension.Error{errNeedDIYOrConnector}},
		{"diy wins over connector", diy, `{"diy":true,"_connectorId":"nosuch","function":"doSomething","options":{}}`, `"diy.doSomething"`, nil},
		{"diy wins over connector, no DIY", conn, `{"diy":true,"_connectorId":"c1","function":"doSomething","options":{}}`, "", []extension.Error{errNoDIY}},
		{"connector", conn, `{"_connectorId":"c1","function":"doSomething","options":{}}`, `"c1.doSomething"`, nil},
		{"numeric connector id", conn, `{"_connectorId":5,"function":"doSomething","options":{}}`, `"c5.doSomething"`, nil},
		{"connector id empty", conn, `{"_connectorId":"","function":"doSomething","options":{}}`, "", []extension.Error{errNeedDIYOrConnector}},
		{"connector id 0", conn, `{"_connectorId":0,"function":"doSomething","options":{}}`, "", []extension.Error{errNeedDIYOrConnector}},
		{"diy false, connector", conn, `{"diy":false,"_connectorId":"c1","function":"doSomething","options":{}}`, `"c1.doSomething"`, nil},

		// Categorised layout (framework 1.0).
		{"hook", diy, `{"diy":true,"type":"hook","function":"doSomething","options":{}}`, `"diy.doSomething"`, nil},
		{"hooks", diy, `{"diy":true,"type":"hooks","function":"doSomething","options":{}}`, `"diy.doSomething"`, nil},
		{"wrapper", diy, `{"diy":true,"type":"wrapper","function":"ping","options":{}}`, `"diy.ping"`, nil},
		{"wrappers", diy, `{"diy":true,"type":"wrappers","function":"ping","options":{}}`, `"diy.ping"`, nil},
		{"setting", diy, `{"diy":true,"type":"setting","function":"persist","options":{}}`, `"diy.persist"`, nil},
		{"settings", diy, `{"diy":true,"type":"settings","function":"persist","options":{}}`, `"diy.persist"`, nil},
		{"utility", diy, `{"diy":true,"type":"utility","function":"util","options":{}}`, `"diy.util"`, nil},
		{"utilities", diy, `{"diy":true,"type":"utilities","function":"util","options":{}}`, `"diy.util"`, nil},
		{"installer", diy, `{"diy":true,"type":"installer","function":"install","options":{}}`, `"diy.install"`, nil},
		{"installer field wins over Categories", diy, `{"diy":true,"type":"installer","function":"fn","options":{}}`, "", []extension.Error{errBadFunction}},
		{"uninstaller", diy, `{"diy":true,"type":"uninstaller","function":"uninstall","options":{}}`, `"diy.uninstall"`, nil},
		{"custom category", diy, `{"diy":true,"type":"custom","function":"fn","options":{}}`, `"diy.custom.fn"`, nil},
		{"numeric type", diy, `{"diy":true,"type":5,"function":"fn","options":{}}`, `"diy.5.fn"`, nil},
		{"type true", diy, `{"diy":true,"type":true,"function":"fn","options":{}}`, `"diy.true.fn"`, nil},
		{"type object", diy, `{"diy":true,"type":{},"function":"fn","options":{}}`, `"diy.object.fn"`, nil},
		{"connector hook", conn, `{"_connectorId":"c1","type":"hook","function":"doSomething","options":{}}`, `"c1.doSomething"`, nil},
		{"unknown type", diy, `{"diy":true,"type":"nosuch","function":"x","options":{}}`, "", []extension.Error{objectNotFound("nosuch")}},
		{"singular type is reported raw", conn, `{"_connectorId":"c2","type":"hook","function":"doSomething","options":{}}`, "", []extension.Error{objectNotFound("hook")}},
		{"plural type is reported raw", conn, `{"_connectorId":"c2","type":"wrappers","function":"ping","options":{}}`, "", []extension.Error{objectNotFound("wrappers")}},
		{"category lookup is case-sensitive", diy, `{"diy":true,"type":"Hook","function":"doSomething","options":{}}`, "", []extension.Error{objectNotFound("Hook")}},
		{"unknown function in category", diy, `{"diy":true,"type":"hook","function":"nosuch","options":{}}`, "", []extension.Error{errBadFunction}},
		{"function of another category", diy, `{"diy":true,"type":"hook","function":"ping","options":{}}`, "", []extension.Error{errBadFunction}},

		// Flat layout (framework 2.0): a falsy type means the top level.
		{"flat", diy, `{"diy":true,"function":"doSomething","options":{}}`, `"diy.doSomething"`, nil},
		{"flat, type empty", diy, `{"diy":true,"type":"","function":"preSavePage","options":{}}`, `"diy.preSavePage"`, nil},
		{"flat, type null", diy, `{"diy":true,"type":null,"function":"preSavePage","options":{}}`, `"diy.preSavePage"`, nil},
		{"flat, type 0", diy, `{"diy":true,"type":0,"function":"preSavePage","options":{}}`, `"diy.preSavePage"`, nil},
		{"flat, type false", diy, `{"diy":true,"type":false,"function":"preSavePage","options":{}}`, `"diy.preSavePage"`, nil},
		{"flat connector", conn, `{"_connectorId":"c2","function":"doSomething","options":{}}`, `"c2.doSomething"`, nil},
		{"flat unknown function", diy, `{"diy":true,"function":"nosuch","options":{}}`, "", []extension.Error{errBadFunction}},
		{"flat category name as function", diy, `{"diy":true,"function":"hooks","options":{}}`, "", []extension.Error{errBadFunction}},
		{"flat function only in a category", diy, `{"diy":true,"function":"ping","options":{}}`, "", []extension.Error{errBadFunction}},
		{"no prototype lookups: constructor", diy, `{"diy":true,"function":"constructor","options":{}}`, "", []extension.Error{errBadFunction}},
		{"no prototype lookups: toString", diy, `{"diy":true,"type":"hook","function":"toString","options":{}}`, "", []extension.Error{errBadFunction}},
		{"no prototype lookups: hasOwnProperty", diy, `{"diy":true,"function":"hasOwnProperty","options":{}}`, "", []extension.Error{errBadFunction}},
		{"no prototype lookups: __proto__ type", diy, `{"diy":true,"type":"__proto__","function":"x","options":{}}`, "", []extension.Error{objectNotFound("__proto__")}},

		// Duplicate members: the last wins.
		{"duplicate function", diy, `{"diy":true,"function":"nosuch","function":"doSomething","options":{}}`, `"diy.doSomething"`, nil},
		{"duplicate options, last falsy", diy, `{"diy":true,"function":"doSomething","options":{},"options":null}`, "", []extension.Error{errNoOptions}},
		{"duplicate function, last not a string", diy, `{"diy":true,"function":"doSomething","function":1,"options":{}}`, "", []extension.Error{errFunctionNotString}},
		{"duplicate diy", diy, `{"diy":true,"diy":false,"function":"doSomething","options":{}}`, "", []extension.Error{errNeedDIYOrConnector}},
		{"escaped keys", diy, `{"di\u0079":true,"\u0066unction":"do\u0053omething","options":{}}`, `"diy.doSomething"`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, errs := call(t, context.Background(), tc.x, tc.body)
			if diff := cmp.Diff(tc.errs, errs); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if got != tc.want {
				t.Errorf("result = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestDispatchEnvelopeByHand covers envelopes built without ParseEnvelope,
// as a Lambda stack does with the event as Options.
func TestDispatchEnvelopeByHand(t *testing.T) {
	t.Parallel()
	x := newExtension(t, extension.Config{DIY: fullModule("")})
	tests := []struct {
		name    string
		options string
		want    string
		errs    []extension.Error
	}{
		{"object", `{"a":1}`, `"doSomething"`, nil},
		{"spaced object", " {\"a\": 1} ", `"doSomething"`, nil},
		{"null", `null`, "", []extension.Error{errNoOptions}},
		{"spaced null", " null\n", "", []extension.Error{errNoOptions}},
		{"zero", `0`, "", []extension.Error{errNoOptions}},
		{"negative zero", `-0.0`, "", []extension.Error{errNoOptions}},
		{"false", `false`, "", []extension.Error{errNoOptions}},
		{"empty string", `""`, "", []extension.Error{errNoOptions}},
		{"invalid", `{"a":`, "", nil},
		{"trailing data", `{} {}`, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := &extension.Envelope{DIY: true, Function: "doSomething", Options: json.RawMessage(tc.options)}
			got, errs := callEnv(t, context.Background(), x, env)
			if tc.want == "" && tc.errs == nil { // invalid JSON
				if len(errs) != 1 || errs[0].Code != "invalid_function_options" ||
					!strings.HasPrefix(errs[0].Message, "Function options are not valid JSON: ") {
					t.Errorf("errors = %+v, want one invalid_function_options error", errs)
				}
				return
			}
			if diff := cmp.Diff(tc.errs, errs); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if got != tc.want {
				t.Errorf("result = %s, want %s", got, tc.want)
			}
		})
	}
	// Nil options: missing.
	_, errs := callEnv(t, context.Background(), x, &extension.Envelope{DIY: true, Function: "doSomething"})
	if diff := cmp.Diff([]extension.Error{errNoOptions}, errs); diff != "" {
		t.Errorf("nil options: errors mismatch (-want +got):\n%s", diff)
	}
	// An Envelope can be called again.
	env := &extension.Envelope{DIY: true, Function: "doSomething", Options: json.RawMessage(`{}`)}
	for range 2 {
		if got, errs := callEnv(t, context.Background(), x, env); got != `"doSomething"` || errs != nil {
			t.Errorf("repeated call = %s, %v", got, errs)
		}
	}
}

func returning(v any, err error) extension.Function {
	return extension.Raw(func(context.Context, json.RawMessage) (any, error) { return v, err })
}

type plainError struct{}

func (plainError) Error() string { return "plain" }

func TestFunctionResults(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	big := strings.Repeat("x", extension.DefaultMaxResponseSize-2) // "…" is exactly the limit
	type withChan struct {
		C chan int `json:"c"`
	}
	fns := extension.Functions{
		"codeError":     returning(nil, extension.NewError("my_code", "my message")),
		"wrappedError":  returning(nil, fmt.Errorf("context: %w", extension.NewError("inner_code", "inner message"))),
		"joinedError":   returning(nil, errors.Join(errors.New("first"), &extension.Error{Code: "joined", Message: "second"})),
		"plainError":    returning(nil, errors.New("boom")),
		"customError":   returning(nil, plainError{}),
		"errorWithData": returning(map[string]any{"ignored": true}, errors.New("data is dropped")),
		"panic":         extension.Raw(func(context.Context, json.RawMessage) (any, error) { panic("kaboom") }),
		"panicError":    extension.Raw(func(context.Context, json.RawMessage) (any, error) { panic(errors.New("err-panic")) }),
		"abc":           returning("abc", nil),
		"é":             returning("é", nil),
		"emoji":         returning("😀", nil),
		"big":           returning(big, nil),
		"bigger":        returning(big+"x", nil),
		"nan":           returning(nan, nil),
		"nanNested":     returning(map[string]any{"a": []any{1, nan}}, nil),
		"inf":           returning(math.Inf(1), nil),
		"chan":          returning(make(chan int), nil),
		"chanField":     returning(withChan{C: make(chan int)}, nil),
		"func":          returning(func() {}, nil),
		"complex":       returning(complex(1, 2), nil),
		"cycle":         returning(cyclic(), nil),
		"nanAndBig":     returning([]any{big, nan}, nil),
		"nilPointer":    returning((*extension.PreSavePageResult)(nil), nil),
		"nilMap":        returning(map[string]any(nil), nil),
		"nilSlice":      returning([]extension.Record(nil), nil),
		"nil":           returning(nil, nil),
		"nilRawMessage": returning(json.RawMessage(nil), nil),
		"nilRecord":     returning(extension.Record(nil), nil),
		"emptyMap":      returning(map[string]any{}, nil),
		"zero":          returning(0, nil),
		"false":         returning(false, nil),
		"emptyString":   returning("", nil),
		"html":          returning("<a href=\"x\">&\u2028</a>", nil),
		"time":          returning(time.Date(2024, 1, 2, 3, 4, 5, 678_000_000, time.UTC), nil),
		"badRaw":        returning(json.RawMessage(`{"a":`), nil),
		"spacedRaw":     returning(json.RawMessage(` { "a" : [ 1 , 2 ] } `), nil),
		"nilTypedResult": extension.PreSavePage(func(context.Context, *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
			return nil, nil
		}),
		"action":      extension.Action(func(context.Context, *struct{}) error { return nil }),
		"actionError": extension.Action(func(context.Context, *struct{}) error { return extension.NewError("act", "failed") }),
	}
	x := newExtension(t, extension.Config{DIY: &extension.Module{Functions: fns}})
	tests := []struct {
		fn    string
		limit string // maxResponseSize member, verbatim JSON; "" for none
		want  string
		errs  []extension.Error
	}{
		{fn: "codeError", errs: []extension.Error{{Code: "my_code", Message: "my message"}}},
		{fn: "wrappedError", errs: []extension.Error{{Code: "inner_code", Message: "inner message"}}},
		{fn: "joinedError", errs: []extension.Error{{Code: "joined", Message: "second"}}},
		{fn: "plainError", errs: []extension.Error{{Code: "Error", Message: "boom"}}},
		{fn: "customError", errs: []extension.Error{{Code: "Error", Message: "plain"}}},
		{fn: "errorWithData", errs: []extension.Error{{Code: "Error", Message: "data is dropped"}}},
		{fn: "actionError", errs: []extension.Error{{Code: "act", Message: "failed"}}},
		{fn: "action", want: ""},

		{fn: "abc", want: `"abc"`},
		{fn: "abc", limit: `5`, want: `"abc"`},
		{fn: "abc", limit: `4`, errs: []extension.Error{tooLarge("4")}},
		{fn: "abc", limit: `2`, errs: []extension.Error{tooLarge("2")}},
		{fn: "abc", limit: `"2"`, errs: []extension.Error{tooLarge("2")}},
		{fn: "abc", limit: `" 4 "`, errs: []extension.Error{tooLarge("4")}},
		{fn: "abc", limit: `"4.9"`, errs: []extension.Error{tooLarge("4")}},
		{fn: "abc", limit: `"0"`, errs: []extension.Error{tooLarge("0")}},
		{fn: "abc", limit: `"abc"`, want: `"abc"`},
		{fn: "abc", limit: `"Infinity"`, want: `"abc"`},
		{fn: "abc", limit: `-1`, errs: []extension.Error{tooLarge("-1")}},
		{fn: "abc", limit: `0`, want: `"abc"`},     // falsy: default
		{fn: "abc", limit: `null`, want: `"abc"`},  // falsy: default
		{fn: "abc", limit: `""`, want: `"abc"`},    // falsy: default
		{fn: "abc", limit: `false`, want: `"abc"`}, // falsy: default
		{fn: "abc", limit: `1e300`, want: `"abc"`},
		{fn: "é", limit: `3`, want: `"é"`}, // 3 UTF-16 code units, 4 bytes
		{fn: "emoji", limit: `3`, errs: []extension.Error{tooLarge("3")}},
		{fn: "emoji", limit: `4`, want: `"😀"`},
		{fn: "big", want: `"` + big + `"`},
		{fn: "bigger", errs: []extension.Error{tooLarge("5242880")}},
		{fn: "bigger", limit: `"x"`, want: `"` + big + `x"`},
		{fn: "nil", limit: `-1`, errs: []extension.Error{tooLarge("-1")}}, // size 0 > -1, as in Node
		{fn: "nil", limit: `"0"`, want: ""},

		{fn: "nan", errs: []extension.Error{errNotSerializable}},
		{fn: "nanNested", errs: []extension.Error{errNotSerializable}},
		{fn: "inf", errs: []extension.Error{errNotSerializable}},
		{fn: "chan", errs: []extension.Error{errNotSerializable}},
		{fn: "chanField", errs: []extension.Error{errNotSerializable}},
		{fn: "func", errs: []extension.Error{errNotSerializable}},
		{fn: "complex", errs: []extension.Error{errNotSerializable}},
		{fn: "cycle", errs: []extension.Error{errNotSerializable}},
		{fn: "badRaw", errs: []extension.Error{errNotSerializable}},
		{fn: "nanAndBig", errs: []extension.Error{errNotSerializable}},
		{fn: "nanAndBig", limit: `1`, errs: []extension.Error{errNotSerializable}},

		{fn: "nilPointer", want: ""},
		{fn: "nilMap", want: ""},
		{fn: "nilSlice", want: ""},
		{fn: "nil", want: ""},
		{fn: "nilTypedResult", want: ""},
		{fn: "nilRawMessage", want: "null"},
		{fn: "nilRecord", want: "null"},
		{fn: "emptyMap", want: "{}"},
		{fn: "zero", want: "0"},
		{fn: "false", want: "false"},
		{fn: "emptyString", want: `""`},
		{fn: "html", want: "\"<a href=\\\"x\\\">&\u2028</a>\""},
		{fn: "time", want: `"2024-01-02T03:04:05.678Z"`},
		{fn: "spacedRaw", want: `{"a":[1,2]}`},
	}
	for _, tc := range tests {
		t.Run(tc.fn+"/"+tc.limit, func(t *testing.T) {
			t.Parallel()
			body := `{"diy":true,"function":"` + tc.fn + `","options":{}`
			if tc.limit != "" {
				body += `,"maxResponseSize":` + tc.limit
			}
			got, errs := call(t, context.Background(), x, body+"}")
			if diff := cmp.Diff(tc.errs, errs); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if got != tc.want {
				t.Errorf("result = %.200s, want %.200s", got, tc.want)
			}
		})
	}
}

func cyclic() any {
	m := map[string]any{"a": 1}
	m["self"] = m
	return m
}

func TestNoValueResultHasNilJSON(t *testing.T) {
	t.Parallel()
	x := newExtension(t, extension.Config{DIY: &extension.Module{Functions: extension.Functions{
		"f": extension.PreSavePage(func(context.Context, *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
			return nil, nil
		}),
	}}})
	res, err := x.Call(context.Background(), &extension.Envelope{DIY: true, Function: "f", Options: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if res.JSON != nil {
		t.Errorf("Result.JSON = %q, want nil", res.JSON)
	}
	res.Release()
	res.Release() // twice is fine
	var nilRes *extension.Result
	nilRes.Release()
}

func TestPanicIsACallError(t *testing.T) {
	t.Parallel()
	h := &recordingHandler{}
	x := newExtension(t, extension.Config{Logger: slog.New(h), DIY: &extension.Module{Functions: extension.Functions{
		"panic": extension.Raw(func(context.Context, json.RawMessage) (any, error) { panic("kaboom") }),
		"typed": extension.PreSavePage(func(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
			_ = o.Data[10] // index out of range
			return nil, nil
		}),
	}}})
	for _, withDeadline := range []bool{false, true} {
		ctx := context.Background()
		if withDeadline { // the function then runs on its own goroutine
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, time.Minute)
			defer cancel()
		}
		for fn, msg := range map[string]string{"panic": "kaboom", "typed": "index out of range"} {
			_, errs := call(t, ctx, x, `{"diy":true,"function":"`+fn+`","options":{"data":[]}}`)
			if len(errs) != 1 || errs[0].Code != "panic" || !strings.Contains(errs[0].Message, msg) {
				t.Errorf("%s (deadline %v): errors = %+v, want one panic error mentioning %q", fn, withDeadline, errs, msg)
			}
		}
	}
	found := false
	for _, m := range h.messages() {
		if m == "extension function panicked" {
			found = true
		}
	}
	if !found {
		t.Errorf("no panic log line; got %q", h.messages())
	}
}

func TestDeadlineAndCancel(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	started := make(chan struct{}, 2)
	x := newExtension(t, extension.Config{DIY: &extension.Module{Functions: extension.Functions{
		// block ignores its context, as a careless function would.
		"block": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			started <- struct{}{}
			<-release
			return "late", nil
		}),
		"deadline": extension.Raw(func(ctx context.Context, _ json.RawMessage) (any, error) {
			d, ok := ctx.Deadline()
			return map[string]bool{"hasDeadline": ok, "future": time.Until(d) > 0}, nil
		}),
		"fast": returning("fast", nil),
	}}})

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, errs := call(t, ctx, x, `{"diy":true,"function":"block","options":{}}`)
	want := []extension.Error{{Code: "timeout", Message: "The extension function did not return before the call's deadline."}}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("timeout errors mismatch (-want +got):\n%s", diff)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("call returned after %v, want about 50ms", d)
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { <-started; <-started; cancel2() }()
	_, errs = call(t, ctx2, x, `{"diy":true,"function":"block","options":{}}`)
	want = []extension.Error{{Code: "canceled", Message: "The call was canceled before the extension function returned."}}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("cancel errors mismatch (-want +got):\n%s", diff)
	}

	ctx3, cancel3 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel3()
	got, errs := call(t, ctx3, x, `{"diy":true,"function":"deadline","options":{}}`)
	if errs != nil || got != `{"future":true,"hasDeadline":true}` {
		t.Errorf("deadline visible to function: %s, %v", got, errs)
	}
	if got, errs := call(t, ctx3, x, `{"diy":true,"function":"fast","options":{}}`); errs != nil || got != `"fast"` {
		t.Errorf("fast call with a deadline = %s, %v", got, errs)
	}
}

func TestEnvelopeFrom(t *testing.T) {
	t.Parallel()
	if extension.EnvelopeFrom(context.Background()) != nil {
		t.Errorf("EnvelopeFrom outside a call is not nil")
	}
	var seen *extension.Envelope
	x := newExtension(t, extension.Config{DIY: &extension.Module{Functions: extension.Functions{
		"f": extension.Raw(func(ctx context.Context, _ json.RawMessage) (any, error) {
			seen = extension.EnvelopeFrom(ctx)
			return nil, nil
		}),
	}}})
	env := &extension.Envelope{DIY: true, Function: "f", Options: json.RawMessage(`{}`), TraceID: "t1", ReqID: "r1"}
	if _, errs := callEnv(t, context.Background(), x, env); errs != nil {
		t.Fatal(errs)
	}
	if seen != env {
		t.Errorf("EnvelopeFrom in a call = %+v, want the call's envelope", seen)
	}
}

func TestCallLogLine(t *testing.T) {
	t.Parallel()
	h := &recordingHandler{}
	x := newExtension(t, extension.Config{Logger: slog.New(h), Connectors: map[string]*extension.Module{"c1": fullModule("")}})
	tests := []struct {
		name string
		body string
		env  func(*extension.Envelope)
		want string
	}{
		{"hook", `{"_connectorId":"c1","type":"hook","function":"doSomething","options":{"_importId":"_importId","_integrationId":"i1","_flowId":"f1"}}`,
			func(e *extension.Envelope) { e.ReqID = "1700000000000a1b2" },
			"logName=callFunctionInvoked, type=hook, function=doSomething, _connectorId=c1, _integrationId=i1, _flowId=f1, _importId=_importId, _reqId=1700000000000a1b2"},
		{"wrapper connection id", `{"_connectorId":"c1","type":"wrapper","function":"ping","options":{"connection":{"_id":"conn1"},"_exportId":"e1"}}`,
			func(e *extension.Envelope) { e.TraceID = "abc" },
			"logName=callFunctionInvoked, type=wrapper, function=ping, _connectorId=c1, _exportId=e1, _connectionId=conn1, traceId=abc"},
		{"flat: no flow ids", `{"_connectorId":"c1","function":"doSomething","options":{"_integrationId":"i1","_flowId":"f1","_exportId":"e1"}}`, nil,
			"logName=callFunctionInvoked, function=doSomething, _connectorId=c1, _integrationId=i1"},
		{"plural type: no flow ids", `{"_connectorId":"c1","type":"hooks","function":"doSomething","options":{"_flowId":"f1"}}`, nil,
			"logName=callFunctionInvoked, type=hooks, function=doSomething, _connectorId=c1"},
		{"empty", `{}`, nil, "logName=callFunctionInvoked"},
	}
	for _, tc := range tests {
		env, err := extension.ParseEnvelope([]byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if tc.env != nil {
			tc.env(env)
		}
		before := len(h.messages())
		_, _ = x.Call(context.Background(), env)
		h.mu.Lock()
		lines, msgs := h.lines[before:], h.msgs[before:]
		h.mu.Unlock()
		if len(lines) != 1 || msgs[0] != "callFunctionInvoked" {
			t.Errorf("%s: log records %q, want one callFunctionInvoked line", tc.name, msgs)
			continue
		}
		if lines[0] != tc.want {
			t.Errorf("%s: log line\n got %s\nwant %s", tc.name, lines[0], tc.want)
		}
	}
}

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	x := newExtension(t, extension.Config{DIY: &extension.Module{Functions: extension.Functions{
		"echo": extension.PreSavePage(func(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
			return &extension.PreSavePageResult{Data: o.Data}, nil
		}),
	}}})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				rec := fmt.Sprintf(`{"i":%d,"j":%d}`, i, j)
				got, errs := call(t, context.Background(), x, `{"diy":true,"function":"echo","options":{"data":[`+rec+`]}}`)
				if want := `{"data":[` + rec + `],"abort":false}`; errs != nil || got != want {
					t.Errorf("got %s %v, want %s", got, errs, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
