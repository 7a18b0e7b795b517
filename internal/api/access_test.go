package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hookstack/hookstack/internal/api"
	"github.com/hookstack/hookstack/internal/ott"
	"github.com/hookstack/hookstack/internal/platform"
)

// actor is one kind of caller of the access matrix.
type actor int

const (
	owner     actor = iota // manage user who created the stacks (account A)
	manager                // another manage user of account A
	monitor                // monitor user of account A
	pending                // invited, has not answered (own account)
	accepted               // invited and accepted
	disabled               // accepted, then switched Off by the owner
	dismissed              // invited and dismissed
	outsider               // a user of another account with no share
	anonymous              // no token
	nActors
)

var actorNames = [nActors]string{"owner", "manager", "monitor", "pending", "accepted", "disabled", "dismissed", "outsider", "anonymous"}

func (a actor) String() string { return actorNames[a] }

// inOwnerAccount reports whether a is a user of the stacks' account.
func (a actor) inOwnerAccount() bool { return a == owner || a == manager || a == monitor }

// invitees are the actors holding a share of both stacks.
var invitees = []actor{pending, accepted, disabled, dismissed}

// codes is the status each actor gets; anonymous is always 401 and left 0.
type codes [nActors]int

// world is one complete fixture: account A (owner, manager, monitor) with a
// server and a Lambda stack, each shared with the four invitees in their
// four states, a third (unshared) server stack used by a wrapper connection
// of the owner, an outsider, and a second (revoked) API token of the owner
// and of the monitor to act on.
type world struct {
	e           *env
	users       [nActors]user
	server      string // stack ids
	lambda      string
	used        string           // a server stack nothing answers at, used by conn
	conn        string           // the owner's connection on used
	systemToken string           // the server stack's plain token
	shares      map[actor]string // the server stack's share per invitee
	tokens      map[actor]string // target token id of owner and monitor
	tokenValues map[actor]string // their plain values
	lambdaKey   string           // accessKeyId of the Lambda stack
}

var worlds atomic.Int64

const worldLambdaKey = "AKIAWORLDEXAMPLE0001"

// worldConnSecret is the encrypted part of the world's connection: no
// answer may ever hold it.
const worldConnSecret = "world_conn_secret_value"

// unreachableHost is a host URI nothing listens at: a ping through it fails
// at once with stack_unreachable, and changes nothing.
const unreachableHost = "http://127.0.0.1:1"

// connectionBody is a wrapper connection on stack, as POST and PUT take it.
func connectionBody(stack string, encrypted any) map[string]any {
	return map[string]any{"type": "wrapper", "name": "ERP", "wrapper": map[string]any{
		"pingFunction": "ping", "_stackId": stack, "unencrypted": map[string]any{"baseURI": "https://erp.example"},
		"encrypted": encrypted, "concurrencyLevel": 2}}
}

