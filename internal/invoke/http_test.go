package invoke

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// closedURL returns the URL of a loopback port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// settleGoroutines waits up to 3 s for the number of goroutines to drop to
// at most want and returns the last count.
func settleGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(3 * time.Second); n > want && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// TestHTTPFaults calls misbehaving server stacks and checks the code of
// each failure, and that no goroutine outlives the call.
//
// It is not parallel: it counts the process's goroutines, so it runs alone
// (top-level parallel tests start only after the sequential ones ended).
func TestHTTPFaults(t *testing.T) {
	hang := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	cases := []struct {
		name    string
		handler http.HandlerFunc // nil: no server, a closed port
		max     int64            // the call's MaxResponseSize
		want    *StackError      // the first error's message is checked as a prefix
		result  string           // the result when want is nil
	}{
		{
			name: "refuses connections",
			want: stackErr(0, CodeStackUnreachable, "cannot reach the stack at"),
		},
		{
			name:    "hangs before answering",
			handler: hang,
			want:    stackErr(0, CodeStackTimeout, "the stack did not answer within 200ms"),
		},
		{
			name: "hangs in the middle of the body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				_, _ = io.WriteString(w, `{"data":[`)
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			},
			want: stackErr(0, CodeStackTimeout, "the stack did not answer within 200ms"),
		},
		{
			name: "answers 500",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = io.WriteString(w, "<!DOCTYPE html><pre>TypeError: x is undefined</pre>")
			},
			want: stackErr(500, CodeInvalidStackResponse, "the stack answered HTTP 500"),
		},
		{
			name: "answers HTML with 200",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				_, _ = io.WriteString(w, "<html><body>Welcome to nginx!</body></html>")
			},
			want: stackErr(200, CodeInvalidStackResponse, "the stack answered 200 with a body that is not JSON"),
		},
		{
			name: "truncated JSON",
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, `{"data":[{"id":1},{"id"`)
			},
			want: stackErr(200, CodeInvalidStackResponse, "the stack answered 200 with a body that is not JSON"),
		},
		{
			name: "connection closed before Content-Length bytes",
			handler: func(w http.ResponseWriter, r *http.Request) {
				conn, buf, err := w.(http.Hijacker).Hijack()
				if err != nil {
					return
				}
				defer conn.Close()
				_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"data\":[")
				_ = buf.Flush()
			},
			want: stackErr(200, CodeInvalidStackResponse, "reading the stack's answer: unexpected EOF"),
		},
		{
			name: "body over MaxResponseSize",
			max:  1000,
			handler: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, `"`+strings.Repeat("é", 1000)+`"`)
			},
			want: stackErr(200, CodeResponseSizeExceeded, "response stream exceeded limit of 1000 bytes."),
		},
		{
			name: "endless body",
			max:  1000,
			handler: func(w http.ResponseWriter, r *http.Request) {
				chunk := []byte(strings.Repeat("x", 4096))
				for {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			},
			want: stackErr(200, CodeResponseSizeExceeded, "response stream exceeded limit of 1000 bytes."),
		},
		{
			name: "answers 401",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("WWW-Authenticate", "invalid system token")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, `{"errors":[{"code":"unauthorized","message":"Invalid system token."}]}`)
			},
			want: stackErr(401, CodeStackUnauthorized, "the stack refused the system token: Invalid system token."),
		},
		{
			name: "422 without errors array",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusUnprocessableEntity)
				_, _ = io.WriteString(w, `{"message":"nope"}`)
			},
			want: stackErr(422, CodeInvalidStackResponse, "the stack answered 422 without an errors array"),
		},
		{
			name: "422 with errors comes back unchanged",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusUnprocessableEntity)
				_, _ = io.WriteString(w, `{"errors":[{"code":"my_code","message":"m1"},{"message":"no code"}]}`)
			},
			want: &StackError{StatusCode: 422, Errors: []Error{{Code: "my_code", Message: "m1"}, {Message: "no code"}}},
		},
		{
			name: "102 Processing, then 200",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusProcessing)
				time.Sleep(50 * time.Millisecond)
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
				w.WriteHeader(http.StatusOK)
				_, _ = io.WriteString(w, `{"statusCode":200}`)
			},
			result: `{"statusCode":200}`,
		},
		{
			name: "empty 200 is no result",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json; charset=utf-8")
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url := ""
			var srv *httptest.Server
			if tc.handler != nil {
				// Read the body first, as body-parser does: only then does
				// net/http notice that the client has gone.
				srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, r.Body)
					tc.handler(w, r)
				}))
				defer srv.Close()
				url = srv.URL
			} else {
				url = closedURL(t)
			}
			client := &http.Client{Transport: &http.Transport{}}
			before := runtime.NumGoroutine()

			stack := &HTTP{BaseURL: url, Token: "tok", Client: client, Timeout: 200 * time.Millisecond}
			res, err := stack.Invoke(t.Context(), &Call{Function: "f", DIY: true, MaxResponseSize: tc.max})
			if tc.want == nil {
				if err != nil {
					t.Fatalf("error %v, want %s", err, tc.result)
				}
				if string(res) != tc.result {
					t.Errorf("result %q, want %q", res, tc.result)
				}
			} else {
				se, ok := err.(*StackError)
				if !ok {
					t.Fatalf("got %s, %v (%T); want a *StackError", res, err, err)
				}
				if len(se.Errors) > 0 && len(tc.want.Errors) == 1 && strings.HasPrefix(se.Errors[0].Message, tc.want.Errors[0].Message) {
					se.Errors[0].Message = tc.want.Errors[0].Message
				}
				if diff := cmp.Diff(tc.want, se); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}

			client.CloseIdleConnections()
			if n := settleGoroutines(before); n > before {
				buf := make([]byte, 1<<16)
				t.Errorf("%d goroutines after the call, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
			}
		})
	}
}

