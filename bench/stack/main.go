// Command stack is the Go side of the side-by-side benchmark: it serves
// benchmodule.Module, exactly the module of
// ../shared/bench/node-stack/index.js, on $PORT with system token
// $SYSTEM_TOKEN.
//
//	PORT=7102 SYSTEM_TOKEN=bench-token go run ./bench/stack
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // served only when PPROF_ADDR is set
	"os"
	"time"

	"github.com/hookstack/hookstack/bench/benchmodule"
	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/extensionhttp"
	"github.com/hookstack/hookstack/extension/extensionlog"
)

func main() {
	if err := run(context.Background(), os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "stack:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, logw io.Writer) error {
	port := getenv("PORT")
	if port == "" {
		port = "7102"
	}
	if addr := getenv("PPROF_ADDR"); addr != "" {
		go http.ListenAndServe(addr, nil) //nolint:errcheck // profiling aid for benchmarks only
	}
	token := getenv("SYSTEM_TOKEN")
	if token == "" {
		token = "bench-token"
	}
	// Both log lines of every call are written, batched (see extensionlog).
	out := extensionlog.NewBuffered(logw, 100*time.Millisecond)
	defer out.Close()
	logs := extensionlog.NewHandler(out, nil)
	return extensionhttp.Serve(ctx, extensionhttp.Config{
		Extension: extension.Config{
			DIY:    benchmodule.Module(),
			Logger: slog.New(logs),
		},
		SystemTokens: []string{token},
		// CPU-bound hooks on 2 cores: work on about two 1000-record pages
		// at a time (first come, first served) rather than on all of them
		// at once. Measured: 8 MiB gave the same throughput with 40 % more
		// peak memory and a longer tail; 3 MiB fits only one 2 MB page.
		MaxInFlightBytes: 4 << 20,
		// And on at most 8 calls of any size: with 100-record pages the
		// byte bound alone let 20 share the cores, and an unlucky one
		// waited 7× the median (c=64: p99 130–160 ms → 60–64 ms, −40 %
		// peak memory, up to −15 % calls per second). 4 starves the cores
		// while calls read and write.
		MaxConcurrentCalls: 8,
		Addr:               "127.0.0.1:" + port,
	})
}
