package extensiontest_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/extensiontest"
)

func testConfig() extension.Config {
	echo := extension.Raw(func(ctx context.Context, options json.RawMessage) (any, error) {
		return options, nil
	})
	ping := extension.Ping(func(ctx context.Context, o *extension.PingOptions) (*extension.PingResult, error) {
		if o.Connection.ID == "offline" {
			return &extension.PingResult{StatusCode: 401, Errors: []extension.Error{{Code: "offline", Message: "down"}}}, nil
		}
		return &extension.PingResult{StatusCode: 200}, nil
	})
	preSavePage := extension.PreSavePage(func(ctx context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
		return &extension.PreSavePageResult{Data: o.Data[:1]}, nil
	})
	return extension.Config{DIY: &extension.Module{
		Functions: extension.Functions{"echo": echo, "ping": ping, "preSavePage": preSavePage},
		Hooks:     extension.Functions{"preSavePage": preSavePage},
		Wrappers:  extension.Functions{"ping": ping},
	}}
}

func TestCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     extension.Envelope
		options any
		want    string
		wantErr *extension.CallError
	}{
		{name: "struct options", env: extensiontest.DIY("echo"), options: struct {
			A int `json:"a"`
		}{1}, want: `{"a":1}`},
		{name: "map options", env: extensiontest.DIY("echo"), options: map[string]any{"b": true}, want: `{"b":true}`},
		{name: "[]byte options", env: extensiontest.DIY("echo"), options: []byte(`[1, 2]`), want: `[1,2]`},
		{name: "json.RawMessage options", env: extensiontest.DIY("echo"), options: json.RawMessage(`"x"`), want: `"x"`},
		{name: "envelope options", env: extension.Envelope{DIY: true, Function: "echo", Options: json.RawMessage(`{"c":3}`)}, want: `{"c":3}`},
		{name: "typed 2.0", env: extensiontest.DIY("ping"), options: extension.PingOptions{}, want: `{"statusCode":200}`},
		{name: "wrapper 1.0", env: extensiontest.Wrapper("ping"), options: map[string]any{"connection": map[string]any{"_id": "offline"}},
			want: `{"statusCode":401,"errors":[{"code":"offline","message":"down"}]}`},
		{name: "hook 1.0", env: extensiontest.Hook("preSavePage"), options: map[string]any{"data": []int{1, 2}}, want: `{"data":[1],"abort":false}`},
		{name: "no options", env: extensiontest.DIY("echo"),
			wantErr: &extension.CallError{StatusCode: 422, Errors: []extension.Error{{Code: "missing_required_field", Message: "Function options haven't been provided."}}}},
		{name: "falsy options", env: extensiontest.DIY("echo"), options: false,
			wantErr: &extension.CallError{StatusCode: 422, Errors: []extension.Error{{Code: "missing_required_field", Message: "Function options haven't been provided."}}}},
		{name: "connector not configured", env: extensiontest.Connector("c1", "echo"), options: map[string]any{},
			wantErr: &extension.CallError{StatusCode: 422, Errors: []extension.Error{{Code: "invalid_field", Message: "The _connectorId set in the extension options does't match any of the _connectorId's present in extension configuration."}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, cerr := extensiontest.Call(t, testConfig(), tt.env, tt.options)
			if diff := cmp.Diff(tt.wantErr, cerr); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCallNoValue(t *testing.T) {
	t.Parallel()
	cfg := extension.Config{DIY: &extension.Module{Functions: extension.Functions{
		"nothing": extension.Raw(func(context.Context, json.RawMessage) (any, error) { return nil, nil }),
	}}}
	got, cerr := extensiontest.Call(t, cfg, extensiontest.DIY("nothing"), map[string]any{})
	if cerr != nil || got != nil {
		t.Errorf("Call = %q, %v; want nil, nil", got, cerr)
	}
}

func TestEnvelopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  extension.Envelope
		want string
	}{
		{"DIY", extensiontest.DIY("preSavePage"), `{"diy":true,"function":"preSavePage"}`},
		{"Connector", extensiontest.Connector("c1", "update"), `{"_connectorId":"c1","function":"update"}`},
		{"Hook", extensiontest.Hook("preMap"), `{"diy":true,"type":"hook","function":"preMap"}`},
		{"Wrapper", extensiontest.Wrapper("ping"), `{"diy":true,"type":"wrapper","function":"ping"}`},
		{"options dropped", extension.Envelope{DIY: true, Function: "f", MaxResponseSize: 2, Options: json.RawMessage(`{}`)},
			`{"diy":true,"function":"f","maxResponseSize":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, string(extensiontest.ClientContext(tt.env))); diff != "" {
				t.Errorf("ClientContext (-want +got):\n%s", diff)
			}
		})
	}
}
