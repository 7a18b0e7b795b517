// Package storetest is the conformance suite of platform.Store: every
// implementation (sqlitestore, pgstore) runs the same tests through Run.
// A change to one store extends this suite first.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hookstack/hookstack/internal/platform"
)

// Opener returns a new, empty, migrated store for one test; the store is
// closed by the suite.
type Opener func(t *testing.T) platform.Store

// Run runs the conformance suite against stores made by open.
func Run(t *testing.T, open Opener) {
	t.Helper()
	tests := map[string]func(*testing.T, platform.Store){
		"AccountsAndUsers":   testAccountsAndUsers,
		"APITokens":          testAPITokens,
		"Stacks":             testStacks,
		"Shares":             testShares,
		"SharedStacks":       testSharedStacks,
		"OneTimeTokens":      testOneTimeTokens,
		"Connections":        testConnections,
		"InUse":              testInUse,
		"Slots":              testSlots,
		"RateLimitExact":     testRateLimitExact,
		"RateLimitConcurent": testRateLimitConcurrent,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() { s.Close() })
			fn(t, s)
		})
	}
}

var ignoreTimes = cmpopts.IgnoreFields(platform.Stamp{}, "CreatedAt", "LastModified")

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantCode(t *testing.T, err error, code platform.Code) {
	t.Helper()
	if got := platform.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

func wantNotFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, platform.ErrNotFound) {
		t.Fatalf("error %v, want not found", err)
	}
}

// newAccount creates an account with a manage owner and returns both.
func newAccount(t *testing.T, s platform.Store, email string) (*platform.Account, *platform.User) {
	t.Helper()
	a := &platform.Account{ID: platform.NewID(), Name: "acct " + email}
	u := &platform.User{ID: platform.NewID(), Email: email, Name: "Owner", Role: platform.RoleManage}
	must(t, s.CreateAccountWithOwner(context.Background(), a, u))
	return a, u
}

func testAccountsAndUsers(t *testing.T, s platform.Store) {
	ctx := context.Background()
	n, err := s.CountUsers(ctx)
	must(t, err)
	if n != 0 {
		t.Fatalf("new store has %d users", n)
	}
	a, owner := newAccount(t, s, "Owner@Example.com ")
	if owner.Email != "owner@example.com" || owner.AccountID != a.ID || owner.CreatedAt.IsZero() {
		t.Fatalf("owner not normalised/stamped: %+v", owner)
	}
	got, err := s.GetUserByEmail(ctx, "OWNER@example.com")
	must(t, err)
	if diff := cmp.Diff(owner, got); diff != "" {
		t.Errorf("GetUserByEmail (-want +got):\n%s", diff)
	}
	got, err = s.GetUser(ctx, owner.ID)
	must(t, err)
	if diff := cmp.Diff(owner, got); diff != "" {
		t.Errorf("GetUser (-want +got):\n%s", diff)
	}
	acct, err := s.GetAccount(ctx, a.ID)
	must(t, err)
	if diff := cmp.Diff(a, acct); diff != "" {
		t.Errorf("GetAccount (-want +got):\n%s", diff)
	}

	mon := &platform.User{ID: platform.NewID(), AccountID: a.ID, Email: "mon@example.com", Role: platform.RoleMonitor}
	must(t, s.CreateUser(ctx, mon))
	dup := &platform.User{ID: platform.NewID(), AccountID: a.ID, Email: "MON@example.com", Role: platform.RoleMonitor}
	wantCode(t, s.CreateUser(ctx, dup), platform.CodeConflict)
	wantCode(t, s.CreateAccountWithOwner(ctx, &platform.Account{ID: platform.NewID()}, dup), platform.CodeConflict)
	wantNotFound(t, s.CreateUser(ctx, &platform.User{ID: platform.NewID(), AccountID: platform.NewID(), Email: "x@example.com", Role: platform.RoleManage}))
	n, err = s.CountUsers(ctx)
	must(t, err)
	if n != 2 {
		t.Fatalf("CountUsers = %d, want 2 (a failed create must leave nothing behind)", n)
	}
	_, err = s.GetUser(ctx, platform.NewID())
	wantNotFound(t, err)
	_, err = s.GetUserByEmail(ctx, "nobody@example.com")
	wantNotFound(t, err)
	_, err = s.GetAccount(ctx, platform.NewID())
	wantNotFound(t, err)
}

