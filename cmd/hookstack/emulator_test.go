package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookstack/hookstack/extension/extensiontest"
	"github.com/hookstack/hookstack/internal/invoke"
)

// lineBuffer is a stdout that tells when something was written.
type lineBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return b.buf.Write(p)
}

func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLambdaEmulator runs `hookstack lambda-emulator` on :0 with the orders
// example's bootstrap, invokes it once with the AWS SDK and stops it.
func TestLambdaEmulator(t *testing.T) {
	t.Parallel()
	bin := extensiontest.BuildBinary(t, "../../examples/orders/cmd/orders-lambda")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout := &lineBuffer{wrote: make(chan struct{}, 1)}
	var stderr syncWriter
	stderr.w = &bytes.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"lambda-emulator", "--bootstrap", bin, "--addr", "127.0.0.1:0", "--function-name", "orders", "--timeout", "10s"},
			noenv, strings.NewReader(""), stdout, &stderr)
	}()
	addr := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+)\n`)
	var url string
	for deadline := time.After(20 * time.Second); url == ""; {
		if m := addr.FindStringSubmatch(stdout.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case <-stdout.wrote:
		case err := <-done:
			t.Fatalf("lambda-emulator ended: %v; stderr: %s", err, stderr.w)
		case <-deadline:
			t.Fatalf("lambda-emulator did not start; stdout: %q", stdout.String())
		}
	}

	stack := &invoke.Lambda{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Region: "us-east-1", FunctionName: "orders", EndpointURL: url, Timeout: 10 * time.Second}
	got, err := stack.Invoke(t.Context(), &invoke.Call{Framework: invoke.Framework1, Type: "wrapper", Function: "ping", DIY: true, Options: json.RawMessage(pingOptions)})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != `{"statusCode":200}` {
		t.Errorf("ping: %s", got)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("lambda-emulator: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("lambda-emulator did not stop after its context ended")
	}
}

func TestLambdaEmulatorMissingBootstrap(t *testing.T) {
	t.Parallel()
	_, errOut, code := runCLI(t, "", noenv, "lambda-emulator", "--bootstrap", "/nonexistent/bootstrap", "--addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errOut, "/nonexistent/bootstrap") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}
