package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/hookstack/hookstack/extension/extensiontest"
)

// Bootstrap invokes functions on a Lambda bootstrap binary run locally under
// a Lambda Runtime API of its own (extensiontest.Runtime), the way AWS runs a
// provided.al2023 function. The binary starts on the first Invoke and stops
// on Close.
type Bootstrap struct {
	// Path is the bootstrap binary.
	Path string
	// Timeout is the function timeout (Lambda's setting); default 300 s.
	Timeout time.Duration
	// Env is added to the binary's environment.
	Env []string
	// Stderr receives the binary's output; nil discards it.
	Stderr io.Writer

	once     sync.Once
	startErr error
	rt       *extensiontest.Runtime
	srv      *http.Server
	cmd      *exec.Cmd
	exited   chan struct{}
}

func (b *Bootstrap) start() error {
	b.once.Do(func() {
		if _, err := os.Stat(b.Path); err != nil {
			b.startErr = fmt.Errorf("bootstrap binary: %w", err)
			return
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.startErr = err
			return
		}
		b.rt = extensiontest.NewRuntime()
		b.rt.Timeout = b.Timeout
		if b.rt.Timeout <= 0 {
			b.rt.Timeout = DefaultTimeout
		}
		b.srv = &http.Server{Handler: b.rt, ReadHeaderTimeout: 10 * time.Second}
		go b.srv.Serve(ln) //nolint:errcheck // ends with Close
		b.cmd = exec.Command(b.Path)
		b.cmd.Env = append(append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(),
			"AWS_LAMBDA_FUNCTION_NAME=bootstrap", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512"), b.Env...)
		out := b.Stderr
		if out == nil {
			out = io.Discard
		}
		b.cmd.Stdout, b.cmd.Stderr = out, out
		if err := b.cmd.Start(); err != nil {
			b.srv.Close()
			b.startErr = fmt.Errorf("starting %s: %w", b.Path, err)
			return
		}
		b.exited = make(chan struct{})
		go func() {
			err := b.cmd.Wait()
			b.rt.Stop(fmt.Errorf("the bootstrap binary exited: %v", err))
			close(b.exited)
		}()
	})
	return b.startErr
}

// Invoke runs the call on the binary as Lambda's Invoke would: options as
// the event, the extension properties as the client context. Errors are
// *StackError values, as for HTTP.
func (b *Bootstrap) Invoke(ctx context.Context, call *Call) (json.RawMessage, error) {
	if err := call.Validate(); err != nil {
		return nil, &StackError{Errors: []Error{*err.(*Error)}}
	}
	props, _, err := clientContext(call)
	if err != nil {
		return nil, err
	}
	if err := b.start(); err != nil {
		return nil, stackErr(0, CodeStackUnreachable, "%v", err)
	}
	payload := call.Options
	if payload == nil {
		payload = json.RawMessage("{}")
	}
	res, err := b.rt.Invoke(ctx, props, payload)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, stackErr(0, CodeStackTimeout, "the Lambda function did not answer in time")
		}
		return nil, stackErr(0, CodeStackUnreachable, "%v", err)
	}
	return lambdaResult(res.FunctionError, res.Payload, call.limit())
}

// Close stops the binary and its Runtime API.
func (b *Bootstrap) Close() error {
	if b.cmd != nil && b.cmd.Process != nil {
		_ = b.cmd.Process.Signal(os.Interrupt)
		select {
		case <-b.exited:
		case <-time.After(3 * time.Second):
			_ = b.cmd.Process.Kill()
			<-b.exited
		}
	}
	if b.srv != nil {
		return b.srv.Close()
	}
	return nil
}