// newWorld builds a fresh world in e with unique emails.
func newWorld(e *env) *world {
	e.t.Helper()
	p := fmt.Sprintf("w%d-", worlds.Add(1))
	w := &world{e: e, shares: map[actor]string{}, tokens: map[actor]string{}, tokenValues: map[actor]string{},
		lambdaKey: worldLambdaKey}
	w.users[owner] = e.account(p + "owner@example.com")
	w.users[manager] = e.member(w.users[owner], p+"manager@example.com", platform.RoleManage)
	w.users[monitor] = e.member(w.users[owner], p+"monitor@example.com", platform.RoleMonitor)
	for _, a := range append(slices.Clone(invitees), outsider) {
		w.users[a] = e.account(p + a.String() + "@example.com")
	}
	o := w.users[owner]
	// Pings through the server stack fail at once, without the network.
	server := map[string]any{"name": "ext", "type": "server", "framework": "twoDotZero",
		"server": map[string]any{"hostURI": unreachableHost, "ipRanges": []string{"203.0.113.0/24"}}}
	w.server = e.want(e.do(o, "POST", "/v1/stacks", server), 201).json(e.t)["_id"].(string)
	lambdaBody := map[string]any{"name": "fn", "type": "lambda", "framework": "twoDotZero",
		"lambda": map[string]any{"accessKeyId": worldLambdaKey, "secretAccessKey": lambdaSecret,
			"awsRegion": "us-east-1", "functionName": "orders", "language": "Other", "endpointURL": "http://127.0.0.1:4566"}}
	w.lambda = e.want(e.do(o, "POST", "/v1/stacks", lambdaBody), 201).json(e.t)["_id"].(string)
	w.systemToken = e.want(e.do(o, "GET", "/v1/stacks/"+w.server+"/systemToken", nil), 200).json(e.t)["systemToken"].(string)
	w.used = e.want(e.do(o, "POST", "/v1/stacks", map[string]any{"name": "used", "type": "server",
		"server": map[string]any{"hostURI": unreachableHost}}), 201).json(e.t)["_id"].(string)
	w.conn = e.want(e.do(o, "POST", "/v1/connections", connectionBody(w.used, map[string]any{"apiKey": worldConnSecret})), 201).json(e.t)["_id"].(string)

	for _, stack := range []string{w.server, w.lambda} {
		for _, a := range invitees {
			id := e.want(e.do(o, "POST", "/v1/stacks/"+stack+"/invite", map[string]any{"email": w.users[a].Email}), 201).json(e.t)["_id"].(string)
			if stack == w.server {
				w.shares[a] = id
			}
			switch a {
			case accepted:
				e.want(e.do(w.users[a], "PUT", "/v1/sshares/"+id+"/accept", map[string]any{}), 200)
			case disabled:
				e.want(e.do(w.users[a], "PUT", "/v1/sshares/"+id+"/accept", map[string]any{}), 200)
				e.want(e.do(o, "PUT", "/v1/sshares/"+id+"/disable", map[string]any{}), 200)
			case dismissed:
				e.want(e.do(w.users[a], "PUT", "/v1/sshares/"+id+"/dismiss", map[string]any{}), 200)
			}
		}
	}
	for _, a := range []actor{owner, monitor} {
		t := e.issue(w.users[a].User)
		r := e.want(e.do(t, "GET", "/v1/tokenInfo", nil), 200).json(e.t)
		id := r["_tokenId"].(string)
		e.want(e.do(t, "PUT", "/v1/accesstokens/"+id, map[string]any{"name": "target", "revoked": true}), 200)
		w.tokens[a], w.tokenValues[a] = id, t.token
	}
	return w
}

// id returns what a row's target names.
func (w *world) id(target string) string {
	switch target {
	case "":
		return ""
	case "server":
		return w.server
	case "lambda":
		return w.lambda
	case "used":
		return w.used
	case "conn":
		return w.conn
	case "token:owner":
		return w.tokens[owner]
	case "token:monitor":
		return w.tokens[monitor]
	}
	for _, a := range invitees {
		if target == "share:"+a.String() {
			return w.shares[a]
		}
	}
	panic("unknown target " + target)
}

// snapshot is everything a request could change, read from the store.
func (w *world) snapshot() any {
	ctx, t := context.Background(), w.e.t
	all := platform.Page{Limit: 1000}
	must := func(v any, err error) any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	snap := map[string]any{}
	snap["stacks"] = must(w.e.store.ListStacks(ctx, w.users[owner].AccountID, all))
	snap["shares"] = must(w.e.store.ListSharesByAccount(ctx, w.users[owner].AccountID, all))
	for a := owner; a < anonymous; a++ {
		snap["tokens:"+a.String()] = must(w.e.store.ListAPITokens(ctx, w.users[a].AccountID, all))
		snap["stacks:"+a.String()] = must(w.e.store.ListStacks(ctx, w.users[a].AccountID, all))
		snap["invites:"+a.String()] = must(w.e.store.ListSharesForUser(ctx, w.users[a].ID, all))
		snap["connections:"+a.String()] = must(w.e.store.ListConnections(ctx, w.users[a].AccountID, all))
	}
	return snap
}

