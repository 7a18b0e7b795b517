package extensionlambda_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/extensionlambda"
)

// The main function of a Lambda stack: build it with
// GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -o bootstrap.
func Example() {
	ping := extension.Ping(func(ctx context.Context, o *extension.PingOptions) (*extension.PingResult, error) {
		return &extension.PingResult{StatusCode: 200}, nil
	})
	module := &extension.Module{
		Functions: extension.Functions{"ping": ping}, // framework 2.0
		Wrappers:  extension.Functions{"ping": ping}, // framework 1.0, type "wrapper"
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := extensionlambda.Start(ctx, extension.Config{DIY: module}); err != nil {
		slog.Error("lambda runtime failed", "err", err)
		os.Exit(1)
	}
}

// Invoke answers an invocation without the Runtime API.
func ExampleHandler_Invoke() {
	module := &extension.Module{Functions: extension.Functions{
		"ping": extension.Ping(func(ctx context.Context, o *extension.PingOptions) (*extension.PingResult, error) {
			return &extension.PingResult{StatusCode: 200}, nil
		}),
	}}
	h := extensionlambda.NewHandler(extension.Config{DIY: module, Logger: slog.New(slog.DiscardHandler)})

	payload, _ := h.Invoke(context.Background(), extensionlambda.Invocation{
		ClientContext: []byte(`{"diy":true,"function":"ping"}`),
		Payload:       []byte(`{"connection":{"unencrypted":{}}}`),
	})
	fmt.Printf("%s\n", payload)

	payload, cerr := h.Invoke(context.Background(), extensionlambda.Invocation{
		ClientContext: []byte(`{"diy":true,"function":"pong"}`),
		Payload:       []byte(`{}`),
	})
	fmt.Println(cerr.Errors[0].Code)
	fmt.Printf("%s\n", payload)
	// Output:
	// {"statusCode":200}
	// invalid_function
	// {"errorType":"string","errorMessage":"{\"statusCode\":422,\"errors\":[{\"code\":\"invalid_function\",\"message\":\"The function passed in the extension options doesn't map to a function.\"}]}","trace":[]}
}

// ParseError reads what a Lambda stack answered when the Invoke response
// carries a FunctionError.
func ExampleParseError() {
	payload := []byte(`{"errorType":"string","errorMessage":"{\"statusCode\":422,\"errors\":[{\"code\":\"my_code\",\"message\":\"it failed\"}]}","trace":[]}`)
	cerr, err := extensionlambda.ParseError(payload)
	if err != nil {
		fmt.Println("not an extension error:", err)
		return
	}
	fmt.Println(cerr.StatusCode, cerr.Errors[0].Code, cerr.Errors[0].Message)
	// Output:
	// 422 my_code it failed
}
