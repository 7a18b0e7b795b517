package extensionhttp

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hookstack/hookstack/extension"
)

var reqIDPattern = regexp.MustCompile(`^[0-9]{13}[0-9a-z]{4}$`)

// TestLogLines checks the request line (logName=reqFinished, PROTOCOL §3.8)
// and the call line (logName=callFunctionInvoked, §2.7) of each request.
func TestLogLines(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		method      string
		path        string
		header      http.Header
		body        string
		wantStatus  int
		wantCall    bool   // a callFunctionInvoked line is written
		wantTraceID string // in both lines
		wantReqID   bool   // _reqId in both lines
		wantLogged  bool   // a reqFinished line is written
	}{
		{
			name: "traceid header", method: "POST", path: "/function",
			header: http.Header{"Traceid": {"abc"}}, body: `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 200, wantCall: true, wantTraceID: "abc", wantReqID: true, wantLogged: true,
		},
		{
			name: "TraceId header in another case", method: "POST", path: "/function",
			header: http.Header{"TRACEID": {"xyz"}}, body: `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 200, wantCall: true, wantTraceID: "xyz", wantReqID: true, wantLogged: true,
		},
		{
			name: "no trace id", method: "POST", path: "/function",
			body:       `{"diy":true,"function":"doSomething","options":{}}`,
			wantStatus: 200, wantCall: true, wantReqID: true, wantLogged: true,
		},
		{
			name: "failed call", method: "POST", path: "/Function/",
			header: http.Header{"Traceid": {"t-422"}}, body: `{"diy":true,"function":"nosuch","options":{}}`,
			wantStatus: 422, wantCall: true, wantTraceID: "t-422", wantReqID: true, wantLogged: true,
		},
		{
			name: "unauthorised call", method: "POST", path: "/function",
			header: http.Header{"Traceid": {"t-401"}, "Authorization": {"Bearer wrong"}}, body: `{}`,
			wantStatus: 401, wantTraceID: "t-401", wantLogged: true,
		},
		{
			name: "malformed call", method: "POST", path: "/function",
			header: http.Header{"Traceid": {"t-400"}}, body: `{`,
			wantStatus: 400, wantTraceID: "t-400", wantLogged: true,
		},
		{name: "health check", method: "GET", path: "/healthCheck?x=1", wantStatus: 200, wantLogged: true},
		{name: "unknown route", method: "GET", path: "/nosuch", wantStatus: 404, wantLogged: true},
		{name: "livez", method: "GET", path: "/livez", wantStatus: 200},
		{name: "readyz", method: "GET", path: "/readyz", wantStatus: 200},
		{name: "Readyz/", method: "GET", path: "/Readyz/", wantStatus: 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, diyConfig()) // one server per case: its own log
			header := authJSON()
			for k, v := range tc.header {
				header[k] = v
			}
			if tc.method == "GET" {
				header = nil
			}
			got := s.do(t, tc.method, tc.path, header, tc.body)
			if got.status != tc.wantStatus {
				t.Fatalf("status = %d, want %d (%q)", got.status, tc.wantStatus, got.body)
			}

			calls := s.logs.named(t, "callFunctionInvoked")
			var reqs []map[string]any
			// The request line is written after the response; wait for it.
			waitFor(t, func() bool {
				reqs = s.logs.named(t, "reqFinished")
				return !tc.wantLogged || len(reqs) == 1
			})
			if !tc.wantLogged {
				time.Sleep(20 * time.Millisecond)
				if reqs = s.logs.named(t, "reqFinished"); len(reqs) != 0 {
					t.Fatalf("%s was logged: %v", tc.path, reqs)
				}
				return
			}
			if len(reqs) != 1 {
				t.Fatalf("%d reqFinished lines, want 1: %v", len(reqs), reqs)
			}
			req := reqs[0]
			if diff := cmp.Diff(map[string]any{
				"method":     tc.method,
				"url":        tc.path,
				"statusCode": float64(tc.wantStatus),
				"traceId":    tc.wantTraceID,
			}, map[string]any{
				"method":     req["method"],
				"url":        req["url"],
				"statusCode": req["statusCode"],
				"traceId":    req["traceId"],
			}); diff != "" {
				t.Errorf("reqFinished mismatch (-want +got):\n%s", diff)
			}
			if rt, _ := req["responseTime"].(string); !regexp.MustCompile(`^[0-9]+ms$`).MatchString(rt) {
				t.Errorf("responseTime = %q, want <n>ms", req["responseTime"])
			}

			if !tc.wantCall {
				if len(calls) != 0 {
					t.Errorf("callFunctionInvoked lines for a request that called nothing: %v", calls)
				}
				if _, ok := req["_reqId"]; ok {
					t.Errorf("_reqId in %v", req)
				}
				return
			}
			if len(calls) != 1 {
				t.Fatalf("%d callFunctionInvoked lines, want 1: %v", len(calls), calls)
			}
			call := calls[0]
			if tc.wantTraceID != "" {
				if call["traceId"] != tc.wantTraceID {
					t.Errorf("call line traceId = %v, want %q", call["traceId"], tc.wantTraceID)
				}
			} else if _, ok := call["traceId"]; ok {
				t.Errorf("call line has traceId without a traceid header: %v", call)
			}
			reqID, _ := req["_reqId"].(string)
			if !reqIDPattern.MatchString(reqID) {
				t.Errorf("reqFinished _reqId = %q, want 13 digits and 4 of [0-9a-z]", reqID)
			}
			if call["_reqId"] != reqID {
				t.Errorf("call line _reqId = %v, request line _reqId = %q", call["_reqId"], reqID)
			}
			if strings.HasPrefix(tc.name, "traceid") && call["function"] != "doSomething" {
				t.Errorf("call line function = %v", call["function"])
			}
		})
	}
}

