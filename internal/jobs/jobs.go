// Package jobs is the platform's background job queue: River
// (github.com/riverqueue/river) on the platform's own database, the same
// for both stores — riversqlite on the SQLite file's River pool, riverpgxv5
// on the PostgreSQL pool — so jobs survive restarts and, on PostgreSQL, are
// shared by every node of a cluster.
//
// # Pieces
//
// A worker is a river.Worker for one kind of job args, registered with
// river.AddWorker on a river.Workers. The store opens the Queue for its
// database — sqlitestore.(*Store).Jobs or pgstore.(*Store).Jobs — from a
// Config holding the workers; River's generic client stays inside the store
// packages and the rest of the platform sees the non-generic Queue.
//
// A Queue inserts jobs as soon as it is built; it works them between Start
// and Stop. Stop it before closing its store.
//
// # One job per key
//
// EnqueueUnique inserts a job unless a job of the same kind and args is
// already waiting, scheduled, running or waiting for a retry — on any node,
// since the check is a unique index in the database. A job that has
// finished (completed, cancelled or discarded) no longer counts, so the
// same key can be enqueued again.
//
// The re-ping of offline wrapper connections is the model use. When a
// connection goes offline, and again at each hourly sweep, any node calls
// EnqueueUnique with args holding only the connection id and at =
// now + connection.NextPing(1, rnd); each offline connection still has
// exactly one re-ping job. Run k of that job (k is its snooze count, the
// "snoozes" key of Job.Metadata, plus one) is re-ping k: while the
// connection stays offline it returns
// river.JobSnooze(connection.NextPing(k+1, rnd)), which reschedules the same
// job — keeping its unique slot, and not counting as a failed attempt, so it
// can go on forever. When a ping succeeds it returns nil and the job
// completes. A job must not EnqueueUnique its own key: it would find itself
// running and be skipped.
//
// Uniqueness covers the whole encoded args. Args that carry more than the
// key (a trace id, say) mark the key fields with the `river:"unique"` struct
// tag so that only those count.
package jobs

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Defaults for Config's zero fields.
const (
	// DefaultMaxWorkers is how many jobs a node works at once.
	DefaultMaxWorkers = 10
	// DefaultFetchPollInterval is how often an idle node looks for due jobs.
	DefaultFetchPollInterval = time.Second
)

// Stopping a queue lets the running jobs finish for at most stopGrace, then
// cancels their contexts and waits at most hardStopTimeout for them to
// return: a job that ignores its context must not hold the platform's
// shutdown forever. A cancelled job is retried later.
const (
	stopGrace       = 30 * time.Second
	hardStopTimeout = 10 * time.Second
)

// Config configures a Queue. The zero Config is an insert-only queue.
type Config struct {
	// FetchPollInterval is how often an idle node looks for jobs that are
	// due, besides being woken when a job is inserted (default
	// DefaultFetchPollInterval; tests shorten it).
	FetchPollInterval time.Duration
	// Logger receives River's logs (default slog.Default()).
	Logger *slog.Logger
	// MaxWorkers is how many jobs this node works at once (default
	// DefaultMaxWorkers).
	MaxWorkers int
	// RetryPolicy schedules the next attempt of a job whose Work returned
	// an error (default River's: about attempt⁴ seconds, with jitter). A
	// worker's own NextRetry method takes precedence.
	RetryPolicy river.ClientRetryPolicy
	// Workers works the jobs. Nil makes an insert-only queue, whose Start
	// fails; Enqueue then accepts any kind, for another node to work.
	Workers *river.Workers
}

// River returns the River client configuration for cfg. Only the store
// packages, which build River's client for their driver, need it.
func (cfg Config) River() *river.Config {
	rc := &river.Config{
		Logger:          cfg.Logger,
		RetryPolicy:     cfg.RetryPolicy,
		SoftStopTimeout: stopGrace,
		Workers:         cfg.Workers,
	}
	if rc.Logger == nil {
		rc.Logger = slog.Default()
	}
	if cfg.Workers != nil {
		rc.Queues = map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: cmp.Or(cfg.MaxWorkers, DefaultMaxWorkers)},
		}
		rc.FetchPollInterval = cmp.Or(cfg.FetchPollInterval, DefaultFetchPollInterval)
		// River's FetchCooldown (100 ms) may not exceed the poll interval.
		rc.FetchCooldown = min(river.FetchCooldownDefault, rc.FetchPollInterval)
	}
	return rc
}

// Client is what a Queue needs of River's client. Every *river.Client[TTx]
// has these methods, whatever its driver's transaction type TTx.
type Client interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// Queue is the platform's job queue on one database.
type Queue struct {
	client Client
}

// New returns a Queue on a River client. The store packages call it; use
// sqlitestore.(*Store).Jobs or pgstore.(*Store).Jobs instead.
func New(client Client) *Queue {
	return &Queue{client: client}
}

// Start starts working jobs on this node and returns once the queue runs;
// it returns an error for an insert-only queue (no Workers) or when the
// database cannot be reached. Starting a started queue does nothing.
//
// ctx bounds the queue's life: cancelling it stops the queue gracefully, as
// Stop does — no more jobs are fetched and the running ones have 30 s to
// finish before their contexts are cancelled — without waiting. Call Stop
// to wait for them.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for the running ones to return. Jobs
// still running after 30 s, or when ctx ends, have their contexts
// cancelled (a cancelled job is retried later, by this node or another);
// once ctx has ended, Stop waits at most 10 s more for them and returns an
// error if some are still running. Stop is safe on a queue that never
// started, is stopping (its Start context was cancelled) or has stopped.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if err == nil || ctx.Err() == nil {
		return err
	}
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), hardStopTimeout)
	defer cancel()
	if err := q.client.StopAndCancel(hard); err != nil {
		return fmt.Errorf("jobs: stop: running jobs did not return after being cancelled: %w", err)
	}
	return nil
}

// Enqueue inserts a job; opts (which may be nil) sets its schedule, queue,
// priority, attempts and uniqueness as river.InsertOpts says. It returns an
// error when no worker is registered for args' kind (unless the queue is
// insert-only), when opts is invalid or when the database fails.
func (q *Queue) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	if _, err := q.client.Insert(ctx, args, opts); err != nil {
		return fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// EnqueueUnique inserts a job to run at at (zero: now) unless a job of the
// same kind and args is pending, scheduled, available, running or
// retryable, on any node (see the package doc). It reports whether it
// inserted the job; a skipped duplicate keeps its own schedule. Errors are
// Enqueue's.
func (q *Queue) EnqueueUnique(ctx context.Context, args river.JobArgs, at time.Time) (bool, error) {
	res, err := q.client.Insert(ctx, args, &river.InsertOpts{ScheduledAt: at, UniqueOpts: UniqueByArgs()})
	if err != nil {
		return false, fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// UniqueByArgs is the uniqueness EnqueueUnique uses: one job per kind and
// args among the jobs that have not finished. A worker whose args should
// always be unique can return it from its args' InsertOpts method
// (river.JobArgsWithInsertOpts).
func UniqueByArgs() river.UniqueOpts {
	return river.UniqueOpts{
		ByArgs: true,
		ByState: []rivertype.JobState{
			rivertype.JobStateAvailable,
			rivertype.JobStatePending,
			rivertype.JobStateRetryable,
			rivertype.JobStateRunning,
			rivertype.JobStateScheduled,
		},
	}
}
