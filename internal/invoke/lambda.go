package invoke

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// MaxClientContext is AWS's limit on the base64 client context of an Invoke.
const MaxClientContext = 3583

// Lambda invokes functions on a Lambda stack with the AWS SDK's Invoke
// (PROTOCOL §4, PLATFORM §3.2): InvocationType RequestResponse, the
// function options as the Payload, and the base64 JSON of the extension
// properties as the ClientContext, signed with the stack's IAM keys.
//
// Clients are shared by every Lambda with the same region, keys, endpoint
// and HTTP client, so calls reuse keep-alive connections. The SDK's own
// retries are off: a synchronous invocation that failed half-way must not
// run twice behind the caller's back (retry with the same Call instead).
type Lambda struct {
	// AccessKeyID and SecretAccessKey are the stack's IAM user's keys.
	AccessKeyID     string
	SecretAccessKey string
	// Region is the function's AWS region, e.g. us-east-1.
	Region string
	// FunctionName is the function's name or ARN.
	FunctionName string
	// EndpointURL replaces AWS's endpoint (the SDK's BaseEndpoint), e.g.
	// http://127.0.0.1:9001 for `hookstack lambda-emulator` or another
	// AWS-compatible emulator; empty uses AWS.
	EndpointURL string
	// Timeout bounds each call; default 300 s. A shorter ctx deadline wins.
	Timeout time.Duration
	// HTTPClient sends the requests; nil uses a shared keep-alive client.
	HTTPClient *http.Client
	// ClientOptions, when set, adjusts the SDK client's options (for
	// tests); such a Lambda gets a client of its own instead of a shared one.
	ClientOptions func(*lambda.Options)

	once   sync.Once
	client *lambda.Client // with ClientOptions only
}

// defaultLambdaHTTP is the HTTP client of Lambda invokers without their own.
var defaultLambdaHTTP = &http.Client{Transport: &http.Transport{
	Proxy:               http.ProxyFromEnvironment,
	DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	ForceAttemptHTTP2:   true,
	MaxIdleConnsPerHost: 64,
	IdleConnTimeout:     90 * time.Second,
	TLSHandshakeTimeout: 10 * time.Second,
}}

// lambdaKey identifies a shared SDK client. The secret is kept as a hash.
type lambdaKey struct {
	region, keyID, endpoint string
	secret                  [sha256.Size]byte
	http                    *http.Client
}

// maxLambdaClients bounds the shared client cache; it is emptied when full
// (rotated keys leave stale entries behind).
const maxLambdaClients = 1024

var lambdaClients struct {
	sync.Mutex
	m map[lambdaKey]*lambda.Client
}

func (l *Lambda) httpClient() *http.Client {
	if l.HTTPClient != nil {
		return l.HTTPClient
	}
	return defaultLambdaHTTP
}

func (l *Lambda) newClient(optFns ...func(*lambda.Options)) *lambda.Client {
	opts := lambda.Options{
		Region:      l.Region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(l.AccessKeyID, l.SecretAccessKey, "")),
		HTTPClient:  l.httpClient(),
		Retryer:     aws.NopRetryer{},
	}
	if l.EndpointURL != "" {
		opts.BaseEndpoint = aws.String(l.EndpointURL)
	}
	return lambda.New(opts, optFns...)
}

// sdkClient returns the SDK client for l's settings.
func (l *Lambda) sdkClient() *lambda.Client {
	if l.ClientOptions != nil {
		l.once.Do(func() { l.client = l.newClient(l.ClientOptions) })
		return l.client
	}
	k := lambdaKey{region: l.Region, keyID: l.AccessKeyID, endpoint: l.EndpointURL,
		secret: sha256.Sum256([]byte(l.SecretAccessKey)), http: l.httpClient()}
	lambdaClients.Lock()
	defer lambdaClients.Unlock()
	if c := lambdaClients.m[k]; c != nil {
		return c
	}
	if lambdaClients.m == nil || len(lambdaClients.m) >= maxLambdaClients {
		lambdaClients.m = make(map[lambdaKey]*lambda.Client)
	}
	c := l.newClient()
	lambdaClients.m[k] = c
	return c
}

// Invoke sends the call and returns the function's result. Failures are a
// *StackError:
//
//   - the stack's own 422 errors, unchanged, when the function failed with
//     the Node handler's double-encoded error payload;
//   - invalid_call for a call that cannot be sent, including a client
//     context over MaxClientContext bytes of base64 (refused before
//     anything is sent);
//   - stack_unreachable when AWS cannot be reached, the function does not
//     exist, or the stack lacks a region or function name;
//   - stack_timeout when the call outlives Timeout or ctx's deadline, or the
//     function timed out;
//   - stack_unauthorized when AWS refuses the keys (HTTP 401/403,
//     UnrecognizedClientException, AccessDeniedException,
//     InvalidSignatureException, …);
//   - response_size_exceeded for a result longer than the call's
//     MaxResponseSize;
//   - invalid_stack_response for anything else (another AWS error, a
//     function error that is not the protocol's, a payload that is not JSON).
func (l *Lambda) Invoke(ctx context.Context, call *Call) (json.RawMessage, error) {
	if err := call.Validate(); err != nil {
		return nil, &StackError{Errors: []Error{*err.(*Error)}}
	}
	_, b64, err := clientContext(call)
	if err != nil {
		return nil, err
	}
	switch {
	case l.FunctionName == "":
		return nil, stackErr(0, CodeStackUnreachable, "the Lambda stack has no function name")
	case l.Region == "":
		return nil, stackErr(0, CodeStackUnreachable, "the Lambda stack has no AWS region")
	case l.AccessKeyID == "" || l.SecretAccessKey == "":
		return nil, stackErr(0, CodeStackUnauthorized, "the Lambda stack has no access key id or secret access key")
	}
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	payload := []byte(call.Options)
	if payload == nil {
		payload = []byte("{}")
	}
	out, err := l.sdkClient().Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(l.FunctionName),
		InvocationType: types.InvocationTypeRequestResponse,
		ClientContext:  aws.String(b64),
		Payload:        payload,
	})
	if err != nil {
		return nil, l.awsError(ctx, err, timeout)
	}
	return lambdaResult(aws.ToString(out.FunctionError), out.Payload, call.limit())
}

