package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/hookstack/hookstack/internal/lambdaemu"
)

// lambdaEmulatorCmd is `hookstack lambda-emulator`: a local stand-in for
// AWS Lambda that a Lambda stack's invoker (or any AWS SDK) can call.
type lambdaEmulatorCmd struct {
	Bootstrap    string        `help:"Path to the Lambda bootstrap binary (a provided.al2023 function)." required:"" type:"existingfile"`
	Addr         string        `help:"Address to serve the Lambda Invoke API on. Requests are not authenticated: keep it on loopback." default:"127.0.0.1:9001"`
	FunctionName string        `help:"The function's name in the Invoke path (/2015-03-31/functions/NAME/invocations)." default:"function"`
	Timeout      time.Duration `help:"Function timeout; a longer invocation fails with Sandbox.Timedout and its process is restarted." default:"300s"`
	Region       string        `help:"Region in the function's ARN." default:"us-east-1"`
	Concurrency  int           `help:"Processes of the bootstrap that may run invocations at once." default:"1"`
	Env          []string      `help:"KEY=value added to the function's environment (repeatable)." short:"e" placeholder:"KEY=VALUE"`
}

// Run serves the Invoke API until the context ends (SIGINT, SIGTERM), then
// stops gracefully: in-flight invocations get a few seconds, and the
// bootstrap's processes are stopped. The bootstrap's output goes to stderr,
// one line per invocation is logged there too.
func (c *lambdaEmulatorCmd) Run(e *env) error {
	if c.Concurrency < 1 {
		fmt.Fprintln(e.stderr, "hookstack lambda-emulator: --concurrency must be at least 1")
		return exitCode(2)
	}
	stderr := &syncWriter{w: e.stderr}
	fn := &lambdaemu.Function{
		Name: c.FunctionName, Path: c.Bootstrap, Timeout: c.Timeout, Region: c.Region,
		Env: c.Env, Output: stderr, Concurrency: c.Concurrency,
	}
	log := slog.New(slog.NewTextHandler(stderr, nil)).With("component", "lambda-emulator")
	emu, err := lambdaemu.New(log, fn)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("lambda-emulator: %w", err)
	}
	if err := emu.Start(); err != nil {
		ln.Close()
		return errors.Join(err, emu.Close())
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(e.stdout, "Lambda emulator serving %s (%s) on %s\n", fn.ARN(), c.Bootstrap, url)
	fmt.Fprintf(e.stdout, "invoke: POST %s/2015-03-31/functions/%s/invocations (any AWS keys; --endpoint-url %s)\n", url, fn.FunctionName(), url)
	return emu.Serve(e.ctx, ln)
}
