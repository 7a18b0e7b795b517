package orders_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hookstack/hookstack/examples/orders"
	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/extensionhttp"
	"github.com/hookstack/hookstack/extension/extensiontest"
	"github.com/hookstack/hookstack/internal/invoke"
)

func config() extension.Config {
	log := slog.New(slog.DiscardHandler)
	return extension.Config{DIY: orders.Module(log), Logger: log}
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

var cases = []struct {
	name, kind, function, options, want string
}{
	{
		name: "preSavePage drops cancelled and reports missing ids", kind: "hook", function: "preSavePage",
		options: `{"data":[{"id":"SO-1","status":"pending"},{"id":"SO-3","status":"cancelled"},{"status":"pending"}],"errors":[]}`,
		want:    `{"data":[{"id":"SO-1","status":"pending"}],"errors":[{"code":"missing_id","message":"order has no id","source":"preSavePage"}],"abort":false}`,
	},
	{
		name: "preMap rejects orders without email", kind: "hook", function: "preMap",
		options: `{"data":[{"id":"SO-1","customer":{"email":"a@b.c"}},{"id":"SO-4","customer":{}}]}`,
		want:    `[{"data":{"id":"SO-1","customer":{"email":"a@b.c"}}},{"errors":[{"code":"missing_email","message":"order SO-4 has no customer email"}]}]`,
	},
	{
		name: "postMap adds totals", kind: "hook", function: "postMap",
		options: `{"preMapData":[{}],"postMapData":[{"id":"SO-5","lines":[{"amount":0.1},{"amount":0.2}]}]}`,
		want:    `[{"data":{"id":"SO-5","lines":[{"amount":0.1},{"amount":0.2}],"total":0.30000000000000004}}]`,
	},
	{
		name: "postSubmit names the order in errors", kind: "hook", function: "postSubmit",
		options: `{"preMapData":[{"id":"SO-1"},{"id":"SO-2"}],"postMapData":[{},{}],"responseData":[{"statusCode":200,"id":"E1"},{"statusCode":422,"errors":[{"code":"bad","message":"no stock"}]}]}`,
		want:    `[{"statusCode":200,"id":"E1"},{"statusCode":422,"errors":[{"code":"bad","message":"order SO-2: no stock"}]}]`,
	},
	{
		name: "postResponseMap records the ERP id", kind: "hook", function: "postResponseMap",
		options: `{"postResponseMapData":[{"id":"SO-1"},{"id":"SO-2"}],"responseData":[{"statusCode":200,"id":"ERP-SO-1"},{"statusCode":422}]}`,
		want:    `[{"id":"SO-1","erpId":"ERP-SO-1"},{"id":"SO-2"}]`,
	},
	{
		name: "ping ok", kind: "wrapper", function: "ping",
		options: `{"connection":{"unencrypted":{"baseURI":"https://erp.example"},"encrypted":{"apiKey":"erp_123"}}}`,
		want:    `{"statusCode":200}`,
	},
	{
		name: "ping bad key", kind: "wrapper", function: "ping",
		options: `{"connection":{"unencrypted":{"baseURI":"https://erp.example"},"encrypted":{"apiKey":"nope"}}}`,
		want:    `{"statusCode":401,"errors":[{"code":"unauthorized","message":"the ERP rejected the API key"}]}`,
	},
	{
		name: "export first page", kind: "wrapper", function: "export",
		options: `{"connection":{"unencrypted":{"baseURI":"u"},"encrypted":{"apiKey":"erp_1"}},"configuration":{"pageSize":2}}`,
		want:    `{"data":[` + orders.Catalog[0] + `,` + orders.Catalog[1] + `],"lastPage":false,"state":{"offset":2}}`,
	},
	{
		name: "export last page from state", kind: "wrapper", function: "export",
		options: `{"connection":{"unencrypted":{"baseURI":"u"},"encrypted":{"apiKey":"erp_1"}},"configuration":{"pageSize":2},"state":{"offset":4}}`,
		want:    `{"data":[` + orders.Catalog[4] + `],"lastPage":true,"state":{"offset":5}}`,
	},
	{
		name: "export offline connection", kind: "wrapper", function: "export",
		options: `{"connection":{"unencrypted":{},"encrypted":{}}}`,
		want:    `{"connectionOffline":true,"data":null,"errors":[{"code":"missing_base_uri","message":"unencrypted.baseURI is required"}],"lastPage":false}`,
	},
	{
		name: "import", kind: "wrapper", function: "import",
		options: `{"connection":{},"preMapData":[{},{}],"postMapData":[{"id":"SO-1"},{"name":"no id"}]}`,
		want:    `[{"statusCode":200,"id":"ERP-SO-1"},{"statusCode":422,"errors":[{"code":"missing_id","message":"order has no id"}]}]`,
	},
}

// TestFunctions calls every function in process, through both layouts.
func TestFunctions(t *testing.T) {
	t.Parallel()
	for _, tc := range cases {
		for _, env := range []extension.Envelope{
			{DIY: true, Type: tc.kind, Function: tc.function}, // framework 1.0
			extensiontest.DIY(tc.function),                    // framework 2.0
		} {
			t.Run(tc.name+"/type="+env.Type, func(t *testing.T) {
				t.Parallel()
				got, cerr := extensiontest.Call(t, config(), env, json.RawMessage(tc.options))
				if cerr != nil {
					t.Fatalf("call failed: %v", cerr)
				}
				jsonEqual(t, tc.want, got)
			})
		}
	}
}

func TestPostAggregate(t *testing.T) {
	t.Parallel()
	got, cerr := extensiontest.Call(t, config(), extensiontest.Hook("postAggregate"),
		json.RawMessage(`{"postAggregateData":{"success":true,"_json":"orders.csv"}}`))
	if cerr != nil || got != nil {
		t.Fatalf("got %s, %v; want no result", got, cerr)
	}
	_, cerr = extensiontest.Call(t, config(), extensiontest.Hook("postAggregate"),
		json.RawMessage(`{"postAggregateData":{"success":false,"message":"disk full"}}`))
	want := &extension.CallError{StatusCode: 422, Errors: []extension.Error{{Code: "aggregate_failed", Message: "disk full"}}}
	if diff := cmp.Diff(want, cerr); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestServerStack serves the module over HTTP and calls it as the platform
// does, for framework 1.0 and 2.0 stacks.
func TestServerStack(t *testing.T) {
	t.Parallel()
	h, err := extensionhttp.NewHandler(extensionhttp.Config{Extension: config(), SystemTokens: []string{"secret"}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	stack := &invoke.HTTP{BaseURL: "http://" + ln.Addr().String(), Token: "secret", Timeout: 10 * time.Second}
	for _, tc := range cases {
		for _, fw := range []string{invoke.Framework1, invoke.Framework2} {
			t.Run(tc.name+"/"+fw, func(t *testing.T) {
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
}

// TestLambdaStack builds the Lambda bootstrap and calls it through a local
// Runtime API, as the platform's Lambda invoker does.
func TestLambdaStack(t *testing.T) {
	t.Parallel()
	bin := extensiontest.BuildBinary(t, "./cmd/orders-lambda")
	stack := &invoke.Bootstrap{Path: bin, Timeout: 10 * time.Second}
	t.Cleanup(func() { stack.Close() })
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := stack.Invoke(t.Context(), &invoke.Call{
				Framework: invoke.Framework1, Type: tc.kind, Function: tc.function, DIY: true, Options: json.RawMessage(tc.options),
			})
			if err != nil {
				t.Fatal(err)
			}
			jsonEqual(t, tc.want, got)
		})
	}
	_, err := stack.Invoke(t.Context(), &invoke.Call{Function: "nosuch", DIY: true})
	se, ok := err.(*invoke.StackError)
	if !ok || se.Code() != "invalid_function" {
		t.Fatalf("unknown function: got %v, want invalid_function", err)
	}
}
