package extensionhttp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hookstack/hookstack/extension"
)

// TestNewHandlerErrors checks the configuration errors: the rules of
// PROTOCOL §1.1 first, then the missing system token (§1.3).
func TestNewHandlerErrors(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.DiscardHandler)
	noEnv := func(string) string { return "" }
	blankEnv := func(k string) string {
		if k == EnvSystemToken {
			return " , ,"
		}
		return ""
	}
	noToken := &extension.Error{Code: "missing_required_field", Message: "systemToken not provided in options."}

	for _, tc := range []struct {
		name string
		cfg  Config
		want *extension.Error // nil: no error
	}{
		{
			name: "empty",
			cfg:  Config{Getenv: noEnv},
			want: &extension.Error{Code: "missing_parameter", Message: "Options parameter is not provided."},
		},
		{
			name: "neither diy nor connectors, no token",
			cfg:  Config{Extension: extension.Config{Logger: quiet}, Getenv: noEnv},
			want: &extension.Error{Code: "missing_required_field", Message: "Either DIY or connectors field needs to be set."},
		},
		{
			name: "neither diy nor connectors, with token",
			cfg:  Config{Extension: extension.Config{Logger: quiet}, SystemTokens: []string{"t"}},
			want: &extension.Error{Code: "missing_required_field", Message: "Either DIY or connectors field needs to be set."},
		},
		{
			name: "both, no token",
			cfg: Config{Extension: extension.Config{Logger: quiet, DIY: flatModule(), Connectors: map[string]*extension.Module{"c": flatModule()}},
				Getenv: noEnv},
			want: &extension.Error{Code: "invalid_configuration", Message: "The configuration object should only have one of the diy or connectors field."},
		},
		{
			name: "empty connectors, no token",
			cfg:  Config{Extension: extension.Config{Logger: quiet, Connectors: map[string]*extension.Module{}}, Getenv: noEnv},
			want: &extension.Error{Code: "invalid_field", Message: "No connector modules provided in the connectors field."},
		},
		{
			name: "diy without token",
			cfg:  Config{Extension: extension.Config{Logger: quiet, DIY: flatModule()}, Getenv: noEnv},
			want: noToken,
		},
		{
			name: "connectors without token",
			cfg:  Config{Extension: extension.Config{Logger: quiet, Connectors: map[string]*extension.Module{"c": flatModule()}}, Getenv: noEnv},
			want: noToken,
		},
		{
			name: "blank tokens in env",
			cfg:  Config{Extension: extension.Config{Logger: quiet, DIY: flatModule()}, Getenv: blankEnv},
			want: noToken,
		},
		{
			name: "empty module is accepted",
			cfg:  Config{Extension: extension.Config{Logger: quiet, DIY: &extension.Module{}}, SystemTokens: []string{"t"}},
		},
		{
			name: "token from env",
			cfg: Config{Extension: extension.Config{Logger: quiet, DIY: flatModule()}, Getenv: func(k string) string {
				if k == EnvSystemToken {
					return "t"
				}
				return ""
			}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := NewHandler(tc.cfg)
			if tc.want == nil {
				if err != nil || h == nil {
					t.Fatalf("NewHandler = %v, %v; want a handler", h, err)
				}
				return
			}
			if h != nil {
				t.Errorf("NewHandler returned a handler with error %v", err)
			}
			var got *extension.Error
			if !errors.As(err, &got) {
				t.Fatalf("error %v (%T) is not an *extension.Error", err, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefaults checks the defaults of PROTOCOL §1.3, §3.6 and §3.7.
func TestDefaults(t *testing.T) {
	t.Parallel()
	quiet := extension.Config{Logger: slog.New(slog.DiscardHandler), DIY: flatModule()}
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	type settings struct {
		Addr                                                            string
		Tokens                                                          []string
		MaxBodyBytes                                                    int64
		FunctionTimeout, HeartbeatAfter, KeepAlive, Headers, Inactivity time.Duration
	}
	defaults := settings{
		Addr: ":80", Tokens: []string{"t"}, MaxBodyBytes: 50 << 20,
		FunctionTimeout: 300 * time.Second, HeartbeatAfter: 270 * time.Second,
		KeepAlive: 301 * time.Second, Headers: 305 * time.Second, Inactivity: 315 * time.Second,
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want func(*settings)
	}{
		{"zero", Config{Extension: quiet, Getenv: env(map[string]string{EnvSystemToken: "t"})}, func(*settings) {}},
		{"PORT", Config{Extension: quiet, Getenv: env(map[string]string{EnvSystemToken: "t", "PORT": "8080"})},
			func(s *settings) { s.Addr = ":8080" }},
		{"Addr wins over PORT", Config{Extension: quiet, Addr: "127.0.0.1:9", Getenv: env(map[string]string{EnvSystemToken: "t", "PORT": "8080"})},
			func(s *settings) { s.Addr = "127.0.0.1:9" }},
		{"heartbeat disabled", Config{Extension: quiet, SystemTokens: []string{"t"}, HeartbeatAfter: -1, Getenv: env(nil)},
			func(s *settings) { s.HeartbeatAfter = -1 }},
		{"explicit values", Config{Extension: quiet, SystemTokens: []string{"t"}, Getenv: env(nil), MaxBodyBytes: 10,
			FunctionTimeout: time.Second, HeartbeatAfter: 2 * time.Second, KeepAliveTimeout: 3 * time.Second,
			HeadersTimeout: 4 * time.Second, InactivityTimeout: 5 * time.Second},
			func(s *settings) {
				*s = settings{Addr: ":80", Tokens: []string{"t"}, MaxBodyBytes: 10, FunctionTimeout: time.Second,
					HeartbeatAfter: 2 * time.Second, KeepAlive: 3 * time.Second, Headers: 4 * time.Second, Inactivity: 5 * time.Second}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, err := NewHandler(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			want := defaults
			tc.want(&want)
			c := h.cfg
			got := settings{c.Addr, c.SystemTokens, c.MaxBodyBytes, c.FunctionTimeout, c.HeartbeatAfter,
				c.KeepAliveTimeout, c.HeadersTimeout, c.InactivityTimeout}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("settings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestServeConfigError checks that the package-level Serve reports
// configuration errors without listening.
func TestServeConfigError(t *testing.T) {
	t.Parallel()
	err := Serve(context.Background(), Config{
		Extension: extension.Config{Logger: slog.New(slog.DiscardHandler), DIY: flatModule()},
		Getenv:    func(string) string { return "" },
		Addr:      "127.0.0.1:0",
	})
	var xe *extension.Error
	if !errors.As(err, &xe) || xe.Message != "systemToken not provided in options." {
		t.Errorf("Serve = %v, want the missing token error", err)
	}
}

// TestHeartbeat checks the one "102 Processing" interim response of long
// calls (PROTOCOL §3.6) on the raw connection.
func TestHeartbeat(t *testing.T) {
	t.Parallel()
	cfg := diyConfig()
	cfg.HeartbeatAfter = 100 * time.Millisecond
	cfg.Extension.DIY.Functions["slow"] = sleeper(400 * time.Millisecond)
	cfg.Extension.DIY.Functions["slowFail"] = extension.Raw(func(ctx context.Context, _ json.RawMessage) (any, error) {
		time.Sleep(250 * time.Millisecond)
		return nil, extension.NewError("slow_failure", "failed slowly")
	})
	cfg.Extension.DIY.Functions["slowNothing"] = extension.Raw(func(ctx context.Context, _ json.RawMessage) (any, error) {
		time.Sleep(250 * time.Millisecond)
		return nil, nil
	})
	s := startServer(t, cfg)

	cfgOff := diyConfig()
	cfgOff.HeartbeatAfter = -1
	cfgOff.Extension.DIY.Functions["slow"] = sleeper(300 * time.Millisecond)
	off := startServer(t, cfgOff)

	for _, tc := range []struct {
		name       string
		srv        *testServer
		function   string
		header     string // extra request header line
		want102    int
		wantStatus int
		wantBody   string
	}{
		{name: "deadline before the heartbeat", srv: s, function: "slow", header: TimeoutHeader + ": 80\r\n", want102: 0, wantStatus: 422,
			wantBody: `{"errors":[{"code":"timeout","message":"The extension function did not return before the call's deadline."}]}`},
		{name: "slow call", srv: s, function: "slow", want102: 1, wantStatus: 200, wantBody: `"slept"`},
		{name: "slow failure", srv: s, function: "slowFail", want102: 1, wantStatus: 422,
			wantBody: `{"errors":[{"code":"slow_failure","message":"failed slowly"}]}`},
		{name: "slow empty result", srv: s, function: "slowNothing", want102: 1, wantStatus: 200, wantBody: ``},
		{name: "fast call", srv: s, function: "doSomething", want102: 0, wantStatus: 200, wantBody: `"doSomething"`},
		{name: "heartbeat disabled", srv: off, function: "slow", want102: 0, wantStatus: 200, wantBody: `"slept"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := `{"diy":true,"function":"` + tc.function + `","options":{}}`
			got := rawRequest(t, tc.srv.addr, "POST /function HTTP/1.1\r\nHost: test\r\nConnection: close\r\n"+
				"Content-Type: application/json\r\nAuthorization: Bearer "+testToken+"\r\n"+tc.header+
				"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
			if n := strings.Count(got, "HTTP/1.1 102 Processing\r\n"); n != tc.want102 {
				t.Errorf("%d interim 102 responses, want %d, in %q", n, tc.want102, got)
			}
			interim := strings.Repeat("HTTP/1.1 102 Processing\r\n\r\n", tc.want102)
			if !strings.HasPrefix(got, interim) {
				t.Fatalf("response %q does not start with %d bare 102 responses", got, tc.want102)
			}
			final := got[len(interim):]
			wantLine := "HTTP/1.1 " + strconv.Itoa(tc.wantStatus) + " " + http.StatusText(tc.wantStatus) + "\r\n"
			if !strings.HasPrefix(final, wantLine) {
				t.Errorf("final response %q does not start with %q", final, wantLine)
			}
			resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(final)), nil)
			if err != nil {
				t.Fatalf("final response %q: %v", final, err)
			}
			b, _ := io.ReadAll(resp.Body)
			if diff := cmp.Diff(tc.wantBody, string(b)); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
			gotHeader := map[string]string{
				"Content-Type":      resp.Header.Get("Content-Type"),
				"Content-Length":    strconv.FormatInt(resp.ContentLength, 10),
				"Transfer-Encoding": strings.Join(resp.TransferEncoding, ","),
			}
			wantHeader := map[string]string{
				"Content-Type":      jsonUTF8,
				"Content-Length":    strconv.Itoa(len(tc.wantBody)),
				"Transfer-Encoding": "",
			}
			if diff := cmp.Diff(wantHeader, gotHeader); diff != "" {
				t.Errorf("final headers mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHeartbeatHTTP10 checks that an HTTP/1.0 client gets no 1xx response,
// which it could not understand (RFC 9110 §15.2).
func TestHeartbeatHTTP10(t *testing.T) {
	t.Parallel()
	cfg := diyConfig()
	cfg.HeartbeatAfter = 50 * time.Millisecond
	cfg.Extension.DIY.Functions["slow"] = sleeper(200 * time.Millisecond)
	s := startServer(t, cfg)
	body := `{"diy":true,"function":"slow","options":{}}`
	got := rawRequest(t, s.addr, "POST /function HTTP/1.0\r\nHost: test\r\n"+
		"Content-Type: application/json\r\nAuthorization: Bearer "+testToken+"\r\n"+
		"Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
	if !strings.HasPrefix(got, "HTTP/1.0 200 OK\r\n") || !strings.HasSuffix(got, "\r\n\r\n\"slept\"") {
		t.Errorf("HTTP/1.0 response %q, want only a final 200 \"slept\"", got)
	}
}

// TestHeartbeatClient checks the 102 with net/http's client trace.
func TestHeartbeatClient(t *testing.T) {
	t.Parallel()
	cfg := diyConfig()
	cfg.HeartbeatAfter = 100 * time.Millisecond
	cfg.Extension.DIY.Functions["slow"] = sleeper(400 * time.Millisecond)
	s := startServer(t, cfg)

	var mu sync.Mutex
	var got []int
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, _ textproto.MIMEHeader) error {
		mu.Lock()
		got = append(got, code)
		mu.Unlock()
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodPost, s.url+"/function",
		strings.NewReader(`{"diy":true,"function":"slow","options":{}}`))
	req.Header = authJSON()
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status = %d, want 200", resp.StatusCode)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]int{102}, got); diff != "" {
		t.Errorf("1xx responses mismatch (-want +got):\n%s", diff)
	}
}

// TestOpenConnections checks the count of /openConnections: idle keep-alive
// connections count, the caller does not (PROTOCOL §3.2, §10).
func TestOpenConnections(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		extra int
	}{
		{"none", 0},
		{"two idle keep-alive", 2},
		{"three idle keep-alive", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, diyConfig())
			for range tc.extra {
				idleConn(t, s.addr)
			}
			c := noKeepAlive(t)
			got := doWith(t, c, http.MethodGet, s.url+"/openConnections", nil, "")
			if got.status != 200 {
				t.Errorf("status = %d, want 200", got.status)
			}
			if diff := cmp.Diff(strconv.Itoa(tc.extra), got.body); diff != "" {
				t.Errorf("count mismatch (-want +got):\n%s", diff)
			}
			// The asking connection is gone; a raw request counts the same.
			waitFor(t, func() bool {
				raw := rawRequest(t, s.addr, "GET /openConnections HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
				_, body, _ := strings.Cut(raw, "\r\n\r\n")
				return body == strconv.Itoa(tc.extra)
			})
			entries := s.logs.named(t, "noOfOpenConnections")
			if len(entries) == 0 || entries[0]["noOfOpenConnections"] != float64(tc.extra) {
				t.Errorf("log lines %v, want noOfOpenConnections=%d", entries, tc.extra)
			}
		})
	}
}

// waitFor polls cond for up to 2 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within 2s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTerminate checks that /openConnections?terminate=true makes the health
// routes fail with 503 for good.
func TestTerminate(t *testing.T) {
	t.Parallel()
	s := startServer(t, diyConfig())
	for _, p := range []string{"/livez", "/readyz"} {
		if got := s.do(t, http.MethodGet, p, nil, ""); got.status != 200 || got.body != "OK" {
			t.Errorf("GET %s before terminating: %d %q, want 200 OK", p, got.status, got.body)
		}
	}
	if s.h.Terminating() {
		t.Errorf("Terminating before terminate=true")
	}
	got := s.do(t, http.MethodGet, "/openConnections?terminate=true", nil, "")
	if got.status != 200 {
		t.Errorf("terminate: status %d", got.status)
	}
	if !s.h.Terminating() {
		t.Errorf("not Terminating after terminate=true")
	}
	for range 2 {
		for _, p := range []string{"/livez", "/readyz", "/LiveZ/"} {
			got := s.do(t, http.MethodGet, p, nil, "")
			if got.status != 503 || got.body != "Service Unavailable" {
				t.Errorf("GET %s while terminating: %d %q, want 503 Service Unavailable", p, got.status, got.body)
			}
		}
		s.do(t, http.MethodGet, "/openConnections", nil, "") // no terminate: stays terminating
	}
	// The server still serves calls.
	if got := s.post(t, `{"diy":true,"function":"doSomething","options":{}}`); got.status != 200 {
		t.Errorf("call while terminating: status %d", got.status)
	}
	entries := s.logs.named(t, "noOfOpenConnections")
	if len(entries) == 0 || entries[0]["isTerminating"] != true {
		t.Errorf("log lines %v, want isTerminating=true", entries)
	}
	if len(s.logs.named(t, "healthCheckFailure")) == 0 {
		t.Errorf("no healthCheckFailure log line")
	}
}

// TestStopServer checks /stopServer: refused while other connections are
// open, else a graceful shutdown after which Serve returns nil.
func TestStopServer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		extra      int
		wantStatus int
		wantBody   string
	}{
		{"three open", 3, 422, `{"errors":[{"code":"connections_still_open","message":"3 connection(s) still open."}]}`},
		{"two open", 2, 422, `{"errors":[{"code":"connections_still_open","message":"2 connection(s) still open."}]}`},
		{"one open", 1, 200, "preparing to shut down."},
		{"none open", 0, 200, "preparing to shut down."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, diyConfig())
			conns := make([]net.Conn, tc.extra)
			for i := range conns {
				conns[i] = idleConn(t, s.addr)
			}
			got := doWith(t, noKeepAlive(t), http.MethodGet, s.url+"/stopServer", nil, "")
			if got.status != tc.wantStatus {
				t.Errorf("status = %d, want %d", got.status, tc.wantStatus)
			}
			if diff := cmp.Diff(tc.wantBody, got.body); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
			if tc.wantStatus == 422 {
				if ct := got.header.Get("Content-Type"); ct != jsonUTF8 {
					t.Errorf("Content-Type = %q", ct)
				}
				if len(s.logs.named(t, "shouldNeverHappen")) != 1 {
					t.Errorf("want one shouldNeverHappen log line")
				}
				// Close the others, then stopping works.
				for _, c := range conns {
					c.Close()
				}
				waitFor(t, func() bool {
					return doWith(t, noKeepAlive(t), http.MethodGet, s.url+"/openConnections", nil, "").body == "0"
				})
				got = doWith(t, noKeepAlive(t), http.MethodGet, s.url+"/stopServer", nil, "")
				if got.status != 200 || got.body != "preparing to shut down." {
					t.Fatalf("second /stopServer: %d %q", got.status, got.body)
				}
			}
			if err := s.wait(t, 5*time.Second); err != nil {
				t.Errorf("Serve = %v, want nil", err)
			}
			if !s.h.Terminating() {
				t.Errorf("not Terminating after /stopServer")
			}
			if _, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
				t.Errorf("server still accepts connections after /stopServer")
			}
			if len(s.logs.named(t, "serverStopped")) != 1 {
				t.Errorf("want one serverStopped log line")
			}
			if len(s.logs.named(t, "serverHit")) == 0 {
				t.Errorf("want a serverHit log line")
			}
		})
	}
}

// TestStopServerNotDeployed checks /stopServer on a handler not run by Serve.
func TestStopServerNotDeployed(t *testing.T) {
	t.Parallel()
	h, err := NewHandler(Config{Extension: extension.Config{Logger: slog.New(slog.DiscardHandler), DIY: flatModule()}, SystemTokens: []string{"t"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	got := doWith(t, noKeepAlive(t), http.MethodGet, srv.URL+"/stopServer", nil, "")
	want := `{"errors":[{"code":"invaid_function_call","message":"Integration-extension server not deployed."}]}`
	if got.status != 422 || got.body != want {
		t.Errorf("got %d %q, want 422 %q", got.status, got.body, want)
	}
	// Without ConnState tracking the count is 0.
	if got := doWith(t, srv.Client(), http.MethodGet, srv.URL+"/openConnections", nil, ""); got.body != "0" {
		t.Errorf("/openConnections = %q, want 0", got.body)
	}
}

// TestGracefulDrain cancels Serve's context while a call is running: the call
// still gets its answer, new connections are refused, health checks fail and
// Serve returns nil.
func TestGracefulDrain(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	cfg := diyConfig()
	cfg.Extension.DIY.Functions["slow"] = extension.Raw(func(ctx context.Context, _ json.RawMessage) (any, error) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		return "done", nil
	})
	s := startServer(t, cfg)

	type result struct {
		r   reply
		err error
	}
	resc := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, s.url+"/function", strings.NewReader(`{"diy":true,"function":"slow","options":{}}`))
		req.Header = authJSON()
		resp, err := s.client.Do(req)
		if err != nil {
			resc <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, err = io.Copy(&b, resp.Body)
		resc <- result{r: reply{status: resp.StatusCode, body: b.String()}, err: err}
	}()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("slow function did not start")
	}
	s.cancel()

	// The listener closes: new connections are refused.
	waitFor(t, func() bool {
		c, err := net.DialTimeout("tcp", s.addr, 100*time.Millisecond)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
	// Health checks fail while draining (asked of the handler directly, as
	// the listener no longer accepts).
	if !s.h.Terminating() {
		t.Errorf("not Terminating while draining")
	}
	for _, p := range []string{"/livez", "/readyz"} {
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code != 503 || rec.Body.String() != "Service Unavailable" {
			t.Errorf("GET %s while draining: %d %q", p, rec.Code, rec.Body.String())
		}
	}
	select {
	case <-s.done:
		t.Errorf("Serve returned before the call in flight finished")
	default:
	}

	res := <-resc
	if res.err != nil {
		t.Fatalf("call in flight: %v", res.err)
	}
	if res.r.status != 200 || res.r.body != `"done"` {
		t.Errorf("call in flight: %d %q, want 200 \"done\"", res.r.status, res.r.body)
	}
	if err := s.wait(t, 5*time.Second); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}

// TestServeListenerError checks that Serve returns the listener's error.
func TestServeListenerError(t *testing.T) {
	t.Parallel()
	h, err := NewHandler(Config{Extension: extension.Config{Logger: slog.New(slog.DiscardHandler), DIY: flatModule()}, SystemTokens: []string{"t"}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := h.Serve(context.Background(), ln); err == nil || errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve on a closed listener = %v, want its error", err)
	}
}

// TestServeAddrInUse checks that the package-level Serve reports a listen error.
func TestServeAddrInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = Serve(context.Background(), Config{
		Extension:    extension.Config{Logger: slog.New(slog.DiscardHandler), DIY: flatModule()},
		SystemTokens: []string{"t"},
		Addr:         ln.Addr().String(),
	})
	if err == nil {
		t.Errorf("Serve on a used address = nil, want an error")
	}
}
