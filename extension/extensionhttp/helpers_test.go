package extensionhttp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookstack/hookstack/extension"
)

// testToken is the system token of every test server unless a test says otherwise.
const testToken = "s3cr3t-system-token"

// TestMain runs the tests, then fails if goroutines of this package's
// servers, their connections or their functions are still running.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := waitForLeaks(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked by the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// waitForLeaks returns the stacks of goroutines still running server or
// test-function code after d, or "" once there are none.
func waitForLeaks(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for i, g := range strings.Split(string(buf), "\n\n") {
			if i == 0 { // this goroutine
				continue
			}
			for _, marker := range []string{
				"net/http.(*conn).serve",
				"net/http.(*Server).Serve",
				"net/http.(*persistConn)",
				"hookstack/extension",
			} {
				if strings.Contains(g, marker) {
					leaked = append(leaked, g)
					break
				}
			}
		}
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// logBuffer collects JSON log lines written concurrently.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// entries parses every log line written so far.
func (l *logBuffer) entries(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	text := l.b.String()
	l.mu.Unlock()
	var out []map[string]any
	for line := range strings.Lines(text) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// named returns the log entries whose logName is name.
func (l *logBuffer) named(t *testing.T, name string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, e := range l.entries(t) {
		if e["logName"] == name {
			out = append(out, e)
		}
	}
	return out
}

// testServer is a Handler serving on a loopback listener through
// Handler.Serve, shut down when the test ends.
type testServer struct {
	h      *Handler
	addr   string // host:port
	url    string // http://host:port
	logs   *logBuffer
	client *http.Client
	tr     *http.Transport
	cancel context.CancelFunc
	done   chan struct{}
	err    error // Serve's result, once done is closed
}

// startServer serves cfg until the test ends. Unless cfg says otherwise the
// server accepts testToken and logs JSON lines to the returned logs buffer.
func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	logs := &logBuffer{}
	if cfg.Extension.Logger == nil {
		cfg.Extension.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if cfg.SystemTokens == nil && cfg.Getenv == nil {
		cfg.SystemTokens = []string{testToken}
	}
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	tr := &http.Transport{}
	s := &testServer{
		h:      h,
		addr:   ln.Addr().String(),
		url:    "http://" + ln.Addr().String(),
		logs:   logs,
		tr:     tr,
		client: &http.Client{Transport: tr, Timeout: 10 * time.Second},
		cancel: cancel,
		done:   make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		s.err = h.Serve(ctx, ln)
	}()
	t.Cleanup(func() {
		cancel()
		tr.CloseIdleConnections()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not return within 10s of the test's end")
		}
	})
	return s
}

// wait waits up to d for Serve to return and returns its error.
func (s *testServer) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case <-s.done:
		return s.err
	case <-time.After(d):
		t.Fatalf("Serve did not return within %v", d)
		return nil
	}
}

// reply is an HTTP response read in full.
type reply struct {
	status int
	header http.Header
	body   string
}

// do sends one request with the server's keep-alive client.
func (s *testServer) do(t *testing.T, method, path string, header http.Header, body string) reply {
	t.Helper()
	return doWith(t, s.client, method, s.url+path, header, body)
}

func doWith(t *testing.T, c *http.Client, method, url string, header http.Header, body string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// post sends a JSON POST /function with the system token in the header.
func (s *testServer) post(t *testing.T, body string) reply {
	t.Helper()
	return s.do(t, http.MethodPost, "/function", authJSON(), body)
}

// authJSON is the header of an authorised JSON call.
func authJSON() http.Header {
	return http.Header{
		"Content-Type":  {"application/json"},
		"Authorization": {"Bearer " + testToken},
	}
}

// rawRequest writes req on a new TCP connection and returns everything the
// server sends until it closes the connection (req should ask for
// "Connection: close").
func rawRequest(t *testing.T, addr, req string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatalf("write: %v", err)
	}
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("read: %v (so far %q)", err, b)
	}
	return string(b)
}

// idleConn opens a keep-alive connection, completes one GET / on it and
// leaves it open and idle until the test ends.
func idleConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: test\r\n\r\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / on idle connection: status %d", resp.StatusCode)
	}
	conn.SetDeadline(time.Time{})
	return conn
}

