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

// connSeeds are wrapper connections in every shape, with $STACK standing
// for a stack of the caller's account and $OTHER for one of another
// account. The fuzz stack answers a ping with the status and body that the
// connection's unencrypted settings ask for, so the fuzzer varies the
// stack's answers too.
var connSeeds = []string{
	`{"type":"wrapper","name":"ERP","wrapper":{"pingFunction":"ping","_stackId":"$STACK","unencrypted":{"baseURI":"https://erp.example"},"encrypted":{"apiKey":"k"},"unencryptedFields":[{"id":"baseURI","label":"Base URI"}],"encryptedFields":[],"concurrencyLevel":3}}`,
	`{"type":"wrapper","name":"ERP","wrapper":{"pingFunction":"ping","_stackId":"$STACK","encrypted":"******"}}`,
	`{"type":"wrapper","name":"ERP","wrapper":{"pingFunction":"ping","_stackId":"$STACK","encrypted":null,"unencrypted":null,"concurrencyLevel":null}}`,
	`{"type":"wrapper","name":"ERP","wrapper":{"_stackId":"$STACK"}}`,
	`{"type":"wrapper","name":"ERP","wrapper":{"pingFunction":"ping","_stackId":"$OTHER","encrypted":{}}}`,
	`{"type":"wrapper","name":"ERP","wrapper":{"pingFunction":"ping","_stackId":"$STACK","concurrencyLevel":0}}`,
	`{"type":"wrapper","name":"ERP","wrapper":{"pingFunction":"ping","_stackId":"$STACK","concurrencyLevel":26.5}}`,
	`{"type":"http","name":"","wrapper":{"_stackId":"000000000000000000000000","unencrypted":[],"encrypted":"x","unencryptedFields":{}}}`,
	`{"type":"wrapper","name":"x","wrapper":null,"offline":true,"_id":"0123456789abcdef01234567"}`,
	`{"type":"wrapper","name":"x","wrapper":{"pingFunction":"\u0000","_stackId":["$STACK"]}}`,
	`{"type":"wrapper","name":"x","wrapper":{"pingFunction":"ping","_stackId":"$STACK","unencrypted":{"status":200,"body":"{\"statusCode\":200}"}}}`,
	`{"type":"wrapper","name":"x","wrapper":{"pingFunction":"ping","_stackId":"$STACK","unencrypted":{"status":200,"body":"{\"statusCode\":401,\"errors\":[]}"}}}`,
	`{"type":"wrapper","name":"x","wrapper":{"pingFunction":"ping","_stackId":"$STACK","unencrypted":{"status":200,"body":"{\"statusCode\":403,\"errors\":[null,{}]}"}}}`,
	`{"type":"wrapper","name":"x","wrapper":{"pingFunction":"ping","_stackId":"$STACK","unencrypted":{"status":200,"body":"{\"statusCode\":500}"}}}`,
	`{"type":"wrapper","name":"x","wrapper":{"pingFunction":"ping","_stackId":"$STACK","unencrypted":{"status":200,"body":"[1]"}}}`,
	`{"type":"wrapper","name":"x","wrapper":{"pingFunction":"ping","_stackId":"$STACK","unencrypted":{"status":200,"body":"not json"}}}`,
	`{"type":"wrapper","name":"x","wrapper":{"pingFunction":"ping","_stackId":"$STACK","unencrypted":{"status":200,"body":""}}}`,
	`{"type":"wrapper","name":"x","wrapper":{"pingFunction":"ping","_stackId":"$STACK","unencrypted":{"status":422,"body":"{\"errors\":[{\"code\":\"boom\",\"message\":\"thrown\"}]}"}}}`,
	`{"type":"wrapper","name":"x","wrapper":{"pingFunction":"ping","_stackId":"$STACK","unencrypted":{"status":422,"body":"{\"errors\":[]}"}}}`,
	`{"type":"wrapper","name":"x","wrapper":{"pingFunction":"ping","_stackId":"$STACK","unencrypted":{"status":401,"body":"{\"errors\":[{\"code\":\"unauthorized\",\"message\":\"bad token\"}]}"}}}`,
	`{"type":"wrapper","name":"x","wrapper":{"pingFunction":"ping","_stackId":"$STACK","unencrypted":{"status":502,"body":"<html>"}}}`,
	`{"_exportId":"5f0000000000000000000003","_importId":5}`,
}

// connFuzzEnv is fuzzEnv with a stack of the owner's account that answers
// as the connection asks (see connSeeds), a stack of another account, and
// the connection seeds.
func connFuzzEnv(f *testing.F) (e *env, owner user, expand func([]byte) []byte) {
	e, owner = fuzzEnv(f)
	for _, s := range connSeeds {
		f.Add([]byte(s))
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var call struct {
			Options struct {
				Connection struct {
					Unencrypted struct {
						Status int    `json:"status"`
						Body   string `json:"body"`
					} `json:"unencrypted"`
				} `json:"connection"`
			} `json:"options"`
		}
		_ = json.NewDecoder(r.Body).Decode(&call)
		answer := call.Options.Connection.Unencrypted
		if answer.Status < 200 || answer.Status > 599 {
			answer.Status = http.StatusOK
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(answer.Status)
		_, _ = w.Write([]byte(answer.Body))
	}))
	f.Cleanup(srv.Close)
	stack := e.want(e.do(owner, "POST", "/v1/stacks", map[string]any{"name": "fuzz", "type": "server",
		"server": map[string]any{"hostURI": srv.URL}}), 201).json(f)["_id"].(string)
	other := e.account("other@example.com")
	otherStack := e.want(e.do(other, "POST", "/v1/stacks", serverBody), 201).json(f)["_id"].(string)
	r := strings.NewReplacer("$STACK", stack, "$OTHER", otherStack)
	return e, owner, func(b []byte) []byte { return []byte(r.Replace(string(b))) }
}

