// Package pgtest gives tests a PostgreSQL schema of their own on the test
// database (postgres://127.0.0.1:5432/test, trust auth). Tests skip when it
// is unreachable, unless HOOKSTACK_TEST_POSTGRES=1 says PostgreSQL is
// required (CI sets it).
package pgtest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookstack/hookstack/internal/platform"
)

// URL is the test database.
const URL = "postgres://127.0.0.1:5432/test"

// reachable reports, once per test binary, whether the test database answers.
var reachable = sync.OnceValue(func() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, URL)
	if err != nil {
		return err
	}
	return c.Close(ctx)
})

// Require skips t when PostgreSQL is unreachable, or fails it when
// HOOKSTACK_TEST_POSTGRES=1.
func Require(t testing.TB) {
	t.Helper()
	if err := reachable(); err != nil {
		if os.Getenv("HOOKSTACK_TEST_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL at %s is required (HOOKSTACK_TEST_POSTGRES=1): %v", URL, err)
		}
		t.Skipf("PostgreSQL at %s is unreachable (set HOOKSTACK_TEST_POSTGRES=1 to fail instead): %v", URL, err)
	}
}

// Schema returns a new, empty schema in the test database, dropped when t
// ends (see Require for when t is skipped).
func Schema(t testing.TB) string {
	t.Helper()
	Require(t)
	name := "hookstack_test_" + platform.NewID()
	Exec(t, "CREATE SCHEMA "+name)
	t.Cleanup(func() { Exec(t, "DROP SCHEMA "+name+" CASCADE") })
	return name
}

// Exec runs one statement on a connection of its own.
func Exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
