// Package ott mints the one-time tokens the platform hands to every
// extension call as options.bearerToken, and decides what each may do on
// the API (PLATFORM §3.4, §7.7, §8.7).
//
// A token is "ott" followed by 32 hex digits. It is stored only as its
// SHA-256 with its scope; the API consumes it on first use (one atomic
// DELETE … RETURNING, so of concurrent uses exactly one succeeds), the
// caller revokes it when the call returns, and it expires after TTL anyway.
package ott

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/secret"
)

// TTL is the longest a one-time token lives.
const TTL = 15 * time.Minute

// Prefix starts every one-time token.
const Prefix = "ott"

// Is reports whether a bearer token has the form of a one-time token.
func Is(token string) bool {
	if len(token) != len(Prefix)+32 || !strings.HasPrefix(token, Prefix) {
		return false
	}
	for _, c := range token[len(Prefix):] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Scope is what a one-time token is bound to: the call's account and user,
// the stack's framework, the function's kind, and the integration and
// connector it runs for.
type Scope struct {
	AccountID     string
	UserID        string
	Framework     string // platform.Framework1 or platform.Framework2
	Kind          string // hook, wrapper, installer, uninstaller, setting, update, changeEdition, formInit, preSave, initChild, utility
	IntegrationID string
	ConnectorID   string
}

// Mint stores a new token for scope, valid until now+TTL, and returns its
// value and a function that revokes it (call it when the function returns).
func Mint(ctx context.Context, st platform.Store, scope Scope, now time.Time) (string, func(context.Context) error, error) {
	if scope.Framework != platform.Framework1 && scope.Framework != platform.Framework2 {
		return "", nil, fmt.Errorf("ott: unknown framework %q", scope.Framework)
	}
	value := Prefix + secret.NewToken()
	t := &platform.OneTimeToken{
		Hash: secret.Hash(value), AccountID: scope.AccountID, UserID: scope.UserID, Framework: scope.Framework,
		Kind: scope.Kind, IntegrationID: scope.IntegrationID, ConnectorID: scope.ConnectorID,
		ExpiresAt: now.Add(TTL), CreatedAt: now,
	}
	if err := st.CreateOneTimeToken(ctx, t); err != nil {
		return "", nil, err
	}
	revoke := func(ctx context.Context) error { return st.DeleteOneTimeToken(ctx, t.Hash) }
	return value, revoke, nil
}

// Class groups API routes by what they touch, for the scope policy.
type Class int

// Route classes.
const (
	// ClassAdmin: accounts, API tokens, stacks and sharing — never for a
	// one-time token.
	ClassAdmin Class = iota
	// ClassSelf: reading the token's own identity (GET /v1/tokenInfo).
	ClassSelf
	// ClassInvoke: invoking exports and imports, and the state of the
	// caller's own resource.
	ClassInvoke
	// ClassIntegration: reading and changing the resources of an
	// integration (connections, exports, imports, flows, settings).
	ClassIntegration
)

// setupKinds are the function kinds that install, configure or update an
// integration and so may change its resources under framework 2.0.
var setupKinds = map[string]bool{
	"installer": true, "uninstaller": true, "setting": true, "update": true, "changeEdition": true,
	"step": true, "formInit": true, "preSave": true, "initChild": true,
}

// Allowed reports whether a token of this scope may use a route of class c
// (PLATFORM §8.7): framework 2.0 hooks, wrappers and utilities may invoke
// exports and imports and read their own identity; installer, uninstaller,
// settings, update and changeEdition functions may also work on their
// integration's resources; framework 1.0 tokens may do all of that for any
// kind. Administration is never allowed.
func (s *Scope) Allowed(c Class) bool {
	switch c {
	case ClassSelf, ClassInvoke:
		return true
	case ClassIntegration:
		return s.Framework == platform.Framework1 || setupKinds[s.Kind]
	}
	return false
}

// ScopeOf returns the scope a stored token carries.
func ScopeOf(t *platform.OneTimeToken) Scope {
	return Scope{AccountID: t.AccountID, UserID: t.UserID, Framework: t.Framework, Kind: t.Kind,
		IntegrationID: t.IntegrationID, ConnectorID: t.ConnectorID}
}
