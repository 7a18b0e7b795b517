package extension_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/internal/wire"
)

func TestParseEnvelope(t *testing.T) {
	t.Parallel()
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	tests := []struct {
		name string
		body string
		want extension.Envelope
	}{
		{"all members", `{"diy":true,"_connectorId":"c1","type":"hook","function":"f","options":{"a":1},"maxResponseSize":10,"access_token":"tok","traceId":"ignored","_reqId":"ignored"}`,
			extension.Envelope{DIY: true, ConnectorID: "c1", Type: "hook", Function: "f", Options: raw(`{"a":1}`), MaxResponseSize: 10, AccessToken: "tok"}},
		{"empty object", `{}`, extension.Envelope{}},
		{"spaced", " \n{ \"diy\" : true , \"options\" : { \"a\" : [ 1 ] } }\t", extension.Envelope{DIY: true, Options: raw(`{ "a" : [ 1 ] }`)}},
		{"top-level array", `[{"diy":true}]`, extension.Envelope{}},
		{"empty array", ` [ ] `, extension.Envelope{}},

		// diy
		{"diy 1", `{"diy":1}`, extension.Envelope{DIY: true}},
		{"diy -1.5", `{"diy":-1.5}`, extension.Envelope{DIY: true}},
		{"diy string", `{"diy":"false"}`, extension.Envelope{DIY: true}},
		{"diy object", `{"diy":{}}`, extension.Envelope{DIY: true}},
		{"diy array", `{"diy":[]}`, extension.Envelope{DIY: true}},
		{"diy 0", `{"diy":0}`, extension.Envelope{}},
		{"diy -0", `{"diy":-0}`, extension.Envelope{}},
		{"diy 0.0e5", `{"diy":0.0e5}`, extension.Envelope{}},
		{"diy empty string", `{"diy":""}`, extension.Envelope{}},
		{"diy false", `{"diy":false}`, extension.Envelope{}},
		{"diy null", `{"diy":null}`, extension.Envelope{}},
		{"diy 1e-400 underflows to 0", `{"diy":1e-400}`, extension.Envelope{}},
		{"diy 1e400 is Infinity", `{"diy":1e400}`, extension.Envelope{DIY: true}},

		// _connectorId and type: JavaScript String() of truthy values.
		{"connector number", `{"_connectorId":5}`, extension.Envelope{ConnectorID: "5"}},
		{"connector float", `{"_connectorId":1.50}`, extension.Envelope{ConnectorID: "1.5"}},
		{"connector exponent", `{"_connectorId":1e21}`, extension.Envelope{ConnectorID: "1e+21"}},
		{"connector true", `{"_connectorId":true}`, extension.Envelope{ConnectorID: "true"}},
		{"connector object", `{"_connectorId":{"a":1}}`, extension.Envelope{ConnectorID: "[object Object]"}},
		{"connector escaped", `{"_connectorId":"c\u0031"}`, extension.Envelope{ConnectorID: "c1"}},
		{"connector empty", `{"_connectorId":""}`, extension.Envelope{}},
		{"connector 0", `{"_connectorId":0}`, extension.Envelope{}},
		{"connector null", `{"_connectorId":null}`, extension.Envelope{}},
		{"connector false", `{"_connectorId":false}`, extension.Envelope{}},
		{"type hook", `{"type":"hook"}`, extension.Envelope{Type: "hook"}},
		{"type number", `{"type":5}`, extension.Envelope{Type: "5"}},
		{"type empty", `{"type":""}`, extension.Envelope{}},
		{"type 0", `{"type":0}`, extension.Envelope{}},
		{"type null", `{"type":null}`, extension.Envelope{}},
		{"type false", `{"type":false}`, extension.Envelope{}},

		// function
		{"function", `{"function":"doSomething"}`, extension.Envelope{Function: "doSomething"}},
		{"function escaped", `{"function":"a\"b\u00e9"}`, extension.Envelope{Function: "a\"bé"}},
		{"function '0' is truthy", `{"function":"0"}`, extension.Envelope{Function: "0"}},
		{"function number", `{"function":5}`, extension.Envelope{}},
		{"function empty", `{"function":""}`, extension.Envelope{}},

		// options
		{"options {}", `{"options":{}}`, extension.Envelope{Options: raw(`{}`)}},
		{"options []", `{"options":[]}`, extension.Envelope{Options: raw(`[]`)}},
		{"options string", `{"options":"x"}`, extension.Envelope{Options: raw(`"x"`)}},
		{"options true", `{"options":true}`, extension.Envelope{Options: raw(`true`)}},
		{"options number", `{"options":-2}`, extension.Envelope{Options: raw(`-2`)}},
		{"options null", `{"options":null}`, extension.Envelope{}},
		{"options 0", `{"options":0}`, extension.Envelope{}},
		{"options empty string", `{"options":""}`, extension.Envelope{}},
		{"options false", `{"options":false}`, extension.Envelope{}},

		// maxResponseSize
		{"limit number", `{"maxResponseSize":2}`, extension.Envelope{MaxResponseSize: 2}},
		{"limit fraction", `{"maxResponseSize":2.7}`, extension.Envelope{MaxResponseSize: 2}},
		{"limit negative", `{"maxResponseSize":-3}`, extension.Envelope{MaxResponseSize: -3}},
		{"limit numeric string", `{"maxResponseSize":"2"}`, extension.Envelope{MaxResponseSize: 2}},
		{"limit spaced numeric string", `{"maxResponseSize":" 12\n"}`, extension.Envelope{MaxResponseSize: 12}},
		{"limit exponent string", `{"maxResponseSize":"1e3"}`, extension.Envelope{MaxResponseSize: 1000}},
		{"limit string 0", `{"maxResponseSize":"0"}`, extension.Envelope{}},
		{"limit blank string", `{"maxResponseSize":"  "}`, extension.Envelope{}},
		{"limit non-numeric string", `{"maxResponseSize":"abc"}`, extension.Envelope{MaxResponseSize: math.MaxInt64}},
		{"limit huge", `{"maxResponseSize":1e300}`, extension.Envelope{MaxResponseSize: math.MaxInt64}},
		{"limit 0", `{"maxResponseSize":0}`, extension.Envelope{}},
		{"limit null", `{"maxResponseSize":null}`, extension.Envelope{}},
		{"limit empty string", `{"maxResponseSize":""}`, extension.Envelope{}},
		{"limit object", `{"maxResponseSize":{}}`, extension.Envelope{MaxResponseSize: math.MaxInt64}},

		// access_token
		{"token", `{"access_token":"t\u006fk"}`, extension.Envelope{AccessToken: "tok"}},
		{"token number", `{"access_token":123}`, extension.Envelope{}}, // sent (BodyToken), but matches no token
		{"token empty", `{"access_token":""}`, extension.Envelope{}},
		{"token null", `{"access_token":null}`, extension.Envelope{}},

		// Duplicates: the last member wins.
		{"duplicate diy", `{"diy":true,"diy":0}`, extension.Envelope{}},
		{"duplicate function", `{"function":"a","function":"b"}`, extension.Envelope{Function: "b"}},
		{"duplicate options", `{"options":{"a":1},"options":{"b":2}}`, extension.Envelope{Options: raw(`{"b":2}`)}},
		{"duplicate options, last falsy", `{"options":{"a":1},"options":null}`, extension.Envelope{}},
		{"duplicate options, last not an object", `{"options":{"a":1},"options":[2]}`, extension.Envelope{Options: raw(`[2]`)}},
		{"duplicate limit", `{"maxResponseSize":"0","maxResponseSize":7}`, extension.Envelope{MaxResponseSize: 7}},
		{"escaped member names", `{"\u0064iy":true,"\u006fptions":{}}`, extension.Envelope{DIY: true, Options: raw(`{}`)}},
		{"unknown members ignored", `{"x":{"diy":true},"y":[1,2,{"function":"f"}]}`, extension.Envelope{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := extension.ParseEnvelope([]byte(tc.body))
			if err != nil {
				t.Fatalf("ParseEnvelope(%s): %v", tc.body, err)
			}
			if diff := cmp.Diff(tc.want, *got, cmpopts.IgnoreUnexported(extension.Envelope{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParseEnvelope(%s) mismatch (-want +got):\n%s", tc.body, diff)
			}
		})
	}
}

func TestParseEnvelopeOptionsAliasBody(t *testing.T) {
	t.Parallel()
	body := []byte(`{"diy":true,"options":{"data":[{"a":1}]},"function":"f"}`)
	env, err := extension.ParseEnvelope(body)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(body, env.Options)
	if at < 0 || &env.Options[0] != &body[at] {
		t.Errorf("Options is a copy, want a sub-slice of the body")
	}
	if cap(env.Options) != len(env.Options) {
		t.Errorf("Options cap %d, len %d: appending would overwrite the body", cap(env.Options), len(env.Options))
	}
}

func TestParseEnvelopeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body   string
		syntax bool // a *wire.SyntaxError, else a not-an-object error
	}{
		{``, true},
		{`   `, true},
		{`{`, true},
		{`[`, true},
		{`[1,]`, true},
		{`{"diy":true,}`, true},
		{`{"diy":tru}`, true},
		{`{"options":{"a":}}`, true},
		{`{"options":{"a":1}`, true},
		{`{"options":[1,}`, true},
		{`{"maxResponseSize":01}`, true},
		{`{"function":"\x"}`, true},
		{`{} x`, true},
		{`{}{}`, true},
		{`[] 1`, true},
		{`nul`, true},
		{`null`, false},
		{` "x" `, false},
		{`5`, false},
		{`true`, false},
		{`false`, false},
	}
	for _, tc := range tests {
		env, err := extension.ParseEnvelope([]byte(tc.body))
		if err == nil {
			t.Errorf("ParseEnvelope(%q) = %+v, want an error", tc.body, env)
			continue
		}
		var se *wire.SyntaxError
		if got := errors.As(err, &se); got != tc.syntax {
			t.Errorf("ParseEnvelope(%q) error = %T %v; syntax error: %v, want %v", tc.body, err, err, got, tc.syntax)
		}
		if env != nil {
			t.Errorf("ParseEnvelope(%q) returned an envelope with an error", tc.body)
		}
	}
}

