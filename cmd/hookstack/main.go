// Command hookstack is Hookstack's one binary:
//
//	hookstack up         run the platform (API) on SQLite or PostgreSQL
//	hookstack user add   add a user and print their first API token
//	hookstack invoke     call an extension function on a server stack or a
//	                     Lambda bootstrap binary, exactly as the platform does
//	hookstack lambda-emulator
//	                     run a Lambda bootstrap behind the Lambda Invoke API,
//	                     for a Lambda stack's endpointURL in development
//
// Run `hookstack --help` for the flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kong"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			os.Exit(int(ec))
		}
		fmt.Fprintln(os.Stderr, "hookstack:", err)
		os.Exit(1)
	}
}

// exitCode is an error that only sets the process's exit status; whatever
// there was to say has been printed.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// env is what a subcommand may use of the outside world.
type env struct {
	ctx    context.Context
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type cli struct {
	Up     upCmd     `cmd:"" help:"Run the platform: the /v1 API on embedded SQLite (default) or PostgreSQL."`
	User   userCmd   `cmd:"" help:"Manage users."`
	Invoke invokeCmd `cmd:"" help:"Call an extension function on a server stack (--url) or a Lambda bootstrap binary (--lambda), exactly as the platform does."`

	LambdaEmulator lambdaEmulatorCmd `cmd:"" name:"lambda-emulator" help:"Serve the AWS Lambda Invoke API locally for a bootstrap binary, so a Lambda stack can be called by the platform or any AWS SDK."`
}

// run parses args and runs the chosen subcommand.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c cli
	parser, err := kong.New(&c,
		kong.Name("hookstack"),
		kong.Description("Hookstack: integrator.io extension functions in Go."),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { panic(exitCode(code)) }),
		kong.Resolvers(envResolver(getenv)),
		kong.UsageOnError(),
	)
	if err != nil {
		return err
	}
	kctx, err := parseArgs(parser, args)
	if err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			return ec
		}
		fmt.Fprintln(stderr, "hookstack:", err)
		return exitCode(2)
	}
	return kctx.Run(&env{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr})
}

// parseArgs runs kong's parser, turning its --help exit into an exitCode.
func parseArgs(p *kong.Kong, args []string) (k *kong.Context, err error) {
	defer func() {
		if r := recover(); r != nil {
			ec, ok := r.(exitCode)
			if !ok {
				panic(r)
			}
			err = ec
		}
	}()
	return p.Parse(args)
}

// envResolver lets flags tagged env:"…" read from the injected getenv.
func envResolver(getenv func(string) string) kong.Resolver {
	return kong.ResolverFunc(func(_ *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
		for _, name := range flag.Envs {
			if v := getenv(name); v != "" {
				return v, nil
			}
		}
		return nil, nil
	})
}
