// Package extensiontest helps test extension functions without a platform.
//
// Call runs a function in process through the same dispatch as the server
// and Lambda stacks (validation, lookup, result checks), with envelopes
// built by DIY, Connector, Hook and Wrapper.
//
// Runtime is a fake AWS Lambda Runtime API to run a Lambda stack against:
// in process (StartRuntime with extensionlambda.Start) or as a real
// bootstrap binary (BuildBinary and StartBinary). Runtime itself does not
// depend on a test and can serve any program that speaks the Runtime API.
package extensiontest

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/hookstack/hookstack/extension"
)

// Call runs the function env selects, as a stack would: extension.New(cfg)
// then Extension.Call with t.Context(). options, when not nil, are the
// function options: a []byte or json.RawMessage is used as JSON text, any
// other value is encoded with encoding/json; a JavaScript-falsy JSON value
// (null, false, 0, "") counts as none, as on the wire. With nil options the
// envelope's own Options are used.
//
// It returns the result's JSON (nil when the function returned no value)
// or the *extension.CallError the stack would answer with status 422. It
// fails the test when cfg is invalid, when options cannot be encoded, or
// when both options and env.Options are set. Logs are discarded unless
// cfg.Logger is set.
func Call(t testing.TB, cfg extension.Config, env extension.Envelope, options any) (json.RawMessage, *extension.CallError) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	x, err := extension.New(cfg)
	if err != nil {
		t.Fatalf("extensiontest.Call: invalid configuration: %v", err)
	}
	if options != nil {
		if env.Options != nil {
			t.Fatalf("extensiontest.Call: options given both in the envelope and as an argument")
		}
		var b []byte
		switch o := options.(type) {
		case []byte:
			b = o
		case json.RawMessage:
			b = o
		default:
			if b, err = json.Marshal(o); err != nil {
				t.Fatalf("extensiontest.Call: encode options: %v", err)
			}
		}
		if extension.Truthy(b) {
			env.Options = b
		}
	}
	res, err := x.Call(t.Context(), &env)
	if err != nil {
		if ce, ok := errors.AsType[*extension.CallError](err); ok {
			return nil, ce
		}
		t.Fatalf("extensiontest.Call: unexpected error type %T: %v", err, err)
	}
	defer res.Release()
	if res.JSON == nil {
		return nil, nil
	}
	return bytes.Clone(res.JSON), nil
}

// DIY returns the framework-2.0 envelope of a call to the DIY module's
// top-level function: {"diy":true,"function":function}.
func DIY(function string) extension.Envelope {
	return extension.Envelope{DIY: true, Function: function}
}

// Connector returns the framework-2.0 envelope of a call to a connector's
// top-level function: {"_connectorId":id,"function":function}. Set Type for
// a framework-1.0 category such as "installer" or "setting".
func Connector(id, function string) extension.Envelope {
	return extension.Envelope{ConnectorID: id, Function: function}
}

// Hook returns the framework-1.0 envelope of a call to a DIY hook:
// {"diy":true,"type":"hook","function":function}, served by Module.Hooks.
func Hook(function string) extension.Envelope {
	return extension.Envelope{DIY: true, Type: "hook", Function: function}
}

// Wrapper returns the framework-1.0 envelope of a call to a DIY wrapper
// function: {"diy":true,"type":"wrapper","function":function}, served by
// Module.Wrappers.
func Wrapper(function string) extension.Envelope {
	return extension.Envelope{DIY: true, Type: "wrapper", Function: function}
}

// ClientContext returns the JSON of env's routing members, as a Lambda
// client context carries them (Runtime.Invoke takes it): env.Options are
// left out, since on Lambda the event holds the function options.
func ClientContext(env extension.Envelope) []byte {
	env.Options = nil
	b, err := json.Marshal(env)
	if err != nil { // cannot happen: strings, a bool and an int
		panic(err)
	}
	return b
}
