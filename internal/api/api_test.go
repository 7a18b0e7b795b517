package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookstack/hookstack/internal/api"
	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/ratelimit"
	"github.com/hookstack/hookstack/internal/secret"
	"github.com/hookstack/hookstack/internal/sqlitestore"
)

// env is one platform under test: a real SQLite file behind a real listener.
type env struct {
	t       testing.TB
	url     string
	handler http.Handler // the API itself, for calls without the listener
	store   platform.Store
	sealer  *secret.Sealer
	dbPath  string
	logs    *bytes.Buffer
}

func newEnv(t testing.TB, limiter api.Limiter) *env {
	t.Helper()
	return newEnvWith(t, func(c *api.Config) { c.Limiter = limiter })
}

// newEnvWith is newEnv with the API configuration adjusted by set.
func newEnvWith(t testing.TB, set func(*api.Config)) *env {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "hookstack.db")
	st, err := sqlitestore.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, err := secret.NewSealer(bytes.Repeat([]byte{7}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	cfg := api.Config{Store: st, Sealer: sealer,
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: logs, mu: make(chan struct{}, 1)}, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	set(&cfg)
	h := api.New(cfg)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, url: srv.URL, handler: h, store: st, sealer: sealer, dbPath: path, logs: logs}
}

// with returns a copy of e that reports to t, for subtests (helpers call
// t.Fatal, which must run on the subtest's own goroutine).
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// lockedWriter serializes writes to w; mu is a semaphore of capacity 1.
type lockedWriter struct {
	mu chan struct{}
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu <- struct{}{}
	defer func() { <-l.mu }()
	return l.w.Write(p)
}

// user is a caller: a user and one API token.
type user struct {
	*platform.User
	token string
}

// account creates an account with a manage owner.
func (e *env) account(email string) user {
	e.t.Helper()
	a := &platform.Account{ID: platform.NewID(), Name: email}
	u := &platform.User{ID: platform.NewID(), Email: email, Name: strings.Split(email, "@")[0], Role: platform.RoleManage}
	if err := e.store.CreateAccountWithOwner(context.Background(), a, u); err != nil {
		e.t.Fatal(err)
	}
	return e.issue(u)
}

// member adds a user with role to the account of owner.
func (e *env) member(owner user, email string, role platform.Role) user {
	e.t.Helper()
	u := &platform.User{ID: platform.NewID(), AccountID: owner.AccountID, Email: email, Role: role}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	return e.issue(u)
}

