// Command orders-server runs the orders example as a server stack.
//
//	INTEGRATOR_EXTENSION_SYSTEM_TOKEN=secret PORT=8080 go run ./examples/orders/cmd/orders-server
//
// It stops gracefully on SIGTERM, SIGINT or GET /stopServer.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/hookstack/hookstack/examples/orders"
	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/extensionhttp"
)

func main() {
	if err := run(context.Background(), os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "orders-server:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	log := slog.New(slog.NewTextHandler(os.Stdout, nil))
	return extensionhttp.Serve(ctx, extensionhttp.Config{
		Extension: extension.Config{DIY: orders.Module(log), Logger: log},
		Getenv:    getenv,
	})
}
