package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lineWriter collects output lines for a test while run writes them.
type lineWriter struct {
	ch chan string
	pw *io.PipeWriter
}

func newLineWriter() *lineWriter {
	pr, pw := io.Pipe()
	lw := &lineWriter{ch: make(chan string, 100), pw: pw}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lw.ch <- sc.Text()
		}
		close(lw.ch)
	}()
	return lw
}

func (l *lineWriter) Write(p []byte) (int, error) { return l.pw.Write(p) }

// next returns the next line that contains substr.
func (l *lineWriter) next(t *testing.T, substr string) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-l.ch:
			if !ok {
				t.Fatalf("output ended before a line with %q", substr)
			}
			if strings.Contains(line, substr) {
				return line
			}
		case <-timeout:
			t.Fatalf("no line with %q", substr)
		}
	}
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func tokenInfo(t *testing.T, base, token string) (int, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/v1/tokenInfo", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestUp runs the platform on a fresh data directory: the owner is created
// with the bootstrap token, the API answers, a restart does not bootstrap
// again, and cancelling the context stops the server cleanly.
func TestUp(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	getenv := envOf(map[string]string{"HOOKSTACK_BOOTSTRAP_TOKEN": "0123456789abcdef0123456789abcdef"})
	start := func() (string, *lineWriter, context.CancelFunc, chan error) {
		ctx, cancel := context.WithCancel(context.Background())
		out := newLineWriter()
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"up", "--data", data, "--addr", "127.0.0.1:0"}, getenv, strings.NewReader(""), out, io.Discard)
		}()
		line := out.next(t, "listening on ")
		base := strings.TrimSuffix(strings.Fields(line)[len(strings.Fields(line))-1], "/v1")
		return base, out, cancel, done
	}

	base, _, cancel, done := start()
	code, info := tokenInfo(t, base, "0123456789abcdef0123456789abcdef")
	if code != 200 || info["_userId"] == "" {
		t.Fatalf("tokenInfo with the bootstrap token: %d %v", code, info)
	}
	if code, _ := tokenInfo(t, base, "wrong"); code != 401 {
		t.Fatalf("wrong token: %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("up returned %v after cancel", err)
	}
	if fi, err := os.Stat(filepath.Join(data, "master.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v %v", fi, err)
	}
	if fi, err := os.Stat(filepath.Join(data, "hookstack.db")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("database file: %v %v", fi, err)
	}

	// A second start reuses the data and prints no new token.
	base, out2, cancel, done := start()
	if code, _ := tokenInfo(t, base, "0123456789abcdef0123456789abcdef"); code != 200 {
		t.Fatalf("after restart: %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out2.pw.Close()
	for line := range out2.ch {
		if strings.Contains(line, "API token") {
			t.Fatalf("restart bootstrapped again: %q", line)
		}
	}
}

func TestUserAdd(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	out, errOut, code := runCLI(t, "", noenv, "user", "add", "--data", data, "--email", "Ana@Example.com", "--name", "Ana")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	if len(token) != 32 {
		t.Fatalf("last line is not a token: %q", out)
	}
	_, after, _ := strings.Cut(lines[0], " to account ")
	account := strings.Fields(after)[0]
	account = strings.TrimSuffix(account, ".")
	// A monitor user in the same account.
	out, _, code = runCLI(t, "", noenv, "user", "add", "--data", data, "--email", "mon@example.com", "--account", account, "--role", "monitor")
	if code != 0 || !strings.Contains(out, "(monitor)") {
		t.Fatalf("monitor user: exit %d %q", code, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--email", "ana@example.com"}, "already exists"},
		{[]string{"--email", "x@example.com", "--account", "000000000000000000000000"}, "not found"},
		{[]string{"--email", "no-at-sign"}, "not an email"},
		{[]string{"--email", "y@example.com", "--role", "admin"}, "must be one of"},
	} {
		_, errOut, code := runCLI(t, "", noenv, append([]string{"user", "add", "--data", data}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
}
