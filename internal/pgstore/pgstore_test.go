package pgstore_test

import (
	"context"
	"github.com/hookstack/hookstack/internal/pgtest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/hookstack/hookstack/internal/pgstore"
	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/ratelimit"
	"github.com/hookstack/hookstack/internal/storetest"
)

// The test database and per-test schemas come from pgtest.
const testURL = pgtest.URL

func newSchema(t *testing.T) string { return pgtest.Schema(t) }

// queryInt runs a query returning one integer on a connection of its own.
func queryInt(t *testing.T, sql string, args ...any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, testURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// open opens the store at url, closed when t ends.
func open(t *testing.T, url string, opts ...pgstore.Option) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(t.Context(), url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) platform.Store {
		s, err := pgstore.Open(t.Context(), testURL, pgstore.WithSchema(newSchema(t)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// tablesIn counts our, goose's and River's tables in schema.
func tablesIn(t *testing.T, schema string) int {
	t.Helper()
	return queryInt(t, `SELECT count(*) FROM information_schema.tables
		WHERE table_schema = $1 AND table_name IN ('users', 'rate_limits', 'goose_db_version', 'river_job', 'river_migration')`, schema)
}

// TestSchema: the schema is chosen by the option or by the URL's
// search_path, and both migrations land there.
func TestSchema(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		open func(t *testing.T, schema string) *pgstore.Store
	}{
		{"WithSchema", func(t *testing.T, schema string) *pgstore.Store {
			return open(t, testURL, pgstore.WithSchema(schema))
		}},
		{"URL search_path", func(t *testing.T, schema string) *pgstore.Store {
			return open(t, testURL+"?search_path="+schema)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			schema := newSchema(t)
			s := tc.open(t, schema)
			if got := tablesIn(t, schema); got != 5 {
				t.Fatalf("%d of the 5 tables are in schema %s", got, schema)
			}
			n, err := s.CountUsers(t.Context())
			if err != nil || n != 0 {
				t.Fatalf("CountUsers = %d, %v", n, err)
			}
		})
	}
}

// TestConcurrentOpen: nodes starting together on a new database all come
// up, and the schema is migrated once.
func TestConcurrentOpen(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	const nodes = 4
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() {
			s, err := pgstore.Open(t.Context(), testURL, pgstore.WithSchema(schema))
			if err != nil {
				errs[i] = err
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	if diff := cmp.Diff(make([]error, nodes), errs, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Fatalf("Open errors (-want +got):\n%s", diff)
	}
	// goose records every application of a version: one row each means
	// one node migrated and the others found the schema current.
	got := queryInt(t, `SELECT count(*) FROM `+schema+`.goose_db_version WHERE version_id = 1`)
	if got != 1 {
		t.Errorf("migration 1 applied %d times, want once", got)
	}
	if got := tablesIn(t, schema); got != 5 {
		t.Errorf("%d of the 5 tables are in schema %s", got, schema)
	}
}

// TestRateLimitAcrossPools: two nodes (two pools) on one database meter one
// bucket: a burst of 1500 at one instant, split across them, admits exactly
// the capacity.
func TestRateLimitAcrossPools(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	nodes := []platform.Store{open(t, testURL, pgstore.WithSchema(schema)), open(t, testURL, pgstore.WithSchema(schema))}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const requests, workers = 1500, 16
	var next, admitted atomic.Int64
	perNode := make([]atomic.Int64, len(nodes))
	var wg sync.WaitGroup
	for w := range workers {
		node := nodes[w%len(nodes)]
		wg.Go(func() {
			for next.Add(1) <= requests {
				ok, _, err := node.AllowRequest(t.Context(), "account:x", now, ratelimit.Interval, ratelimit.Capacity)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					admitted.Add(1)
					perNode[w%len(nodes)].Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := admitted.Load(); got != ratelimit.Capacity {
		t.Errorf("a burst of %d across %d nodes admitted %d, want %d", requests, len(nodes), got, ratelimit.Capacity)
	}
	for i := range perNode {
		if perNode[i].Load() == 0 {
			t.Errorf("node %d admitted nothing: the burst did not reach both nodes", i)
		}
	}
	ok, retry, err := nodes[0].AllowRequest(t.Context(), "account:x", now, ratelimit.Interval, ratelimit.Capacity)
	if err != nil || ok || retry <= 0 || retry > ratelimit.Interval {
		t.Errorf("after the burst: ok %v, retry after %v, err %v; want rejected with a retry in (0, %v]", ok, retry, err, ratelimit.Interval)
	}
}

// TestOpenErrors: Open reports a bad URL, without echoing a password, and
// an unreachable server.
func TestOpenErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url, want string
	}{
		{"malformed", "postgres://user:s3cret@127.0.0.1:notaport/db", "malformed"},
		{"unreachable", "postgres://user:s3cret@127.0.0.1:1/db?connect_timeout=5", "connect to 127.0.0.1:1/db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := pgstore.Open(t.Context(), tc.url)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) || strings.Contains(msg, "s3cret") {
				t.Errorf("error %q: want it to contain %q and no password", msg, tc.want)
			}
		})
	}
}
