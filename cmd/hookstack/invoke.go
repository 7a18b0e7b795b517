package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/hookstack/hookstack/internal/invoke"
)

type invokeCmd struct {
	URL             string        `help:"Base URL of a server stack (POST {url}/function)." xor:"target" required:""`
	Token           string        `help:"The stack's system token." env:"INTEGRATOR_EXTENSION_SYSTEM_TOKEN"`
	Lambda          string        `help:"Path to a Lambda bootstrap binary, run under a local Runtime API." xor:"target" required:"" type:"path"`
	Framework       string        `help:"Stack framework: 1.0 sends --type, 2.0 calls top-level functions." enum:"1.0,2.0" default:"2.0"`
	Type            string        `help:"Framework-1.0 category type: hook, wrapper, installer, uninstaller, setting, utility."`
	Function        string        `help:"Function name." required:"" short:"f"`
	DIY             bool          `name:"diy" help:"Call the DIY module." xor:"module"`
	Connector       string        `help:"Call the module of this _connectorId." xor:"module"`
	Options         string        `help:"File with the function options as JSON; - reads stdin; default {}." short:"o" placeholder:"FILE"`
	MaxResponseSize int64         `help:"maxResponseSize sent to the stack (UTF-16 units)." default:"5242880"`
	TraceID         string        `help:"traceid header sent to a server stack."`
	Timeout         time.Duration `help:"How long to wait for the answer." default:"300s"`
}

// Run calls the function, prints the result (or nothing for no result) on
// stdout, and on failure prints {"errors":[…]} on stdout, a summary on
// stderr, and exits with status 1.
func (c *invokeCmd) Run(e *env) error {
	// A Lambda bootstrap's output is copied to stderr by another goroutine.
	e.stderr = &syncWriter{w: e.stderr}
	if !c.DIY && c.Connector == "" {
		fmt.Fprintln(e.stderr, "hookstack invoke: one of --diy or --connector is required")
		return exitCode(2)
	}
	opts, err := c.readOptions(e)
	if err != nil {
		fmt.Fprintln(e.stderr, "hookstack invoke:", err)
		return exitCode(2)
	}
	call := &invoke.Call{
		Framework: c.Framework, Type: c.Type, Function: c.Function, DIY: c.DIY, ConnectorID: c.Connector,
		MaxResponseSize: c.MaxResponseSize, Options: opts, TraceID: c.TraceID,
	}
	if err := call.Validate(); err != nil {
		fmt.Fprintln(e.stderr, "hookstack invoke:", err)
		return exitCode(2)
	}
	var inv invoke.Invoker
	if c.URL != "" {
		if c.Token == "" {
			fmt.Fprintln(e.stderr, "hookstack invoke: --token (or INTEGRATOR_EXTENSION_SYSTEM_TOKEN) is required with --url")
			return exitCode(2)
		}
		inv = &invoke.HTTP{BaseURL: c.URL, Token: c.Token, Timeout: c.Timeout}
	} else {
		bin := &invoke.Bootstrap{Path: c.Lambda, Timeout: c.Timeout, Stderr: e.stderr}
		defer bin.Close()
		inv = bin
	}
	res, err := inv.Invoke(e.ctx, call)
	if err != nil {
		se, ok := err.(*invoke.StackError)
		if !ok {
			return err
		}
		out, _ := json.Marshal(struct {
			Errors []invoke.Error `json:"errors"`
		}{se.Errors})
		fmt.Fprintf(e.stdout, "%s\n", out)
		fmt.Fprintf(e.stderr, "hookstack invoke: %v\n", se)
		return exitCode(1)
	}
	if res != nil {
		fmt.Fprintf(e.stdout, "%s\n", res)
	}
	return nil
}

func (c *invokeCmd) readOptions(e *env) (json.RawMessage, error) {
	var b []byte
	var err error
	switch c.Options {
	case "":
		return json.RawMessage("{}"), nil
	case "-":
		b, err = io.ReadAll(e.stdin)
	default:
		b, err = os.ReadFile(c.Options)
	}
	if err != nil {
		return nil, fmt.Errorf("reading options: %w", err)
	}
	b = bytes.TrimSpace(b)
	if !json.Valid(b) {
		return nil, fmt.Errorf("options in %s are not valid JSON", optionsSource(c.Options))
	}
	return b, nil
}

// syncWriter serializes writes to a writer shared by several goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func optionsSource(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}
