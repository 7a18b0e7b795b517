package extensionlambda_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/extensionlambda"
)

func TestHandlerInvokeEnvelope(t *testing.T) {
	t.Parallel()
	var got extension.Envelope
	cfg := extension.Config{Logger: discard, DIY: &extension.Module{Functions: extension.Functions{
		"env": extension.Raw(func(ctx context.Context, options json.RawMessage) (any, error) {
			got = *extension.EnvelopeFrom(ctx)
			return nil, nil
		}),
	}}}
	h := extensionlambda.NewHandler(cfg)
	payload, cerr := h.Invoke(t.Context(), extensionlambda.Invocation{
		RequestID:     "req-1",
		TraceID:       "Root=1-2-3",
		ClientContext: []byte(`{"diy":true,"type":"","function":"env","maxResponseSize":100}`),
		Payload:       []byte(`{"_integrationId":"i1"}`),
	})
	if cerr != nil {
		t.Fatalf("Invoke: %v", cerr)
	}
	if string(payload) != "null" {
		t.Errorf("payload = %s, want null", payload)
	}
	want := extension.Envelope{DIY: true, Function: "env", MaxResponseSize: 100, Options: json.RawMessage(`{"_integrationId":"i1"}`), ReqID: "req-1", TraceID: "Root=1-2-3"}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(extension.Envelope{})); diff != "" {
		t.Errorf("envelope (-want +got):\n%s", diff)
	}
}

func TestErrorPayloadRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *extension.CallError
		want string
	}{
		{
			name: "one error",
			err:  &extension.CallError{StatusCode: 422, Errors: []extension.Error{{Code: "c", Message: "m"}}},
			want: `{"errorType":"string","errorMessage":"{\"statusCode\":422,\"errors\":[{\"code\":\"c\",\"message\":\"m\"}]}","trace":[]}`,
		},
		{
			name: "JavaScript escaping",
			err:  &extension.CallError{StatusCode: 422, Errors: []extension.Error{{Code: "Error", Message: "<a & b>\u2028é\"\n"}}},
			want: `{"errorType":"string","errorMessage":"{\"statusCode\":422,\"errors\":[{\"code\":\"Error\",\"message\":\"<a & b>` + "\u2028" + `é\\\"\\n\"}]}","trace":[]}`,
		},
		{
			name: "no errors",
			err:  &extension.CallError{StatusCode: 422},
			want: `{"errorType":"string","errorMessage":"{\"statusCode\":422,\"errors\":[]}","trace":[]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := extensionlambda.ErrorPayload(tt.err)
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("ErrorPayload (-want +got):\n%s", diff)
			}
			back, err := extensionlambda.ParseError(got)
			if err != nil {
				t.Fatalf("ParseError: %v", err)
			}
			want := *tt.err
			if want.Errors == nil {
				want.Errors = []extension.Error{}
			}
			if diff := cmp.Diff(&want, back); diff != "" {
				t.Errorf("ParseError (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload string
		want    *extension.CallError // nil: an error is expected
	}{
		{"node mock without errorType", `{"errorMessage":"{\"statusCode\":422,\"errors\":[{\"message\":\"m\",\"code\":\"c\"}]}"}`,
			&extension.CallError{StatusCode: 422, Errors: []extension.Error{{Code: "c", Message: "m"}}}},
		{"lambda timeout", `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: x Error: Task timed out after 3.00 seconds"}`, nil},
		{"init error", `{"errorType":"InitError","errorMessage":"no database"}`, nil},
		{"JSON without errors", `{"errorType":"string","errorMessage":"{}"}`, nil},
		{"not JSON", `oops`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := extensionlambda.ParseError([]byte(tt.payload))
			if tt.want == nil {
				if err == nil {
					t.Errorf("ParseError = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseError: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseError (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzInvoke feeds arbitrary client contexts and events to the handler: it
// must never panic, and must always answer valid JSON, an error payload that
// ParseError reads back exactly when it fails.
func FuzzInvoke(f *testing.F) {
	for _, seed := range [][2]string{
		{`{"diy":true,"function":"echo"}`, `{"a":1}`},
		{`{"diy":true,"type":"hook","function":"preSavePage"}`, `{"data":[{"id":1}],"lastExportDateTime":"2020-01-01T00:00:00.000Z"}`},
		{`{"_connectorId":"c1","function":"echo","options":{"x":1},"options":null}`, `null`},
		{`{"diy":"yes","function":{"a":1},"maxResponseSize":"12"}`, `0`},
		{`[1,2]`, `"x"`},
		{`null`, ``},
		{``, `{"a":`},
		{`{"diy":true,"function":"echo","maxResponseSize":-1}`, `[1e400]`},
		{"{\"diy\":true,\"function\":\"\xff\"}", "\"\xfe\""},
		{`{"diy":true,"type":"wrapper","function":"ping"}`, `{"connection":{"_id":5}}`},
	} {
		f.Add([]byte(seed[0]), []byte(seed[1]))
	}
	h := extensionlambda.NewHandler(diyConfigForFuzz())
	f.Fuzz(func(t *testing.T, clientContext, event []byte) {
		payload, cerr := h.Invoke(context.Background(), extensionlambda.Invocation{RequestID: "r", ClientContext: clientContext, Payload: event})
		if !json.Valid(payload) {
			t.Fatalf("payload is not JSON: %q", payload)
		}
		if cerr == nil {
			return
		}
		for _, e := range cerr.Errors {
			if e.Code == extension.CodePanic {
				t.Fatalf("panic: %s", e.Message)
			}
		}
		back, err := extensionlambda.ParseError(payload)
		if err != nil {
			t.Fatalf("ParseError(%s): %v", payload, err)
		}
		if cerr.Errors == nil {
			cerr.Errors = []extension.Error{}
		}
		if diff := cmp.Diff(cerr, back); diff != "" {
			t.Fatalf("ParseError (-want +got):\n%s", diff)
		}
	})
}

// diyConfigForFuzz is the test module without its blocking and panicking
// functions.
func diyConfigForFuzz() extension.Config {
	cfg := diyConfig()
	delete(cfg.DIY.Functions, "block")
	delete(cfg.DIY.Functions, "panic")
	return cfg
}
