package extension_test

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstack/hookstack/extension"
)

var discard = slog.New(slog.DiscardHandler)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	missing := &extension.Error{Code: "missing_parameter", Message: "Options parameter is not provided."}
	neither := &extension.Error{Code: "missing_required_field", Message: "Either DIY or connectors field needs to be set."}
	both := &extension.Error{Code: "invalid_configuration", Message: "The configuration object should only have one of the diy or connectors field."}
	noConnectors := &extension.Error{Code: "invalid_field", Message: "No connector modules provided in the connectors field."}
	tests := []struct {
		name string
		cfg  *extension.Config
		want *extension.Error // nil: valid
	}{
		{"nil config", nil, missing},
		{"zero config", &extension.Config{}, missing},
		{"logger only", &extension.Config{Logger: discard}, neither},
		{"nil connectors map with logger", &extension.Config{Logger: discard, Connectors: nil}, neither},
		{"both", &extension.Config{DIY: &extension.Module{}, Connectors: map[string]*extension.Module{"c": {}}}, both},
		{"both, empty connectors", &extension.Config{DIY: &extension.Module{}, Connectors: map[string]*extension.Module{}}, both},
		{"empty connectors", &extension.Config{Connectors: map[string]*extension.Module{}}, noConnectors},
		{"empty connectors with logger", &extension.Config{Connectors: map[string]*extension.Module{}, Logger: discard}, noConnectors},
		{"empty DIY module", &extension.Config{DIY: &extension.Module{}}, nil},
		{"DIY", &extension.Config{DIY: &extension.Module{Functions: extension.Functions{"f": nil}}, Logger: discard}, nil},
		{"connectors", &extension.Config{Connectors: map[string]*extension.Module{"c1": {}, "c2": nil}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.cfg.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var got *extension.Error
			if !errors.As(err, &got) {
				t.Fatalf("Validate() = %T %v, want *extension.Error", err, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate() mismatch (-want +got):\n%s", diff)
			}
			if tc.cfg == nil {
				return
			}
			x, err := extension.New(*tc.cfg)
			if x != nil {
				t.Errorf("New returned an Extension for an invalid configuration")
			}
			var newErr *extension.Error
			if !errors.As(err, &newErr) {
				t.Fatalf("New() error = %T %v, want *extension.Error", err, err)
			}
			if diff := cmp.Diff(tc.want, newErr); diff != "" {
				t.Errorf("New() error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateReturnsCopies(t *testing.T) {
	t.Parallel()
	var cfg extension.Config
	err := cfg.Validate()
	var e *extension.Error
	if !errors.As(err, &e) {
		t.Fatalf("Validate() = %v", err)
	}
	e.Message = "changed"
	if err := cfg.Validate(); err.Error() != "missing_parameter: Options parameter is not provided." {
		t.Errorf("changing a returned error changed the next one: %v", err)
	}
}

func TestNewLogsConfiguration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  extension.Config
		want []string
	}{
		{"diy", extension.Config{DIY: &extension.Module{}},
			[]string{"Loaded integrator-extension configuration.", "Loaded DIY module."}},
		{"connector", extension.Config{Connectors: map[string]*extension.Module{"c1": {}}},
			[]string{"Loaded integrator-extension configuration.", "Loaded connector module for _connectorId: c1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &recordingHandler{}
			tc.cfg.Logger = slog.New(h)
			x, err := extension.New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if x.Logger() != tc.cfg.Logger {
				t.Errorf("Logger() is not the configured logger")
			}
			if diff := cmp.Diff(tc.want, h.messages()); diff != "" {
				t.Errorf("log lines mismatch (-want +got):\n%s", diff)
			}
		})
	}
	x, err := extension.New(extension.Config{DIY: &extension.Module{}, Logger: discard})
	if err != nil || x.Logger() == nil {
		t.Fatalf("New: %v", err)
	}
}

func TestErrorStrings(t *testing.T) {
	t.Parallel()
	if got, want := extension.NewError("c", "m").Error(), "c: m"; got != want {
		t.Errorf("Error.Error() = %q, want %q", got, want)
	}
	ce := &extension.CallError{StatusCode: 422, Errors: []extension.Error{{"a", "x"}, {"b", "y"}}}
	if got, want := ce.Error(), "a: x; b: y"; got != want {
		t.Errorf("CallError.Error() = %q, want %q", got, want)
	}
	b, err := extension.Marshal(ce)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"statusCode":422,"errors":[{"code":"a","message":"x"},{"code":"b","message":"y"}]}`; string(b) != want {
		t.Errorf("Marshal(CallError) = %s, want %s", b, want)
	}
}
