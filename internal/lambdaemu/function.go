package lambdaemu

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hookstack/hookstack/extension/extensiontest"
)

// Defaults of a Function's settings.
const (
	DefaultFunctionName = "function"
	DefaultRegion       = "us-east-1"
	DefaultTimeout      = 300 * time.Second
	DefaultMemorySize   = 512
)

// ErrClosed is returned by Function.Invoke once the function is closed.
var ErrClosed = errors.New("lambdaemu: function closed")

// Function runs a Lambda bootstrap binary the way AWS Lambda runs a function
// on an OS-only runtime (provided.al2023): each sandbox is one process of
// the binary polling a Runtime API of its own (an extensiontest.Runtime on
// a loopback port), and one sandbox runs one invocation at a time.
//
// Like Lambda, a Function starts sandboxes on demand (a cold start), keeps
// them warm between invocations, and throws a sandbox away after a
// timeout, an init error or a crash, so the next invocation starts a fresh
// process. At most Concurrency sandboxes run; further invocations wait for
// a free one.
//
// Set the exported fields before the first Invoke or Start. The binary
// inherits the environment of the current process plus the variables Lambda
// sets (AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME,
// AWS_LAMBDA_FUNCTION_VERSION, AWS_LAMBDA_FUNCTION_MEMORY_SIZE, AWS_REGION,
// AWS_DEFAULT_REGION, LAMBDA_TASK_ROOT) and Env; it runs in the current
// working directory.
type Function struct {
	// Name is the function's name; default DefaultFunctionName.
	Name string
	// Path is the bootstrap binary.
	Path string
	// Timeout is the function timeout; default DefaultTimeout. An
	// invocation running longer gets Lambda's Sandbox.Timedout error and its
	// sandbox is stopped.
	Timeout time.Duration
	// Region is the region in the function's ARN; default DefaultRegion.
	Region string
	// Env ("KEY=value" entries) is added to the binary's environment.
	Env []string
	// Output receives the binary's stdout and stderr; nil discards them.
	Output io.Writer
	// Concurrency is the number of sandboxes that may run at once; default 1.
	Concurrency int

	initOnce sync.Once
	slots    chan *slot    // idle slots; a slot is taken for one invocation
	done     chan struct{} // closed by Close
	out      io.Writer     // Output, nil or safe for concurrent writes

	mu     sync.Mutex
	closed bool
	live   map[*sandbox]struct{}
}

// slot is the place of one sandbox; sb is nil until the first invocation
// that takes the slot starts one.
type slot struct{ sb *sandbox }

// sandbox is one running process of the bootstrap with its Runtime API.
type sandbox struct {
	rt      *extensiontest.Runtime
	srv     *http.Server
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has exited
	exitErr error         // set before exited is closed
}

// exitError is the Runtime's stop cause when the process exits.
type exitError struct{ err error }

func (e *exitError) Error() string { return "lambdaemu: the bootstrap exited: " + exitText(e.err) }

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

func (f *Function) init() {
	f.initOnce.Do(func() {
		n := f.Concurrency
		if n <= 0 {
			n = 1
		}
		f.slots = make(chan *slot, n)
		for range n {
			f.slots <- &slot{}
		}
		f.done = make(chan struct{})
		f.live = make(map[*sandbox]struct{})
		switch w := f.Output.(type) {
		case nil:
			f.out = nil // exec sends it to the null device
		case *os.File:
			f.out = w
		default:
			f.out = &lockedWriter{w: w}
		}
	})
}

// FunctionName returns the function's name.
func (f *Function) FunctionName() string {
	if f.Name == "" {
		return DefaultFunctionName
	}
	return f.Name
}

// ARN returns the function's ARN, in account 000000000000.
func (f *Function) ARN() string {
	return "arn:aws:lambda:" + f.region() + ":000000000000:function:" + f.FunctionName()
}

func (f *Function) region() string {
	if f.Region == "" {
		return DefaultRegion
	}
	return f.Region
}

func (f *Function) timeout() time.Duration {
	if f.Timeout <= 0 {
		return DefaultTimeout
	}
	return f.Timeout
}

// Start checks the binary and starts one sandbox now rather than on the
// first Invoke, so that a binary that cannot run is reported at once.
// It returns ErrClosed after Close.
func (f *Function) Start() error {
	f.init()
	var s *slot
	select {
	case s = <-f.slots:
	case <-f.done:
		return ErrClosed
	}
	defer func() { f.slots <- s }()
	if s.sb != nil {
		return nil
	}
	sb, err := f.spawn()
	if err != nil {
		return err
	}
	s.sb = sb
	return nil
}

