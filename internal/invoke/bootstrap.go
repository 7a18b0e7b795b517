package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/hookstack/hookstack/internal/lambdaemu"
)

// Bootstrap invokes functions on a Lambda bootstrap binary run locally
// under a Lambda Runtime API of its own (a lambdaemu.Function), the way AWS
// runs a provided.al2023 function. The binary starts on the first Invoke,
// is started again after a timeout or a crash, and stops on Close.
type Bootstrap struct {
	// Path is the bootstrap binary.
	Path string
	// Timeout is the function timeout (Lambda's setting); default 300 s.
	Timeout time.Duration
	// Env is added to the binary's environment.
	Env []string
	// Stderr receives the binary's output; nil discards it.
	Stderr io.Writer

	once sync.Once
	fn   *lambdaemu.Function
}

func (b *Bootstrap) function() *lambdaemu.Function {
	b.once.Do(func() {
		timeout := b.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		b.fn = &lambdaemu.Function{Name: "bootstrap", Path: b.Path, Timeout: timeout, Env: b.Env, Output: b.Stderr}
	})
	return b.fn
}

// Invoke runs the call on the binary as Lambda's Invoke would: options as
// the event, the extension properties as the client context. Errors are
// *StackError values, as for HTTP and Lambda: stack_unreachable when the
// binary cannot be started, stack_timeout when ctx ends or the function
// times out.
func (b *Bootstrap) Invoke(ctx context.Context, call *Call) (json.RawMessage, error) {
	if err := call.Validate(); err != nil {
		return nil, &StackError{Errors: []Error{*err.(*Error)}}
	}
	props, _, err := clientContext(call)
	if err != nil {
		return nil, err
	}
	payload := call.Options
	if payload == nil {
		payload = json.RawMessage("{}")
	}
	res, err := b.function().Invoke(ctx, props, payload)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, stackErr(0, CodeStackTimeout, "the Lambda function did not answer in time")
		}
		return nil, stackErr(0, CodeStackUnreachable, "%v", err)
	}
	return lambdaResult(res.FunctionError, res.Payload, call.limit())
}

// Close stops the binary and its Runtime API.
func (b *Bootstrap) Close() error { return b.function().Close() }
