package connection_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/hookstack/hookstack/internal/connection"
	"github.com/hookstack/hookstack/internal/invoke"
	"github.com/hookstack/hookstack/internal/jobs"
	"github.com/hookstack/hookstack/internal/pgstore"
	"github.com/hookstack/hookstack/internal/pgtest"
	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/secret"
	"github.com/hookstack/hookstack/internal/sqlitestore"
)

// fakeStack answers ping calls: 401 while down, 200 once up; it counts
// calls and the most calls ever in flight at once.
type fakeStack struct {
	up                  atomic.Bool
	calls, inFlight, mx atomic.Int64
	gotToken            atomic.Value // last options.bearerToken
	// gather, when set, holds each call until that many are in flight (5 s
	// at most) rather than 20 ms, so that a test of unlimited concurrency
	// does not depend on the machine's speed.
	gather int64
}

func (f *fakeStack) Invoke(ctx context.Context, call *invoke.Call) (json.RawMessage, error) {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for m := f.mx.Load(); n > m && !f.mx.CompareAndSwap(m, n); m = f.mx.Load() {
	}
	f.calls.Add(1)
	var opts struct {
		BearerToken string `json:"bearerToken"`
	}
	_ = json.Unmarshal(call.Options, &opts)
	f.gotToken.Store(opts.BearerToken)
	if f.gather == 0 {
		time.Sleep(20 * time.Millisecond)
	}
	for deadline := time.Now().Add(5 * time.Second); f.gather > 0 && f.mx.Load() < f.gather && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if f.up.Load() {
		return json.RawMessage(`{"statusCode":200}`), nil
	}
	return json.RawMessage(`{"statusCode":401,"errors":[{"code":"unauthorized","message":"down"}]}`), nil
}

type events struct {
	mu     sync.Mutex
	online []string
}

func (e *events) ConnectionOnline(_ context.Context, _, id string) {
	e.mu.Lock()
	e.online = append(e.online, id)
	e.mu.Unlock()
}

func (e *events) count() int { e.mu.Lock(); defer e.mu.Unlock(); return len(e.online) }

// node is one platform node: a store and a started queue with the worker.
type node struct {
	store platform.Store
	queue *jobs.Queue
}

