// Package platform holds the nouns of the Hookstack platform — accounts,
// users, API tokens, stacks and stack shares — the Store interface that every
// storage backend implements (sqlitestore, pgstore), and the closed set of
// error codes the API maps to HTTP statuses in one place.
//
// Nothing here talks to a database or the network; packages that do import
// this one, never the other way round.
package platform

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// NewID returns a new 24-character hex identifier, the form of integrator.io
// _id values.
func NewID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// ValidID reports whether s has the form of an _id: 24 lowercase hex digits.
func ValidID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Code is one of the closed set of error codes the platform answers with.
type Code string

// The error codes; internal/api maps each to an HTTP status.
const (
	CodeMissingRequiredField Code = "missing_required_field" // 422
	CodeInvalidField         Code = "invalid_field"          // 422
	CodeInvalidQueryParams   Code = "invalid_query_params"   // 400
	CodeInvalidJSON          Code = "invalid_json"           // 400
	CodeNotFound             Code = "not_found"              // 404
	CodeUnauthorized         Code = "unauthorized"           // 401
	CodeForbidden            Code = "forbidden"              // 403
	CodeConflict             Code = "conflict"               // 409
	CodeStackInUse           Code = "stack_in_use"           // 422
	CodeShareInUse           Code = "share_in_use"           // 422
	CodeTokenNotRevoked      Code = "token_not_revoked"      // 422
	CodeRateLimited          Code = "rate_limited"           // 429
	CodeUnsupportedMediaType Code = "unsupported_media_type" // 415
	CodeEntityTooLarge       Code = "entity_too_large"       // 413
	CodeMethodNotAllowed     Code = "method_not_allowed"     // 405
	CodeInternal             Code = "internal"               // 500
)

// Error is an error whose code and message are safe to show to API clients.
// Field names the offending body member, if any ("server.hostURI").
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return string(e.Code) + ": " + e.Message
}

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an *Error about one body member.
func FieldError(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Field: field}
}

// ErrNotFound is returned by stores when a record does not exist (or is not
// visible to the caller); wrap it or compare with errors.Is.
var ErrNotFound = &Error{Code: CodeNotFound, Message: "Resource not found."}

// ErrorCode returns the code of the first *Error in err's chain, or
// CodeInternal.
func ErrorCode(err error) Code {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return CodeInternal
}

// Errors is several validation errors answered together.
type Errors []*Error

func (es Errors) Error() string {
	if len(es) == 0 {
		return "no errors"
	}
	s := es[0].Error()
	if len(es) > 1 {
		s += fmt.Sprintf(" (and %d more)", len(es)-1)
	}
	return s
}

// Err returns es as an error, or nil when empty.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// Page selects a slice of a list: Skip records, then at most Limit.
type Page struct {
	Skip  int
	Limit int
}

// Stamp holds the times every record carries.
type Stamp struct {
	CreatedAt    time.Time
	LastModified time.Time
}