// TestHTTPRequest checks the headers and the envelope a server stack gets.
func TestHTTPRequest(t *testing.T) {
	t.Parallel()
	type seen struct {
		header http.Header
		body   map[string]any
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		if r.Method != http.MethodPost || r.URL.Path != "/function" {
			body = map[string]any{"wrong request": r.Method + " " + r.URL.Path}
		}
		got <- seen{r.Header, body}
		w.Header().Set("Content-Type", "application/json; charset=utf-8") // and no body: no result
	}))
	t.Cleanup(srv.Close)

	cases := []struct {
		name string
		call Call
		want map[string]any
	}{
		{
			name: "framework 1.0 sends type",
			call: Call{Framework: Framework1, Type: "hook", Function: "preSavePage", DIY: true, Options: json.RawMessage(`{"data":[]}`), TraceID: "trace-1", IdempotencyKey: "job-1/page-0"},
			want: map[string]any{"diy": true, "type": "hook", "function": "preSavePage", "maxResponseSize": float64(DefaultMaxResponseSize), "options": map[string]any{"data": []any{}}},
		},
		{
			name: "framework 2.0 sends no type",
			call: Call{Framework: Framework2, Type: "hook", Function: "preSavePage", ConnectorID: "c1", MaxResponseSize: 100, TraceID: "trace-2", IdempotencyKey: "k2"},
			want: map[string]any{"_connectorId": "c1", "function": "preSavePage", "maxResponseSize": float64(100), "options": map[string]any{}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stack := &HTTP{BaseURL: srv.URL + "/", Token: "sys-token", Timeout: 30 * time.Second}
			res, err := stack.Invoke(t.Context(), &tc.call)
			if err != nil || res != nil {
				t.Fatalf("Invoke: %s, %v; want no result", res, err)
			}
			s := <-got
			if diff := cmp.Diff(tc.want, s.body); diff != "" {
				t.Errorf("envelope (-want +got):\n%s", diff)
			}
			h := s.header
			wantHeader := map[string]string{
				"Authorization":   "Bearer sys-token",
				"Content-Type":    "application/json",
				"Traceid":         tc.call.TraceID,
				"Idempotency-Key": tc.call.IdempotencyKey,
			}
			for k, v := range wantHeader {
				if h.Get(k) != v {
					t.Errorf("%s: %q, want %q", k, h.Get(k), v)
				}
			}
			ms, err := strconv.Atoi(h.Get("X-Hookstack-Timeout-Ms"))
			if err != nil || ms <= 25_000 || ms > 30_000 {
				t.Errorf("X-Hookstack-Timeout-Ms: %q, want about 30000", h.Get("X-Hookstack-Timeout-Ms"))
			}
		})
	}
}

// TestHTTPRefusesInvalidCalls checks that invalid calls are not sent.
func TestHTTPRefusesInvalidCalls(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request was sent: %s %s", r.Method, r.URL)
	}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name string
		call Call
	}{
		{"no function", Call{DIY: true}},
		{"no module", Call{Function: "f"}},
		{"two modules", Call{Function: "f", DIY: true, ConnectorID: "c"}},
		{"unknown framework", Call{Function: "f", DIY: true, Framework: "3.0"}},
		{"1.0 without type", Call{Function: "f", DIY: true, Framework: Framework1}},
		{"options not JSON", Call{Function: "f", DIY: true, Options: json.RawMessage(`{`)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := (&HTTP{BaseURL: srv.URL, Token: "t"}).Invoke(t.Context(), &tc.call)
			if se, ok := err.(*StackError); !ok || se.Code() != CodeInvalidCall {
				t.Errorf("got %v, want invalid_call", err)
			}
		})
	}
}

func BenchmarkUTF16Len(b *testing.B) {
	body := []byte(strings.Repeat(`{"id":"SO-00000001","name":"Customer 1","amount":12.5},`, 400))
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		utf16Len(body)
	}
}

func TestUTF16Len(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int // "x".length in JavaScript for valid UTF-8
	}{
		{"", 0},
		{`{"a":1}`, 7},
		{"é", 1},
		{"日本", 2},
		{"😀", 2},
		{"a😀é\u2028", 5},
		{"0123456789abcdefé😀0123456789", 29},
		{"01234567\xff", 9},
		{"\xff\xfe", 2}, // invalid UTF-8: one unit per bad byte
		{"\xe6\x97", 2},
	} {
		if got := utf16Len([]byte(tc.in)); got != tc.want {
			t.Errorf("utf16Len(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
