package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hookstack/hookstack/examples/orders"
	"github.com/hookstack/hookstack/extension"
	"github.com/hookstack/hookstack/extension/extensionhttp"
	"github.com/hookstack/hookstack/extension/extensiontest"
	"github.com/hookstack/hookstack/internal/api"
	"github.com/hookstack/hookstack/internal/lambdaemu"
)

// stackServer runs the orders example as a server stack that accepts the
// platform's system token of stack id, and points the stack at it.
func (e *env) stackServer(t *testing.T, owner user, framework string) (stackID string, seen *tokens) {
	t.Helper()
	body := map[string]any{"name": "orders " + framework, "type": "server", "server": map[string]any{"hostURI": ""}}
	if framework == "2.0" {
		body["framework"] = "twoDotZero"
	}
	id := e.want(e.do(owner, "POST", "/v1/stacks", body), 201).json(t)["_id"].(string)
	tok := e.want(e.do(owner, "GET", "/v1/stacks/"+id+"/systemToken", nil), 200).json(t)["systemToken"].(string)
	seen = &tokens{}
	mod := orders.Module(slog.New(slog.DiscardHandler))
	ping := mod.Wrappers["ping"]
	record := extension.Raw(func(ctx context.Context, o json.RawMessage) (any, error) {
		var opts struct {
			BearerToken string `json:"bearerToken"`
		}
		_ = json.Unmarshal(o, &opts)
		seen.add(opts.BearerToken)
		return nil, nil
	})
	// "recordingPing" records the one-time token, then answers like ping.
	both := extension.Raw(func(ctx context.Context, o json.RawMessage) (any, error) {
		_, _ = record, ping
		var opts struct {
			BearerToken string `json:"bearerToken"`
			Connection  struct {
				Encrypted struct {
					APIKey string `json:"apiKey"`
				} `json:"encrypted"`
			} `json:"connection"`
		}
		_ = json.Unmarshal(o, &opts)
		seen.add(opts.BearerToken)
		if strings.HasPrefix(opts.Connection.Encrypted.APIKey, "erp_") {
			return map[string]any{"statusCode": 200}, nil
		}
		return map[string]any{"statusCode": 401, "errors": []map[string]string{{"code": "unauthorized", "message": "bad key"}}}, nil
	})
	mod.Wrappers["recordingPing"], mod.Functions["recordingPing"] = both, both
	h, err := extensionhttp.NewHandler(extensionhttp.Config{
		Extension:    extension.Config{DIY: mod, Logger: slog.New(slog.DiscardHandler)},
		SystemTokens: []string{tok},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	body["server"] = map[string]any{"hostURI": srv.URL}
	e.want(e.do(owner, "PUT", "/v1/stacks/"+id, body), 200)
	return id, seen
}

type tokens struct {
	mu   sync.Mutex
	list []string
}

func (s *tokens) add(t string) { s.mu.Lock(); s.list = append(s.list, t); s.mu.Unlock() }
func (s *tokens) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.list) == 0 {
		return ""
	}
	return s.list[len(s.list)-1]
}

const connSecret = "erp_super_secret_value"

func connBody(stackID, apiKey string) map[string]any {
	return map[string]any{"type": "wrapper", "name": "ERP", "wrapper": map[string]any{
		"pingFunction": "recordingPing", "_stackId": stackID,
		"unencrypted": map[string]any{"baseURI": "https://erp.example"}, "encrypted": map[string]any{"apiKey": apiKey},
		"unencryptedFields": []any{map[string]any{"id": "baseURI", "label": "Base URI"}}, "concurrencyLevel": 3}}
}