// accessRow is one endpoint on one target, and what every actor gets.
type accessRow struct {
	route  string // as registered: "PUT /v1/stacks/{id}"
	target string // what {id} names (see world.id)
	query  string
	body   any
	// mkBody, when set, makes the body from the world (ids in it).
	mkBody func(w *world) any
	// about names the row further when route and target do not tell it
	// from another row.
	about string
	want  codes
	// items, for lists, is the length of the page each actor gets.
	items *codes
}

func (r accessRow) name() string {
	n := r.route + r.query
	if r.target != "" {
		n += " on " + r.target
	}
	if r.about != "" {
		n += " (" + r.about + ")"
	}
	return n
}

// via is how an actor authenticates: with their API token, or with a
// one-time token minted for them as an extension call would get it.
type via int

const (
	apiToken   via = iota
	hook2          // a framework-2.0 hook's one-time token
	installer2     // a framework-2.0 installer's one-time token
	hook1          // a framework-1.0 hook's one-time token
	nVias
)

var viaScopes = [nVias]struct{ framework, kind string }{
	hook2:      {platform.Framework2, "hook"},
	installer2: {platform.Framework2, "installer"},
	hook1:      {platform.Framework1, "hook"},
}

func (v via) String() string {
	if v == apiToken {
		return "API token"
	}
	return "one-time token (" + viaScopes[v].framework + " " + viaScopes[v].kind + ")"
}

// expect is the status a sends row with via. One-time tokens never
// administer (403); they read their own identity as any token does, and
// work on connections (an integration's resources) unless they are a
// framework-2.0 hook's, getting then what the same user's API token gets.
func (r accessRow) expect(a actor, v via) int {
	if v == apiToken || a == anonymous {
		return r.want[a]
	}
	switch {
	case r.route == "GET /v1/tokenInfo":
		return r.want[a]
	case strings.Contains(r.route, " /v1/connections") && v != hook2:
		return r.want[a]
	}
	return 403
}

// shareCodes: users of the owning account get own (owner, manager) and mon
// (monitor), the share's invitee gets inv, everyone else 404.
func shareCodes(invitee actor, own, mon, inv int) codes {
	c := codes{owner: own, manager: own, monitor: mon, pending: 404, accepted: 404, disabled: 404, dismissed: 404, outsider: 404}
	c[invitee] = inv
	return c
}

