package connection

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/hookstack/hookstack/internal/platform"
)

// RepingArgs is the job that pings an offline connection until it answers
// again. One such job exists per connection across every node (enqueue it
// with jobs.Queue.EnqueueUnique).
type RepingArgs struct {
	AccountID    string `json:"account_id"`
	ConnectionID string `json:"connection_id"`
}

// Kind names the job.
func (RepingArgs) Kind() string { return "reping_connection" }

// Events is told when a connection comes back online, so that work paused
// while it was offline resumes.
type Events interface {
	ConnectionOnline(ctx context.Context, accountID, connectionID string)
}

// LogEvents logs the events; the flows of a later version subscribe.
type LogEvents struct{ Log *slog.Logger }

// ConnectionOnline logs that the connection is back.
func (e LogEvents) ConnectionOnline(ctx context.Context, accountID, connectionID string) {
	e.Log.InfoContext(ctx, "connection back online", "logName", "connectionOnline", "_connectionId", connectionID, "_accountId", accountID)
}

// RepingWorker pings an offline connection: back online → clear offline and
// publish the event; still offline (or the stack cannot answer) → try again
// after Backoff(attempt). A connection deleted, or brought online by
// someone else, ends the job.
type RepingWorker struct {
	river.WorkerDefaults[RepingArgs]
	Pinger *Pinger
	Events Events
	// Backoff is the wait before re-ping number attempt; default NextPing
	// with a process-wide random source.
	Backoff func(attempt int) time.Duration
	Log     *slog.Logger
}

var (
	rndMu sync.Mutex
	rnd   = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x5eed))
)

func defaultBackoff(attempt int) time.Duration {
	rndMu.Lock()
	defer rndMu.Unlock()
	return NextPing(attempt, rnd)
}

// Work runs one re-ping.
func (w *RepingWorker) Work(ctx context.Context, job *river.Job[RepingArgs]) error {
	c, err := w.Pinger.Store.GetConnection(ctx, job.Args.AccountID, job.Args.ConnectionID)
	if errors.Is(err, platform.ErrNotFound) {
		return nil // deleted
	}
	if err != nil {
		return err
	}
	if !c.Offline {
		return nil // back online by other means
	}
	plain, err := w.Pinger.Open(c)
	if err != nil {
		return err
	}
	res, err := w.Pinger.Ping(ctx, c, c.UserID, plain, Ref{})
	if errors.Is(err, ErrNoStack) || platform.ErrorCode(err) == platform.CodeMissingRequiredField {
		w.log().WarnContext(ctx, "offline connection cannot be pinged; stopping", "_connectionId", c.ID, "err", err)
		return nil // no ping possible until someone edits the connection
	}
	if err != nil {
		return err
	}
	if res.Online {
		if err := w.Pinger.Store.SetConnectionOffline(ctx, c.AccountID, c.ID, false); err != nil {
			return err
		}
		if w.Events != nil {
			w.Events.ConnectionOnline(ctx, c.AccountID, c.ID)
		}
		return nil
	}
	// Still offline: the next wait grows with the number of pings so far.
	backoff := w.Backoff
	if backoff == nil {
		backoff = defaultBackoff
	}
	return river.JobSnooze(backoff(job.Attempt + snoozes(job) + 1))
}

// snoozes counts the job's earlier snoozes (River keeps them in metadata).
func snoozes(job *river.Job[RepingArgs]) int {
	var meta struct {
		Snoozes int `json:"snoozes"`
	}
	if len(job.Metadata) > 0 {
		_ = json.Unmarshal(job.Metadata, &meta)
	}
	return meta.Snoozes
}

func (w *RepingWorker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.Default()
}