func testAPITokens(t *testing.T, s platform.Store) {
	ctx := context.Background()
	a, u := newAccount(t, s, "tok@example.com")
	b, _ := newAccount(t, s, "other@example.com")
	purge := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tok := &platform.APIToken{ID: platform.NewID(), AccountID: a.ID, UserID: u.ID, Name: "ci", Description: "for CI",
		Hash: []byte("hash-1"), Sealed: []byte("sealed-1"), AutoPurgeAt: &purge}
	must(t, s.CreateAPIToken(ctx, tok))
	wantCode(t, s.CreateAPIToken(ctx, &platform.APIToken{ID: platform.NewID(), AccountID: a.ID, UserID: u.ID, Hash: []byte("hash-1"), Sealed: []byte("x")}), platform.CodeConflict)

	got, err := s.GetAPIToken(ctx, a.ID, tok.ID)
	must(t, err)
	if diff := cmp.Diff(tok, got); diff != "" {
		t.Errorf("GetAPIToken (-want +got):\n%s", diff)
	}
	_, err = s.GetAPIToken(ctx, b.ID, tok.ID)
	wantNotFound(t, err) // another account's token does not exist for it
	got, err = s.APITokenByHash(ctx, []byte("hash-1"))
	must(t, err)
	if got.ID != tok.ID {
		t.Fatalf("APITokenByHash found %s", got.ID)
	}
	_, err = s.APITokenByHash(ctx, []byte("nope"))
	wantNotFound(t, err)

	for i := range 3 {
		must(t, s.CreateAPIToken(ctx, &platform.APIToken{ID: platform.NewID(), AccountID: a.ID, UserID: u.ID,
			Name: fmt.Sprint("t", i), Hash: []byte(fmt.Sprint("h", i)), Sealed: []byte("s")}))
	}
	list, err := s.ListAPITokens(ctx, a.ID, platform.Page{Limit: 2, Skip: 1})
	must(t, err)
	if len(list) != 2 || list[0].Name != "t0" || list[1].Name != "t1" {
		t.Fatalf("page skip 1 limit 2: %d tokens, first %q", len(list), list[0].Name)
	}
	list, err = s.ListAPITokens(ctx, b.ID, platform.Page{})
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("other account sees %d tokens", len(list))
	}

	wantCode(t, s.DeleteAPIToken(ctx, a.ID, tok.ID), platform.CodeTokenNotRevoked)
	tok.Revoked, tok.Name, tok.AutoPurgeAt, tok.Hash = true, "renamed", nil, []byte("hash-2")
	must(t, s.UpdateAPIToken(ctx, tok))
	got, err = s.GetAPIToken(ctx, a.ID, tok.ID)
	must(t, err)
	if diff := cmp.Diff(tok, got); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}
	wantNotFound(t, s.UpdateAPIToken(ctx, &platform.APIToken{ID: platform.NewID(), AccountID: a.ID, Hash: []byte("z")}))
	wantNotFound(t, s.DeleteAPIToken(ctx, b.ID, tok.ID))
	must(t, s.DeleteAPIToken(ctx, a.ID, tok.ID))
	_, err = s.GetAPIToken(ctx, a.ID, tok.ID)
	wantNotFound(t, err)

	past := time.Now().Add(-time.Hour)
	must(t, s.CreateAPIToken(ctx, &platform.APIToken{ID: platform.NewID(), AccountID: a.ID, UserID: u.ID, Hash: []byte("old"), Sealed: []byte("s"), AutoPurgeAt: &past}))
	n, err := s.PurgeAPITokens(ctx, time.Now())
	must(t, err)
	if n != 1 {
		t.Fatalf("purged %d tokens, want 1", n)
	}
}

func serverStack(accountID, name string) *platform.Stack {
	return &platform.Stack{ID: platform.NewID(), AccountID: accountID, Name: name, Type: platform.StackServer,
		Framework: platform.FrameworkTwoDotZero, SystemToken: []byte("sealed-token"),
		Server: &platform.ServerStack{HostURI: "https://ext.example.com", IPRanges: []string{"203.0.113.0/24"}}}
}