func accessRows() []accessRow {
	all := func(status int) codes {
		return codes{status, status, status, status, status, status, status, status}
	}
	// holder: only the token's own user gets ok; the rest of its account 403.
	holder := func(tok actor, ok int) codes {
		c := codes{owner: 403, manager: 403, monitor: 403}
		c[tok] = ok
		return c
	}
	acceptCode := func(inv actor) int {
		if inv == dismissed {
			return 422
		}
		return 200
	}
	rows := []accessRow{
		// API tokens: an account's tokens are invisible to other accounts;
		// monitor users may read their metadata but act only on their own.
		{route: "GET /v1/tokenInfo", want: all(200)},
		{route: "GET /v1/accesstokens", want: all(200),
			items: &codes{owner: 5, manager: 5, monitor: 5, pending: 1, accepted: 1, disabled: 1, dismissed: 1, outsider: 1}},
		{route: "POST /v1/accesstokens", body: map[string]any{"name": "new"}, want: all(201)},
	}
	for _, tok := range []actor{owner, monitor} {
		// A monitor user may act on their own token, not on another's.
		mon := func(ok int) int {
			if tok == monitor {
				return ok
			}
			return 403
		}
		others := func(c codes) codes {
			for _, a := range append(slices.Clone(invitees), outsider) {
				c[a] = 404
			}
			return c
		}
		target := "token:" + tok.String()
		rows = append(rows,
			accessRow{route: "GET /v1/accesstokens/{id}", target: target, want: others(codes{owner: 200, manager: 200, monitor: 200})},
			accessRow{route: "PUT /v1/accesstokens/{id}", target: target, body: map[string]any{"name": "renamed", "revoked": true},
				want: others(codes{owner: 200, manager: 200, monitor: mon(200)})},
			accessRow{route: "DELETE /v1/accesstokens/{id}", target: target, want: others(codes{owner: 204, manager: 204, monitor: mon(204)})},
			// Only a token's own user sees or rolls its value: anything else
			// would let one user act as another.
			accessRow{route: "GET /v1/accesstokens/{id}/display", target: target, want: others(holder(tok, 200))},
			accessRow{route: "POST /v1/accesstokens/{id}/generate", target: target, want: others(holder(tok, 200))},
		)
	}

	// Stacks: visible to their account and to invitees of an accepted,
	// switched-on share; changed only by manage users of their account.
	// Everyone else gets 404, as for a stack that does not exist.
	stackCodes := func(own, mon, acc int) codes {
		return codes{owner: own, manager: own, monitor: mon, pending: 404, accepted: acc, disabled: 404, dismissed: 404, outsider: 404}
	}
	rows = append(rows,
		accessRow{route: "GET /v1/stacks", want: all(200),
			items: &codes{owner: 3, manager: 3, monitor: 3}},
		// Invitees and the outsider create in their own account.
		accessRow{route: "POST /v1/stacks", body: serverBody,
			want: codes{owner: 201, manager: 201, monitor: 403, pending: 201, accepted: 201, disabled: 201, dismissed: 201, outsider: 201}},
	)
	for _, target := range []string{"server", "lambda"} {
		body := any(serverBody)
		token := stackCodes(200, 403, 403)
		rotate := stackCodes(204, 403, 403)
		if target == "lambda" {
			body = map[string]any{"name": "fn2", "type": "lambda", "lambda": map[string]any{"accessKeyId": worldLambdaKey,
				"secretAccessKey": "******", "awsRegion": "eu-west-1", "functionName": "orders", "language": "Java"}}
			// The owner learns it is a Lambda stack; nobody else learns more
			// than before.
			token = stackCodes(404, 403, 403)
			rotate = stackCodes(404, 403, 403)
		}
		rows = append(rows,
			accessRow{route: "GET /v1/stacks/{id}", target: target, want: stackCodes(200, 200, 200)},
			accessRow{route: "PUT /v1/stacks/{id}", target: target, body: body, want: stackCodes(200, 403, 403)},
			accessRow{route: "DELETE /v1/stacks/{id}", target: target, want: stackCodes(204, 403, 403)},
			accessRow{route: "GET /v1/stacks/{id}/systemToken", target: target, want: token},
			accessRow{route: "DELETE /v1/stacks/{id}/systemToken", target: target, want: rotate},
			accessRow{route: "DELETE /v1/stacks/{id}/systemToken", target: target, query: "?graceSeconds=60", want: rotate},
			accessRow{route: "GET /v1/stacks/{id}/dependencies", target: target, want: stackCodes(200, 200, 403)},
			accessRow{route: "POST /v1/stacks/{id}/invite", target: target, body: map[string]any{"email": "newcomer@example.org"},
				want: stackCodes(201, 403, 403)},
		)
	}

	// Shares: the owning account sees and manages them (monitor: read
	// only); the invitee sees theirs and only answers it; a share is
	// invisible to everyone else.
	rows = append(rows,
		accessRow{route: "GET /v1/sshares", want: all(200), items: &codes{owner: 8, manager: 8, monitor: 8}},
		accessRow{route: "GET /v1/shared/sshares", want: all(200), items: &codes{pending: 2, accepted: 2, disabled: 2, dismissed: 2}},
		accessRow{route: "GET /v1/shared/stacks", want: all(200), items: &codes{accepted: 2}},
	)
	for _, inv := range invitees {
		target := "share:" + inv.String()
		toggle := 200 // only accepted shares switch
		if inv == pending || inv == dismissed {
			toggle = 422
		}
		rows = append(rows,
			accessRow{route: "PUT /v1/sshares/{id}", target: target, body: map[string]any{"dismissed": false, "disabled": false},
				want: shareCodes(inv, 200, 403, 403)},
			accessRow{route: "PUT /v1/sshares/{id}/disable", target: target, body: map[string]any{}, want: shareCodes(inv, toggle, 403, 403)},
			accessRow{route: "DELETE /v1/sshares/{id}", target: target, want: shareCodes(inv, 204, 403, 403)},
			// A dismissed invitation needs a re-invite before it can be accepted.
			accessRow{route: "PUT /v1/sshares/{id}/accept", target: target, body: map[string]any{}, want: shareCodes(inv, 403, 403, acceptCode(inv))},
			accessRow{route: "PUT /v1/sshares/{id}/dismiss", target: target, body: map[string]any{}, want: shareCodes(inv, 403, 403, 200)},
		)
	}

	// A stack in use by a connection cannot be deleted.
	rows = append(rows,
		accessRow{route: "DELETE /v1/stacks/{id}", target: "used", want: stackCodes(422, 403, 404)},
		accessRow{route: "GET /v1/stacks/{id}/dependencies", target: "used", want: stackCodes(200, 200, 404)},
	)

	// Connections belong to their account: monitor users read them, manage
	// users change and ping them; other accounts, invitees of the account's
	// shares among them, get 404. A connection may use a stack of the
	// caller's account or one shared with them by an accepted, switched-on
	// share; any other _stackId is 422.
	connCodes := func(own, mon int) codes {
		return codes{owner: own, manager: own, monitor: mon, pending: 404, accepted: 404, disabled: 404, dismissed: 404, outsider: 404}
	}
	useShared := func(ok int) codes { // a body naming a stack shared with the invitees
		return codes{owner: ok, manager: ok, monitor: 403, pending: 422, accepted: ok, disabled: 422, dismissed: 422, outsider: 422}
	}
	rows = append(rows,
		accessRow{route: "GET /v1/connections", want: all(200), items: &codes{owner: 1, manager: 1, monitor: 1}},
		accessRow{route: "POST /v1/connections", about: "on the shared Lambda stack", want: useShared(201),
			mkBody: func(w *world) any { return connectionBody(w.lambda, map[string]any{"apiKey": "k"}) }},
		accessRow{route: "POST /v1/connections", about: "on the unshared stack", want: codes{owner: 201, manager: 201, monitor: 403,
			pending: 422, accepted: 422, disabled: 422, dismissed: 422, outsider: 422},
			mkBody: func(w *world) any { return connectionBody(w.used, map[string]any{"apiKey": "k"}) }},
		accessRow{route: "GET /v1/connections/{id}", target: "conn", want: connCodes(200, 200)},
		accessRow{route: "PUT /v1/connections/{id}", target: "conn", want: connCodes(200, 403),
			mkBody: func(w *world) any { return connectionBody(w.used, "******") }},
		accessRow{route: "DELETE /v1/connections/{id}", target: "conn", want: connCodes(204, 403)},
		// A ping the stack cannot answer is 200 {"errors":[stack_unreachable]}.
		accessRow{route: "GET /v1/connections/{id}/ping", target: "conn", want: connCodes(200, 403)},
		accessRow{route: "POST /v1/connections/{id}/ping", target: "conn", want: connCodes(200, 403),
			body: map[string]any{"_exportId": "5f0000000000000000000003"}},
		accessRow{route: "POST /v1/connections/ping", about: "on the shared server stack", want: useShared(200),
			mkBody: func(w *world) any { return connectionBody(w.server, map[string]any{"apiKey": "k"}) }},
	)

	for i := range rows {
		rows[i].want[anonymous] = 401
		if rows[i].items != nil {
			rows[i].items[anonymous] = -1 // an error body, not a list
		}
	}
	return rows
}

