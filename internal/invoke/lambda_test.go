package invoke

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeAWS is an httptest server answering every Invoke with status,
// headers and body, the way AWS Lambda's REST API answers.
func fakeAWS(t *testing.T, status int, header map[string]string, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		if status == 0 { // hang
			<-r.Context().Done()
			return
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func awsError(typ string) map[string]string {
	return map[string]string{"X-Amzn-ErrorType": typ, "Content-Type": "application/json"}
}

// TestLambdaOutcomes maps what AWS answers to results and error codes.
func TestLambdaOutcomes(t *testing.T) {
	t.Parallel()
	const unhandled = "X-Amz-Function-Error"
	cases := []struct {
		name   string
		status int // 0: hang; -1: nothing listens
		header map[string]string
		body   string
		want   *StackError // the first message is checked as a prefix
		result string
	}{
		{name: "result", status: 200, body: `{"statusCode":200}`, result: `{"statusCode":200}`},
		{name: "null is no result", status: 200, body: `null`},
		{
			name: "extension error (Node runtime, Unhandled)", status: 200, header: map[string]string{unhandled: "Unhandled"},
			body: `{"errorType":"string","errorMessage":"{\"statusCode\":422,\"errors\":[{\"code\":\"my_code\",\"message\":\"it failed\"}]}","trace":[]}`,
			want: &StackError{StatusCode: 422, Errors: []Error{{Code: "my_code", Message: "it failed"}}},
		},
		{
			name: "extension error (legacy, Handled, no errorType)", status: 200, header: map[string]string{unhandled: "Handled"},
			body: `{"errorMessage":"{\"statusCode\":422,\"errors\":[{\"message\":\"m\",\"code\":\"c\"},{\"code\":\"d\",\"message\":\"n\"}]}"}`,
			want: &StackError{StatusCode: 422, Errors: []Error{{Code: "c", Message: "m"}, {Code: "d", Message: "n"}}},
		},
		{
			name: "function timeout", status: 200, header: map[string]string{unhandled: "Unhandled"},
			body: `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: x Error: Task timed out after 300.00 seconds"}`,
			want: stackErr(0, CodeStackTimeout, "the Lambda function timed out: RequestId: x Error: Task timed out after 300.00 seconds"),
		},
		{
			name: "function timeout, older message", status: 200, header: map[string]string{unhandled: "Unhandled"},
			body: `{"errorMessage":"2024-01-01T00:00:00.000Z 1b2c Task timed out after 3.00 seconds"}`,
			want: stackErr(0, CodeStackTimeout, "the Lambda function timed out"),
		},
		{
			name: "runtime error", status: 200, header: map[string]string{unhandled: "Unhandled"},
			body: `{"errorType":"TypeError","errorMessage":"Cannot read properties of undefined"}`,
			want: stackErr(0, CodeInvalidStackResponse, "the Lambda function failed (Unhandled): TypeError: Cannot read properties of undefined"),
		},
		{
			name: "error payload not JSON", status: 200, header: map[string]string{unhandled: "Unhandled"}, body: `oops`,
			want: stackErr(0, CodeInvalidStackResponse, "the Lambda function failed (Unhandled) with a payload that is not JSON"),
		},
		{
			name: "result not JSON", status: 200, body: `{"a":`,
			want: stackErr(200, CodeInvalidStackResponse, "the Lambda function returned a payload that is not JSON"),
		},
		{
			name: "result over maxResponseSize", status: 200, body: `"` + strings.Repeat("x", 2000) + `"`,
			want: stackErr(200, CodeResponseSizeExceeded, "response stream exceeded limit of 1000 bytes."),
		},
		{
			name: "unknown keys", status: 403, header: awsError("UnrecognizedClientException"),
			body: `{"Type":"User","message":"The security token included in the request is invalid."}`,
			want: stackErr(403, CodeStackUnauthorized, "AWS refused the stack's credentials for my-fn: UnrecognizedClientException: The security token included in the request is invalid."),
		},
		{
			name: "bad signature", status: 403, header: awsError("InvalidSignatureException"),
			body: `{"message":"The request signature we calculated does not match the signature you provided."}`,
			want: stackErr(403, CodeStackUnauthorized, "AWS refused the stack's credentials for my-fn: InvalidSignatureException"),
		},
		{
			name: "no permission", status: 403, header: awsError("AccessDeniedException"),
			body: `{"Message":"User: arn:aws:iam::1:user/x is not authorized to perform: lambda:InvokeFunction"}`,
			want: stackErr(403, CodeStackUnauthorized, "AWS refused the stack's credentials for my-fn: AccessDeniedException"),
		},
		{
			name: "401 without an error type", status: 401, body: ``,
			want: stackErr(401, CodeStackUnauthorized, "AWS refused the stack's credentials for my-fn"),
		},
		{
			name: "function not found", status: 404, header: awsError("ResourceNotFoundException"),
			body: `{"Type":"User","message":"Function not found: arn:aws:lambda:us-east-1:1:function:my-fn"}`,
			want: stackErr(404, CodeStackUnreachable, "the Lambda function my-fn was not found in us-east-1: Function not found: arn:aws:lambda:us-east-1:1:function:my-fn"),
		},
		{
			name: "throttled", status: 429, header: awsError("TooManyRequestsException"),
			body: `{"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}`,
			want: stackErr(429, CodeInvalidStackResponse, "AWS Lambda refused to invoke my-fn (HTTP 429): TooManyRequestsException: Rate Exceeded."),
		},
		{
			name: "service error", status: 500, header: awsError("ServiceException"), body: `{"message":"internal"}`,
			want: stackErr(500, CodeInvalidStackResponse, "AWS Lambda refused to invoke my-fn (HTTP 500): ServiceException: internal"),
		},
		{
			name: "HTML from a proxy", status: 502, header: map[string]string{"Content-Type": "text/html"}, body: `<html>Bad Gateway</html>`,
			want: stackErr(502, CodeInvalidStackResponse, "AWS Lambda answered HTTP 502 for my-fn: "),
		},
		{
			name: "hangs", status: 0,
			want: stackErr(0, CodeStackTimeout, "the Lambda function my-fn did not answer within 300ms"),
		},
		{
			name: "nothing listens", status: -1,
			want: stackErr(0, CodeStackUnreachable, "cannot reach AWS Lambda for my-fn"),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var url string
			if tc.status == -1 {
				url = closedURL(t)
			} else {
				url = fakeAWS(t, tc.status, tc.header, tc.body).URL
			}
			stack := &Lambda{AccessKeyID: "AKID", SecretAccessKey: "secret", Region: "us-east-1", FunctionName: "my-fn",
				EndpointURL: url, Timeout: 300 * time.Millisecond}
			res, err := stack.Invoke(t.Context(), &Call{Function: "f", DIY: true, MaxResponseSize: 1000})
			if tc.want == nil {
				if err != nil || string(res) != tc.result {
					t.Fatalf("got %s, %v; want %s", res, err, tc.result)
				}
				return
			}
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
		})
	}
}

// TestLambdaRequest checks what reaches AWS: a signed Invoke with the
// options as the payload and the properties as the client context.
func TestLambdaRequest(t *testing.T) {
	t.Parallel()
	type seen struct {
		method, path, invocationType, clientContext, auth, body string
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		cc, _ := base64.StdEncoding.DecodeString(r.Header.Get("X-Amz-Client-Context"))
		got <- seen{r.Method, r.URL.EscapedPath(), r.Header.Get("X-Amz-Invocation-Type"), string(cc), r.Header.Get("Authorization"), string(b)}
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)

	cases := []struct {
		name string
		fn   string
		call Call
		want seen
	}{
		{
			name: "framework 1.0", fn: "my-fn",
			call: Call{Framework: Framework1, Type: "wrapper", Function: "ping", DIY: true, Options: json.RawMessage(`{"connection":{}}`)},
			want: seen{method: "POST", path: "/2015-03-31/functions/my-fn/invocations", invocationType: "RequestResponse",
				clientContext: `{"diy":true,"type":"wrapper","function":"ping","maxResponseSize":5242880}`, body: `{"connection":{}}`},
		},
		{
			name: "framework 2.0, ARN, no options", fn: "arn:aws:lambda:eu-west-1:123456789012:function:my-fn",
			call: Call{Framework: Framework2, Type: "wrapper", Function: "ping", ConnectorID: "c1", MaxResponseSize: 10},
			want: seen{method: "POST", path: "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Amy-fn/invocations", invocationType: "RequestResponse",
				clientContext: `{"_connectorId":"c1","function":"ping","maxResponseSize":10}`, body: `{}`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stack := &Lambda{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", Region: "eu-west-1", FunctionName: tc.fn, EndpointURL: srv.URL}
			if _, err := stack.Invoke(t.Context(), &tc.call); err != nil {
				t.Fatal(err)
			}
			s := <-got
			if !strings.HasPrefix(s.auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(s.auth, "/eu-west-1/lambda/aws4_request") {
				t.Errorf("Authorization %q is not a SigV4 signature for eu-west-1 lambda", s.auth)
			}
			s.auth = ""
			if diff := cmp.Diff(tc.want, s, cmp.AllowUnexported(seen{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestLambdaRefusedBeforeSending checks calls and stacks that never reach AWS.
func TestLambdaRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request was sent: %s %s", r.Method, r.URL)
	}))
	t.Cleanup(srv.Close)
	ok := Lambda{AccessKeyID: "k", SecretAccessKey: "s", Region: "us-east-1", FunctionName: "f", EndpointURL: srv.URL}
	cases := []struct {
		name   string
		modify func(*Lambda)
		call   Call
		want   string
	}{
		{name: "client context over 3583 bytes", call: Call{DIY: true, Function: strings.Repeat("f", 2700)}, want: CodeInvalidCall},
		{name: "invalid call", call: Call{DIY: true}, want: CodeInvalidCall},
		{name: "no function name", modify: func(l *Lambda) { l.FunctionName = "" }, call: Call{DIY: true, Function: "f"}, want: CodeStackUnreachable},
		{name: "no region", modify: func(l *Lambda) { l.Region = "" }, call: Call{DIY: true, Function: "f"}, want: CodeStackUnreachable},
		{name: "no keys", modify: func(l *Lambda) { l.SecretAccessKey = "" }, call: Call{DIY: true, Function: "f"}, want: CodeStackUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stack := &Lambda{AccessKeyID: ok.AccessKeyID, SecretAccessKey: ok.SecretAccessKey, Region: ok.Region, FunctionName: ok.FunctionName, EndpointURL: ok.EndpointURL}
			if tc.modify != nil {
				tc.modify(stack)
			}
			_, err := stack.Invoke(t.Context(), &tc.call)
			if se, isSE := err.(*StackError); !isSE || se.Code() != tc.want {
				t.Errorf("got %v, want %s", err, tc.want)
			}
		})
	}
}

// TestLambdaClientCache checks that invokers with the same credentials
// share one SDK client, and others do not.
func TestLambdaClientCache(t *testing.T) {
	t.Parallel()
	a := &Lambda{AccessKeyID: "cache-k", SecretAccessKey: "s1", Region: "us-east-1", EndpointURL: "http://127.0.0.1:1"}
	same := &Lambda{AccessKeyID: "cache-k", SecretAccessKey: "s1", Region: "us-east-1", EndpointURL: "http://127.0.0.1:1", FunctionName: "other"}
	if a.sdkClient() != same.sdkClient() {
		t.Error("two invokers with the same settings got different clients")
	}
	for name, other := range map[string]*Lambda{
		"region":   {AccessKeyID: "cache-k", SecretAccessKey: "s1", Region: "eu-west-1", EndpointURL: a.EndpointURL},
		"key":      {AccessKeyID: "cache-k2", SecretAccessKey: "s1", Region: a.Region, EndpointURL: a.EndpointURL},
		"secret":   {AccessKeyID: "cache-k", SecretAccessKey: "s2", Region: a.Region, EndpointURL: a.EndpointURL},
		"endpoint": {AccessKeyID: "cache-k", SecretAccessKey: "s1", Region: a.Region},
	} {
		if other.sdkClient() == a.sdkClient() {
			t.Errorf("an invoker with another %s shares the client", name)
		}
	}
}