func FuzzParseEnvelope(f *testing.F) {
	seeds := []string{
		`{}`, `[]`, `null`, `"x"`, `5`, ``, `{`,
		`{"diy":true,"type":"hook","function":"echo","options":{"a":[1,{"b":null}]},"maxResponseSize":"100"}`,
		`{"_connectorId":"c1","function":"echo","options":{"data":[{"x":1},[2]]},"maxResponseSize":2}`,
		`{"diy":1,"function":"echo","options":[],"options":null,"maxResponseSize":"0"}`,
		`{"diy":true,"function":"typed","options":{"data":[{"a":1}],"pageIndex":"x","lastExportDateTime":"2024-01-02T03:04:05Z"}}`,
		`{"diy":true,"function":5,"options":" x "}`,
		` { "diy" : true , "function" : "echo" , "options" : { "data" : [ { } ] } } `,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	echo := extension.Raw(func(_ context.Context, o json.RawMessage) (any, error) { return o, nil })
	typed := extension.PreSavePage(func(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
		return &extension.PreSavePageResult{Data: o.Data}, nil
	})
	mod := &extension.Module{
		Functions: extension.Functions{"echo": echo, "typed": typed},
		Hooks:     extension.Functions{"echo": echo, "typed": typed},
	}
	diy := newExtension(f, extension.Config{DIY: mod})
	conn := newExtension(f, extension.Config{Connectors: map[string]*extension.Module{"c1": mod}})
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := extension.ParseEnvelope(body)
		valid := json.Valid(body)
		if err != nil {
			var se *wire.SyntaxError
			if valid == errors.As(err, &se) {
				t.Fatalf("ParseEnvelope(%q) = %v; body valid: %v", body, err, valid)
			}
			return
		}
		if !valid {
			t.Fatalf("ParseEnvelope(%q) accepted invalid JSON", body)
		}
		if env.Options != nil {
			if !json.Valid(env.Options) {
				t.Fatalf("Options %q is not valid JSON", env.Options)
			}
			switch string(env.Options) {
			case "null", "false", "0", `""`:
				t.Fatalf("Options %q is falsy but set", env.Options)
			}
		}
		for _, x := range []*extension.Extension{diy, conn} {
			res, err := x.Call(context.Background(), env)
			if err != nil {
				var ce *extension.CallError
				if !errors.As(err, &ce) || ce.StatusCode != 422 || len(ce.Errors) == 0 {
					t.Fatalf("Call error = %#v", err)
				}
				continue
			}
			if res.JSON != nil && !json.Valid(res.JSON) {
				t.Fatalf("Call result %q is not valid JSON", res.JSON)
			}
			if env.Function == "echo" && env.Options != nil {
				var want bytes.Buffer
				_ = json.Compact(&want, env.Options)
				if !bytes.Equal(res.JSON, want.Bytes()) {
					t.Fatalf("echo = %s, want %s", res.JSON, want.Bytes())
				}
			}
			res.Release()
		}
	})
}
