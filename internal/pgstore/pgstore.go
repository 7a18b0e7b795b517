// Package pgstore is the platform's store for a cluster: PostgreSQL through
// a pgx connection pool (github.com/jackc/pgx/v5/pgxpool), with our schema
// migrated by goose and River's by rivermigrate on Open.
//
// The SQL itself is sqlstore's, shared with sqlitestore; this package adapts
// pgx to sqlstore.DB and owns the PostgreSQL migrations.
//
// Several processes (the nodes of a cluster) may Open the same database at
// the same moment: the migrations run while holding a PostgreSQL advisory
// lock, so one process migrates and the others then find the schema
// current.
package pgstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the key of the session-level advisory lock held while
// migrating ("hookstak" in ASCII). Every process migrating the database
// takes the same key, whatever its schema.
const migrationLock int64 = 0x686f6f6b7374616b

// Store is the PostgreSQL platform.Store.
type Store struct {
	*sqlstore.Store
	// Pool is the store's connection pool, for the River job queue on the
	// same database (riverpgxv5.New(Pool)).
	Pool *pgxpool.Pool
}

var _ platform.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	schema string
	now    func() time.Time
}

// WithSchema keeps the platform's and River's tables in schema, which must
// exist: every pooled connection gets it as its search_path. Without it the
// search_path of the URL (?search_path=…) or of the database role applies.
func WithSchema(schema string) Option {
	return func(o *options) { o.schema = schema }
}

// WithNow sets the clock that stamps records (default time.Now).
func WithNow(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// Open connects to the PostgreSQL database at url (postgres://…, or any
// connection string pgx accepts) and migrates it: our tables, then River's.
// It returns an error when url is malformed, the database cannot be reached
// or a migration fails; concurrent Opens of one database are safe.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors quote the connection string, password included.
		return nil, errors.New("pgstore: the database URL is malformed")
	}
	if o.schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{o.schema}.Sanitize()
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: connect to %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	if err := migrate(ctx, pool, o.schema); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{Store: sqlstore.New(&db{pool: pool}, o.now), Pool: pool}, nil
}

// migrate brings our schema and River's up to date while holding the
// migration lock. The lock is held by a connection of its own, outside the
// pool, so that the migrations can use the pool whatever its size; closing
// that connection releases the lock, even if this process dies.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	lock, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig)
	if err != nil {
		return fmt.Errorf("pgstore: migration lock: %w", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = lock.Close(ctx)
	}()
	if _, err := lock.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("pgstore: migration lock: %w", err)
	}

	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, sub)
	if err != nil {
		return fmt.Errorf("pgstore: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("pgstore: migrate schema: %w", err)
	}
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: schema})
	if err != nil {
		return fmt.Errorf("pgstore: river migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("pgstore: migrate river: %w", err)
	}
	return nil
}

// db adapts a pgx pool to sqlstore.DB.
type db struct {
	pool *pgxpool.Pool
}

// querier is what a pool and a transaction have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// conn adapts a querier to sqlstore.Conn.
type conn struct{ q querier }

// placeholder matches the parameters of a statement ($1, $2, …); sqlstore's
// SQL has no string literals, so a match is always a parameter.
var placeholder = regexp.MustCompile(`\$[0-9]+`)

// typed casts each parameter of q to the PostgreSQL type of its argument's
// Go type: int64 and sql.NullInt64 to bigint, []byte to bytea, string and
// sql.NullString to text. sqlstore's SQL, written for SQLite too, has
// expressions such as $2 + $3 whose parameter types PostgreSQL cannot infer
// ("operator is not unique: unknown + unknown"); the casts say them.
func typed(q string, args []any) string {
	if len(args) == 0 {
		return q
	}
	return placeholder.ReplaceAllStringFunc(q, func(p string) string {
		i, err := strconv.Atoi(p[1:])
		if err != nil || i < 1 || i > len(args) {
			return p
		}
		switch args[i-1].(type) {
		case int64, int, sql.NullInt64:
			return p + "::bigint"
		case []byte:
			return p + "::bytea"
		case string, sql.NullString:
			return p + "::text"
		}
		return p
	})
}

func (c conn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := c.q.Exec(ctx, typed(q, args), args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (c conn) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	rows, err := c.q.Query(ctx, typed(q, args), args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (c conn) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return c.q.QueryRow(ctx, typed(q, args), args...)
}

func (d *db) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	return conn{d.pool}.Exec(ctx, q, args...)
}

func (d *db) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	return conn{d.pool}.Query(ctx, q, args...)
}

func (d *db) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return conn{d.pool}.QueryRow(ctx, q, args...)
}

func (d *db) InTx(ctx context.Context, fn func(sqlstore.Conn) error) error {
	return pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error { return fn(conn{tx}) })
}

func (d *db) IsUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

func (d *db) IsNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

func (d *db) Max() string { return "GREATEST" }

func (d *db) Close() error {
	d.pool.Close()
	return nil
}