func testStacks(t *testing.T, s platform.Store) {
	ctx := context.Background()
	a, _ := newAccount(t, s, "stacks@example.com")
	b, _ := newAccount(t, s, "b@example.com")
	srv := serverStack(a.ID, "server")
	must(t, s.CreateStack(ctx, srv))
	grace := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	lam := &platform.Stack{ID: platform.NewID(), AccountID: a.ID, Name: "lambda", Type: platform.StackLambda,
		Lambda: &platform.LambdaStack{AccessKeyID: "AKIA1", SecretAccessKey: []byte("sealed"), AWSRegion: "us-east-1",
			FunctionName: "fn", Language: "Other", EndpointURL: "http://127.0.0.1:9001"}, GraceUntil: &grace}
	must(t, s.CreateStack(ctx, lam))
	empty := &platform.Stack{ID: platform.NewID(), AccountID: a.ID, Name: "blank host", Type: platform.StackServer,
		Server: &platform.ServerStack{IPRanges: []string{}}}
	must(t, s.CreateStack(ctx, empty))

	for _, want := range []*platform.Stack{srv, lam, empty} {
		got, err := s.GetStack(ctx, want.ID)
		must(t, err)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("GetStack %s (-want +got):\n%s", want.Name, diff)
		}
	}
	list, err := s.ListStacks(ctx, a.ID, platform.Page{})
	must(t, err)
	if diff := cmp.Diff([]*platform.Stack{srv, lam, empty}, list); diff != "" {
		t.Errorf("ListStacks (-want +got):\n%s", diff)
	}
	list, err = s.ListStacks(ctx, b.ID, platform.Page{})
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("other account lists %d stacks", len(list))
	}

	created := srv.CreatedAt
	srv.Name, srv.Server.HostURI, srv.Framework, srv.PreviousToken = "renamed", "https://new.example.com", "", []byte("old")
	must(t, s.UpdateStack(ctx, srv))
	got, err := s.GetStack(ctx, srv.ID)
	must(t, err)
	if diff := cmp.Diff(srv, got); diff != "" || !got.CreatedAt.Equal(created) {
		t.Errorf("after update (-want +got):\n%s", diff)
	}
	other := serverStack(b.ID, "x")
	other.ID = srv.ID
	wantNotFound(t, s.UpdateStack(ctx, other)) // another account cannot update it

	deps, err := s.StackDependencies(ctx, srv.ID)
	must(t, err)
	if !deps.Empty() {
		t.Fatalf("dependencies of a new stack: %+v", deps)
	}
	wantNotFound(t, s.DeleteStack(ctx, b.ID, srv.ID))
	must(t, s.DeleteStack(ctx, a.ID, srv.ID))
	_, err = s.GetStack(ctx, srv.ID)
	wantNotFound(t, err)
	wantNotFound(t, s.DeleteStack(ctx, a.ID, srv.ID))
}

