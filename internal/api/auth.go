package api

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/hookstack/hookstack/internal/ott"
	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/secret"
)

// principal is who is calling: a user, through one of their API tokens or
// through a one-time token handed to an extension call (scope set).
type principal struct {
	user  *platform.User
	token *platform.APIToken // nil for a one-time token
	scope *ott.Scope         // nil for an API token
}

func (p *principal) canManage() bool { return p.user.Role == platform.RoleManage }

// requireManage answers 403 for users who may only read.
func (p *principal) requireManage() error {
	if !p.canManage() {
		return platform.Errorf(platform.CodeForbidden, "Your role (%s) may not change this; you need manage.", p.user.Role)
	}
	return nil
}

var errUnauthorized = platform.Errorf(platform.CodeUnauthorized, "Missing or invalid API token.")

// bearerToken reads "Authorization: Bearer <token>" (scheme in any case).
func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" || strings.ContainsAny(tok, " \t") {
		return "", false
	}
	return tok, true
}

// authenticate finds the caller from the API token. Tokens are looked up by
// their SHA-256, never compared as plain text; revoked and expired tokens
// are refused like unknown ones.
func (s *Server) authenticate(r *http.Request) (*principal, error) {
	tok, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		return nil, errUnauthorized
	}
	hash := secret.Hash(tok)
	if ott.Is(tok) {
		return s.authenticateOneTime(r, hash)
	}
	t, err := s.store.APITokenByHash(r.Context(), hash)
	if errors.Is(err, platform.ErrNotFound) {
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if t.Revoked || t.AutoPurgeAt != nil && !s.now().Before(*t.AutoPurgeAt) || !secret.Equal(string(t.Hash), string(hash)) {
		return nil, errUnauthorized
	}
	u, err := s.store.GetUser(r.Context(), t.UserID)
	if errors.Is(err, platform.ErrNotFound) {
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, err
	}
	return &principal{user: u, token: t}, nil
}

// limit meters the request against the caller's account bucket.
func (s *Server) limit(w http.ResponseWriter, r *http.Request, p *principal) error {
	if s.limiter == nil {
		return nil
	}
	ok, retry, err := s.limiter.Allow(r.Context(), "account:"+p.user.AccountID, s.now())
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	secs := int(math.Ceil(retry.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return platform.Errorf(platform.CodeRateLimited, "Too many requests. Retry after %d seconds.", secs)
}

// authenticateOneTime consumes a one-time token: whatever the request, it
// cannot be used again.
func (s *Server) authenticateOneTime(r *http.Request, hash []byte) (*principal, error) {
	t, err := s.store.UseOneTimeToken(r.Context(), hash, s.now())
	if errors.Is(err, platform.ErrNotFound) {
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(r.Context(), t.UserID)
	if errors.Is(err, platform.ErrNotFound) || err == nil && u.AccountID != t.AccountID {
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, err
	}
	scope := ott.ScopeOf(t)
	return &principal{user: u, scope: &scope}, nil
}

// permits answers 403 when a one-time token's scope excludes the route.
func (p *principal) permits(c ott.Class) error {
	if p.scope == nil || p.scope.Allowed(c) {
		return nil
	}
	return platform.Errorf(platform.CodeForbidden, "A one-time token of a framework %s %s function may not call this API.", p.scope.Framework, p.scope.Kind)
}
