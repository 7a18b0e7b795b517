package extensionhttp

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookstack/hookstack/extension"
)

// TestBearer checks the Authorization parsing of PROTOCOL §3.3.
func TestBearer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		auth   string
		want   string
		wantOK bool
	}{
		{"Bearer tok", "tok", true},
		{"bearer tok", "tok", true},
		{"BEARER tok", "tok", true},
		{"bEaReR tok", "tok", true},
		{"Bearer ", "", true}, // two parts, the second empty: no token matches it
		{"Bearer  tok", "", false},
		{"Bearer tok ", "", false},
		{" Bearer tok", "", false},
		{"Bearer tok x", "", false},
		{"Bearer", "", false},
		{"Bearer\ttok", "", false},
		{"Basic xyz", "", false},
		{"Bearerx tok", "", false},
		{"", "", false},
	} {
		t.Run(tc.auth, func(t *testing.T) {
			t.Parallel()
			got, ok := bearer(tc.auth)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("bearer(%q) = %q, %v; want %q, %v", tc.auth, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// FuzzBearer checks bearer against the definition: exactly two parts split
// on a single space, the first equal to "Bearer" ignoring case.
func FuzzBearer(f *testing.F) {
	for _, s := range []string{"Bearer tok", "bearer tok", "Bearer  tok", "Basic xyz", "Bearer", "", " ", "Bearer tok x", "ＢEARER tok", "Bearer\x00 t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, auth string) {
		tok, ok := bearer(auth)
		parts := strings.Split(auth, " ")
		want := len(parts) == 2 && strings.EqualFold(parts[0], "Bearer")
		if ok != want {
			t.Fatalf("bearer(%q) ok = %v, want %v", auth, ok, want)
		}
		if ok && tok != parts[1] {
			t.Fatalf("bearer(%q) = %q, want %q", auth, tok, parts[1])
		}
		if !ok && tok != "" {
			t.Fatalf("bearer(%q) = %q with ok false", auth, tok)
		}
	})
}

// fuzzHandler serves a DIY module of echoing, failing and panicking functions.
func fuzzHandler(tb testing.TB) *Handler {
	cfg := diyConfig()
	cfg.Extension.Logger = slog.New(slog.DiscardHandler)
	cfg.SystemTokens = []string{testToken}
	cfg.MaxBodyBytes = 64 << 10
	cfg.FunctionTimeout = 2 * time.Second
	cfg.HeartbeatAfter = -1
	h, err := NewHandler(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// FuzzFunction posts arbitrary bodies to /function: the handler never
// panics and always answers JSON with a status of the protocol.
func FuzzFunction(f *testing.F) {
	h := fuzzHandler(f)
	for _, s := range []string{
		`{}`, ``, `[]`, `null`, `"x"`, `{`, `{"diy":true}`,
		`{"diy":true,"function":"echo","options":{"a":[1,{"b":null}]}}`,
		`{"diy":true,"function":"preSavePage","options":{"data":[{"a":1}],"lastExportDateTime":"2024-01-01"}}`,
		`{"diy":true,"function":"preSavePage","options":{"data":"x"}}`,
		`{"diy":true,"function":"echoDates","options":{"lastExportDateTime":1e400,"currentExportDateTime":"x"}}`,
		`{"diy":true,"function":"echoLastExport","options":{"lastExportDateTime":-1e20}}`,
		`{"diy":true,"function":"ping","options":{"connection":[]}}`,
		`{"diy":true,"function":"panic","options":{}}`,
		`{"diy":true,"function":"abc","options":{},"maxResponseSize":"2"}`,
		`{"diy":true,"function":"abc","options":{},"maxResponseSize":-1}`,
		`{"diy":true,"function":"nothing","options":{},"maxResponseSize":-1}`,
		`{"diy":true,"type":"hook","function":5,"options":{},"access_token":"x"}`,
		`{"_connectorId":{"a":1},"function":"echo","options":"x"}`,
		`{"diy":true,"function":"echo","options":{"\u2028":"\ud800","<>":"&"}}`,
		"{\"diy\":true,\"function\":\"echo\",\"options\":{\"a\":\"\xff\"}}",
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(1))
	}
	statuses := map[int]bool{200: true, 400: true, 401: true, 413: true, 415: true, 422: true}
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		req := httptest.NewRequest(http.MethodPost, "/function", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		switch mode % 4 {
		case 0:
			req.Header.Set("Authorization", "Bearer "+testToken)
		case 1: // token, if any, from the body
		case 2:
			req.Header.Set("Authorization", "Bearer "+testToken)
			req.Header.Set("Content-Type", "application/json; charset=latin1")
		case 3:
			req.Header.Set("Authorization", "Bearer "+testToken)
			req.ContentLength = -1 // as if chunked
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !statuses[rec.Code] {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != jsonUTF8 {
			t.Fatalf("Content-Type %q for %q", ct, body)
		}
		out := rec.Body.Bytes()
		if rec.Code == 200 && len(out) == 0 {
			return // a function that returned nothing
		}
		if !json.Valid(out) {
			t.Fatalf("status %d: answer %q to %q is not JSON", rec.Code, out, body)
		}
		if rec.Code != 200 {
			var e struct {
				Errors []extension.Error `json:"errors"`
			}
			if err := json.Unmarshal(out, &e); err != nil || len(e.Errors) == 0 {
				t.Fatalf("status %d: answer %q is not {\"errors\":[…]}", rec.Code, out)
			}
		}
	})
}
