package connection_test

import (
	"bytes"
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hookstack/hookstack/internal/connection"
	"github.com/hookstack/hookstack/internal/invoke"
	"github.com/hookstack/hookstack/internal/pgstore"
	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/secret"
	"github.com/hookstack/hookstack/internal/sqlitestore"
)

func pinger(t *testing.T, st platform.Store, stack *fakeStack) *connection.Pinger {
	t.Helper()
	sealer, err := secret.NewSealer(bytes.Repeat([]byte{5}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return &connection.Pinger{Store: st, Sealer: sealer, Now: time.Now,
		Invokers: func(*platform.Stack) (invoke.Invoker, error) { return stack, nil }}
}

// pingAll pings c concurrently n times through each pinger.
func pingAll(t *testing.T, c *platform.Connection, n int, pingers ...*connection.Pinger) {
	t.Helper()
	var wg sync.WaitGroup
	for _, p := range pingers {
		for range n {
			wg.Go(func() {
				res, err := p.Ping(context.Background(), c, c.UserID, nil, connection.Ref{})
				if err != nil || !res.Online {
					t.Errorf("ping: %v %+v", err, res)
				}
			})
		}
	}
	wg.Wait()
}

func levelConnection(t *testing.T, st platform.Store, level int) *platform.Connection {
	t.Helper()
	c := offlineConnection(t, st)
	c.Wrapper.ConcurrencyLevel = level
	if err := st.UpdateConnection(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConcurrencyLevel: calls on a connection never exceed its level; a
// connection without one runs in burst mode.
func TestConcurrencyLevel(t *testing.T) {
	t.Parallel()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "h.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, tc := range []struct{ level, want int64 }{{1, 1}, {2, 2}, {0, 8}} {
		stack := &fakeStack{}
		if tc.level == 0 {
			stack.gather = tc.want // burst mode: all of them at once
		}
		stack.up.Store(true)
		c := levelConnection(t, st, int(tc.level))
		pingAll(t, c, 8, pinger(t, st, stack))
		if got := stack.mx.Load(); got != tc.want {
			t.Errorf("level %d: %d calls in flight at most, want %d", tc.level, got, tc.want)
		}
	}
}

// TestConcurrencyLevelAcrossNodes: two nodes on one PostgreSQL database
// share a connection's level.
func TestConcurrencyLevelAcrossNodes(t *testing.T) {
	t.Parallel()
	schema := pgSchema(t)
	var pingers []*connection.Pinger
	var first platform.Store
	stack := &fakeStack{}
	stack.up.Store(true)
	for range 2 {
		st, err := pgstore.Open(t.Context(), pgURL, pgstore.WithSchema(schema))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if first == nil {
			first = st
		}
		pingers = append(pingers, pinger(t, st, stack))
	}
	c := levelConnection(t, first, 2)
	pingAll(t, c, 5, pingers...)
	if got := stack.mx.Load(); got != 2 {
		t.Fatalf("%d calls in flight across two nodes, want at most 2 (and 2 reached)", got)
	}
}
