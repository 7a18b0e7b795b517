package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstack/hookstack/internal/platform"
)

// The fuzz targets send arbitrary bytes as the JSON body of every endpoint
// that decodes one, through the real handler on a real SQLite store, and
// check that the API never answers 5xx, always answers JSON, answers
// failures with a non-empty errors list, and that a failed request leaves
// the store as it was. Run one for a while with, e.g.:
//
//	go test ./internal/api/ -run '^$' -fuzz '^FuzzCreateStack$' -fuzztime 15s

// serve sends one request straight to the handler (no listener).
func (e *env) serve(u user, method, path string, body []byte) response {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+u.token)
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// checkAnswer fails unless r is a well-formed answer: below 500, JSON, and
// for a failure {"errors":[…]} with a code and a message in each.
func checkAnswer(t *testing.T, r response) {
	t.Helper()
	if r.status >= 500 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q (status %d): %s", ct, r.status, r.body)
	}
	if !json.Valid(r.body) {
		t.Fatalf("status %d, body is not JSON: %q", r.status, r.body)
	}
	if r.status < 400 {
		return
	}
	var b struct {
		Errors []*platform.Error `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &b); err != nil || len(b.Errors) == 0 {
		t.Fatalf("status %d without an errors list (%v): %s", r.status, err, r.body)
	}
	for _, e := range b.Errors {
		if e == nil || e.Code == "" || e.Message == "" {
			t.Fatalf("status %d with an incomplete error: %s", r.status, r.body)
		}
	}
}

// seedBodies are the start of every corpus: valid bodies of each endpoint,
// near misses, and JSON that is odd in general.
var seedBodies = []string{
	``,
	`{}`,
	`null`,
	`[]`,
	`"x"`,
	`0`,
	`{"name":`,
	`{} {}`,
	`{"name":"ext","type":"server","framework":"twoDotZero","server":{"hostURI":"https://ext.example.com","ipRanges":["203.0.113.0/24"]}}`,
	`{"name":"ext","type":"server","server":{"hostURI":"","systemToken":"******"}}`,
	`{"name":"fn","type":"lambda","lambda":{"accessKeyId":"AKIAIOSFODNN7EXAMPLE","secretAccessKey":"******","awsRegion":"us-east-1","functionName":"orders","language":"Other"}}`,
	`{"name":"fn","type":"lambda","lambda":{"accessKeyId":"AKIAIOSFODNN7EXAMPLE","secretAccessKey":"s3cret","awsRegion":"us-east-1","functionName":"arn:aws:lambda:us-east-1:123456789012:function:orders:prod","language":"Node.js","endpointURL":"http://127.0.0.1:4566"}}`,
	`{"name":"x","type":"server","server":{"ipRanges":[null,1,"::1"]},"lambda":{}}`,
	`{"name":1e400,"type":true}`,
	`{"name":"\u0000\ud800","type":"server","framework":null}`,
	`{"name":"ci","description":"for CI","revoked":false,"fullAccess":true,"token":"******"}`,
	`{"name":"ci","autoPurgeAt":"2999-01-01T00:00:00Z","_exportIds":["a"]}`,
	`{"name":"ci","autoPurgeAt":5}`,
	`{"email":"bob@example.com"}`,
	`{"email":"Bob <bob@example.com>"}`,
	`{"email":["a"]}`,
	`{"dismissed":false,"disabled":false,"_sharedWithUserId":"0123456789abcdef01234567"}`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	"\xef\xbb\xbf{}",
	"{\"name\":\"\xff\xfe\"}",
}

// fuzzEnv is the platform a fuzz target runs against, with one manage
// user.
func fuzzEnv(f *testing.F) (*env, user) {
	e := newEnv(f, nil)
	owner := e.account("owner@example.com")
	for _, s := range seedBodies {
		f.Add([]byte(s))
	}
	return e, owner
}

// listAll returns one page of up to 1000 items of list for id.
func listAll[T any](t *testing.T, list func(context.Context, string, platform.Page) ([]T, error), id string) []T {
	t.Helper()
	l, err := list(context.Background(), id, platform.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func FuzzCreateStack(f *testing.F) {
	e, owner := fuzzEnv(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body []byte) {
		e := e.with(t)
		before := len(listAll(t, e.store.ListStacks, owner.AccountID))
		r := e.serve(owner, "POST", "/v1/stacks", body)
		checkAnswer(t, r)
		after := listAll(t, e.store.ListStacks, owner.AccountID)
		if r.status != http.StatusCreated {
			if len(after) != before {
				t.Fatalf("a failed create (%d) left %d stacks, had %d: %s", r.status, len(after), before, r.body)
			}
			return
		}
		if len(after) != before+1 {
			t.Fatalf("a create left %d stacks, had %d", len(after), before)
		}
		if err := e.store.DeleteStack(ctx, owner.AccountID, r.json(t)["_id"].(string)); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzUpdateStack(f *testing.F) {
	e, owner := fuzzEnv(f)
	ctx := context.Background()
	server := e.want(e.do(owner, "POST", "/v1/stacks", serverBody), 201).json(f)["_id"].(string)
	lambda := e.want(e.do(owner, "POST", "/v1/stacks", lambdaBody), 201).json(f)["_id"].(string)
	f.Fuzz(func(t *testing.T, body []byte) {
		e := e.with(t)
		// The body's length picks the stack, so both are exercised.
		id := []string{server, lambda}[len(body)%2]
		old, err := e.store.GetStack(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		r := e.serve(owner, "PUT", "/v1/stacks/"+id, body)
		checkAnswer(t, r)
		now, err := e.store.GetStack(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusOK {
			if d := cmp.Diff(old, now); d != "" {
				t.Fatalf("a failed update (%d) changed the stack (-before +after):\n%s", r.status, d)
			}
		} else if now.Framework != old.Framework {
			t.Fatalf("an update changed the framework from %q to %q", old.Framework, now.Framework)
		}
		if n := len(listAll(t, e.store.ListStacks, owner.AccountID)); n != 2 {
			t.Fatalf("%d stacks after an update", n)
		}
	})
}

func FuzzCreateToken(f *testing.F) {
	e, owner := fuzzEnv(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body []byte) {
		e := e.with(t)
		before := len(listAll(t, e.store.ListAPITokens, owner.AccountID))
		r := e.serve(owner, "POST", "/v1/accesstokens", body)
		checkAnswer(t, r)
		after := listAll(t, e.store.ListAPITokens, owner.AccountID)
		if r.status != http.StatusCreated {
			if len(after) != before {
				t.Fatalf("a failed create (%d) left %d tokens, had %d: %s", r.status, len(after), before, r.body)
			}
			return
		}
		if len(after) != before+1 {
			t.Fatalf("a create left %d tokens, had %d", len(after), before)
		}
		tok, err := e.store.GetAPIToken(ctx, owner.AccountID, r.json(t)["_id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		tok.Revoked = true
		if err := e.store.UpdateAPIToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if err := e.store.DeleteAPIToken(ctx, owner.AccountID, tok.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzUpdateToken(f *testing.F) {
	e, owner := fuzzEnv(f)
	ctx := context.Background()
	// The target is a second token, so that revoking it keeps the caller in.
	target := e.want(e.do(owner, "POST", "/v1/accesstokens", map[string]any{"name": "target"}), 201).json(f)["_id"].(string)
	f.Fuzz(func(t *testing.T, body []byte) {
		e := e.with(t)
		old, err := e.store.GetAPIToken(ctx, owner.AccountID, target)
		if err != nil {
			t.Fatal(err)
		}
		r := e.serve(owner, "PUT", "/v1/accesstokens/"+target, body)
		checkAnswer(t, r)
		now, err := e.store.GetAPIToken(ctx, owner.AccountID, target)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusOK {
			if d := cmp.Diff(old, now); d != "" {
				t.Fatalf("a failed update (%d) changed the token (-before +after):\n%s", r.status, d)
			}
		} else if !bytes.Equal(now.Hash, old.Hash) {
			t.Fatal("an update changed the token's value")
		}
	})
}

func FuzzInvite(f *testing.F) {
	e, owner := fuzzEnv(f)
	ctx := context.Background()
	e.account("bob@example.com")
	stack := e.want(e.do(owner, "POST", "/v1/stacks", serverBody), 201).json(f)["_id"].(string)
	f.Fuzz(func(t *testing.T, body []byte) {
		e := e.with(t)
		before := len(listAll(t, e.store.ListSharesByAccount, owner.AccountID))
		r := e.serve(owner, "POST", "/v1/stacks/"+stack+"/invite", body)
		checkAnswer(t, r)
		after := listAll(t, e.store.ListSharesByAccount, owner.AccountID)
		if r.status != http.StatusCreated {
			if len(after) != before {
				t.Fatalf("a failed invite (%d) left %d shares, had %d: %s", r.status, len(after), before, r.body)
			}
			return
		}
		if len(after) != before+1 {
			t.Fatalf("an invite left %d shares, had %d", len(after), before)
		}
		if err := e.store.DeleteShare(ctx, r.json(t)["_id"].(string)); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzReinvite(f *testing.F) {
	e, owner := fuzzEnv(f)
	ctx := context.Background()
	bob := e.account("bob@example.com")
	stack := e.want(e.do(owner, "POST", "/v1/stacks", serverBody), 201).json(f)["_id"].(string)
	share := e.want(e.do(owner, "POST", "/v1/stacks/"+stack+"/invite", map[string]any{"email": bob.Email}), 201).json(f)["_id"].(string)
	e.want(e.do(bob, "PUT", "/v1/sshares/"+share+"/dismiss", map[string]any{}), 200)
	f.Fuzz(func(t *testing.T, body []byte) {
		e := e.with(t)
		old, err := e.store.GetShare(ctx, share)
		if err != nil {
			t.Fatal(err)
		}
		r := e.serve(owner, "PUT", "/v1/sshares/"+share, body)
		checkAnswer(t, r)
		now, err := e.store.GetShare(ctx, share)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusOK {
			if d := cmp.Diff(old, now); d != "" {
				t.Fatalf("a failed re-invite (%d) changed the share (-before +after):\n%s", r.status, d)
			}
			return
		}
		if now.Dismissed || now.Disabled {
			t.Fatalf("a re-invite left the share dismissed=%v disabled=%v", now.Dismissed, now.Disabled)
		}
		// Dismiss again, so the next input re-invites a dismissed share.
		now.Accepted, now.Dismissed = false, true
		if err := e.store.UpdateShare(ctx, now); err != nil {
			t.Fatal(err)
		}
	})
}