func TestConnections(t *testing.T) {
	t.Parallel()
	for _, fw := range []string{"1.0", "2.0"} {
		t.Run("framework "+fw, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			owner := e.account("owner@example.com")
			stackID, seen := e.stackServer(t, owner, fw)

			created := e.want(e.do(owner, "POST", "/v1/connections", connBody(stackID, connSecret)), 201).json(t)
			id := created["_id"].(string)
			w := created["wrapper"].(map[string]any)
			if w["encrypted"] != "******" || w["concurrencyLevel"] != 3.0 || created["offline"] != false {
				t.Fatalf("created: %v", created)
			}
			if got := e.want(e.do(owner, "GET", "/v1/connections/"+id+"/ping", nil), 200).json(t); got["code"] != 200.0 {
				t.Fatalf("ping: %v", got)
			}
			// The stack got a one-time token; the call has returned, so it is revoked.
			tok := seen.last()
			if !strings.HasPrefix(tok, "ott") {
				t.Fatalf("bearerToken %q", tok)
			}
			e.want(e.do(user{token: tok}, "GET", "/v1/tokenInfo", nil), 401)

			// A bad key: the ping answers 401, the connection goes offline.
			bad := connBody(stackID, "nope")
			e.want(e.do(owner, "PUT", "/v1/connections/"+id, bad), 200)
			r := e.want(e.do(owner, "POST", "/v1/connections/"+id+"/ping", map[string]any{"_exportId": "5f0000000000000000000003"}), 200).json(t)
			if r["errors"] == nil {
				t.Fatalf("ping with a bad key: %v", r)
			}
			if got := e.want(e.do(owner, "GET", "/v1/connections/"+id, nil), 200).json(t); got["offline"] != true {
				t.Fatalf("not offline: %v", got)
			}
			// "******" keeps the stored secret (still bad); a good key brings it back.
			masked := connBody(stackID, "")
			masked["wrapper"].(map[string]any)["encrypted"] = "******"
			e.want(e.do(owner, "PUT", "/v1/connections/"+id, masked), 200)
			e.want(e.do(owner, "POST", "/v1/connections/"+id+"/ping", nil), 200)
			if got := e.want(e.do(owner, "GET", "/v1/connections/"+id, nil), 200).json(t); got["offline"] != true {
				t.Fatalf("masked PUT changed the secret: %v", got)
			}
			e.want(e.do(owner, "PUT", "/v1/connections/"+id, connBody(stackID, connSecret)), 200)
			if got := e.want(e.do(owner, "POST", "/v1/connections/"+id+"/ping", nil), 200).json(t); len(got) != 0 {
				t.Fatalf("POST ping: %v", got)
			}
			if got := e.want(e.do(owner, "GET", "/v1/connections/"+id, nil), 200).json(t); got["offline"] != false {
				t.Fatalf("not back online: %v", got)
			}

			// Test connection (unsaved): nothing stored.
			if got := e.want(e.do(owner, "POST", "/v1/connections/ping", connBody(stackID, connSecret)), 200).json(t); len(got) != 0 {
				t.Fatalf("unsaved ping: %v", got)
			}
			if got := e.want(e.do(owner, "POST", "/v1/connections/ping", connBody(stackID, "x")), 200).json(t); got["errors"] == nil {
				t.Fatalf("unsaved ping with a bad key: %v", got)
			}
			if l := e.want(e.do(owner, "GET", "/v1/connections", nil), 200).list(t); len(l) != 1 {
				t.Fatalf("%d connections after an unsaved ping", len(l))
			}

			// The stack is in use while the connection exists.
			if code := e.want(e.do(owner, "DELETE", "/v1/stacks/"+stackID, nil), 422).errCode(t); code != "stack_in_use" {
				t.Fatalf("delete a used stack: %s", code)
			}
			deps := e.want(e.do(owner, "GET", "/v1/stacks/"+stackID+"/dependencies", nil), 200).json(t)
			if len(deps["connections"].([]any)) != 1 {
				t.Fatalf("dependencies: %v", deps)
			}
			e.want(e.do(owner, "DELETE", "/v1/connections/"+id, nil), 204)
			e.want(e.do(owner, "DELETE", "/v1/stacks/"+stackID, nil), 204)
		})
	}
}

