package api_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstack/hookstack/internal/api"
	"github.com/hookstack/hookstack/internal/platform"
)

var platformPage = platform.Page{Limit: 1000}

// TestUnroutedAnswersJSON: a path no route matches, or a method the path
// has no route for, is answered with the usual error body too.
func TestUnroutedAnswersJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	for _, tc := range []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/v1/nope", 404, "not_found", ""},
		{"GET", "/v1/stacks/", 404, "not_found", ""},
		{"PATCH", "/v1/stacks/0123456789abcdef01234567", 405, "method_not_allowed", "DELETE, GET, HEAD, PUT"},
		{"POST", "/v1/tokenInfo", 405, "method_not_allowed", "GET, HEAD"},
	} {
		for _, u := range []user{owner, {}} {
			r := e.do(u, tc.method, tc.path, nil)
			if r.status != tc.status || r.errCode(t) != tc.code || r.header.Get("Allow") != tc.allow ||
				!strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Errorf("%s %s: %d Allow %q %s %s", tc.method, tc.path, r.status, r.header.Get("Allow"), r.header.Get("Content-Type"), r.body)
			}
		}
	}
}

// TestPaging follows the Link header through a list, as clients do.
func TestPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	want := map[string]bool{}
	for range 5 {
		want[e.want(e.do(owner, "POST", "/v1/stacks", serverBody), 201).json(t)["_id"].(string)] = true
	}
	linkRE := regexp.MustCompile(`<([^>]+)>; rel="(next|prev)"`)
	got := map[string]bool{}
	path, pages := "/v1/stacks?limit=2", 0
	for path != "" {
		r := e.want(e.do(owner, "GET", path, nil), 200)
		for _, st := range r.list(t) {
			got[st["_id"].(string)] = true
		}
		pages++
		links := map[string]string{}
		for _, m := range linkRE.FindAllStringSubmatch(r.header.Get("Link"), -1) {
			links[m[2]] = m[1]
		}
		if (pages > 1) != (links["prev"] != "") {
			t.Errorf("page %d: Link %q", pages, r.header.Get("Link"))
		}
		path = ""
		if next := links["next"]; next != "" {
			u, err := url.Parse(next)
			if err != nil || !u.IsAbs() || !strings.HasPrefix(next, e.url+"/v1/stacks?") {
				t.Fatalf("next link %q is not absolute on the same host", next)
			}
			path = u.RequestURI()
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if pages != 3 || len(got) != 5 {
		t.Fatalf("%d pages, %d distinct stacks", pages, len(got))
	}
	for id := range want {
		if !got[id] {
			t.Errorf("stack %s not listed", id)
		}
	}
	r := e.want(e.do(owner, "GET", "/v1/stacks?skip=2&limit=2", nil), 200)
	if l := r.header.Get("Link"); !strings.Contains(l, "skip=4") || !strings.Contains(l, "skip=0") {
		t.Errorf("middle page: Link %q", l)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "skip=-1", "skip=1.5"} {
		r := e.want(e.do(owner, "GET", "/v1/stacks?"+q, nil), 400)
		if r.errCode(t) != "invalid_query_params" || !strings.Contains(string(r.body), `"field":"`+strings.Split(q, "=")[0]+`"`) {
			t.Errorf("%s: %s", q, r.body)
		}
	}
	// Both bad: always the same error.
	for range 10 {
		r := e.want(e.do(owner, "GET", "/v1/stacks?skip=x&limit=x", nil), 400)
		if !strings.Contains(string(r.body), `"field":"skip"`) {
			t.Fatalf("skip and limit bad: %s", r.body)
		}
	}
	if l := e.want(e.do(owner, "GET", "/v1/stacks?limit=1000", nil), 200).header.Get("Link"); l != "" {
		t.Errorf("one page: Link %q", l)
	}
}

// TestMaskedRoundTrip: what a GET answers can be PUT back as it is, and the
// masked secrets stay what they were.
func TestMaskedRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	ctx := context.Background()
	for _, body := range []map[string]any{serverBody, lambdaBody} {
		id := e.want(e.do(owner, "POST", "/v1/stacks", body), 201).json(t)["_id"].(string)
		before, err := e.store.GetStack(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got := e.want(e.do(owner, "GET", "/v1/stacks/"+id, nil), 200).body
		e.want(e.do(owner, "PUT", "/v1/stacks/"+id, string(got)), 200)
		after, err := e.store.GetStack(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if string(after.SystemToken) != string(before.SystemToken) || after.Framework != before.Framework {
			t.Errorf("%s: token or framework changed by a round trip", body["type"])
		}
		if before.Lambda != nil && string(after.Lambda.SecretAccessKey) != string(before.Lambda.SecretAccessKey) {
			t.Errorf("lambda secret changed by a round trip")
		}
	}
	tok := e.want(e.do(owner, "POST", "/v1/accesstokens", map[string]any{"name": "rt"}), 201).json(t)["_id"].(string)
	got := e.want(e.do(owner, "GET", "/v1/accesstokens/"+tok, nil), 200).body
	e.want(e.do(owner, "PUT", "/v1/accesstokens/"+tok, string(got)), 200)

	// A connection: the masked encrypted part keeps the sealed secrets, and
	// the read-only offline flag is neither set nor cleared.
	stack := e.want(e.do(owner, "POST", "/v1/stacks", serverBody), 201).json(t)["_id"].(string)
	conn := e.want(e.do(owner, "POST", "/v1/connections", connBody(stack, connSecret)), 201).json(t)["_id"].(string)
	if err := e.store.SetConnectionOffline(ctx, owner.AccountID, conn, true); err != nil {
		t.Fatal(err)
	}
	before, err := e.store.GetConnection(ctx, owner.AccountID, conn)
	if err != nil {
		t.Fatal(err)
	}
	got = e.want(e.do(owner, "GET", "/v1/connections/"+conn, nil), 200).body
	again := e.want(e.do(owner, "PUT", "/v1/connections/"+conn, string(got)), 200).body
	after, err := e.store.GetConnection(ctx, owner.AccountID, conn)
	if err != nil {
		t.Fatal(err)
	}
	if string(after.Wrapper.Encrypted) != string(before.Wrapper.Encrypted) || !after.Offline {
		t.Errorf("connection: the secrets or offline changed by a round trip")
	}
	var g, a map[string]any
	_ = json.Unmarshal(got, &g)
	_ = json.Unmarshal(again, &a)
	delete(g, "lastModified")
	delete(a, "lastModified")
	if d := cmp.Diff(g, a); d != "" {
		t.Errorf("connection: a round trip changed the answer (-GET +PUT):\n%s", d)
	}
}

// TestTokenAutoPurgeAt: a badly written autoPurgeAt is a validation error
// on that field, not malformed JSON.
func TestTokenAutoPurgeAt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	for _, v := range []any{5, "tomorrow", "2026-13-01T00:00:00Z", true} {
		r := e.want(e.do(owner, "POST", "/v1/accesstokens", map[string]any{"name": "x", "autoPurgeAt": v}), 422)
		if r.errCode(t) != "invalid_field" || !strings.Contains(string(r.body), `"field":"autoPurgeAt"`) {
			t.Errorf("autoPurgeAt %v: %s", v, r.body)
		}
	}
	at := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Millisecond)
	r := e.want(e.do(owner, "POST", "/v1/accesstokens", map[string]any{"name": "x", "autoPurgeAt": at.Format(time.RFC3339Nano)}), 201).json(t)
	if r["autoPurgeAt"] != at.Format("2006-01-02T15:04:05.000Z") {
		t.Errorf("autoPurgeAt answered %v, want %s", r["autoPurgeAt"], at)
	}
	id := r["_id"].(string)
	r = e.want(e.do(owner, "PUT", "/v1/accesstokens/"+id, map[string]any{"name": "x", "autoPurgeAt": nil}), 200).json(t)
	if r["autoPurgeAt"] != nil {
		t.Errorf("a PUT without autoPurgeAt kept it: %v", r["autoPurgeAt"])
	}
}

