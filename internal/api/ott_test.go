package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hookstack/hookstack/internal/api"
	"github.com/hookstack/hookstack/internal/ott"
	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/sqlitestore"
)

func (e *env) mint(t *testing.T, u user, framework, kind string) (string, func(context.Context) error) {
	t.Helper()
	tok, revoke, err := ott.Mint(context.Background(), e.store, ott.Scope{AccountID: u.AccountID, UserID: u.ID,
		Framework: framework, Kind: kind, IntegrationID: "5f0000000000000000000001"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok, revoke
}

func TestOneTimeTokenSingleUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	tok, _ := e.mint(t, owner, platform.Framework2, "hook")
	caller := user{User: owner.User, token: tok}
	info := e.want(e.do(caller, "GET", "/v1/tokenInfo", nil), 200).json(t)
	if info["scope"] != "oneTime" || info["kind"] != "hook" || info["framework"] != "2.0" || info["_userId"] != owner.ID {
		t.Fatalf("tokenInfo: %v", info)
	}
	e.want(e.do(caller, "GET", "/v1/tokenInfo", nil), 401) // used
}

// TestOneTimeTokenScope: whatever the kind and framework, a one-time token
// may read its identity but never administer the account; a refused use
// still consumes it.
func TestOneTimeTokenScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	stack := e.want(e.do(owner, "POST", "/v1/stacks", serverBody), 201).json(t)["_id"].(string)
	admin := []struct{ method, path string }{
		{"GET", "/v1/stacks"}, {"GET", "/v1/stacks/" + stack}, {"GET", "/v1/stacks/" + stack + "/systemToken"},
		{"DELETE", "/v1/stacks/" + stack}, {"GET", "/v1/accesstokens"}, {"POST", "/v1/accesstokens"},
		{"GET", "/v1/sshares"}, {"GET", "/v1/shared/stacks"},
	}
	for _, fw := range []string{platform.Framework1, platform.Framework2} {
		for _, kind := range []string{"hook", "wrapper", "installer", "setting", "utility"} {
			for _, route := range admin {
				tok, _ := e.mint(t, owner, fw, kind)
				caller := user{User: owner.User, token: tok}
				r := e.do(caller, route.method, route.path, map[string]any{"name": "x"})
				if r.status != 403 || r.errCode(t) != "forbidden" {
					t.Fatalf("%s %s with a %s %s token: %d %s", route.method, route.path, fw, kind, r.status, r.body)
				}
				e.want(e.do(caller, "GET", "/v1/tokenInfo", nil), 401) // consumed
			}
		}
	}
	e.want(e.do(owner, "GET", "/v1/stacks/"+stack, nil), 200) // nothing was deleted
}

// TestOneTimeTokenConcurrent: of 16 simultaneous requests with one token,
// exactly one succeeds.
func TestOneTimeTokenConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	tok, _ := e.mint(t, owner, platform.Framework2, "wrapper")
	var ok, unauthorized atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 16 {
		wg.Go(func() {
			<-start
			req, _ := http.NewRequest("GET", e.url+"/v1/tokenInfo", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case 200:
				ok.Add(1)
			case 401:
				unauthorized.Add(1)
			default:
				t.Errorf("status %d", resp.StatusCode)
			}
		})
	}
	close(start)
	wg.Wait()
	if ok.Load() != 1 || unauthorized.Load() != 15 {
		t.Fatalf("%d succeeded and %d were refused; want 1 and 15", ok.Load(), unauthorized.Load())
	}
}

// TestOneTimeTokenExpiry: an unused token stops working after 15 minutes,
// and at once when the call that received it returns (revoke).
func TestOneTimeTokenExpiry(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		e := &env{t: t, store: st, sealer: testSealer(t)}
		srv := api.New(api.Config{Store: st, Sealer: e.sealer})
		owner := e.account("owner@example.com")
		get := func(tok string) int {
			req := httptest.NewRequest("GET", "/v1/tokenInfo", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			return w.Code
		}
		late, _ := e.mint(t, owner, platform.Framework2, "hook")
		early, _ := e.mint(t, owner, platform.Framework2, "hook")
		revoked, revoke := e.mint(t, owner, platform.Framework2, "hook")
		if err := revoke(context.Background()); err != nil {
			t.Fatal(err)
		}
		if code := get(revoked); code != 401 {
			t.Fatalf("revoked token: %d", code)
		}
		time.Sleep(ott.TTL - time.Second)
		if code := get(early); code != 200 {
			t.Fatalf("a second before expiry: %d", code)
		}
		time.Sleep(time.Second)
		if code := get(late); code != 401 {
			t.Fatalf("at expiry: %d", code)
		}
	})
}
