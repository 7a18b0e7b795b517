// Command orders-lambda runs the orders example as an AWS Lambda stack.
// Build it as the bootstrap of a provided.al2023 function:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -o bootstrap ./examples/orders/cmd/orders-lambda
//
// Try it locally: hookstack invoke --lambda ./bootstrap --diy -f ping …
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/hookstack/hookstack/examples/orders"
	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/extensionlambda"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	if err := extensionlambda.Start(ctx, extension.Config{DIY: orders.Module(log), Logger: log}); err != nil {
		fmt.Fprintln(os.Stderr, "orders-lambda:", err)
		os.Exit(1)
	}
}
