package extensiontest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstack/hookstack/extension/extensiontest"
)

const apiPath = "/2018-06-01/runtime"

// invocation is what a runtime reads from /next.
type invocation struct {
	id, clientContext, payload string
	hasClientContext           bool
	deadline                   time.Time
	header                     http.Header
}

func next(t *testing.T, s *extensiontest.RuntimeServer) invocation {
	t.Helper()
	resp, err := http.Get("http://" + s.Addr + apiPath + "/invocation/next")
	if err != nil {
		t.Fatalf("GET next: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET next: %s %s", resp.Status, body)
	}
	ms, err := strconv.ParseInt(resp.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
	if err != nil {
		t.Fatalf("deadline header: %v", err)
	}
	_, has := resp.Header["Lambda-Runtime-Client-Context"]
	return invocation{
		id:               resp.Header.Get("Lambda-Runtime-Aws-Request-Id"),
		clientContext:    resp.Header.Get("Lambda-Runtime-Client-Context"),
		hasClientContext: has,
		payload:          string(body),
		deadline:         time.UnixMilli(ms),
		header:           resp.Header,
	}
}

func post(t *testing.T, s *extensiontest.RuntimeServer, path, errorType, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.Addr+apiPath+path, strings.NewReader(body))
	if errorType != "" {
		req.Header.Set("Lambda-Runtime-Function-Error-Type", errorType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type invoked struct {
	res extensiontest.InvokeResult
	err error
}

func invokeAsync(ctx context.Context, s *extensiontest.RuntimeServer, cc, payload []byte) <-chan invoked {
	ch := make(chan invoked, 1)
	go func() {
		res, err := s.Invoke(ctx, cc, payload)
		ch <- invoked{res, err}
	}()
	return ch
}

func TestRuntimeResponse(t *testing.T) {
	t.Parallel()
	s := extensiontest.StartRuntime(t)
	s.Timeout = 5 * time.Second
	s.FunctionARN = "arn:aws:lambda:eu-west-1:123:function:f"
	start := time.Now()
	done := invokeAsync(t.Context(), s, []byte(`{"diy":true,"function":"f"}`), []byte(`{"a":1}`))
	inv := next(t, s)

	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(inv.id) {
		t.Errorf("request id %q is not a UUID", inv.id)
	}
	if d := inv.deadline.Sub(start); d < 4*time.Second || d > 6*time.Second {
		t.Errorf("deadline is %v after the invoke, want about 5s", d)
	}
	if got := inv.header.Get("Lambda-Runtime-Trace-Id"); !strings.HasPrefix(got, "Root=1-") {
		t.Errorf("trace id = %q, want an X-Ray header", got)
	}
	want := map[string]string{
		"clientContext": `{"diy":true,"function":"f"}`,
		"payload":       `{"a":1}`,
		"arn":           "arn:aws:lambda:eu-west-1:123:function:f",
	}
	got := map[string]string{
		"clientContext": inv.clientContext,
		"payload":       inv.payload,
		"arn":           inv.header.Get("Lambda-Runtime-Invoked-Function-Arn"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("invocation (-want +got):\n%s", diff)
	}

	if code, body := post(t, s, "/invocation/"+inv.id+"/response", "", `{"ok":true}`); code != http.StatusAccepted {
		t.Errorf("POST response = %d %s, want 202", code, body)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("Invoke: %v", r.err)
	}
	if diff := cmp.Diff(extensiontest.InvokeResult{Payload: []byte(`{"ok":true}`)}, r.res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	// A second answer for the same invocation is refused.
	if code, _ := post(t, s, "/invocation/"+inv.id+"/response", "", `{}`); code != http.StatusBadRequest {
		t.Errorf("second POST response = %d, want 400", code)
	}
}

func TestRuntimeError(t *testing.T) {
	t.Parallel()
	s := extensiontest.StartRuntime(t)
	done := invokeAsync(t.Context(), s, nil, []byte(`{}`))
	inv := next(t, s)
	if inv.hasClientContext {
		t.Errorf("client context header %q sent for no client context", inv.clientContext)
	}
	if code, body := post(t, s, "/invocation/"+inv.id+"/error", "string", `{"errorType":"string","errorMessage":"x"}`); code != http.StatusAccepted {
		t.Errorf("POST error = %d %s, want 202", code, body)
	}
	r := <-done
	want := extensiontest.InvokeResult{Payload: []byte(`{"errorType":"string","errorMessage":"x"}`), FunctionError: "Unhandled", ErrorType: "string"}
	if diff := cmp.Diff(want, r.res); diff != "" || r.err != nil {
		t.Errorf("result (-want +got):\n%s\nerr %v", diff, r.err)
	}
}

func TestRuntimeUnknownRequestID(t *testing.T) {
	t.Parallel()
	s := extensiontest.StartRuntime(t)
	code, body := post(t, s, "/invocation/nosuch/response", "", `{}`)
	var e struct{ ErrorType string }
	_ = json.Unmarshal([]byte(body), &e)
	if code != http.StatusBadRequest || e.ErrorType != "InvalidRequestID" {
		t.Errorf("POST = %d %s, want 400 InvalidRequestID", code, body)
	}
}

func TestRuntimeTimeout(t *testing.T) {
	t.Parallel()
	s := extensiontest.StartRuntime(t)
	s.Timeout = 100 * time.Millisecond
	done := invokeAsync(t.Context(), s, nil, []byte(`{}`))
	inv := next(t, s)
	r := <-done
	if r.err != nil {
		t.Fatalf("Invoke: %v", r.err)
	}
	if r.res.FunctionError != "Unhandled" || r.res.ErrorType != "Sandbox.Timedout" ||
		!strings.Contains(string(r.res.Payload), "Task timed out after 0.10 seconds") {
		t.Errorf("result = %+v (%s), want a Sandbox.Timedout error", r.res, r.res.Payload)
	}
	if code, _ := post(t, s, "/invocation/"+inv.id+"/response", "", `{}`); code != http.StatusBadRequest {
		t.Errorf("late POST response = %d, want 400", code)
	}
}

func TestRuntimeInvokeContext(t *testing.T) {
	t.Parallel()
	s := extensiontest.StartRuntime(t)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Invoke(ctx, nil, []byte(`{}`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Invoke with no runtime polling = %v, want context.DeadlineExceeded", err)
	}
}

func TestRuntimeInitError(t *testing.T) {
	t.Parallel()
	s := extensiontest.StartRuntime(t)
	if _, ok := s.InitError(); ok {
		t.Error("InitError before any was posted")
	}
	if code, _ := post(t, s, "/init/error", "InitError", `{"errorType":"InitError","errorMessage":"no db"}`); code != http.StatusAccepted {
		t.Errorf("POST init/error = %d, want 202", code)
	}
	body, ok := s.InitError()
	if !ok || string(body) != `{"errorType":"InitError","errorMessage":"no db"}` {
		t.Errorf("InitError = %s, %v", body, ok)
	}
	res, err := s.Invoke(t.Context(), nil, []byte(`{}`))
	want := extensiontest.InvokeResult{Payload: body, FunctionError: "Unhandled", ErrorType: "InitError"}
	if diff := cmp.Diff(want, res); diff != "" || err != nil {
		t.Errorf("Invoke after init error (-want +got):\n%s\nerr %v", diff, err)
	}
}

func TestRuntimeStop(t *testing.T) {
	t.Parallel()
	s := extensiontest.StartRuntime(t)
	done := invokeAsync(t.Context(), s, nil, []byte(`{}`))
	cause := errors.New("gone")
	s.Stop(cause)
	s.Stop(nil) // no effect
	if r := <-done; !errors.Is(r.err, cause) {
		t.Errorf("waiting Invoke = %v, want %v", r.err, cause)
	}
	if _, err := s.Invoke(t.Context(), nil, nil); !errors.Is(err, cause) {
		t.Errorf("Invoke after Stop = %v, want %v", err, cause)
	}
	resp, err := http.Get("http://" + s.Addr + apiPath + "/invocation/next")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("GET next after Stop = %d, want 500", resp.StatusCode)
	}
}

// TestRuntimeConcurrent runs several invocations against several pollers.
func TestRuntimeConcurrent(t *testing.T) {
	t.Parallel()
	s := extensiontest.StartRuntime(t)
	const n = 8
	for range 2 { // two "sandboxes" echoing payloads
		go func() {
			for {
				resp, err := http.Get("http://" + s.Addr + apiPath + "/invocation/next")
				if err != nil {
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return
				}
				id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
				r, err := http.Post("http://"+s.Addr+apiPath+"/invocation/"+id+"/response", "application/json", strings.NewReader(string(body)))
				if err != nil {
					return
				}
				r.Body.Close()
			}
		}()
	}
	results := make(chan invoked, n)
	for i := range n {
		go func() {
			res, err := s.Invoke(t.Context(), nil, []byte(strconv.Itoa(i)))
			results <- invoked{res, err}
		}()
	}
	seen := map[string]bool{}
	for range n {
		r := <-results
		if r.err != nil {
			t.Fatalf("Invoke: %v", r.err)
		}
		seen[string(r.res.Payload)] = true
	}
	if len(seen) != n {
		t.Errorf("got %d distinct answers, want %d: %v", len(seen), n, seen)
	}
}
