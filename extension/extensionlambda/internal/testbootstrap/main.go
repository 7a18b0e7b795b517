// Command testbootstrap is a minimal Lambda stack, built and run by
// extensionlambda's end-to-end test under extensiontest's fake Runtime API.
// It serves a DIY module with a wrapper ping (framework 1.0 and 2.0) and a
// function "fail" that returns an error with code "my_code".
package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/extensionlambda"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		slog.Error("lambda runtime failed", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	ping := extension.Ping(func(ctx context.Context, o *extension.PingOptions) (*extension.PingResult, error) {
		return &extension.PingResult{StatusCode: 200}, nil
	})
	fail := extension.Raw(func(ctx context.Context, options json.RawMessage) (any, error) {
		return nil, extension.NewError("my_code", "it failed")
	})
	module := &extension.Module{
		Functions: extension.Functions{"ping": ping, "fail": fail},
		Wrappers:  extension.Functions{"ping": ping},
	}
	return extensionlambda.Start(ctx, extension.Config{DIY: module})
}
