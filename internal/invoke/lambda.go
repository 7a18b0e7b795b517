package invoke

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
)

// MaxClientContext is AWS's limit on the base64 client context of an Invoke.
const MaxClientContext = 3583

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
		if e.ErrorType == "Sandbox.Timedout" {
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