func testShares(t *testing.T, s platform.Store) {
	ctx := context.Background()
	a, owner := newAccount(t, s, "owner@example.com")
	_, bob := newAccount(t, s, "bob@example.com")
	st := serverStack(a.ID, "shared")
	must(t, s.CreateStack(ctx, st))

	toBob := &platform.Share{ID: platform.NewID(), StackID: st.ID, AccountID: a.ID, OwnerUserID: owner.ID, Email: "BOB@example.com"}
	must(t, s.CreateShare(ctx, toBob))
	if toBob.SharedWithUserID != bob.ID || toBob.Email != "bob@example.com" || toBob.Status() != "Pending" {
		t.Fatalf("share to an existing user: %+v", toBob)
	}
	wantCode(t, s.CreateShare(ctx, &platform.Share{ID: platform.NewID(), StackID: st.ID, AccountID: a.ID, OwnerUserID: owner.ID, Email: "bob@example.com"}), platform.CodeConflict)

	// An invitation to an email without a user waits for that user.
	toCarol := &platform.Share{ID: platform.NewID(), StackID: st.ID, AccountID: a.ID, OwnerUserID: owner.ID, Email: "carol@example.com"}
	must(t, s.CreateShare(ctx, toCarol))
	if toCarol.SharedWithUserID != "" {
		t.Fatalf("share bound to a user that does not exist: %+v", toCarol)
	}
	_, carol := newAccount(t, s, "carol@example.com")
	got, err := s.GetShare(ctx, toCarol.ID)
	must(t, err)
	if got.SharedWithUserID != carol.ID {
		t.Fatalf("share not bound when the user was created: %+v", got)
	}
	got, err = s.GetShareFor(ctx, st.ID, carol.ID)
	must(t, err)
	if got.ID != toCarol.ID {
		t.Fatalf("GetShareFor: %s, want %s", got.ID, toCarol.ID)
	}
	_, err = s.GetShareFor(ctx, st.ID, owner.ID)
	wantNotFound(t, err)
	mine, err := s.ListSharesForUser(ctx, carol.ID, platform.Page{})
	must(t, err)
	if len(mine) != 1 || mine[0].ID != toCarol.ID {
		t.Fatalf("carol's invitations: %+v", mine)
	}

	byOwner, err := s.ListSharesByAccount(ctx, a.ID, platform.Page{})
	must(t, err)
	if len(byOwner) != 2 || byOwner[0].ID != toBob.ID {
		t.Fatalf("owner's shares: %d", len(byOwner))
	}

	toBob.Accepted = true
	must(t, s.UpdateShare(ctx, toBob))
	toBob.Disabled = true
	must(t, s.UpdateShare(ctx, toBob))
	got, err = s.GetShare(ctx, toBob.ID)
	must(t, err)
	toBob.SharedWithUserID = bob.ID
	if diff := cmp.Diff(toBob, got, ignoreTimes); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}
	wantNotFound(t, s.UpdateShare(ctx, &platform.Share{ID: platform.NewID()}))

	must(t, s.DeleteShare(ctx, toBob.ID))
	_, err = s.GetShare(ctx, toBob.ID)
	wantNotFound(t, err)
	wantNotFound(t, s.DeleteShare(ctx, toBob.ID))

	// Deleting the stack deletes its shares.
	must(t, s.DeleteStack(ctx, a.ID, st.ID))
	_, err = s.GetShare(ctx, toCarol.ID)
	wantNotFound(t, err)
}

func testSharedStacks(t *testing.T, s platform.Store) {
	ctx := context.Background()
	a, owner := newAccount(t, s, "o@example.com")
	_, bob := newAccount(t, s, "bob@example.com")
	var shares []*platform.Share
	for _, name := range []string{"pending", "accepted", "disabled", "dismissed"} {
		st := serverStack(a.ID, name)
		must(t, s.CreateStack(ctx, st))
		sh := &platform.Share{ID: platform.NewID(), StackID: st.ID, AccountID: a.ID, OwnerUserID: owner.ID, Email: bob.Email}
		must(t, s.CreateShare(ctx, sh))
		shares = append(shares, sh)
	}
	shares[1].Accepted = true
	shares[2].Accepted, shares[2].Disabled = true, true
	shares[3].Dismissed = true
	for _, sh := range shares[1:] {
		must(t, s.UpdateShare(ctx, sh))
	}
	got, err := s.ListSharedStacks(ctx, bob.ID, platform.Page{})
	must(t, err)
	if len(got) != 1 || got[0].Name != "accepted" {
		names := []string{}
		for _, st := range got {
			names = append(names, st.Name)
		}
		t.Fatalf("shared stacks: %v, want [accepted]", names)
	}
	got, err = s.ListSharedStacks(ctx, owner.ID, platform.Page{})
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("owner sees %d stacks shared with them", len(got))
	}
}

// testRateLimitExact: a burst of 1500 at one instant admits exactly 1000;
// then 300 more per second.
func testRateLimitExact(t *testing.T, s platform.Store) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	interval := time.Second / 300
	admitted := 0
	var retry time.Duration
	for range 1500 {
		ok, ra, err := s.AllowRequest(ctx, "acct", now, interval, 1000)
		must(t, err)
		if ok {
			admitted++
		} else {
			retry = ra
		}
	}
	if admitted != 1000 {
		t.Fatalf("burst of 1500 admitted %d, want 1000", admitted)
	}
	if retry <= 0 || retry > interval {
		t.Fatalf("retry after %v, want (0, %v]", retry, interval)
	}
	for sec := 1; sec <= 3; sec++ {
		now = now.Add(time.Second)
		admitted = 0
		for range 1000 {
			ok, _, err := s.AllowRequest(ctx, "acct", now, interval, 1000)
			must(t, err)
			if ok {
				admitted++
			}
		}
		if admitted != 300 {
			t.Fatalf("second %d admitted %d, want 300", sec, admitted)
		}
	}
	ok, _, err := s.AllowRequest(ctx, "other", now, interval, 1000)
	must(t, err)
	if !ok {
		t.Fatal("another key shares the bucket")
	}
}

