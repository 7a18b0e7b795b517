// Package sqlstore implements platform.Store once, in SQL that SQLite and
// PostgreSQL both run, over a small connection seam (DB) that sqlitestore
// (database/sql + modernc.org/sqlite) and pgstore (pgx) adapt. The two
// dialects differ only in what DB reports: the name of the two-argument
// maximum, and how unique violations and missing rows look.
//
// Times are stored as BIGINT nanoseconds since the Unix epoch (UTC), flags
// as INTEGER 0/1, secrets as opaque sealed bytes.
package sqlstore

import (
	"context"
)

// Rows is a result set.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is a single-row result.
type Row interface {
	Scan(dest ...any) error
}

// Conn runs statements, on the pool or inside a transaction.
type Conn interface {
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// DB is a database the store runs on.
type DB interface {
	Conn
	// InTx runs fn in a transaction, committed when fn returns nil.
	InTx(ctx context.Context, fn func(Conn) error) error
	// IsUniqueViolation reports a unique-constraint error.
	IsUniqueViolation(err error) bool
	// IsNoRows reports the error of a single-row query that found nothing.
	IsNoRows(err error) bool
	// Max is the SQL name of the two-argument maximum: MAX or GREATEST.
	Max() string
	Close() error
}