// noKeepAlive is a client whose connection closes after each request, so
// that it is not counted by the next /openConnections.
func noKeepAlive(t *testing.T) *http.Client {
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// errorsBody decodes {"errors":[…]}.
func errorsBody(t *testing.T, body string) []extension.Error {
	t.Helper()
	var b struct {
		Errors []extension.Error `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatalf("body %q is not {\"errors\":[…]}: %v", body, err)
	}
	return b.Errors
}

// The exact error values of PROTOCOL §2.3.
var (
	errNeedDIYOrConnector = extension.Error{Code: "missing_required_field", Message: "Need to set either the diy or _connectorId field in extension options."}
	errDIYNotConfigured   = extension.Error{Code: "missing_required_field", Message: "DIY is not configured in the extension configuration."}
	errUnknownConnector   = extension.Error{Code: "invalid_field", Message: "The _connectorId set in the extension options does't match any of the _connectorId's present in extension configuration."}
	errMissingFunction    = extension.Error{Code: "missing_required_field", Message: "Missing required field function in the extension options."}
	errFunctionNotString  = extension.Error{Code: "invalid_field", Message: "The function field in the extension options must be of type string."}
	errMissingOptions     = extension.Error{Code: "missing_required_field", Message: "Function options haven't been provided."}
	errInvalidFunction    = extension.Error{Code: "invalid_function", Message: "The function passed in the extension options doesn't map to a function."}
	errNotSerializable    = extension.Error{Code: "invalid_extension_response", Message: "Extension response is not serializable."}
	errTimeout            = extension.Error{Code: "timeout", Message: "The extension function did not return before the call's deadline."}
	errUnauthorized       = extension.Error{Code: "unauthorized", Message: "Invalid system token."}
)

func objectNotFound(typ string) extension.Error {
	return extension.Error{Code: "object_not_found", Message: "The object " + typ + " doesn't exist in the module."}
}

// marker is a function answering its own name, to show which one ran.
func marker(name string) extension.Function {
	return extension.Raw(func(context.Context, json.RawMessage) (any, error) { return name, nil })
}

// sleeper answers "slept" after d, or the context's error when it ends first.
func sleeper(d time.Duration) extension.Function {
	return extension.Raw(func(ctx context.Context, _ json.RawMessage) (any, error) {
		select {
		case <-time.After(d):
			return "slept", nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
}

// dateEcho holds the export dates a function echoes back.
type dateEcho struct {
	Last    extension.Time `json:"lastExportDateTime,omitzero"`
	Current extension.Time `json:"currentExportDateTime,omitzero"`
}

// commonFunctions are the functions of the flat (framework 2.0) test module.
func commonFunctions() extension.Functions {
	return extension.Functions{
		"doSomething": marker("doSomething"),
		"echo": extension.Raw(func(_ context.Context, o json.RawMessage) (any, error) {
			return o, nil
		}),
		"nothing": extension.Raw(func(context.Context, json.RawMessage) (any, error) { return nil, nil }),
		"nilPointer": extension.Func(func(context.Context, *struct{}) (*struct{ A int }, error) {
			return nil, nil
		}),
		"action": extension.Action(func(context.Context, *extension.PreSavePageOptions) error { return nil }),
		"echoLastExport": extension.Func(func(_ context.Context, o *extension.PreSavePageOptions) (extension.Time, error) {
			return o.LastExportDateTime, nil
		}),
		"echoDates": extension.Func(func(_ context.Context, o *extension.PreSavePageOptions) (dateEcho, error) {
			return dateEcho{Last: o.LastExportDateTime, Current: o.CurrentExportDateTime}, nil
		}),
		"preSavePage": extension.PreSavePage(func(_ context.Context, o *extension.PreSavePageOptions) (*extension.PreSavePageResult, error) {
			return &extension.PreSavePageResult{Data: o.Data, Errors: o.Errors}, nil
		}),
		"ping": extension.Ping(func(_ context.Context, o *extension.PingOptions) (*extension.PingResult, error) {
			return &extension.PingResult{StatusCode: 200}, nil
		}),
		"fail": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			return nil, extension.NewError("my_code", "my message")
		}),
		"failPlain": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			return nil, errors.New("plain failure")
		}),
		"failWrapped": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			return nil, fmt.Errorf("while working: %w", extension.NewError("wrapped_code", "wrapped message"))
		}),
		"panic": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			panic("boom")
		}),
		"notSerializableFunc": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			return map[string]any{"f": func() {}}, nil
		}),
		"notSerializableNaN": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			return math.NaN(), nil
		}),
		"abc":  extension.Raw(func(context.Context, json.RawMessage) (any, error) { return "abc", nil }),
		"five": extension.Raw(func(context.Context, json.RawMessage) (any, error) { return 5, nil }),
	}
}

// categorisedModule is a framework-1.0 module whose functions answer
// "<category>.<name>".
func categorisedModule() *extension.Module {
	cat := func(name string) extension.Functions {
		return extension.Functions{
			"doSomething": marker(name + ".doSomething"),
			"fail":        commonFunctions()["fail"],
		}
	}
	return &extension.Module{
		Hooks:       cat("hooks"),
		Wrappers:    cat("wrappers"),
		Installer:   cat("installer"),
		Uninstaller: cat("uninstaller"),
		Settings:    cat("settings"),
		Utilities:   cat("utilities"),
		Categories:  map[string]extension.Functions{"custom": cat("custom")},
	}
}

// flatModule is a framework-2.0 module.
func flatModule() *extension.Module { return &extension.Module{Functions: commonFunctions()} }

// diyConfig serves the flat module as DIY.
func diyConfig() Config { return Config{Extension: extension.Config{DIY: flatModule()}} }