// testRateLimitConcurrent: concurrent callers share one bucket exactly.
func testRateLimitConcurrent(t *testing.T, s platform.Store) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 40 {
				ok, _, err := s.AllowRequest(ctx, "k", now, time.Second/300, 100)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					admitted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if admitted.Load() != 100 {
		t.Fatalf("320 concurrent requests admitted %d, want 100", admitted.Load())
	}
}

// testOneTimeTokens: a token is used once, even by concurrent callers; it
// does not work once expired or revoked; purging removes expired tokens.
func testOneTimeTokens(t *testing.T, s platform.Store) {
	ctx := context.Background()
	a, u := newAccount(t, s, "ott@example.com")
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	mk := func(hash string, exp time.Time) *platform.OneTimeToken {
		tok := &platform.OneTimeToken{Hash: []byte(hash), AccountID: a.ID, UserID: u.ID, Framework: platform.Framework2,
			Kind: "hook", IntegrationID: "i1", ConnectorID: "", ExpiresAt: exp, CreatedAt: now}
		must(t, s.CreateOneTimeToken(ctx, tok))
		return tok
	}
	want := mk("h1", now.Add(15*time.Minute))
	got, err := s.UseOneTimeToken(ctx, []byte("h1"), now)
	must(t, err)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("UseOneTimeToken (-want +got):\n%s", diff)
	}
	_, err = s.UseOneTimeToken(ctx, []byte("h1"), now)
	wantNotFound(t, err) // used once

	mk("h2", now.Add(time.Minute))
	_, err = s.UseOneTimeToken(ctx, []byte("h2"), now.Add(time.Minute))
	wantNotFound(t, err) // expired at its expiry instant

	mk("h3", now.Add(time.Hour))
	must(t, s.DeleteOneTimeToken(ctx, []byte("h3")))
	must(t, s.DeleteOneTimeToken(ctx, []byte("h3"))) // idempotent
	_, err = s.UseOneTimeToken(ctx, []byte("h3"), now)
	wantNotFound(t, err)

	// Of 16 concurrent uses, exactly one succeeds.
	mk("h4", now.Add(time.Hour))
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			_, err := s.UseOneTimeToken(ctx, []byte("h4"), now)
			switch {
			case err == nil:
				ok.Add(1)
			case !errors.Is(err, platform.ErrNotFound):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("%d of 16 concurrent uses succeeded, want 1", ok.Load())
	}

	mk("h5", now.Add(time.Minute))
	mk("h6", now.Add(time.Hour))
	n, err := s.PurgeOneTimeTokens(ctx, now.Add(2*time.Minute))
	must(t, err)
	if n != 2 { // h2 (expired unused) and h5
		t.Fatalf("purged %d, want 2", n)
	}
	_, err = s.UseOneTimeToken(ctx, []byte("h6"), now)
	must(t, err)
}

func wrapperConn(accountID, userID, stackID, name string) *platform.Connection {
	return &platform.Connection{ID: platform.NewID(), AccountID: accountID, UserID: userID, Name: name,
		Wrapper: platform.WrapperConfig{PingFunction: "ping", StackID: stackID, Unencrypted: []byte(`{"baseURI":"u"}`),
			Encrypted: []byte("sealed"), UnencryptedFields: []byte(`[]`), ConcurrencyLevel: 5}}
}