// TestRequestIDs checks the request id format with injected time and
// randomness, and that ids differ between calls by default.
func TestRequestIDs(t *testing.T) {
	t.Parallel()
	cfg := diyConfig()
	cfg.Now = func() time.Time { return time.UnixMilli(1700000000123) }
	rnd := []uint64{0, 35, 36*36*36*36 - 1, 1 + 2*36 + 3*36*36 + 4*36*36*36}
	i := 0
	cfg.RandUint64 = func() uint64 { i++; return rnd[(i-1)%len(rnd)] }
	s := startServer(t, cfg)
	for range rnd {
		s.post(t, `{"diy":true,"function":"doSomething","options":{}}`)
	}
	var got []string
	for _, e := range s.logs.named(t, "callFunctionInvoked") {
		got = append(got, e["_reqId"].(string))
	}
	want := []string{"17000000001230000", "1700000000123z000", "1700000000123zzzz", "17000000001231234"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request ids mismatch (-want +got):\n%s", diff)
	}

	s2 := startServer(t, diyConfig())
	seen := map[string]bool{}
	for range 20 {
		s2.post(t, `{"diy":true,"function":"doSomething","options":{}}`)
	}
	for _, e := range s2.logs.named(t, "callFunctionInvoked") {
		id := e["_reqId"].(string)
		if !reqIDPattern.MatchString(id) || seen[id] {
			t.Errorf("request id %q malformed or repeated", id)
		}
		seen[id] = true
	}
}

// TestCallLineIDs checks the ids of the call line for framework 1.0 hooks.
func TestCallLineIDs(t *testing.T) {
	t.Parallel()
	s := startServer(t, Config{Extension: extension.Config{DIY: categorisedModule()}})
	s.post(t, `{"diy":true,"type":"hook","function":"doSomething","options":{"_integrationId":"i1","_flowId":"f1","_exportId":"e1","_importId":"m1","_connectionId":"c1"}}`)
	calls := s.logs.named(t, "callFunctionInvoked")
	if len(calls) != 1 {
		t.Fatalf("%d call lines", len(calls))
	}
	got := map[string]any{}
	for _, k := range []string{"type", "function", "_integrationId", "_flowId", "_exportId", "_importId", "_connectionId"} {
		got[k] = calls[0][k]
	}
	want := map[string]any{"type": "hook", "function": "doSomething", "_integrationId": "i1", "_flowId": "f1",
		"_exportId": "e1", "_importId": "m1", "_connectionId": "c1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("call line mismatch (-want +got):\n%s", diff)
	}
}
