package extensionhttp

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hookstack/hookstack/extension"
)

const jsonUTF8 = "application/json; charset=utf-8"

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func zlibbed(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestEdgeCases covers the HTTP rows of PROTOCOL §9 and the Express defaults
// of §3 and §10 on a real listener.
func TestEdgeCases(t *testing.T) {
	t.Parallel()
	cfg := diyConfig()
	cfg.MaxBodyBytes = 1024
	diy := startServer(t, cfg)
	conn := startServer(t, Config{Extension: extension.Config{Connectors: map[string]*extension.Module{
		"c1": flatModule(),
	}}})

	threeErrors := []extension.Error{errNeedDIYOrConnector, errMissingFunction, errMissingOptions}
	big := `{"diy":true,"function":"echo","options":{"pad":"` + strings.Repeat("x", 2000) + `"}}`
	gzipBig := gzipped(t, big)

	for _, tc := range []struct {
		name       string
		srv        *testServer
		method     string
		path       string
		header     http.Header
		body       string
		wantStatus int
		wantBody   *string           // exact body, when set
		wantErrors []extension.Error // the {"errors":[…]} body, when set
		wantHeader map[string]string // exact header values
	}{
		{
			name: "empty object authorised", body: `{}`,
			wantStatus: 422, wantErrors: threeErrors,
		},
		{
			name: "empty object not authorised", header: http.Header{"Content-Type": {"application/json"}}, body: `{}`,
			wantStatus: 401, wantErrors: []extension.Error{errUnauthorized},
		},
		{
			name: "empty body authorised", body: "",
			wantStatus: 422, wantErrors: threeErrors,
		},
		{
			name: "top-level array authorised", body: `[1,2]`,
			wantStatus: 422, wantErrors: threeErrors,
		},
		{
			name: "unknown connector", srv: conn,
			body:       `{"_connectorId":"unknown","function":"x","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errUnknownConnector},
		},
		{
			name: "known connector", srv: conn,
			body:       `{"_connectorId":"c1","function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: ptr(`"doSomething"`),
		},
		{
			name: "function not a string", body: `{"diy":true,"function":5,"options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errFunctionNotString},
		},
		{
			name: "object not found reports the raw type", body: `{"diy":true,"type":"nosuch","function":"x","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{objectNotFound("nosuch")},
		},
		{
			name: "invalid function", body: `{"diy":true,"function":"nosuch","options":{}}`,
			wantStatus: 422, wantErrors: []extension.Error{errInvalidFunction},
		},
		{
			name:       "typed echo of lastExportDateTime is unchanged",
			body:       `{"diy":true,"function":"echoLastExport","options":{"lastExportDateTime":"2024-01-02T03:04:05.678Z"}}`,
			wantStatus: 200, wantBody: ptr(`"2024-01-02T03:04:05.678Z"`),
			wantHeader: map[string]string{"Content-Type": jsonUTF8},
		},
		{
			name:       "typed echo of unusual date texts is unchanged",
			body:       `{"diy":true,"function":"echoDates","options":{"lastExportDateTime":"2024-01-02T03:04:05+02:00","currentExportDateTime":1700000000000}}`,
			wantStatus: 200, wantBody: ptr(`{"lastExportDateTime":"2024-01-02T03:04:05+02:00","currentExportDateTime":1700000000000}`),
		},
		{
			name:       "typed echo of a non-date is unchanged",
			body:       `{"diy":true,"function":"echoLastExport","options":{"lastExportDateTime":"not a date"}}`,
			wantStatus: 200, wantBody: ptr(`"not a date"`),
		},
		{
			name:       "raw echo of export dates is unchanged",
			body:       `{"diy":true,"function":"echo","options":{"lastExportDateTime":"2024-01-02T03:04:05.678Z","currentExportDateTime":"2024-01-03"}}`,
			wantStatus: 200, wantBody: ptr(`{"lastExportDateTime":"2024-01-02T03:04:05.678Z","currentExportDateTime":"2024-01-03"}`),
		},
		{
			name: "nil result is an empty JSON body", body: `{"diy":true,"function":"nothing","options":{}}`,
			wantStatus: 200, wantBody: ptr(""),
			wantHeader: map[string]string{"Content-Type": jsonUTF8, "Content-Length": "0"},
		},
		{
			name: "nil typed pointer is an empty JSON body", body: `{"diy":true,"function":"nilPointer","options":{}}`,
			wantStatus: 200, wantBody: ptr(""),
			wantHeader: map[string]string{"Content-Type": jsonUTF8, "Content-Length": "0"},
		},
		{
			name: "token in body", header: http.Header{"Content-Type": {"application/json"}},
			body:       `{"diy":true,"function":"doSomething","options":{},"access_token":"` + testToken + `"}`,
			wantStatus: 200, wantBody: ptr(`"doSomething"`),
		},
		{
			name: "wrong token in body", header: http.Header{"Content-Type": {"application/json"}},
			body:       `{"diy":true,"function":"doSomething","options":{},"access_token":"nope"}`,
			wantStatus: 401, wantErrors: []extension.Error{errUnauthorized},
		},
		{
			name: "token in query", path: "/function?access_token=" + testToken,
			header:     http.Header{"Content-Type": {"application/json"}},
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: ptr(`"doSomething"`),
		},
		{
			name: "percent-encoded query key", path: "/function?access%5Ftoken=" + testToken,
			header:     http.Header{"Content-Type": {"application/json"}},
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: ptr(`"doSomething"`),
		},
		{
			name: "repeated query token is an array to Express", path: "/function?access_token=" + testToken + "&access_token=" + testToken,
			header:     http.Header{"Content-Type": {"application/json"}},
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 401, wantErrors: []extension.Error{errUnauthorized},
		},
		{
			name: "empty query token", path: "/function?access_token=",
			header:     http.Header{"Content-Type": {"application/json"}},
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 401, wantErrors: []extension.Error{errUnauthorized},
		},
		{
			name: "falsy body token falls back to the query", path: "/function?access_token=" + testToken,
			header:     http.Header{"Content-Type": {"application/json"}},
			body:       `{"diy":true,"function":"doSomething","options":{},"access_token":""}`,
			wantStatus: 200, wantBody: ptr(`"doSomething"`),
		},
		{
			name: "body token wins over query token", path: "/function?access_token=nope",
			header:     http.Header{"Content-Type": {"application/json"}},
			body:       `{"diy":true,"function":"doSomething","options":{},"access_token":"` + testToken + `"}`,
			wantStatus: 200, wantBody: ptr(`"doSomething"`),
		},
		{
			name: "basic header ignores body token",
			header: http.Header{
				"Content-Type":  {"application/json"},
				"Authorization": {"Basic xyz"},
			},
			body:       `{"diy":true,"function":"doSomething","options":{},"access_token":"` + testToken + `"}`,
			wantStatus: 401, wantErrors: []extension.Error{errUnauthorized},
		},
		{
			name: "bad bearer ignores query token", path: "/function?access_token=" + testToken,
			header: http.Header{
				"Content-Type":  {"application/json"},
				"Authorization": {"Bearer nope"},
			},
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 401, wantErrors: []extension.Error{errUnauthorized},
		},
		{
			name: "lower-case bearer",
			header: http.Header{
				"Content-Type":  {"application/json"},
				"Authorization": {"bearer " + testToken},
			},
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: ptr(`"doSomething"`),
		},
		{
			name: "bearer with two spaces",
			header: http.Header{
				"Content-Type":  {"application/json"},
				"Authorization": {"Bearer  " + testToken},
			},
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 401, wantErrors: []extension.Error{errUnauthorized},
		},
		{
			name: "bearer with a third part",
			header: http.Header{
				"Content-Type":  {"application/json"},
				"Authorization": {"Bearer " + testToken + " x"},
			},
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 401, wantErrors: []extension.Error{errUnauthorized},
		},
		{
			name: "401 shape",
			header: http.Header{
				"Content-Type":  {"application/json"},
				"Authorization": {"Bearer wrong"},
			},
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 401, wantBody: ptr(`{"errors":[{"code":"unauthorized","message":"Invalid system token."}]}`),
			wantHeader: map[string]string{"WWW-Authenticate": "invalid system token", "Content-Type": jsonUTF8},
		},
		{
			name: "no token at all", header: http.Header{"Content-Type": {"application/json"}},
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 401, wantErrors: []extension.Error{errUnauthorized},
		},
		{
			name: "malformed JSON before auth", header: http.Header{"Content-Type": {"application/json"}},
			body: `{"diy":true,`, wantStatus: 400,
			wantHeader: map[string]string{"Content-Type": jsonUTF8},
		},
		{
			name: "malformed JSON authorised", body: `{"diy":tru}`, wantStatus: 400,
		},
		{
			name: "top-level string", header: http.Header{"Content-Type": {"application/json"}},
			body: `"x"`, wantStatus: 400,
		},
		{
			name: "top-level null", body: `null`, wantStatus: 400,
		},
		{
			name: "top-level number", body: `5`, wantStatus: 400,
		},
		{
			name: "trailing garbage", body: `{} x`, wantStatus: 400,
		},
		{
			name: "body over MaxBodyBytes with Content-Length", header: http.Header{"Content-Type": {"application/json"}},
			body: big, wantStatus: 413,
			wantErrors: []extension.Error{{Code: "entity_too_large", Message: "request entity too large"}},
			wantHeader: map[string]string{"Content-Type": jsonUTF8},
		},
		{
			name: "gzip body over MaxBodyBytes once inflated",
			header: http.Header{
				"Content-Type":     {"application/json"},
				"Content-Encoding": {"gzip"},
			},
			body: gzipBig, wantStatus: 413,
			wantErrors: []extension.Error{{Code: "entity_too_large", Message: "request entity too large"}},
		},
		{
			name: "gzip body",
			header: http.Header{
				"Content-Type":     {"application/json"},
				"Content-Encoding": {"gzip"},
				"Authorization":    {"Bearer " + testToken},
			},
			body:       gzipped(t, `{"diy":true,"function":"echo","options":{"a":1}}`),
			wantStatus: 200, wantBody: ptr(`{"a":1}`),
		},
		{
			name: "deflate (zlib) body",
			header: http.Header{
				"Content-Type":     {"application/json"},
				"Content-Encoding": {"deflate"},
				"Authorization":    {"Bearer " + testToken},
			},
			body:       zlibbed(t, `{"diy":true,"function":"echo","options":{"a":1}}`),
			wantStatus: 200, wantBody: ptr(`{"a":1}`),
		},
		{
			name: "broken gzip body",
			header: http.Header{
				"Content-Type":     {"application/json"},
				"Content-Encoding": {"gzip"},
			},
			body: "not gzip", wantStatus: 400,
		},
		{
			name: "unknown content encoding",
			header: http.Header{
				"Content-Type":     {"application/json"},
				"Content-Encoding": {"br"},
			},
			body: "{}", wantStatus: 415,
			wantErrors: []extension.Error{{Code: "encoding_unsupported", Message: `unsupported content encoding "br"`}},
		},
		{
			name: "text/plain body is treated as {}",
			header: http.Header{
				"Content-Type":  {"text/plain"},
				"Authorization": {"Bearer " + testToken},
			},
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 422, wantErrors: threeErrors,
		},
		{
			name: "no content type is treated as {}",
			header: http.Header{
				"Authorization": {"Bearer " + testToken},
			},
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 422, wantErrors: threeErrors,
		},
		{
			name:       "unparsed body token does not authorise",
			header:     http.Header{"Content-Type": {"text/plain"}},
			body:       `{"access_token":"` + testToken + `"}`,
			wantStatus: 401,
		},
		{
			name: "json content type parameters and case",
			header: http.Header{
				"Content-Type":  {"Application/JSON; charset=UTF-8"},
				"Authorization": {"Bearer " + testToken},
			},
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: ptr(`"doSomething"`),
		},
		{
			name: "latin1 charset",
			header: http.Header{
				"Content-Type":  {"application/json; charset=latin1"},
				"Authorization": {"Bearer " + testToken},
			},
			body: `{}`, wantStatus: 415,
			wantErrors: []extension.Error{{Code: "charset_unsupported", Message: `unsupported charset "LATIN1"`}},
		},
		{
			name: "GET /", method: "GET", path: "/",
			wantStatus: 200, wantBody: ptr(`{"success":true}`),
			wantHeader: map[string]string{"Content-Type": jsonUTF8},
		},
		{
			name: "GET /healthCheck", method: "GET", path: "/healthCheck",
			wantStatus: 200, wantBody: ptr(`{"success":true}`),
		},
		{
			name: "GET /HealthCheck/", method: "GET", path: "/HealthCheck/",
			wantStatus: 200, wantBody: ptr(`{"success":true}`),
		},
		{
			name: "GET /healthcheck", method: "GET", path: "/healthcheck",
			wantStatus: 200, wantBody: ptr(`{"success":true}`),
		},
		{
			name: "POST /FUNCTION", path: "/FUNCTION",
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: ptr(`"doSomething"`),
		},
		{
			name: "POST /function/", path: "/function/",
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: ptr(`"doSomething"`),
		},
		{
			name: "POST /Function/", path: "/Function/",
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 200, wantBody: ptr(`"doSomething"`),
		},
		{
			name: "unknown path", method: "GET", path: "/nosuch",
			wantStatus: 404, wantErrors: []extension.Error{{Code: "not_found", Message: "Cannot GET /nosuch"}},
			wantHeader: map[string]string{"Content-Type": jsonUTF8},
		},
		{
			name: "two trailing slashes", method: "GET", path: "/healthCheck//",
			wantStatus: 404,
		},
		{
			name: "GET /function", method: "GET", path: "/function",
			wantStatus: 404, wantErrors: []extension.Error{{Code: "not_found", Message: "Cannot GET /function"}},
		},
		{
			name: "PUT /function", method: "PUT", path: "/function", body: "{}",
			wantStatus: 404, wantErrors: []extension.Error{{Code: "not_found", Message: "Cannot PUT /function"}},
		},
		{
			name: "POST /", method: "POST", path: "/", body: "{}",
			wantStatus: 404, wantErrors: []extension.Error{{Code: "not_found", Message: "Cannot POST /"}},
		},
		{
			name: "GET /livez", method: "GET", path: "/livez",
			wantStatus: 200, wantBody: ptr("OK"),
			wantHeader: map[string]string{"Content-Type": "text/plain; charset=utf-8"},
		},
		{
			name: "GET /readyz", method: "GET", path: "/readyz",
			wantStatus: 200, wantBody: ptr("OK"),
		},
		{
			name: "GET /LIVEZ/", method: "GET", path: "/LIVEZ/",
			wantStatus: 200, wantBody: ptr("OK"),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := tc.srv
			if srv == nil {
				srv = diy
			}
			method, path, header := tc.method, tc.path, tc.header
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/function"
			}
			if header == nil && method == http.MethodPost {
				header = authJSON()
			}
			got := srv.do(t, method, path, header, tc.body)
			if got.status != tc.wantStatus {
				t.Errorf("status = %d, want %d (body %q)", got.status, tc.wantStatus, got.body)
			}
			if tc.wantBody != nil {
				if diff := cmp.Diff(*tc.wantBody, got.body); diff != "" {
					t.Errorf("body mismatch (-want +got):\n%s", diff)
				}
			}
			if tc.wantErrors != nil {
				if diff := cmp.Diff(tc.wantErrors, errorsBody(t, got.body)); diff != "" {
					t.Errorf("errors mismatch (-want +got):\n%s", diff)
				}
			}
			if got.status >= 400 {
				// Every error answer is {"errors":[…]} JSON.
				if ct := got.header.Get("Content-Type"); ct != jsonUTF8 {
					t.Errorf("Content-Type = %q, want %q", ct, jsonUTF8)
				}
				if errs := errorsBody(t, got.body); len(errs) == 0 || errs[0].Code == "" || errs[0].Message == "" {
					t.Errorf("error body %q has no code and message", got.body)
				}
			}
			for k, v := range tc.wantHeader {
				if g := got.header.Get(k); g != v {
					t.Errorf("header %s = %q, want %q", k, g, v)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestChunkedBodyTooLarge sends an oversized chunked body (no Content-Length).
func TestChunkedBodyTooLarge(t *testing.T) {
	t.Parallel()
	cfg := diyConfig()
	cfg.MaxBodyBytes = 1024
	s := startServer(t, cfg)
	for _, tc := range []struct {
		name       string
		size       int
		wantStatus string
	}{
		{"over the limit", 2000, "HTTP/1.1 413 Request Entity Too Large\r\n"},
		{"under the limit", 500, "HTTP/1.1 200 OK\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := `{"diy":true,"function":"nothing","options":{"pad":"` + strings.Repeat("x", tc.size) + `"}}`
			var req strings.Builder
			req.WriteString("POST /function HTTP/1.1\r\nHost: test\r\nConnection: close\r\n" +
				"Content-Type: application/json\r\nAuthorization: Bearer " + testToken + "\r\n" +
				"Transfer-Encoding: chunked\r\n\r\n")
			for chunk := range slices(body, 300) {
				req.WriteString(strconv.FormatInt(int64(len(chunk)), 16) + "\r\n" + chunk + "\r\n")
			}
			req.WriteString("0\r\n\r\n")
			got := rawRequest(t, s.addr, req.String())
			if !strings.HasPrefix(got, tc.wantStatus) {
				t.Fatalf("response %q does not start with %q", got, tc.wantStatus)
			}
			if tc.size > 1024 {
				_, body, _ := strings.Cut(got, "\r\n\r\n")
				want := `{"errors":[{"code":"entity_too_large","message":"request entity too large"}]}`
				if diff := cmp.Diff(want, body); diff != "" {
					t.Errorf("body mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func slices(s string, n int) func(func(string) bool) {
	return func(yield func(string) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// TestHead checks that GET routes answer HEAD with their headers and no body.
func TestHead(t *testing.T) {
	t.Parallel()
	s := startServer(t, diyConfig())
	for _, tc := range []struct {
		path       string
		wantStatus string
		wantLength string
	}{
		{"/", "HTTP/1.1 200 OK", "Content-Length: 16"},
		{"/healthCheck", "HTTP/1.1 200 OK", "Content-Length: 16"},
		{"/HEALTHCHECK/", "HTTP/1.1 200 OK", "Content-Length: 16"},
		{"/livez", "HTTP/1.1 200 OK", "Content-Length: 2"},
		{"/readyz", "HTTP/1.1 200 OK", "Content-Length: 2"},
		{"/function", "HTTP/1.1 404 Not Found", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			got := rawRequest(t, s.addr, "HEAD "+tc.path+" HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
			head, body, ok := strings.Cut(got, "\r\n\r\n")
			if !ok {
				t.Fatalf("no end of headers in %q", got)
			}
			if !strings.HasPrefix(head, tc.wantStatus+"\r\n") {
				t.Errorf("status line of %q, want %q", head, tc.wantStatus)
			}
			if tc.wantLength != "" && !strings.Contains(head, "\r\n"+tc.wantLength+"\r\n") {
				t.Errorf("headers %q lack %q", head, tc.wantLength)
			}
			if body != "" {
				t.Errorf("HEAD answered a body %q", body)
			}
		})
	}
}

// TestRawRoutes checks exact bytes of routes whose shape Express fixes.
func TestRawRoutes(t *testing.T) {
	t.Parallel()
	s := startServer(t, diyConfig())
	got := rawRequest(t, s.addr, "GET /openConnections HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
	head, body, _ := strings.Cut(got, "\r\n\r\n")
	if !strings.HasPrefix(head, "HTTP/1.1 200 OK\r\n") {
		t.Errorf("status line of %q", head)
	}
	if diff := cmp.Diff("0", body); diff != "" {
		t.Errorf("/openConnections body mismatch (-want +got):\n%s", diff)
	}
	// res.end(String(n)) sets no Content-Type (PROTOCOL §3.2).
	if strings.Contains(strings.ToLower(head), "content-type") {
		t.Errorf("/openConnections answered a Content-Type: %q", head)
	}
}

// TestBodyTokenNotString: a truthy access_token that is not a string is
// "sent" (the query is not consulted) and never equals a system token, as
// Node's strict comparison.
func TestBodyTokenNotString(t *testing.T) {
	t.Parallel()
	h, err := NewHandler(Config{
		Extension:    extension.Config{DIY: &extension.Module{}, Logger: slog.New(slog.DiscardHandler)},
		SystemTokens: []string{"123", "true"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`{"access_token":123}`, `{"access_token":true}`, `{"access_token":[1]}`} {
		req := httptest.NewRequest(http.MethodPost, "/function?access_token=123", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("body %s: status %d, want 401", body, w.Code)
		}
	}
}