func testConnections(t *testing.T, s platform.Store) {
	ctx := context.Background()
	a, u := newAccount(t, s, "conn@example.com")
	b, _ := newAccount(t, s, "b@example.com")
	st := serverStack(a.ID, "s")
	must(t, s.CreateStack(ctx, st))
	c := wrapperConn(a.ID, u.ID, st.ID, "erp")
	must(t, s.CreateConnection(ctx, c))
	got, err := s.GetConnection(ctx, a.ID, c.ID)
	must(t, err)
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("GetConnection (-want +got):\n%s", diff)
	}
	_, err = s.GetConnection(ctx, b.ID, c.ID)
	wantNotFound(t, err)
	c.Name, c.Wrapper.ConcurrencyLevel, c.Wrapper.Encrypted = "renamed", 0, []byte("resealed")
	must(t, s.UpdateConnection(ctx, c))
	must(t, s.SetConnectionOffline(ctx, a.ID, c.ID, true))
	got, err = s.GetConnection(ctx, a.ID, c.ID)
	must(t, err)
	c.Offline = true
	if diff := cmp.Diff(c, got, ignoreTimes); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}
	wantNotFound(t, s.SetConnectionOffline(ctx, b.ID, c.ID, false))
	list, err := s.ListConnections(ctx, a.ID, platform.Page{})
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("%d connections", len(list))
	}
	wantNotFound(t, s.DeleteConnection(ctx, b.ID, c.ID))
	must(t, s.DeleteConnection(ctx, a.ID, c.ID))
	wantNotFound(t, s.DeleteConnection(ctx, a.ID, c.ID))
}

// testInUse: a stack referenced by a connection cannot be deleted, and a
// share cannot be removed while the invitee's connections use the stack.
func testInUse(t *testing.T, s platform.Store) {
	ctx := context.Background()
	a, owner := newAccount(t, s, "owner@example.com")
	b, bob := newAccount(t, s, "bob@example.com")
	st := serverStack(a.ID, "used")
	must(t, s.CreateStack(ctx, st))
	own := wrapperConn(a.ID, owner.ID, st.ID, "own")
	must(t, s.CreateConnection(ctx, own))
	sh := &platform.Share{ID: platform.NewID(), StackID: st.ID, AccountID: a.ID, OwnerUserID: owner.ID, Email: bob.Email, Accepted: true}
	must(t, s.CreateShare(ctx, sh))
	bobs := wrapperConn(b.ID, bob.ID, st.ID, "bob's")
	must(t, s.CreateConnection(ctx, bobs))

	deps, err := s.StackDependencies(ctx, st.ID)
	must(t, err)
	if len(deps.Connections) != 2 || deps.Empty() {
		t.Fatalf("dependencies: %+v", deps)
	}
	wantCode(t, s.DeleteStack(ctx, a.ID, st.ID), platform.CodeStackInUse)
	wantCode(t, s.DeleteShare(ctx, sh.ID), platform.CodeShareInUse)

	must(t, s.DeleteConnection(ctx, b.ID, bobs.ID))
	must(t, s.DeleteShare(ctx, sh.ID)) // bob no longer uses it
	wantCode(t, s.DeleteStack(ctx, a.ID, st.ID), platform.CodeStackInUse)
	must(t, s.DeleteConnection(ctx, a.ID, own.ID))
	must(t, s.DeleteStack(ctx, a.ID, st.ID))
}

// testSlots: at most limit holders at once, also when racing; releasing
// frees a slot; an expired lease is reclaimed.
func testSlots(t *testing.T, s platform.Store) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	exp := now.Add(time.Minute)
	take := func(holder string, at time.Time) bool {
		t.Helper()
		ok, err := s.AcquireSlot(ctx, "conn:1", 2, holder, at, at.Add(time.Minute))
		must(t, err)
		return ok
	}
	if !take("a", now) || !take("b", now) || take("c", now) {
		t.Fatal("limit 2: want a and b in, c out")
	}
	must(t, s.ReleaseSlot(ctx, "conn:1", "a"))
	if !take("c", now) {
		t.Fatal("a released its slot, c did not get it")
	}
	if ok, _ := s.AcquireSlot(ctx, "conn:2", 1, "z", now, exp); !ok {
		t.Fatal("another key shares the slots")
	}
	// b and c expire at now+1m: after that, their slots are reclaimed.
	if !take("d", now.Add(2*time.Minute)) || !take("e", now.Add(2*time.Minute)) {
		t.Fatal("expired leases were not reclaimed")
	}

	var held atomic.Int64
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			ok, err := s.AcquireSlot(ctx, "conn:race", 3, fmt.Sprint("h", i), now, exp)
			if err != nil {
				t.Error(err)
			}
			if ok {
				held.Add(1)
			}
		})
	}
	wg.Wait()
	if held.Load() != 3 {
		t.Fatalf("16 racing holders took %d of 3 slots", held.Load())
	}
}