// mutates reports whether the request, answered status, changed the world.
func mutates(route string, status int) bool {
	return !strings.HasPrefix(route, "GET ") && status >= 200 && status < 300
}

// TestAccessMatrix asks every endpoint (tokens, stacks, shares,
// connections) as every kind of caller, with their API token and with
// one-time tokens of three scopes, and checks the exact status, that
// refused requests change nothing, that one-time tokens are used up, that
// nothing leaks to callers outside the owning account (their 404s are
// indistinguishable from a missing resource), and that every status seen is
// documented in api/openapi.yaml.
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	spec := loadSpec(t)
	rows := accessRows()

	covered := map[string]bool{}
	for _, r := range rows {
		covered[r.route] = true
	}
	for _, r := range api.New(api.Config{}).Routes() {
		if !covered[r] {
			t.Errorf("route %s is not in the access matrix", r)
		}
	}

	// Requests expected to change nothing run against one shared world,
	// which must be unchanged afterwards.
	shared := newWorld(e)
	notFound := e.want(e.do(shared.users[outsider], "GET", "/v1/stacks/"+platform.NewID(), nil), 404).body
	before := shared.snapshot()
	seenMap := map[string]bool{} // "ROUTE STATUS" answered

	check := func(t *testing.T, w *world, row accessRow, a actor, v via, r response) {
		t.Helper()
		if want := row.expect(a, v); r.status != want {
			t.Errorf("%s as %s with %s: status %d, want %d: %s", row.name(), a, v, r.status, want, r.body)
			return
		}
		checkBody(t, w, row, a, r, notFound)
	}
	// vias are the ways actor a may authenticate: anonymous has no token.
	vias := func(a actor) via {
		if a == anonymous {
			return apiToken + 1
		}
		return nVias
	}

	t.Run("shared world", func(t *testing.T) {
		se := e.with(t)
		w := *shared
		w.e = se
		for _, row := range rows {
			for a := owner; a < nActors; a++ {
				for v := range vias(a) {
					if mutates(row.route, row.expect(a, v)) {
						continue
					}
					r := w.request(a, v, row)
					check(t, &w, row, a, v, r)
					seenMap[row.route+" "+strconv.Itoa(r.status)] = true
				}
			}
		}
		if d := cmp.Diff(before, w.snapshot()); d != "" {
			t.Errorf("refused requests changed the store (-before +after):\n%s", d)
		}
	})

	// Requests expected to succeed and change something each get a fresh
	// world.
	type job struct {
		row accessRow
		a   actor
		v   via
	}
	var jobs []job
	for _, row := range rows {
		for a := owner; a < nActors; a++ {
			for v := range vias(a) {
				if want := row.expect(a, v); mutates(row.route, want) {
					jobs = append(jobs, job{row, a, v})
					seenMap[row.route+" "+strconv.Itoa(want)] = true
				}
			}
		}
	}
	t.Run("fresh worlds", func(t *testing.T) {
		for _, j := range jobs {
			t.Run(j.row.name()+" as "+j.a.String()+" with "+j.v.String(), func(t *testing.T) {
				t.Parallel()
				w := newWorld(e.with(t))
				check(t, w, j.row, j.a, j.v, w.request(j.a, j.v, j.row))
			})
		}
	})

	for key := range seenMap {
		i := strings.LastIndexByte(key, ' ')
		route, status := key[:i], key[i+1:]
		if !slices.Contains(spec.statuses(route), status) {
			t.Errorf("%s answered %s, which api/openapi.yaml does not document", route, status)
		}
	}
}