// awsError turns an error of the SDK's Invoke into a *StackError.
func (l *Lambda) awsError(ctx context.Context, err error, timeout time.Duration) *StackError {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return stackErr(0, CodeStackTimeout, "the Lambda function %s did not answer within %v", l.FunctionName, timeout)
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg := ae.ErrorCode(), ae.ErrorMessage()
		var nf *types.ResourceNotFoundException
		switch {
		case errors.As(err, &nf) || code == "ResourceNotFoundException":
			return stackErr(status, CodeStackUnreachable, "the Lambda function %s was not found in %s: %s", l.FunctionName, l.Region, msg)
		case status == http.StatusUnauthorized || status == http.StatusForbidden || authErrorCodes[code]:
			return stackErr(status, CodeStackUnauthorized, "AWS refused the stack's credentials for %s: %s: %s", l.FunctionName, code, msg)
		}
		return stackErr(status, CodeInvalidStackResponse, "AWS Lambda refused to invoke %s (HTTP %d): %s: %s", l.FunctionName, status, code, msg)
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return stackErr(status, CodeStackUnauthorized, "AWS refused the stack's credentials for %s: %v", l.FunctionName, err)
	case status != 0:
		return stackErr(status, CodeInvalidStackResponse, "AWS Lambda answered HTTP %d for %s: %v", status, l.FunctionName, err)
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		return stackErr(0, CodeInvalidStackResponse, "AWS Lambda's answer for %s could not be read: %v", l.FunctionName, err)
	}
	return stackErr(0, CodeStackUnreachable, "cannot reach AWS Lambda for %s: %v", l.FunctionName, err)
}

// authErrorCodes are the AWS error codes of refused credentials.
var authErrorCodes = map[string]bool{
	"UnrecognizedClientException": true,
	"AccessDeniedException":       true,
	"AccessDenied":                true,
	"InvalidSignatureException":   true,
	"SignatureDoesNotMatch":       true,
	"InvalidClientTokenId":        true,
	"IncompleteSignature":         true,
	"MissingAuthenticationToken":  true,
	"ExpiredTokenException":       true,
}

// clientContext returns the base64 client context of a Lambda call, or an
// invalid_call error when it is over AWS's limit.
func clientContext(call *Call) (props []byte, b64 string, err error) {
	props = call.Properties()
	b64 = base64.StdEncoding.EncodeToString(props)
	if len(b64) > MaxClientContext {
		return nil, "", stackErr(0, CodeInvalidCall, "the client context is %d bytes of base64, over AWS's limit of %d", len(b64), MaxClientContext)
	}
	return props, b64, nil
}

// lambdaResult turns what a Lambda Invoke returned into the function's
// result or a *StackError. With functionError set (Handled or Unhandled),
// payload is {"errorType","errorMessage"} and errorMessage, for extension
// errors, is itself the JSON of {statusCode, errors}.
func lambdaResult(functionError string, payload []byte, limit int64) (json.RawMessage, error) {
	if functionError != "" {
		var e struct {
			ErrorType    string `json:"errorType"`
			ErrorMessage string `json:"errorMessage"`
		}
		if err := json.Unmarshal(payload, &e); err != nil {
			return nil, stackErr(0, CodeInvalidStackResponse, "the Lambda function failed (%s) with a payload that is not JSON: %.120q", functionError, payload)
		}
		if se, err := parseErrors(0, []byte(e.ErrorMessage)); err == nil {
			return nil, se
		}
		// Current runtimes report a timeout as Sandbox.Timedout; older
		// ones only say so in the message.
		if e.ErrorType == "Sandbox.Timedout" || strings.Contains(e.ErrorMessage, "Task timed out after") {
			return nil, stackErr(0, CodeStackTimeout, "the Lambda function timed out: %s", e.ErrorMessage)
		}
		return nil, stackErr(0, CodeInvalidStackResponse, "the Lambda function failed (%s): %s: %s", functionError, e.ErrorType, e.ErrorMessage)
	}
	if n := utf16Len(payload); int64(n) > limit {
		return nil, stackErr(200, CodeResponseSizeExceeded, "response stream exceeded limit of %d bytes.", limit)
	}
	p := bytes.TrimSpace(payload)
	if len(p) == 0 || string(p) == "null" {
		return nil, nil
	}
	if !json.Valid(p) {
		return nil, stackErr(200, CodeInvalidStackResponse, "the Lambda function returned a payload that is not JSON: %.120q", p)
	}
	return p, nil
}
