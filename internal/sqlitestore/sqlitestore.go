// Package sqlitestore is the platform's embedded store: a SQLite file
// (modernc.org/sqlite, pure Go) in the data directory, with our schema
// migrated by goose and River's by rivermigrate on Open.
//
// It opens two pools on the same file, as River's SQLite driver advises: one
// for the store (several connections, write transactions taking the lock at
// BEGIN) and one of a single connection for River.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite platform.Store.
type Store struct {
	*sqlstore.Store
	// River is the pool for the River job queue on the same file.
	River *sql.DB
}

var _ platform.Store = (*Store)(nil)

// dsn returns the connection string for path with the pragmas every pooled
// connection needs.
func dsn(path string) string {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "synchronous(NORMAL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the SQLite database at path and migrates
// it. now stamps records (nil: time.Now).
func Open(ctx context.Context, path string, now func() time.Time) (*Store, error) {
	// The file holds sealed secrets and token hashes: only its owner may read
	// it (SQLite gives the -wal and -shm files the database's mode).
	if f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600); err == nil {
		f.Close()
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	river, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	river.SetMaxOpenConns(1)
	s := &Store{Store: sqlstore.New(&conn{db: db}, now), River: river}
	if err := migrate(ctx, db, river); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func migrate(ctx context.Context, db, river *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	m, err := rivermigrate.New(riversqlite.New(river), nil)
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	return nil
}

// Close closes both pools.
func (s *Store) Close() error {
	return errors.Join(s.Store.Close(), s.River.Close())
}

// conn adapts *sql.DB to sqlstore.DB.
type conn struct {
	db *sql.DB
}

type sqlConn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type runner struct{ c sqlConn }

func (r runner) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := r.c.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (r runner) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	rows, err := r.c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (r runner) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return r.c.QueryRowContext(ctx, q, args...)
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

func (c *conn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	return runner{c.db}.Exec(ctx, q, args...)
}

func (c *conn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	return runner{c.db}.Query(ctx, q, args...)
}

func (c *conn) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return runner{c.db}.QueryRow(ctx, q, args...)
}

func (c *conn) InTx(ctx context.Context, fn func(sqlstore.Conn) error) error {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(runner{tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (c *conn) IsUniqueViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

func (c *conn) IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func (c *conn) Max() string { return "MAX" }

func (c *conn) Close() error { return c.db.Close() }
