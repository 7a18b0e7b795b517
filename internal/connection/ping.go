package connection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hookstack/hookstack/internal/invoke"
	"github.com/hookstack/hookstack/internal/ott"
	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/secret"
)

// Pinger calls connections' ping functions on their stacks, as integrator.io
// does: with the envelope of the stack's framework and a fresh one-time
// token, revoked when the ping returns.
type Pinger struct {
	Store    platform.Store
	Sealer   *secret.Sealer
	Invokers func(*platform.Stack) (invoke.Invoker, error)
	Now      func() time.Time
}

// Ref names the resource that uses the connection, passed to the ping.
type Ref struct {
	ExportID string `json:"_exportId"`
	ImportID string `json:"_importId"`
}

// Result is a ping's verdict: Online (statusCode 200), Offline (401 or 403,
// with the stack's errors), or neither when the stack could not answer
// (Errors say why; the connection's state should not change).
type Result struct {
	Online, Offline bool
	Errors          []map[string]any
}

// ErrNoStack is returned when the connection's stack is not usable by the
// connection's user: neither theirs nor shared with them and accepted.
var ErrNoStack = platform.FieldError(platform.CodeInvalidField, "wrapper._stackId", "The connection's stack is not available to you.")

// UsableStack returns the stack a user may use: their account's, or one
// shared with them by an accepted, enabled share; otherwise ErrNotFound.
func UsableStack(ctx context.Context, st platform.Store, accountID, userID, stackID string) (*platform.Stack, error) {
	if !platform.ValidID(stackID) {
		return nil, platform.ErrNotFound
	}
	s, err := st.GetStack(ctx, stackID)
	if err != nil {
		return nil, err
	}
	if s.AccountID == accountID {
		return s, nil
	}
	sh, err := st.GetShareFor(ctx, s.ID, userID)
	if errors.Is(err, platform.ErrNotFound) || err == nil && !sh.Grants() {
		return nil, platform.ErrNotFound
	}
	return s, err
}

// SecretAAD is the additional data the encrypted part of connection id is
// sealed with.
func SecretAAD(id string) string { return "connection:" + id + ":encrypted" }

// Open returns the connection's encrypted settings in clear (nil if none).
func (p *Pinger) Open(c *platform.Connection) ([]byte, error) {
	if len(c.Wrapper.Encrypted) == 0 {
		return nil, nil
	}
	plain, err := p.Sealer.Open(c.Wrapper.Encrypted, SecretAAD(c.ID))
	if err != nil {
		return nil, fmt.Errorf("open the settings of connection %s: %w", c.ID, err)
	}
	return plain, nil
}

func orJSON(b []byte, empty string) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage(empty)
	}
	return b
}

func nonEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Ping calls the connection's ping function for userID with its encrypted
// settings in clear (plain; nil for none). It returns ErrNoStack when the
// stack is not usable, a field error when there is no ping function, and
// otherwise a Result (a stack that cannot answer is a Result, not an error).
func (p *Pinger) Ping(ctx context.Context, c *platform.Connection, userID string, plain []byte, ref Ref) (*Result, error) {
	if c.Wrapper.PingFunction == "" {
		return nil, platform.FieldError(platform.CodeMissingRequiredField, "wrapper.pingFunction", "The connection has no ping function.")
	}
	st, err := UsableStack(ctx, p.Store, c.AccountID, userID, c.Wrapper.StackID)
	if errors.Is(err, platform.ErrNotFound) {
		return nil, ErrNoStack
	}
	if err != nil {
		return nil, err
	}
	inv, err := p.Invokers(st)
	if err != nil {
		return &Result{Errors: []map[string]any{{"code": invoke.CodeStackUnreachable, "message": err.Error()}}}, nil
	}
	framework, typ := platform.Framework1, "wrapper"
	if st.Framework == platform.FrameworkTwoDotZero {
		framework, typ = platform.Framework2, ""
	}
	tok, revoke, err := ott.Mint(ctx, p.Store, ott.Scope{AccountID: c.AccountID, UserID: userID, Framework: framework, Kind: "wrapper"}, p.Now())
	if err != nil {
		return nil, err
	}
	defer func() { _ = revoke(context.WithoutCancel(ctx)) }()
	if plain == nil {
		plain = []byte("{}")
	}
	options, err := json.Marshal(map[string]any{
		"bearerToken": tok,
		"connection":  map[string]any{"_id": c.ID, "encrypted": json.RawMessage(plain), "unencrypted": orJSON(c.Wrapper.Unencrypted, "{}")},
		"_exportId":   nonEmpty(ref.ExportID),
		"_importId":   nonEmpty(ref.ImportID),
	})
	if err != nil {
		return nil, err
	}
	var release func()
	if !c.CreatedAt.IsZero() {
		// A saved connection: at most concurrencyLevel calls at once.
		if release, err = Acquire(ctx, p.Store, c, p.Now); err != nil {
			return nil, err
		}
		defer release()
	}
	res, err := inv.Invoke(ctx, &invoke.Call{Framework: framework, Type: typ, Function: c.Wrapper.PingFunction, DIY: true, Options: options})
	if err != nil {
		var se *invoke.StackError
		if !errors.As(err, &se) {
			return nil, err
		}
		out := &Result{}
		for _, e := range se.Errors {
			out.Errors = append(out.Errors, map[string]any{"code": e.Code, "message": e.Message})
		}
		return out, nil
	}
	var answer struct {
		StatusCode int              `json:"statusCode"`
		Errors     []map[string]any `json:"errors"`
	}
	if err := json.Unmarshal(res, &answer); err != nil {
		return &Result{Errors: []map[string]any{{"code": invoke.CodeInvalidStackResponse, "message": fmt.Sprintf("The ping function answered %.100s", res)}}}, nil
	}
	switch answer.StatusCode {
	case http.StatusOK:
		return &Result{Online: true}, nil
	case http.StatusUnauthorized, http.StatusForbidden:
		if len(answer.Errors) == 0 {
			answer.Errors = []map[string]any{{"code": answer.StatusCode, "message": "The connection is offline."}}
		}
		return &Result{Offline: true, Errors: answer.Errors}, nil
	}
	return &Result{Errors: []map[string]any{{"code": invoke.CodeInvalidStackResponse,
		"message": fmt.Sprintf("The ping function answered statusCode %d; want 200 or 401.", answer.StatusCode)}}}, nil
}