// request sends row as actor a, authenticated by v. A one-time token is
// minted for the request and must be used up by it, whatever the answer.
func (w *world) request(a actor, v via, row accessRow) response {
	method, path, _ := strings.Cut(row.route, " ")
	path = strings.Replace(path, "{id}", w.id(row.target), 1) + row.query
	body := row.body
	if row.mkBody != nil {
		body = row.mkBody(w)
	}
	u := w.users[a]
	if v != apiToken {
		sc := viaScopes[v]
		tok, _, err := ott.Mint(context.Background(), w.e.store, ott.Scope{AccountID: u.AccountID, UserID: u.ID,
			Framework: sc.framework, Kind: sc.kind, IntegrationID: "5f0000000000000000000001"}, time.Now())
		if err != nil {
			w.e.t.Fatal(err)
		}
		u.token = tok
		defer func() {
			if r := w.e.do(u, "GET", "/v1/tokenInfo", nil); r.status != http.StatusUnauthorized {
				w.e.t.Errorf("%s as %s with %s: the one-time token still works (%d) after one use", row.name(), a, v, r.status)
			}
		}()
	}
	return w.e.do(u, method, path, body)
}

// secretKeys are the members a caller outside the owning account must never
// see on the world's stacks.
var secretKeys = []string{`"systemToken"`, `"secretAccessKey"`, `"accessKeyId"`, `"endpointURL"`}