// Invoke runs one invocation synchronously, as Lambda's Invoke with
// InvocationType RequestResponse: payload is the event and clientContext the
// decoded JSON of the client context (nil for none).
//
// What the function did is the result: its response, or with FunctionError
// "Unhandled" the error it posted, Lambda's Sandbox.Timedout error, the
// init error, or a Runtime.ExitError when the process exited during the
// invocation. Invoke returns an error only when it could not run the
// invocation: ctx's error when ctx ended first (the sandbox is then
// stopped, where Lambda would let the invocation run on to its timeout),
// ErrClosed after Close, or the reason the binary could not be started.
func (f *Function) Invoke(ctx context.Context, clientContext, payload []byte) (extensiontest.InvokeResult, error) {
	f.init()
	var s *slot
	select {
	case s = <-f.slots:
	case <-f.done:
		return extensiontest.InvokeResult{}, ErrClosed
	case <-ctx.Done():
		return extensiontest.InvokeResult{}, ctx.Err()
	}
	defer func() { f.slots <- s }()
	if f.isClosed() {
		return extensiontest.InvokeResult{}, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return extensiontest.InvokeResult{}, err
	}
	if s.sb != nil && s.sb.hasExited() {
		f.retire(s.sb) // crashed while idle: start a fresh one
		s.sb = nil
	}
	if s.sb == nil {
		sb, err := f.spawn()
		if err != nil {
			return extensiontest.InvokeResult{}, err
		}
		s.sb = sb
	}
	sb := s.sb
	res, err := sb.rt.Invoke(ctx, clientContext, payload)
	if err != nil {
		var ee *exitError
		if f.isClosed() {
			return extensiontest.InvokeResult{}, ErrClosed
		}
		// The sandbox may be busy with the abandoned invocation for as
		// long as the function timeout: stop it so that it cannot hold up
		// the next one.
		f.retire(sb)
		s.sb = nil
		if errors.As(err, &ee) {
			return exitResult(ee.err), nil
		}
		return extensiontest.InvokeResult{}, err
	}
	_, initFailed := sb.rt.InitError()
	if res.ErrorType == "Sandbox.Timedout" || initFailed {
		// Lambda stops a sandbox whose invocation timed out or whose
		// init failed; the next invocation starts a new one.
		f.retire(sb)
		s.sb = nil
	}
	return res, nil
}

// exitResult is Lambda's answer for a runtime that exited during an invocation.
func exitResult(err error) extensiontest.InvokeResult {
	msg := "Runtime exited without providing a reason"
	if err != nil {
		msg = "Runtime exited with error: " + err.Error()
	}
	b, _ := json.Marshal(struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}{"Runtime.ExitError", "RequestId: " + requestID() + " Error: " + msg})
	return extensiontest.InvokeResult{Payload: b, FunctionError: "Unhandled", ErrorType: "Runtime.ExitError"}
}

func (f *Function) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// spawn starts a sandbox: a Runtime API on a loopback port and the binary.
func (f *Function) spawn() (*sandbox, error) {
	if f.Path == "" {
		return nil, errors.New("lambdaemu: no bootstrap binary given")
	}
	if fi, err := os.Stat(f.Path); err != nil {
		return nil, fmt.Errorf("lambdaemu: bootstrap binary: %w", err)
	} else if fi.IsDir() {
		return nil, fmt.Errorf("lambdaemu: bootstrap binary %s is a directory", f.Path)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdaemu: Runtime API: %w", err)
	}
	rt := extensiontest.NewRuntime()
	rt.Timeout = f.timeout()
	rt.FunctionARN = f.ARN()
	sb := &sandbox{
		rt:     rt,
		srv:    &http.Server{Handler: rt, ReadHeaderTimeout: 10 * time.Second},
		exited: make(chan struct{}),
	}
	go sb.srv.Serve(ln) //nolint:errcheck // ends with Close

	path, err := filepath.Abs(f.Path)
	if err != nil {
		path = f.Path
	}
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(),
		"AWS_LAMBDA_RUNTIME_API="+ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME="+f.FunctionName(),
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(DefaultMemorySize),
		"AWS_REGION="+f.region(),
		"AWS_DEFAULT_REGION="+f.region(),
		"LAMBDA_TASK_ROOT="+filepath.Dir(path),
	)
	cmd.Env = append(cmd.Env, f.Env...)
	cmd.Stdout, cmd.Stderr = f.out, f.out
	cmd.WaitDelay = time.Second // a child holding the output pipe open
	if err := cmd.Start(); err != nil {
		sb.srv.Close()
		return nil, fmt.Errorf("lambdaemu: starting %s: %w", f.Path, err)
	}
	sb.cmd = cmd
	go func() {
		err := cmd.Wait()
		sb.exitErr = err
		close(sb.exited)
		rt.Stop(&exitError{err})
	}()

	f.mu.Lock()
	closed := f.closed
	if !closed {
		f.live[sb] = struct{}{}
	}
	f.mu.Unlock()
	if closed {
		sb.stop(0)
		return nil, ErrClosed
	}
	return sb, nil
}

func (sb *sandbox) hasExited() bool {
	select {
	case <-sb.exited:
		return true
	default:
		return false
	}
}

// retire stops a sandbox at once, as Lambda does after a timeout, without
// waiting for it.
func (f *Function) retire(sb *sandbox) {
	f.mu.Lock()
	delete(f.live, sb)
	f.mu.Unlock()
	go sb.stop(0)
}

// stop stops the Runtime API and the process: SIGTERM, then SIGKILL after
// grace (at once when grace is 0). It returns when the process has exited.
func (sb *sandbox) stop(grace time.Duration) {
	sb.rt.Stop(ErrClosed)
	if grace > 0 {
		_ = sb.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-sb.exited:
		case <-time.After(grace):
		}
	}
	_ = sb.cmd.Process.Kill()
	<-sb.exited
	sb.srv.Close()
}

// Close stops every sandbox (SIGTERM, then SIGKILL after 2 s) and waits for
// the processes to exit. Invocations in flight and later ones return
// ErrClosed. Close is safe to call more than once.
func (f *Function) Close() error {
	f.init()
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	close(f.done)
	live := make([]*sandbox, 0, len(f.live))
	for sb := range f.live {
		live = append(live, sb)
	}
	f.live = nil
	f.mu.Unlock()
	var wg sync.WaitGroup
	for _, sb := range live {
		wg.Go(func() { sb.stop(2 * time.Second) })
	}
	wg.Wait()
	return nil
}

// lockedWriter serializes the writes of several processes' output.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// requestID returns a random UUID, the form of Lambda's request ids.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