// TestSystemTokenGrace: graceSeconds keeps the previous token for that
// long; a rotation without it ends any grace window.
func TestSystemTokenGrace(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	ctx := context.Background()
	id := e.want(e.do(owner, "POST", "/v1/stacks", serverBody), 201).json(t)["_id"].(string)
	first, err := e.store.GetStack(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"-1", "3601", "x", "1.5"} {
		r := e.want(e.do(owner, "DELETE", "/v1/stacks/"+id+"/systemToken?graceSeconds="+q, nil), 400)
		if r.errCode(t) != "invalid_query_params" || !strings.Contains(string(r.body), `"field":"graceSeconds"`) {
			t.Errorf("graceSeconds=%s: %s", q, r.body)
		}
	}
	start := time.Now()
	e.want(e.do(owner, "DELETE", "/v1/stacks/"+id+"/systemToken?graceSeconds=3600", nil), 204)
	st, err := e.store.GetStack(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if string(st.PreviousToken) != string(first.SystemToken) || string(st.SystemToken) == string(first.SystemToken) ||
		st.GraceUntil == nil || st.GraceUntil.Before(start.Add(time.Hour-time.Second)) || st.GraceUntil.After(time.Now().Add(time.Hour)) {
		t.Fatalf("after a rotation with grace: previous kept %v, grace until %v", string(st.PreviousToken) == string(first.SystemToken), st.GraceUntil)
	}
	e.want(e.do(owner, "DELETE", "/v1/stacks/"+id+"/systemToken", nil), 204)
	if st, err = e.store.GetStack(ctx, id); err != nil || st.PreviousToken != nil || st.GraceUntil != nil {
		t.Fatalf("a rotation without grace kept the previous token (%v)", err)
	}
}

// TestDocCoversEveryRoute: doc/api.md has a section for every route.
func TestDocCoversEveryRoute(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "doc", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range api.New(api.Config{}).Routes() {
		if !strings.Contains(string(b), "`"+r+"`") {
			t.Errorf("doc/api.md does not describe `%s`", r)
		}
	}
}

// TestMoreValidation covers the validation paths TestStackValidation does
// not: every problem is 422 with its field, and wrong JSON types say what
// was expected.
func TestMoreValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	stack := e.want(e.do(owner, "POST", "/v1/stacks", serverBody), 201).json(t)["_id"].(string)
	e.member(owner, "colleague@example.com", "monitor")
	lambda := func(change map[string]any) map[string]any {
		l := map[string]any{"accessKeyId": "AKIAIOSFODNN7EXAMPLE", "secretAccessKey": "s", "awsRegion": "us-east-1",
			"functionName": "f", "language": "Other"}
		for k, v := range change {
			if v == nil {
				delete(l, k)
			} else {
				l[k] = v
			}
		}
		return map[string]any{"name": "x", "type": "lambda", "lambda": l}
	}
	for _, tc := range []struct {
		name, method, path string
		body               any
		field, message     string
	}{
		{"long name", "POST", "/v1/stacks", map[string]any{"name": strings.Repeat("x", 201), "type": "server"}, "name", "longer than 200"},
		{"server with lambda", "POST", "/v1/stacks", map[string]any{"name": "x", "type": "server", "lambda": map[string]any{}}, "lambda", ""},
		{"lambda with server", "POST", "/v1/stacks", map[string]any{"name": "x", "type": "lambda", "server": map[string]any{}, "lambda": map[string]any{}}, "server", ""},
		{"no access key", "POST", "/v1/stacks", lambda(map[string]any{"accessKeyId": nil}), "lambda.accessKeyId", "required"},
		{"bad access key", "POST", "/v1/stacks", lambda(map[string]any{"accessKeyId": "akia lower"}), "lambda.accessKeyId", "access key"},
		{"no secret", "POST", "/v1/stacks", lambda(map[string]any{"secretAccessKey": nil}), "lambda.secretAccessKey", "required"},
		{"no region", "POST", "/v1/stacks", lambda(map[string]any{"awsRegion": nil}), "lambda.awsRegion", "required"},
		{"no function", "POST", "/v1/stacks", lambda(map[string]any{"functionName": nil}), "lambda.functionName", "required"},
		{"bad function", "POST", "/v1/stacks", lambda(map[string]any{"functionName": "has space"}), "lambda.functionName", "ARN"},
		{"no language", "POST", "/v1/stacks", lambda(map[string]any{"language": nil}), "lambda.language", "required"},
		{"bad endpoint", "POST", "/v1/stacks", lambda(map[string]any{"endpointURL": "ftp://x"}), "lambda.endpointURL", ""},
		{"no type", "POST", "/v1/stacks", map[string]any{"name": "x"}, "type", "required"},
		{"ipRanges not an array", "POST", "/v1/stacks", map[string]any{"name": "x", "type": "server", "server": map[string]any{"ipRanges": "10.0.0.0/8"}}, "server.ipRanges", "must be an array"},
		{"server not an object", "POST", "/v1/stacks", map[string]any{"name": "x", "type": "server", "server": []int{}}, "server", "must be an object"},
		{"revoked not a boolean", "POST", "/v1/accesstokens", map[string]any{"name": "x", "revoked": "yes"}, "revoked", "must be a boolean"},
		{"long token name", "POST", "/v1/accesstokens", map[string]any{"name": strings.Repeat("x", 201)}, "name", "longer than 200"},
		{"no email", "POST", "/v1/stacks/" + stack + "/invite", map[string]any{}, "email", "required"},
		{"own account's email", "POST", "/v1/stacks/" + stack + "/invite", map[string]any{"email": "Colleague@example.com"}, "email", "in your account"},
		{"re-invite body not an object", "PUT", "/v1/sshares/0123456789abcdef01234567", `[]`, "", ""},
	} {
		r := e.do(owner, tc.method, tc.path, tc.body)
		if tc.field == "" { // access is checked before the body
			if r.status != 404 {
				t.Errorf("%s: %d %s", tc.name, r.status, r.body)
			}
			continue
		}
		if r.status != 422 || !strings.Contains(string(r.body), `"field":"`+tc.field+`"`) || !strings.Contains(string(r.body), tc.message) {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
	}
}

// TestIDsAndExpiry: an id that is not 24 hex digits is not found, like any
// missing resource; an expired token is refused like an unknown one.
func TestIDsAndExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	missing := e.want(e.do(owner, "GET", "/v1/stacks/"+strings.Repeat("0", 24), nil), 404).body
	for _, p := range []string{"/v1/stacks/XYZ", "/v1/stacks/0123456789ABCDEF01234567", "/v1/accesstokens/abc",
		"/v1/stacks/" + strings.Repeat("0", 25) + "/dependencies", "/v1/connections/XYZ", "/v1/connections/" + strings.Repeat("0", 24),
		"/v1/connections/" + strings.Repeat("0", 24) + "/ping"} {
		if r := e.want(e.do(owner, "GET", p, nil), 404); string(r.body) != string(missing) {
			t.Errorf("%s: %s", p, r.body)
		}
	}
	for _, p := range []string{"/v1/sshares/xyz/accept", "/v1/sshares/" + strings.Repeat("0", 24) + "/disable"} {
		if r := e.want(e.do(owner, "PUT", p, map[string]any{}), 404); string(r.body) != string(missing) {
			t.Errorf("%s: %s", p, r.body)
		}
	}

	tok := e.issue(owner.User)
	e.want(e.do(tok, "GET", "/v1/tokenInfo", nil), 200)
	info := e.want(e.do(owner, "GET", "/v1/tokenInfo", nil), 200).json(t)
	ctx := context.Background()
	list, err := e.store.ListAPITokens(ctx, owner.AccountID, platformPage)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list {
		if x.ID != info["_tokenId"] {
			past := time.Now().Add(-time.Second)
			x.AutoPurgeAt = &past
			if err := e.store.UpdateAPIToken(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
	}
	if r := e.want(e.do(tok, "GET", "/v1/tokenInfo", nil), 401); r.header.Get("WWW-Authenticate") != `Bearer realm="hookstack"` {
		t.Errorf("401 without WWW-Authenticate: %v", r.header)
	}
}

// TestListsPageAndForwardedProto: every list checks skip and limit, and
// links follow X-Forwarded-Proto.
func TestListsPageAndForwardedProto(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	for _, p := range []string{"/v1/accesstokens", "/v1/stacks", "/v1/sshares", "/v1/shared/sshares", "/v1/shared/stacks", "/v1/connections"} {
		e.want(e.do(owner, "GET", p+"?limit=1001", nil), 400)
		e.want(e.do(owner, "GET", p+"?skip=5", nil), 200)
	}
	e.issue(owner.User)
	for _, proto := range []string{"https", "http"} {
		req := httptest.NewRequest("GET", "/v1/accesstokens?limit=1", nil)
		req.Header.Set("Authorization", "Bearer "+owner.token)
		req.Header.Set("X-Forwarded-Proto", proto)
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		if l := rec.Header().Get("Link"); !strings.HasPrefix(l, "<"+proto+"://example.com/v1/accesstokens?") {
			t.Errorf("X-Forwarded-Proto %s: Link %q", proto, l)
		}
	}
}

// TestSystemTokenGraceAppliesToPings: during a grace window, a call of the
// platform (here a ping) that the stack refuses with the new system token is
// retried with the previous one; once the window is gone it fails with
// stack_unauthorized, which leaves the connection's offline flag alone.
func TestSystemTokenGraceAppliesToPings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	stack, _ := e.stackServer(t, owner, "2.0") // accepts only the token it started with
	id := e.want(e.do(owner, "POST", "/v1/connections", connBody(stack, connSecret)), 201).json(t)["_id"].(string)
	e.want(e.do(owner, "DELETE", "/v1/stacks/"+stack+"/systemToken?graceSeconds=600", nil), 204)
	if got := e.want(e.do(owner, "GET", "/v1/connections/"+id+"/ping", nil), 200).json(t); got["code"] != 200.0 {
		t.Fatalf("ping in the grace window: %v", got)
	}
	e.want(e.do(owner, "DELETE", "/v1/stacks/"+stack+"/systemToken", nil), 204) // no window any more
	r := e.want(e.do(owner, "GET", "/v1/connections/"+id+"/ping", nil), 200)
	var b struct{ Errors []struct{ Code string } }
	if err := json.Unmarshal(r.body, &b); err != nil || len(b.Errors) == 0 || b.Errors[0].Code != "stack_unauthorized" {
		t.Fatalf("ping with a token the stack does not know: %s", r.body)
	}
	if got := e.want(e.do(owner, "GET", "/v1/connections/"+id, nil), 200).json(t); got["offline"] != false {
		t.Fatalf("a refused system token took the connection offline: %v", got)
	}
}
