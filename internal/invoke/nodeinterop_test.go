package invoke

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/extensionhttp"
)

// nodeModules installs testdata/nodestack's packages with npm (npm ci, from
// its package-lock.json) into the user's cache directory, once per version
// of the lock file, and returns the node_modules directory. It skips the
// test when node or npm is missing, unless HOOKSTACK_TEST_NODE=1.
func nodeModules(t *testing.T) (node, modules string) {
	t.Helper()
	node, err := exec.LookPath("node")
	npm, err2 := exec.LookPath("npm")
	if err := errors.Join(err, err2); err != nil {
		if os.Getenv("HOOKSTACK_TEST_NODE") == "1" {
			t.Fatalf("HOOKSTACK_TEST_NODE=1 but %v", err)
		}
		t.Skipf("node or npm not found (set HOOKSTACK_TEST_NODE=1 to require them): %v", err)
	}
	src := filepath.Join("testdata", "nodestack")
	pkg, err := os.ReadFile(filepath.Join(src, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile(filepath.Join(src, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	sum := sha256.Sum256(append(pkg, lock...))
	base := filepath.Join(cache, "hookstack-node-interop")
	dir := filepath.Join(base, hex.EncodeToString(sum[:8]))
	modules = filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "integrator-extension", "package.json")); err == nil {
		return node, modules
	}
	// Install into a fresh directory and rename it into place, so that
	// concurrent test processes never see a half-installed tree.
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(base, "install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for name, b := range map[string][]byte{"package.json": pkg, "package-lock.json": lock} {
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", tmp, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(modules, "integrator-extension", "package.json")); statErr != nil {
			t.Fatalf("installing the Node packages: %v", err)
		} // another process installed them first
	}
	return node, modules
}

// startNodeStack runs testdata/nodestack/index.js (Celigo's core behind
// the project's Express layer) on a free loopback port until the test ends
// and returns its base URL.
func startNodeStack(t *testing.T, token string) string {
	t.Helper()
	node, modules := nodeModules(t)
	cmd := exec.Command(node, "index.js")
	cmd.Dir = filepath.Join("testdata", "nodestack")
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "PORT=0", "SYSTEM_TOKEN="+token, "NODE_ENV=production")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard // the request and metadata log lines
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	ready := make(chan string, 1)
	var out strings.Builder
	go func() {
		re := regexp.MustCompile(`^READY port=(\d+)$`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				ready <- m[1]
			} else if out.Len() < 4096 {
				out.WriteString(sc.Text() + "\n")
			}
		}
		close(ready)
	}()
	select {
	case port, ok := <-ready:
		if !ok {
			t.Fatalf("the Node stack exited before it was ready:\n%s", out.String())
		}
		return "http://127.0.0.1:" + port
	case <-time.After(30 * time.Second):
		t.Fatal("the Node stack did not start within 30 s")
	}
	return ""
}

// goModule is index.js's module written with the Go SDK.
func goModule() *extension.Module {
	preSavePage := extension.Raw(func(_ context.Context, options json.RawMessage) (any, error) {
		var in map[string]json.RawMessage
		if err := json.Unmarshal(options, &in); err != nil {
			return nil, err
		}
		out := map[string]any{"abort": false}
		for _, k := range []string{"data", "errors"} {
			if v, ok := in[k]; ok {
				out[k] = v
			}
		}
		return out, nil
	})
	hooks := extension.Functions{"preSavePage": preSavePage}
	wrappers := extension.Functions{
		"ping": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			return map[string]int{"statusCode": 200}, nil
		}),
		"failWithCode": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			return nil, extension.NewError("erp_down", "the ERP is down")
		}),
		"failPlain": extension.Raw(func(context.Context, json.RawMessage) (any, error) {
			return nil, errors.New("plain failure")
		}),
	}
	flat := extension.Functions{}
	for _, fns := range []extension.Functions{hooks, wrappers} {
		for name, fn := range fns {
			flat[name] = fn
		}
	}
	return &extension.Module{Functions: flat, Hooks: hooks, Wrappers: wrappers}
}

