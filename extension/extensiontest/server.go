package extensiontest

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// RuntimeServer is a Runtime served on a loopback port for the duration of a test.
type RuntimeServer struct {
	*Runtime
	// Addr is the host:port of the Runtime API, the value of
	// AWS_LAMBDA_RUNTIME_API (or of extensionlambda.WithRuntimeAPI).
	Addr string
}

// StartRuntime serves a new Runtime on 127.0.0.1 until the test ends; the
// Runtime is then stopped and its server closed.
func StartRuntime(t testing.TB) *RuntimeServer {
	t.Helper()
	rt := NewRuntime()
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { rt.Stop(nil) })
	return &RuntimeServer{Runtime: rt, Addr: srv.Listener.Addr().String()}
}

// StartBinary starts the Lambda bootstrap binary at path against a new
// Runtime (see StartRuntime), with the test's environment plus
// AWS_LAMBDA_RUNTIME_API and env ("KEY=value" entries). Its output goes to
// the test log. The process is killed when the test ends; if it exits
// before, the Runtime is stopped and Invoke returns an error saying how it
// exited. StartBinary fails the test if the binary cannot be started.
func StartBinary(t testing.TB, path string, env ...string) *RuntimeServer {
	t.Helper()
	s := StartRuntime(t)
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(),
		"AWS_LAMBDA_RUNTIME_API="+s.Addr,
		"AWS_LAMBDA_FUNCTION_NAME=extensiontest",
		"AWS_REGION=us-east-1",
	)
	cmd.Env = append(cmd.Env, env...)
	out := &logWriter{t: t, name: filepath.Base(path)}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("extensiontest: start %s: %v", path, err)
	}
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		s.Stop(fmt.Errorf("extensiontest: bootstrap %s exited: %v", path, err))
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		out.flush()
	})
	return s
}

// BuildBinary builds the main package pkg (an import path, or a directory
// relative to the test's package such as "./testdata/bootstrap") with
// CGO_ENABLED=0 into the test's temporary directory and returns the
// binary's path. It skips the test when the go command is not found and
// fails it when the build fails.
func BuildBinary(t testing.TB, pkg string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("extensiontest: go command not found: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command(goTool, "build", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("extensiontest: go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// logWriter sends a process's output to the test log, line by line.
type logWriter struct {
	t    testing.TB
	name string
	mu   sync.Mutex
	buf  []byte
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.t.Logf("%s: %s", w.name, w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *logWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.t.Logf("%s: %s", w.name, w.buf)
		w.buf = nil
	}
}
