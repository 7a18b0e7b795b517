package api

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/secret"
)

// principal is who is calling: a user, through one of their API tokens.
type principal struct {
	user  *platform.User
	token *platform.APIToken
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