// startGoStack serves goModule with extensionhttp until the test ends.
func startGoStack(t *testing.T, token string) string {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	h, err := extensionhttp.NewHandler(extensionhttp.Config{
		Extension:    extension.Config{DIY: goModule(), Logger: log},
		SystemTokens: []string{token},
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return "http://" + ln.Addr().String()
}

// outcome is what an invoker returned, comparable across stacks.
type outcome struct {
	Result any         // the decoded result
	Err    *StackError // nil on success
}

func call(t *testing.T, inv Invoker, c *Call) outcome {
	t.Helper()
	res, err := inv.Invoke(t.Context(), c)
	if err != nil {
		se, ok := err.(*StackError)
		if !ok {
			t.Fatalf("error %v (%T), want a *StackError", err, err)
		}
		return outcome{Err: se}
	}
	var v any
	if res != nil {
		if err := json.Unmarshal(res, &v); err != nil {
			t.Fatalf("result is not JSON: %v: %s", err, res)
		}
	}
	return outcome{Result: v}
}

// TestNodeInterop calls a Node server stack built on Celigo's own
// integrator-extension core with invoke.HTTP, for framework 1.0 and 2.0,
// and checks that results and 422 error shapes are what the protocol says
// and the same as a Go stack's serving the same module.
func TestNodeInterop(t *testing.T) {
	t.Parallel()
	const token = "interop-token"
	nodeURL := startNodeStack(t, token)
	goURL := startGoStack(t, token)

	records := make([]string, 20)
	for i := range records {
		records[i] = fmt.Sprintf(`{"id":"SO-%02d","name":"Zoë <&> 😀 \u2028","amount":%d.5,"tags":["a",null,true]}`, i, i)
	}
	page := `{"data":[` + strings.Join(records, ",") + `],"errors":[{"code":"c","message":"m"}]}`
	var pageResult any
	if err := json.Unmarshal([]byte(`{"data":[`+strings.Join(records, ",")+`],"errors":[{"code":"c","message":"m"}],"abort":false}`), &pageResult); err != nil {
		t.Fatal(err)
	}
	e422 := func(code, msg string) *StackError {
		return &StackError{StatusCode: 422, Errors: []Error{{Code: code, Message: msg}}}
	}
	cases := []struct {
		name     string
		typ      string // framework-1.0 type
		function string
		options  string
		max      int64
		token    string // default token
		want     outcome
	}{
		{name: "ping", typ: "wrapper", function: "ping", options: `{"connection":{"encrypted":{},"unencrypted":{}}}`,
			want: outcome{Result: map[string]any{"statusCode": float64(200)}}},
		{name: "preSavePage 20 records", typ: "hook", function: "preSavePage", options: page,
			want: outcome{Result: pageResult}},
		{name: "error with a code", typ: "wrapper", function: "failWithCode",
			want: outcome{Err: e422("erp_down", "the ERP is down")}},
		{name: "plain error", typ: "wrapper", function: "failPlain",
			want: outcome{Err: e422("Error", "plain failure")}},
		{name: "unknown function", typ: "hook", function: "nosuch",
			want: outcome{Err: e422("invalid_function", "The function passed in the extension options doesn't map to a function.")}},
		{name: "result over maxResponseSize", typ: "hook", function: "preSavePage", options: page, max: 100,
			want: outcome{Err: e422("response_size_exceeded", "response stream exceeded limit of 100 bytes.")}},
		{name: "wrong system token", typ: "wrapper", function: "ping", token: "wrong",
			want: outcome{Err: &StackError{StatusCode: 401, Errors: []Error{{Code: CodeStackUnauthorized, Message: "the stack refused the system token: Invalid system token."}}}}},
	}
	for _, fw := range []string{Framework1, Framework2} {
		for _, tc := range cases {
			t.Run(fw+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				tok := tc.token
				if tok == "" {
					tok = token
				}
				c := &Call{Framework: fw, Type: tc.typ, Function: tc.function, DIY: true, MaxResponseSize: tc.max}
				if tc.options != "" {
					c.Options = json.RawMessage(tc.options)
				}
				node := call(t, &HTTP{BaseURL: nodeURL, Token: tok, Timeout: 20 * time.Second}, c)
				if diff := cmp.Diff(tc.want, node); diff != "" {
					t.Errorf("Node stack (-want +got):\n%s", diff)
				}
				gostack := call(t, &HTTP{BaseURL: goURL, Token: tok, Timeout: 20 * time.Second}, c)
				if diff := cmp.Diff(node, gostack); diff != "" {
					t.Errorf("Go stack differs from the Node stack (-node +go):\n%s", diff)
				}
			})
		}
	}

	t.Run("1.0 type without that category", func(t *testing.T) {
		t.Parallel()
		c := &Call{Framework: Framework1, Type: "installer", Function: "ping", DIY: true}
		want := outcome{Err: e422("object_not_found", "The object installer doesn't exist in the module.")}
		for name, url := range map[string]string{"Node": nodeURL, "Go": goURL} {
			got := call(t, &HTTP{BaseURL: url, Token: token, Timeout: 20 * time.Second}, c)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s stack (-want +got):\n%s", name, diff)
			}
		}
	})
}
