package extension

import (
	"errors"
	"strings"
)

// Error is an error with the {code, message} shape integrator.io expects.
// Return one from a function to choose the code the platform sees; any other
// error is reported with code "Error" and its Error() text as the message.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf-like helper: NewError returns an *Error with the given code and message.
func NewError(code, message string) *Error { return &Error{Code: code, Message: message} }

// CallError is what a failed call answers: always StatusCode 422 and at least
// one error. On the wire it is {"errors":[…]} over HTTP and
// {"statusCode":422,"errors":[…]} inside a Lambda error message.
type CallError struct {
	StatusCode int     `json:"statusCode"`
	Errors     []Error `json:"errors"`
}

func (e *CallError) Error() string {
	var b strings.Builder
	for i, x := range e.Errors {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(x.Code)
		b.WriteString(": ")
		b.WriteString(x.Message)
	}
	return b.String()
}

func callError(errs ...Error) *CallError { return &CallError{StatusCode: 422, Errors: errs} }

// Codes of the errors the SDK itself reports (PROTOCOL §1.1, §2.3, §0.1).
const (
	CodeMissingParameter         = "missing_parameter"
	CodeMissingRequiredField     = "missing_required_field"
	CodeInvalidConfiguration     = "invalid_configuration"
	CodeInvalidField             = "invalid_field"
	CodeObjectNotFound           = "object_not_found"
	CodeInvalidFunction          = "invalid_function"
	CodeInvalidExtensionResponse = "invalid_extension_response"
	CodeResponseSizeExceeded     = "response_size_exceeded"
	CodeInvalidFunctionOptions   = "invalid_function_options"
	CodePanic                    = "panic"
	CodeTimeout                  = "timeout"
	CodeCanceled                 = "canceled"
)

// The exact error values of PROTOCOL §1.1 and §2.3.
var (
	errConfigMissing           = Error{CodeMissingParameter, "Options parameter is not provided."}
	errConfigNeither           = Error{CodeMissingRequiredField, "Either DIY or connectors field needs to be set."}
	errConfigBoth              = Error{CodeInvalidConfiguration, "The configuration object should only have one of the diy or connectors field."}
	errConfigNoConnectors      = Error{CodeInvalidField, "No connector modules provided in the connectors field."}
	errRequiredDIYOrConnector  = Error{CodeMissingRequiredField, "Need to set either the diy or _connectorId field in extension options."}
	errDIYDoesntExist          = Error{CodeMissingRequiredField, "DIY is not configured in the extension configuration."}
	errConnectorDoesntExist    = Error{CodeInvalidField, "The _connectorId set in the extension options does't match any of the _connectorId's present in extension configuration."}
	errMissingFunction         = Error{CodeMissingRequiredField, "Missing required field function in the extension options."}
	errFunctionNotString       = Error{CodeInvalidField, "The function field in the extension options must be of type string."}
	errMissingFunctionOptions  = Error{CodeMissingRequiredField, "Function options haven't been provided."}
	errIncorrectFunction       = Error{CodeInvalidFunction, "The function passed in the extension options doesn't map to a function."}
	errResponseNotSerializable = Error{CodeInvalidExtensionResponse, "Extension response is not serializable."}
)

// toError converts an error returned by a function to its wire form:
// an *Error (anywhere in the chain) keeps its code; anything else is "Error".
func toError(err error) Error {
	if e, ok := errors.AsType[*Error](err); ok {
		return *e
	}
	return Error{Code: "Error", Message: err.Error()}
}

// errp returns a pointer to a copy of e, so callers cannot change the catalog.
func errp(e Error) *Error { return &e }