func startNode(t *testing.T, st platform.Store, jobsOf func(jobs.Config) (*jobs.Queue, error), stack *fakeStack, ev *events) *node {
	t.Helper()
	sealer, err := secret.NewSealer(bytes.Repeat([]byte{5}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	p := &connection.Pinger{Store: st, Sealer: sealer, Now: time.Now,
		Invokers: func(*platform.Stack) (invoke.Invoker, error) { return stack, nil }}
	workers := river.NewWorkers()
	river.AddWorker(workers, &connection.RepingWorker{Pinger: p, Events: ev,
		Backoff: func(int) time.Duration { return 10 * time.Millisecond }, Log: slog.New(slog.DiscardHandler)})
	q, err := jobsOf(jobs.Config{Workers: workers, FetchPollInterval: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	return &node{store: st, queue: q}
}

// offlineConnection creates an account, a stack and an offline connection.
func offlineConnection(t *testing.T, st platform.Store) *platform.Connection {
	t.Helper()
	ctx := context.Background()
	a := &platform.Account{ID: platform.NewID(), Name: "a"}
	u := &platform.User{ID: platform.NewID(), Email: platform.NewID() + "@example.com", Role: platform.RoleManage}
	if err := st.CreateAccountWithOwner(ctx, a, u); err != nil {
		t.Fatal(err)
	}
	s := &platform.Stack{ID: platform.NewID(), AccountID: a.ID, Name: "s", Type: platform.StackServer,
		Framework: platform.FrameworkTwoDotZero, Server: &platform.ServerStack{HostURI: "http://stack.invalid"}}
	if err := st.CreateStack(ctx, s); err != nil {
		t.Fatal(err)
	}
	c := &platform.Connection{ID: platform.NewID(), AccountID: a.ID, UserID: u.ID, Name: "erp", Offline: true,
		Wrapper: platform.WrapperConfig{PingFunction: "ping", StackID: s.ID}}
	if err := st.CreateConnection(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func isOnline(t *testing.T, st platform.Store, c *platform.Connection) bool {
	got, err := st.GetConnection(context.Background(), c.AccountID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return !got.Offline
}

// TestRepingRecovers: an offline connection is pinged again while its stack
// is down, comes back online when the stack does, the event is published
// once, and the pings stop.
func TestRepingRecovers(t *testing.T) {
	t.Parallel()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "h.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	stack, ev := &fakeStack{}, &events{}
	n := startNode(t, st, st.Jobs, stack, ev)
	c := offlineConnection(t, st)
	if _, err := n.queue.EnqueueUnique(t.Context(), connection.RepingArgs{AccountID: c.AccountID, ConnectionID: c.ID}, time.Now()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a first re-ping", 10*time.Second, func() bool { return stack.calls.Load() >= 1 })
	if isOnline(t, st, c) {
		t.Fatal("online while the stack is down")
	}
	stack.up.Store(true)
	waitFor(t, "the connection back online", 20*time.Second, func() bool { return isOnline(t, st, c) })
	waitFor(t, "the online event", 5*time.Second, func() bool { return ev.count() == 1 })
	calls := stack.calls.Load()
	time.Sleep(300 * time.Millisecond)
	if stack.calls.Load() != calls || ev.count() != 1 {
		t.Fatalf("pings went on after recovery: %d → %d calls, %d events", calls, stack.calls.Load(), ev.count())
	}
	// Each ping carried a one-time token, revoked once the ping returned.
	tok, _ := stack.gotToken.Load().(string)
	if _, err := st.UseOneTimeToken(t.Context(), secret.Hash(tok), time.Now()); err == nil {
		t.Fatalf("the ping's one-time token %q still works", tok)
	}
}

// TestRepingStopsForDeletedConnection: the job ends when the connection is gone.
func TestRepingStopsForDeletedConnection(t *testing.T) {
	t.Parallel()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "h.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	stack := &fakeStack{}
	n := startNode(t, st, st.Jobs, stack, &events{})
	c := offlineConnection(t, st)
	if err := st.DeleteConnection(t.Context(), c.AccountID, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := n.queue.EnqueueUnique(t.Context(), connection.RepingArgs{AccountID: c.AccountID, ConnectionID: c.ID}, time.Now()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if stack.calls.Load() != 0 {
		t.Fatalf("a deleted connection was pinged %d times", stack.calls.Load())
	}
	// The key is free again once River has recorded the job as finished.
	waitFor(t, "the job to finish", 10*time.Second, func() bool {
		ok, err := n.queue.EnqueueUnique(t.Context(), connection.RepingArgs{AccountID: c.AccountID, ConnectionID: c.ID}, time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	})
}

const pgURL = pgtest.URL

// TestRepingOneLoopAcrossNodes: two nodes on one PostgreSQL database both
// schedule re-pings of the same offline connection, repeatedly and at once;
// exactly one loop runs — never two pings in flight — until it recovers.
func TestRepingOneLoopAcrossNodes(t *testing.T) {
	t.Parallel()
	schema := pgSchema(t)
	stack, ev := &fakeStack{}, &events{}
	var nodes []*node
	for range 2 {
		st, err := pgstore.Open(t.Context(), pgURL, pgstore.WithSchema(schema))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		nodes = append(nodes, startNode(t, st, st.Jobs, stack, ev))
	}
	c := offlineConnection(t, nodes[0].store)
	var wg sync.WaitGroup
	var inserted atomic.Int64
	for i := range 20 {
		wg.Go(func() {
			ok, err := nodes[i%2].queue.EnqueueUnique(context.Background(), connection.RepingArgs{AccountID: c.AccountID, ConnectionID: c.ID}, time.Now())
			if err != nil {
				t.Error(err)
			}
			if ok {
				inserted.Add(1)
			}
		})
	}
	wg.Wait()
	if inserted.Load() != 1 {
		t.Fatalf("%d re-ping jobs for one connection, want 1", inserted.Load())
	}
	waitFor(t, "a first re-ping", 10*time.Second, func() bool { return stack.calls.Load() >= 1 })
	stack.up.Store(true)
	waitFor(t, "the connection back online", 20*time.Second, func() bool { return isOnline(t, nodes[1].store, c) })
	waitFor(t, "the online event", 5*time.Second, func() bool { return ev.count() == 1 })
	if m := stack.mx.Load(); m != 1 {
		t.Fatalf("%d pings of one connection were in flight at once, want 1", m)
	}
}

func pgSchema(t *testing.T) string { return pgtest.Schema(t) }