// TestConnectionStackFailures: a stack that cannot answer is reported, and
// the connection's offline flag is left as it was.
func TestConnectionStackFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	stackID, _ := e.stackServer(t, owner, "2.0")
	id := e.want(e.do(owner, "POST", "/v1/connections", connBody(stackID, connSecret)), 201).json(t)["_id"].(string)
	e.want(e.do(owner, "PUT", "/v1/stacks/"+stackID, map[string]any{"name": "gone", "type": "server", "framework": "twoDotZero",
		"server": map[string]any{"hostURI": "http://127.0.0.1:1"}}), 200)
	r := e.want(e.do(owner, "GET", "/v1/connections/"+id+"/ping", nil), 200).json(t)
	errs, _ := r["errors"].([]any)
	if len(errs) == 0 || errs[0].(map[string]any)["code"] != "stack_unreachable" {
		t.Fatalf("unreachable stack: %v", r)
	}
	if got := e.want(e.do(owner, "GET", "/v1/connections/"+id, nil), 200).json(t); got["offline"] != false {
		t.Fatalf("an unreachable stack took the connection offline: %v", got)
	}
}

func TestConnectionSharedStackAndValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	bob := e.account("bob@example.com")
	stackID, _ := e.stackServer(t, owner, "2.0")
	// Not shared yet: bob cannot use the stack, and learns nothing about it.
	r := e.want(e.do(bob, "POST", "/v1/connections", connBody(stackID, connSecret)), 422)
	if !strings.Contains(string(r.body), `"field":"wrapper._stackId"`) {
		t.Fatalf("%s", r.body)
	}
	sh := e.want(e.do(owner, "POST", "/v1/stacks/"+stackID+"/invite", map[string]any{"email": bob.Email}), 201).json(t)["_id"].(string)
	e.want(e.do(bob, "PUT", "/v1/sshares/"+sh+"/accept", map[string]any{}), 200)
	conn := e.want(e.do(bob, "POST", "/v1/connections", connBody(stackID, connSecret)), 201).json(t)["_id"].(string)
	if got := e.want(e.do(bob, "GET", "/v1/connections/"+conn+"/ping", nil), 200).json(t); got["code"] != 200.0 {
		t.Fatalf("ping through a shared stack: %v", got)
	}
	if code := e.want(e.do(owner, "DELETE", "/v1/sshares/"+sh, nil), 422).errCode(t); code != "share_in_use" {
		t.Fatalf("remove a share in use: %s", code)
	}
	e.want(e.do(owner, "GET", "/v1/connections/"+conn, nil), 404) // bob's connection, bob's account

	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no type", map[string]any{"name": "x", "wrapper": map[string]any{"_stackId": stackID}}, "type"},
		{"http type", map[string]any{"type": "http", "name": "x", "wrapper": map[string]any{"_stackId": stackID}}, "type"},
		{"no wrapper", map[string]any{"type": "wrapper", "name": "x"}, "wrapper"},
		{"no stack", map[string]any{"type": "wrapper", "name": "x", "wrapper": map[string]any{}}, "wrapper._stackId"},
		{"unknown stack", map[string]any{"type": "wrapper", "name": "x", "wrapper": map[string]any{"_stackId": "000000000000000000000000"}}, "wrapper._stackId"},
		{"concurrency 26", map[string]any{"type": "wrapper", "name": "x", "wrapper": map[string]any{"_stackId": stackID, "concurrencyLevel": 26}}, "wrapper.concurrencyLevel"},
		{"encrypted not an object", map[string]any{"type": "wrapper", "name": "x", "wrapper": map[string]any{"_stackId": stackID, "encrypted": "s"}}, "wrapper.encrypted"},
		{"masked on create", map[string]any{"type": "wrapper", "name": "x", "wrapper": map[string]any{"_stackId": stackID, "encrypted": "******"}}, "wrapper.encrypted"},
		{"unencrypted an array", map[string]any{"type": "wrapper", "name": "x", "wrapper": map[string]any{"_stackId": stackID, "unencrypted": []int{1}}}, "wrapper.unencrypted"},
	} {
		r := e.do(owner, "POST", "/v1/connections", tc.body)
		if r.status != 422 || !strings.Contains(string(r.body), `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
	}
}

// TestConnectionSecretNotInClear: the encrypted part is sealed in the
// database file and masked in every response and log line.
func TestConnectionSecretNotInClear(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	stackID, _ := e.stackServer(t, owner, "1.0")
	c := e.want(e.do(owner, "POST", "/v1/connections", connBody(stackID, connSecret)), 201)
	id := c.json(t)["_id"].(string)
	bodies := [][]byte{c.body, e.do(owner, "GET", "/v1/connections/"+id, nil).body, e.do(owner, "GET", "/v1/connections", nil).body,
		e.do(owner, "GET", "/v1/connections/"+id+"/ping", nil).body}
	for _, b := range bodies {
		if bytes.Contains(b, []byte(connSecret)) {
			t.Fatalf("secret in a response: %s", b)
		}
	}
	e.store.Close()
	for _, f := range []string{e.dbPath, e.dbPath + "-wal"} {
		if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte(connSecret)) {
			t.Fatalf("secret in clear text in %s", filepath.Base(f))
		}
	}
	if bytes.Contains(e.logs.Bytes(), []byte(connSecret)) {
		t.Fatal("secret in the logs")
	}
}

// TestConnectionOfflineSchedulesRepings: a ping that takes a connection
// offline tells the platform (which schedules re-pings); an online one does not.
func TestConnectionOfflineSchedulesRepings(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var scheduled []string
	e := newEnvWith(t, func(c *api.Config) {
		c.Offline = func(_ context.Context, _, id string) error {
			mu.Lock()
			scheduled = append(scheduled, id)
			mu.Unlock()
			return nil
		}
	})
	owner := e.account("owner@example.com")
	stackID, _ := e.stackServer(t, owner, "2.0")
	id := e.want(e.do(owner, "POST", "/v1/connections", connBody(stackID, connSecret)), 201).json(t)["_id"].(string)
	e.want(e.do(owner, "GET", "/v1/connections/"+id+"/ping", nil), 200)
	e.want(e.do(owner, "PUT", "/v1/connections/"+id, connBody(stackID, "bad")), 200)
	e.want(e.do(owner, "GET", "/v1/connections/"+id+"/ping", nil), 200)
	mu.Lock()
	defer mu.Unlock()
	if len(scheduled) != 1 || scheduled[0] != id {
		t.Fatalf("re-pings scheduled for %v, want [%s]", scheduled, id)
	}
}

// TestConnectionOnLambdaStack: a wrapper connection on a Lambda stack whose
// endpointURL is the Lambda emulator running the orders example's
// bootstrap; the ping goes through the AWS SDK.
func TestConnectionOnLambdaStack(t *testing.T) {
	t.Parallel()
	bin := extensiontest.BuildBinary(t, "../../examples/orders/cmd/orders-lambda")
	emu, err := lambdaemu.New(slog.New(slog.DiscardHandler), &lambdaemu.Function{Name: "orders", Path: bin})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })

	e := newEnv(t, nil)
	owner := e.account("owner@example.com")
	for _, fw := range []string{"", "twoDotZero"} {
		body := map[string]any{"name": "orders fn", "type": "lambda", "lambda": map[string]any{
			"accessKeyId": "AKIAIOSFODNN7EXAMPLE", "secretAccessKey": lambdaSecret, "awsRegion": "us-east-1",
			"functionName": "orders", "language": "Other", "endpointURL": srv.URL}}
		if fw != "" {
			body["framework"] = fw
		}
		stackID := e.want(e.do(owner, "POST", "/v1/stacks", body), 201).json(t)["_id"].(string)
		cb := connBody(stackID, "erp_1")
		cb["wrapper"].(map[string]any)["pingFunction"] = "ping"
		id := e.want(e.do(owner, "POST", "/v1/connections", cb), 201).json(t)["_id"].(string)
		if got := e.want(e.do(owner, "GET", "/v1/connections/"+id+"/ping", nil), 200).json(t); got["code"] != 200.0 {
			t.Fatalf("framework %q: ping through Lambda: %v", fw, got)
		}
		cb = connBody(stackID, "wrong")
		cb["wrapper"].(map[string]any)["pingFunction"] = "ping"
		e.want(e.do(owner, "PUT", "/v1/connections/"+id, cb), 200)
		e.want(e.do(owner, "GET", "/v1/connections/"+id+"/ping", nil), 200)
		if got := e.want(e.do(owner, "GET", "/v1/connections/"+id, nil), 200).json(t); got["offline"] != true {
			t.Fatalf("framework %q: a 401 through Lambda did not take the connection offline: %v", fw, got)
		}
	}
}