// checkPing fails unless a 200 ping answer is {}, {"code":200} (get) or
// {"errors":[…]} with at least one error.
func checkPing(t *testing.T, r response, get bool) {
	t.Helper()
	if r.status != http.StatusOK {
		return
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("ping answer is not an object: %s", r.body)
	}
	switch {
	case !get && len(m) == 0, get && len(m) == 1 && string(m["code"]) == "200":
	case len(m) == 1 && m["errors"] != nil:
		var errs []json.RawMessage
		if err := json.Unmarshal(m["errors"], &errs); err != nil || len(errs) == 0 {
			t.Fatalf("a failed ping without errors: %s", r.body)
		}
	default:
		t.Fatalf("ping answered %s", r.body)
	}
}

func FuzzCreateConnection(f *testing.F) {
	e, owner, expand := connFuzzEnv(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body []byte) {
		e := e.with(t)
		before := len(listAll(t, e.store.ListConnections, owner.AccountID))
		r := e.serve(owner, "POST", "/v1/connections", expand(body))
		checkAnswer(t, r)
		after := listAll(t, e.store.ListConnections, owner.AccountID)
		if r.status != http.StatusCreated {
			if len(after) != before {
				t.Fatalf("a failed create (%d) left %d connections, had %d: %s", r.status, len(after), before, r.body)
			}
			return
		}
		if len(after) != before+1 {
			t.Fatalf("a create left %d connections, had %d", len(after), before)
		}
		c := r.json(t)
		w, _ := c["wrapper"].(map[string]any)
		if w["encrypted"] != "******" || c["offline"] != false {
			t.Fatalf("created: %s", r.body)
		}
		if err := e.store.DeleteConnection(ctx, owner.AccountID, c["_id"].(string)); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzUpdateConnection(f *testing.F) {
	e, owner, expand := connFuzzEnv(f)
	ctx := context.Background()
	id := e.want(e.do(owner, "POST", "/v1/connections", json.RawMessage(expand([]byte(connSeeds[0])))), 201).json(f)["_id"].(string)
	// Offline, so that an update is seen to leave it alone.
	if err := e.store.SetConnectionOffline(ctx, owner.AccountID, id, true); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e := e.with(t)
		old, err := e.store.GetConnection(ctx, owner.AccountID, id)
		if err != nil {
			t.Fatal(err)
		}
		body = expand(body)
		r := e.serve(owner, "PUT", "/v1/connections/"+id, body)
		checkAnswer(t, r)
		now, err := e.store.GetConnection(ctx, owner.AccountID, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusOK {
			if d := cmp.Diff(old, now); d != "" {
				t.Fatalf("a failed update (%d) changed the connection (-before +after):\n%s", r.status, d)
			}
			return
		}
		if !now.Offline || now.UserID != old.UserID || !now.CreatedAt.Equal(old.CreatedAt) {
			t.Fatalf("an update changed offline, the user or createdAt: %+v", now)
		}
		if w, _ := r.json(t)["wrapper"].(map[string]any); w["encrypted"] != "******" {
			t.Fatalf("updated: %s", r.body)
		}
		// "******" keeps the stored secret. (encoding/json matches members
		// as the API does: case-insensitively, the last one winning.)
		var sent struct {
			Wrapper struct {
				Encrypted json.RawMessage `json:"encrypted"`
			} `json:"wrapper"`
		}
		if json.Unmarshal(body, &sent) == nil && string(bytes.TrimSpace(sent.Wrapper.Encrypted)) == `"******"` &&
			!bytes.Equal(now.Wrapper.Encrypted, old.Wrapper.Encrypted) {
			t.Fatal(`an update with "******" changed the stored secret`)
		}
		if err := e.store.UpdateConnection(ctx, old); err != nil { // back to the start
			t.Fatal(err)
		}
	})
}

func FuzzPingUnsavedConnection(f *testing.F) {
	e, owner, expand := connFuzzEnv(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		e := e.with(t)
		before := listAll(t, e.store.ListConnections, owner.AccountID)
		r := e.serve(owner, "POST", "/v1/connections/ping", expand(body))
		checkAnswer(t, r)
		checkPing(t, r, false)
		if d := cmp.Diff(before, listAll(t, e.store.ListConnections, owner.AccountID)); d != "" {
			t.Fatalf("an unsaved ping (%d) changed the connections (-before +after):\n%s", r.status, d)
		}
	})
}
