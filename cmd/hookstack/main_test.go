package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookstack/hookstack/examples/orders"
	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/extensionhttp"
	"github.com/hookstack/hookstack/extension/extensiontest"
)

func noenv(string) string { return "" }

// runCLI runs the binary's run function and returns stdout, stderr and the exit status.
func runCLI(t *testing.T, stdin string, getenv func(string) string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errb)
	code := 0
	if err != nil {
		var ec exitCode
		if errors.As(err, &ec) {
			code = int(ec)
		} else { // as main does
			code = 1
			errb.WriteString("hookstack: " + err.Error() + "\n")
		}
	}
	return out.String(), errb.String(), code
}

func startStack(t *testing.T) string {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	h, err := extensionhttp.NewHandler(extensionhttp.Config{
		Extension:    extension.Config{DIY: orders.Module(log), Logger: log},
		SystemTokens: []string{"tok"},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

const pingOptions = `{"connection":{"unencrypted":{"baseURI":"u"},"encrypted":{"apiKey":"erp_1"}}}`

func TestInvokeServerStack(t *testing.T) {
	t.Parallel()
	url := startStack(t)
	optsFile := filepath.Join(t.TempDir(), "opts.json")
	if err := os.WriteFile(optsFile, []byte(pingOptions), 0o600); err != nil {
		t.Fatal(err)
	}
	tokenEnv := func(k string) string {
		if k == "INTEGRATOR_EXTENSION_SYSTEM_TOKEN" {
			return "tok"
		}
		return ""
	}
	tests := []struct {
		name     string
		stdin    string
		getenv   func(string) string
		args     []string
		wantOut  string
		wantErr  string
		wantCode int
	}{
		{name: "framework 2.0 from stdin", stdin: pingOptions, getenv: noenv,
			args:    []string{"invoke", "--url", url, "--token", "tok", "--diy", "-f", "ping", "-o", "-"},
			wantOut: `{"statusCode":200}` + "\n"},
		{name: "framework 1.0 from a file, token from env", getenv: tokenEnv,
			args:    []string{"invoke", "--url", url, "--framework", "1.0", "--type", "wrapper", "--diy", "-f", "ping", "-o", optsFile},
			wantOut: `{"statusCode":200}` + "\n"},
		{name: "no result prints nothing", getenv: noenv, stdin: `{"postAggregateData":{"success":true}}`,
			args: []string{"invoke", "--url", url, "--token", "tok", "--diy", "-f", "postAggregate", "-o", "-"}},
		{name: "stack errors exit 1", getenv: noenv,
			args:    []string{"invoke", "--url", url, "--token", "tok", "--framework", "1.0", "--type", "hook", "--diy", "-f", "nosuch"},
			wantOut: `{"errors":[{"code":"invalid_function","message":"The function passed in the extension options doesn't map to a function."}]}` + "\n",
			wantErr: "invalid_function", wantCode: 1},
		{name: "wrong token", getenv: noenv,
			args:    []string{"invoke", "--url", url, "--token", "nope", "--diy", "-f", "ping"},
			wantErr: "stack_unauthorized", wantCode: 1},
		{name: "unreachable", getenv: noenv,
			args:    []string{"invoke", "--url", "http://127.0.0.1:1", "--token", "t", "--diy", "-f", "ping"},
			wantErr: "stack_unreachable", wantCode: 1},
		{name: "1.0 without type", getenv: noenv,
			args:    []string{"invoke", "--url", url, "--token", "tok", "--framework", "1.0", "--diy", "-f", "ping"},
			wantErr: "need a type", wantCode: 2},
		{name: "no module", getenv: noenv,
			args:    []string{"invoke", "--url", url, "--token", "tok", "-f", "ping"},
			wantErr: "one of --diy or --connector", wantCode: 2},
		{name: "both modules", getenv: noenv,
			args:    []string{"invoke", "--url", url, "--token", "tok", "--diy", "--connector", "c", "-f", "ping"},
			wantErr: "can't be used together", wantCode: 2},
		{name: "bad options JSON", getenv: noenv, stdin: `{"a":`,
			args:    []string{"invoke", "--url", url, "--token", "tok", "--diy", "-f", "ping", "-o", "-"},
			wantErr: "not valid JSON", wantCode: 2},
		{name: "missing token", getenv: noenv,
			args:    []string{"invoke", "--url", url, "--diy", "-f", "ping"},
			wantErr: "--token", wantCode: 2},
		{name: "unknown framework", getenv: noenv,
			args:    []string{"invoke", "--url", url, "--token", "t", "--framework", "3.0", "--diy", "-f", "ping"},
			wantErr: "must be one of", wantCode: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := runCLI(t, tc.stdin, tc.getenv, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.wantCode, errOut)
			}
			if tc.wantOut != "" && out != tc.wantOut || tc.wantOut == "" && tc.wantCode == 0 && out != "" {
				t.Errorf("stdout = %q, want %q", out, tc.wantOut)
			}
			if !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", errOut, tc.wantErr)
			}
		})
	}
}

func TestInvokeLambdaBootstrap(t *testing.T) {
	t.Parallel()
	bin := extensiontest.BuildBinary(t, "../../examples/orders/cmd/orders-lambda")
	out, errOut, code := runCLI(t, pingOptions, noenv, "invoke", "--lambda", bin, "--framework", "1.0", "--type", "wrapper", "--diy", "-f", "ping", "-o", "-")
	if code != 0 || out != `{"statusCode":200}`+"\n" {
		t.Fatalf("got %q (exit %d, stderr %q)", out, code, errOut)
	}
	out, _, code = runCLI(t, "", noenv, "invoke", "--lambda", bin, "--diy", "-f", "nosuch")
	if code != 1 || !strings.Contains(out, "invalid_function") {
		t.Fatalf("unknown function: got %q (exit %d)", out, code)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	out, _, code := runCLI(t, "", noenv, "--help")
	if code != 0 || !strings.Contains(out, "invoke") {
		t.Fatalf("--help: exit %d, output %q", code, out)
	}
}