func (e *env) issue(u *platform.User) user {
	e.t.Helper()
	tok, _, err := api.IssueToken(context.Background(), e.store, e.sealer, u, "test", "")
	if err != nil {
		e.t.Fatal(err)
	}
	return user{User: u, token: tok}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

func (r response) list(t testing.TB) []map[string]any {
	t.Helper()
	var l []map[string]any
	if err := json.Unmarshal(r.body, &l); err != nil {
		t.Fatalf("body is not a JSON array: %v: %s", err, r.body)
	}
	return l
}

// errCode returns the first error's code of an error body.
func (r response) errCode(t testing.TB) string {
	t.Helper()
	var b struct {
		Errors []struct{ Code, Message, Field string } `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &b); err != nil || len(b.Errors) == 0 {
		t.Fatalf("not an error body (%v): %s", err, r.body)
	}
	return b.Errors[0].Code
}

// do sends a request as u (no token when u is zero); body may be a string
// (sent as is) or a value (JSON-encoded).
func (e *env) do(u user, method, path string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if u.token != "" {
		req.Header.Set("Authorization", "Bearer "+u.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (e *env) want(r response, status int) response {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

var serverBody = map[string]any{"name": "ext", "type": "server", "framework": "twoDotZero",
	"server": map[string]any{"hostURI": "https://ext.example.com", "ipRanges": []string{"203.0.113.0/24"}}}

const lambdaSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

var lambdaBody = map[string]any{"name": "fn", "type": "lambda",
	"lambda": map[string]any{"accessKeyId": "AKIAIOSFODNN7EXAMPLE", "secretAccessKey": lambdaSecret,
		"awsRegion": "us-east-1", "functionName": "orders", "language": "Other"}}

func TestTokenInfoAndAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	info := e.want(e.do(owner, "GET", "/v1/tokenInfo", nil), 200).json(t)
	if info["_userId"] != owner.ID || info["scope"] != "*" {
		t.Fatalf("tokenInfo: %v", info)
	}
	for _, tok := range []string{"", "nope", strings.ToUpper(owner.token)} {
		r := e.do(user{token: tok}, "GET", "/v1/tokenInfo", nil)
		if r.status != 401 || r.errCode(t) != "unauthorized" {
			t.Fatalf("token %q: %d %s", tok, r.status, r.body)
		}
	}
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	created := e.want(e.do(owner, "POST", "/v1/accesstokens", map[string]any{"name": "ci", "description": "for CI"}), 201).json(t)
	id := created["_id"].(string)
	if created["token"] != "******" || created["revoked"] != false || !platform.ValidID(id) {
		t.Fatalf("created: %v", created)
	}
	plain := e.want(e.do(owner, "GET", "/v1/accesstokens/"+id+"/display", nil), 200).json(t)["token"].(string)
	if len(plain) != 32 {
		t.Fatalf("display: %q", plain)
	}
	ci := user{User: owner.User, token: plain}
	e.want(e.do(ci, "GET", "/v1/tokenInfo", nil), 200)

	list := e.want(e.do(owner, "GET", "/v1/accesstokens", nil), 200).list(t)
	if len(list) != 2 {
		t.Fatalf("%d tokens listed", len(list))
	}
	rolled := e.want(e.do(owner, "POST", "/v1/accesstokens/"+id+"/generate", nil), 200).json(t)["token"].(string)
	e.want(e.do(ci, "GET", "/v1/tokenInfo", nil), 401)
	ci.token = rolled
	e.want(e.do(ci, "GET", "/v1/tokenInfo", nil), 200)

	if code := e.want(e.do(owner, "DELETE", "/v1/accesstokens/"+id, nil), 422).errCode(t); code != "token_not_revoked" {
		t.Fatalf("delete unrevoked: %s", code)
	}
	e.want(e.do(owner, "PUT", "/v1/accesstokens/"+id, map[string]any{"name": "ci", "revoked": true}), 200)
	e.want(e.do(ci, "GET", "/v1/tokenInfo", nil), 401)
	e.want(e.do(owner, "DELETE", "/v1/accesstokens/"+id, nil), 204)
	e.want(e.do(owner, "GET", "/v1/accesstokens/"+id, nil), 404)

	purge := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	r := e.want(e.do(owner, "POST", "/v1/accesstokens", map[string]any{"name": "short", "autoPurgeAt": purge}), 201).json(t)
	if r["autoPurgeAt"] == nil {
		t.Fatalf("autoPurgeAt not kept: %v", r)
	}
	for _, bad := range []any{
		map[string]any{},
		map[string]any{"name": 5},
		map[string]any{"name": "x", "autoPurgeAt": time.Now().Add(-time.Hour).Format(time.RFC3339)},
		map[string]any{"name": "x", "autoPurgeAt": time.Now().Add(100 * 24 * time.Hour).Format(time.RFC3339)},
		map[string]any{"name": "x", "fullAccess": false, "_exportIds": []string{"a"}},
		map[string]any{"name": "x", "token": "chosen"},
	} {
		e.want(e.do(owner, "POST", "/v1/accesstokens", bad), 422)
	}
}

func TestStacks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	srv := e.want(e.do(owner, "POST", "/v1/stacks", serverBody), 201).json(t)
	id := srv["_id"].(string)
	server := srv["server"].(map[string]any)
	if server["systemToken"] != "******" || srv["framework"] != "twoDotZero" || server["hostURI"] != "https://ext.example.com" {
		t.Fatalf("created: %v", srv)
	}
	tok := e.want(e.do(owner, "GET", "/v1/stacks/"+id+"/systemToken", nil), 200).json(t)
	if tok["systemToken"] == "" || tok["systemToken"] != tok["token"] || tok["_id"] != id {
		t.Fatalf("systemToken: %v", tok)
	}
	e.want(e.do(owner, "DELETE", "/v1/stacks/"+id+"/systemToken", nil), 204)
	tok2 := e.want(e.do(owner, "GET", "/v1/stacks/"+id+"/systemToken", nil), 200).json(t)
	if tok2["systemToken"] == tok["systemToken"] {
		t.Fatal("rotation kept the token")
	}
	e.want(e.do(owner, "DELETE", "/v1/stacks/"+id+"/systemToken?graceSeconds=4000", nil), 400)

	// Created through the API without framework: 1.0; editing keeps it.
	body := map[string]any{"name": "old", "type": "server", "server": map[string]any{"hostURI": ""}}
	old := e.want(e.do(owner, "POST", "/v1/stacks", body), 201).json(t)
	if _, ok := old["framework"]; ok {
		t.Fatalf("framework set on a stack created without it: %v", old)
	}
	body["name"] = "renamed"
	upd := e.want(e.do(owner, "PUT", "/v1/stacks/"+old["_id"].(string), body), 200).json(t)
	if upd["name"] != "renamed" || upd["framework"] != nil {
		t.Fatalf("update: %v", upd)
	}
	body["framework"] = "twoDotZero"
	e.want(e.do(owner, "PUT", "/v1/stacks/"+old["_id"].(string), body), 422)

	lam := e.want(e.do(owner, "POST", "/v1/stacks", lambdaBody), 201).json(t)
	if lam["lambda"].(map[string]any)["secretAccessKey"] != "******" {
		t.Fatalf("lambda secret not masked: %v", lam)
	}
	e.want(e.do(owner, "GET", "/v1/stacks/"+lam["_id"].(string)+"/systemToken", nil), 404)
	// "******" written back means unchanged.
	lb := map[string]any{"name": "fn2", "type": "lambda", "lambda": map[string]any{"accessKeyId": "AKIAIOSFODNN7EXAMPLE",
		"secretAccessKey": "******", "awsRegion": "eu-west-1", "functionName": "orders", "language": "Java"}}
	e.want(e.do(owner, "PUT", "/v1/stacks/"+lam["_id"].(string), lb), 200)
	st, err := e.store.GetStack(context.Background(), lam["_id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.sealer.OpenString(st.Lambda.SecretAccessKey, "stack:"+st.ID+":secretAccessKey")
	if err != nil || got != lambdaSecret {
		t.Fatalf("secret after a masked PUT: %q, %v", got, err)
	}

	list := e.want(e.do(owner, "GET", "/v1/stacks?limit=2", nil), 200)
	if len(list.list(t)) != 2 || !strings.Contains(list.header.Get("Link"), `rel="next"`) {
		t.Fatalf("paging: %d items, Link %q", len(list.list(t)), list.header.Get("Link"))
	}
	deps := e.want(e.do(owner, "GET", "/v1/stacks/"+id+"/dependencies", nil), 200).json(t)
	if len(deps["connections"].([]any)) != 0 {
		t.Fatalf("dependencies: %v", deps)
	}
	e.want(e.do(owner, "DELETE", "/v1/stacks/"+id, nil), 204)
	e.want(e.do(owner, "GET", "/v1/stacks/"+id, nil), 404)
}

func TestStackValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	cases := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"not JSON content type", nil, 415, ""},
		{"malformed", `{"name":`, 400, ""},
		{"two values", `{} {}`, 400, ""},
		{"no name", map[string]any{"type": "server"}, 422, "name"},
		{"name not a string", map[string]any{"name": 1, "type": "server"}, 422, "name"},
		{"unknown type", map[string]any{"name": "x", "type": "ftp"}, 422, "type"},
		{"bad framework", map[string]any{"name": "x", "type": "server", "framework": "3.0"}, 422, "framework"},
		{"bad host", map[string]any{"name": "x", "type": "server", "server": map[string]any{"hostURI": "ftp://x"}}, 422, "server.hostURI"},
		{"bad range", map[string]any{"name": "x", "type": "server", "server": map[string]any{"ipRanges": []string{"10.0.0.0/33"}}}, 422, "server.ipRanges[0]"},
		{"token set", map[string]any{"name": "x", "type": "server", "server": map[string]any{"systemToken": "mine"}}, 422, "server.systemToken"},
		{"lambda without settings", map[string]any{"name": "x", "type": "lambda"}, 422, "lambda"},
		{"lambda bad region", map[string]any{"name": "x", "type": "lambda", "lambda": map[string]any{"accessKeyId": "AKIAIOSFODNN7EXAMPLE",
			"secretAccessKey": "s", "awsRegion": "mars", "functionName": "f", "language": "Other"}}, 422, "lambda.awsRegion"},
		{"lambda bad language", map[string]any{"name": "x", "type": "lambda", "lambda": map[string]any{"accessKeyId": "AKIAIOSFODNN7EXAMPLE",
			"secretAccessKey": "s", "awsRegion": "us-east-1", "functionName": "f", "language": "Go"}}, 422, "lambda.language"},
		{"lambda masked secret on create", map[string]any{"name": "x", "type": "lambda", "lambda": map[string]any{"accessKeyId": "AKIAIOSFODNN7EXAMPLE",
			"secretAccessKey": "******", "awsRegion": "us-east-1", "functionName": "f", "language": "Other"}}, 422, "lambda.secretAccessKey"},
		{"too large", `{"name":"` + strings.Repeat("x", api.MaxBodyBytes) + `"}`, 413, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			if tc.body == nil {
				req, _ := http.NewRequest("POST", e.url+"/v1/stacks", strings.NewReader("name=x"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Authorization", "Bearer "+owner.token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				r = response{status: resp.StatusCode, body: b}
			} else {
				r = e.do(owner, "POST", "/v1/stacks", tc.body)
			}
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.field != "" && !strings.Contains(string(r.body), `"field":"`+tc.field+`"`) {
				t.Fatalf("no error for field %s: %s", tc.field, r.body)
			}
		})
	}
	list := e.want(e.do(owner, "GET", "/v1/stacks", nil), 200).list(t)
	if len(list) != 0 {
		t.Fatalf("failed creates left %d stacks", len(list))
	}
}

func TestSharing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	bob := e.account("bob@example.com")
	stack := e.want(e.do(owner, "POST", "/v1/stacks", serverBody), 201).json(t)
	sid := stack["_id"].(string)

	share := e.want(e.do(owner, "POST", "/v1/stacks/"+sid+"/invite", map[string]any{"email": "Bob@example.com"}), 201).json(t)
	shID := share["_id"].(string)
	if share["status"] != "Pending" {
		t.Fatalf("invite: %v", share)
	}
	e.want(e.do(owner, "POST", "/v1/stacks/"+sid+"/invite", map[string]any{"email": "bob@example.com"}), 409)
	e.want(e.do(owner, "POST", "/v1/stacks/"+sid+"/invite", map[string]any{"email": "not an email"}), 422)

	// Pending: bob sees the invitation but not the stack.
	inv := e.want(e.do(bob, "GET", "/v1/shared/sshares", nil), 200).list(t)
	if len(inv) != 1 || inv[0]["stack"].(map[string]any)["_id"] != sid {
		t.Fatalf("invitations: %v", inv)
	}
	e.want(e.do(bob, "GET", "/v1/stacks/"+sid, nil), 404)
	if l := e.want(e.do(bob, "GET", "/v1/shared/stacks", nil), 200).list(t); len(l) != 0 {
		t.Fatalf("pending share lists the stack: %v", l)
	}
	e.want(e.do(owner, "PUT", "/v1/sshares/"+shID+"/disable", map[string]any{}), 422) // not accepted yet

	e.want(e.do(bob, "PUT", "/v1/sshares/"+shID+"/accept", map[string]any{}), 200)
	shared := e.want(e.do(bob, "GET", "/v1/stacks/"+sid, nil), 200).json(t)
	if shared["shared"] != true || shared["server"].(map[string]any)["systemToken"] != nil {
		t.Fatalf("shared view: %v", shared)
	}
	e.want(e.do(bob, "GET", "/v1/stacks/"+sid+"/systemToken", nil), 403)
	if l := e.want(e.do(bob, "GET", "/v1/shared/stacks", nil), 200).list(t); len(l) != 1 {
		t.Fatalf("accepted share: %d shared stacks", len(l))
	}

	// Off: no access; On again: access.
	off := e.want(e.do(owner, "PUT", "/v1/sshares/"+shID+"/disable", map[string]any{}), 200).json(t)
	if off["disabled"] != true {
		t.Fatalf("disable: %v", off)
	}
	e.want(e.do(bob, "GET", "/v1/stacks/"+sid, nil), 404)
	e.want(e.do(owner, "PUT", "/v1/sshares/"+shID+"/disable", map[string]any{}), 200)
	e.want(e.do(bob, "GET", "/v1/stacks/"+sid, nil), 200)

	// Dismissed, then re-invited.
	e.want(e.do(bob, "PUT", "/v1/sshares/"+shID+"/dismiss", map[string]any{}), 200)
	list := e.want(e.do(owner, "GET", "/v1/sshares", nil), 200).list(t)
	if len(list) != 1 || list[0]["status"] != "Dismissed" {
		t.Fatalf("owner's shares: %v", list)
	}
	e.want(e.do(owner, "PUT", "/v1/sshares/"+shID, map[string]any{"dismissed": false, "disabled": false}), 200)
	if l := e.want(e.do(owner, "GET", "/v1/sshares", nil), 200).list(t); l[0]["status"] != "Pending" {
		t.Fatalf("re-invite: %v", l)
	}
	// Only the invitee answers; only the owner deletes.
	e.want(e.do(owner, "PUT", "/v1/sshares/"+shID+"/accept", map[string]any{}), 403)
	e.want(e.do(bob, "DELETE", "/v1/sshares/"+shID, nil), 403)
	e.want(e.do(owner, "DELETE", "/v1/sshares/"+shID, nil), 204)
	e.want(e.do(bob, "GET", "/v1/shared/sshares", nil), 200)

	// An invitation to an email with no user yet waits for that user.
	e.want(e.do(owner, "POST", "/v1/stacks/"+sid+"/invite", map[string]any{"email": "carol@example.com"}), 201)
	carol := e.account("carol@example.com")
	if l := e.want(e.do(carol, "GET", "/v1/shared/sshares", nil), 200).list(t); len(l) != 1 {
		t.Fatalf("carol's invitations: %v", l)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, ratelimit.NewMemory(time.Hour, 5))
	owner := e.account("owner@example.com")
	for range 5 {
		e.want(e.do(owner, "GET", "/v1/tokenInfo", nil), 200)
	}
	r := e.want(e.do(owner, "GET", "/v1/tokenInfo", nil), 429)
	if r.errCode(t) != "rate_limited" || r.header.Get("Retry-After") != "3600" {
		t.Fatalf("429: Retry-After %q, %s", r.header.Get("Retry-After"), r.body)
	}
	other := e.account("other@example.com")
	e.want(e.do(other, "GET", "/v1/tokenInfo", nil), 200) // its own bucket
}

// TestSecretsNotInClear: the Lambda secret is not in the database file, in
// any response, or in any log line.
func TestSecretsNotInClear(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	lam := e.want(e.do(owner, "POST", "/v1/stacks", lambdaBody), 201)
	id := lam.json(t)["_id"].(string)
	responses := [][]byte{lam.body,
		e.do(owner, "GET", "/v1/stacks/"+id, nil).body,
		e.do(owner, "GET", "/v1/stacks", nil).body,
		e.do(owner, "PUT", "/v1/stacks/"+id, lambdaBody).body,
	}
	for _, b := range responses {
		if bytes.Contains(b, []byte(lambdaSecret)) {
			t.Fatalf("secret in a response: %s", b)
		}
	}
	e.store.Close()
	for _, f := range []string{e.dbPath, e.dbPath + "-wal"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if bytes.Contains(b, []byte(lambdaSecret)) {
			t.Fatalf("secret in clear text in %s", filepath.Base(f))
		}
	}
	if bytes.Contains(e.logs.Bytes(), []byte(lambdaSecret)) {
		t.Fatal("secret in the logs")
	}
}

func testSealer(t testing.TB) *secret.Sealer {
	t.Helper()
	s, err := secret.NewSealer(bytes.Repeat([]byte{7}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