func checkBody(t *testing.T, w *world, row accessRow, a actor, r response, notFound []byte) {
	t.Helper()
	name := row.name() + " as " + a.String()
	if r.status == http.StatusNoContent {
		if len(r.body) != 0 {
			t.Errorf("%s: 204 with a body: %s", name, r.body)
		}
		return
	}
	if !json.Valid(r.body) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("%s: not a JSON answer (%s): %s", name, r.header.Get("Content-Type"), r.body)
		return
	}
	if r.status >= 400 {
		code := r.errCode(t)
		want := map[int]string{401: "unauthorized", 403: "forbidden", 404: "not_found", 422: ""}[r.status]
		if want != "" && code != want {
			t.Errorf("%s: %d with code %s, want %s", name, r.status, code, want)
		}
		// Callers outside the owning account learn nothing from a 404:
		// the body is the one a missing resource gets.
		if r.status == 404 && !a.inOwnerAccount() && !bytes.Equal(r.body, notFound) {
			t.Errorf("%s: 404 body %s differs from a missing resource's %s", name, r.body, notFound)
		}
	}

	// Plain secrets: the system token only to manage users of the account
	// asking for it, the Lambda secret never, API token values only to
	// those allowed to display or generate them.
	if bytes.Contains(r.body, []byte(w.systemToken)) &&
		!(row.route == "GET /v1/stacks/{id}/systemToken" && (a == owner || a == manager)) {
		t.Errorf("%s: the plain system token in the answer: %s", name, r.body)
	}
	if bytes.Contains(r.body, []byte(lambdaSecret)) {
		t.Errorf("%s: the Lambda secret in the answer: %s", name, r.body)
	}
	if bytes.Contains(r.body, []byte(worldConnSecret)) {
		t.Errorf("%s: the connection's encrypted part in the answer: %s", name, r.body)
	}
	for tok, v := range w.tokenValues {
		if row.route == "GET /v1/accesstokens/{id}/display" && r.status == 200 {
			break // what it is for; who may ask is in the matrix
		}
		if bytes.Contains(r.body, []byte(v)) {
			t.Errorf("%s: the plain value of %s's token in the answer: %s", name, tok, r.body)
		}
	}
	if !a.inOwnerAccount() {
		if bytes.Contains(r.body, []byte(w.lambdaKey)) {
			t.Errorf("%s: the Lambda access key in the answer: %s", name, r.body)
		}
		if bytes.Contains(r.body, []byte(w.server)) || bytes.Contains(r.body, []byte(w.lambda)) {
			for _, k := range secretKeys {
				if bytes.Contains(r.body, []byte(k)) {
					t.Errorf("%s: %s on a stack of another account: %s", name, k, r.body)
				}
			}
		}
	}

	if r.status >= 300 {
		return
	}
	if strings.HasSuffix(row.route, "/ping") {
		checkPing(t, r, strings.HasPrefix(row.route, "GET "))
	}
	if row.items != nil {
		if got := len(r.list(t)); got != row.items[a] {
			t.Errorf("%s: %d items, want %d: %s", name, got, row.items[a], r.body)
		}
	}
	if row.route == "GET /v1/stacks/{id}" || row.route == "GET /v1/shared/stacks" {
		var stacks []map[string]any
		if row.items == nil {
			stacks = []map[string]any{r.json(t)}
		} else {
			stacks = r.list(t)
		}
		for _, st := range stacks {
			if shared, _ := st["shared"].(bool); shared != !a.inOwnerAccount() {
				t.Errorf("%s: shared=%v: %s", name, st["shared"], r.body)
			}
		}
	}
}
