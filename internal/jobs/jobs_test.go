package jobs_test

import (
	"context"
	"errors"
	"github.com/hookstack/hookstack/internal/pgtest"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/hookstack/hookstack/internal/jobs"
	"github.com/hookstack/hookstack/internal/pgstore"
	"github.com/hookstack/hookstack/internal/sqlitestore"
)

// testArgs are the test jobs' args; Key tells the jobs apart.
type testArgs struct {
	Key string `json:"key"`
}

func (testArgs) Kind() string { return "jobs_test" }

// otherArgs is a kind no test worker handles.
type otherArgs struct{}

func (otherArgs) Kind() string { return "jobs_test_other" }

// run is one call of a test worker's Work.
type run struct {
	Key     string
	Attempt int
	At      time.Time
}

// fixedRetry retries a failed job after a fixed delay.
type fixedRetry time.Duration

func (d fixedRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Duration(d)) }

// work is a test worker's behaviour, called after the run is recorded.
type work func(ctx context.Context, job *river.Job[testArgs]) error

// backend opens queues on a fresh database of one kind.
type backend struct {
	name string
	// open returns queues for nodes processes sharing one new database.
	open func(t *testing.T, cfg jobs.Config, nodes int) []*jobs.Queue
}

var backends = []backend{
	{name: "sqlite", open: openSQLite},
	{name: "postgres", open: openPostgres},
}

// forEachBackend runs test as a parallel subtest per backend.
func forEachBackend(t *testing.T, test func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			test(t, b)
		})
	}
}

// stopOnCleanup stops q when t ends (before its store closes).
func stopOnCleanup(t *testing.T, q *jobs.Queue) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
}

// openSQLite opens a store in a temporary file; SQLite is one node only.
func openSQLite(t *testing.T, cfg jobs.Config, nodes int) []*jobs.Queue {
	t.Helper()
	if nodes != 1 {
		t.Fatalf("SQLite serves one node, not %d", nodes)
	}
	s, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "hookstack.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	q, err := s.Jobs(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stopOnCleanup(t, q)
	return []*jobs.Queue{q}
}

// openPostgres opens one store (pool) per node on a new schema.
func openPostgres(t *testing.T, cfg jobs.Config, nodes int) []*jobs.Queue {
	t.Helper()
	schema := newSchema(t)
	var qs []*jobs.Queue
	for range nodes {
		s, err := pgstore.Open(t.Context(), testURL, pgstore.WithSchema(schema))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		q, err := s.Jobs(cfg)
		if err != nil {
			t.Fatal(err)
		}
		stopOnCleanup(t, q)
		qs = append(qs, q)
	}
	return qs
}

// The test database and per-test schemas come from pgtest.
const testURL = pgtest.URL

func newSchema(t *testing.T) string { return pgtest.Schema(t) }

// testBundle is one test's queues and what their worker saw.
type testBundle struct {
	queues []*jobs.Queue
	// runs receives every call of the worker's Work.
	runs chan run
}

// setup opens nodes queues on a new database of backend b, started until t
// ends, whose worker records each run and then does w (nil: succeed).
func setup(t *testing.T, b backend, nodes int, w work) *testBundle {
	t.Helper()
	tb := openBundle(t, b, nodes, w)
	for _, q := range tb.queues {
		if err := q.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	return tb
}

// openBundle is setup without starting the queues.
func openBundle(t *testing.T, b backend, nodes int, w work) *testBundle {
	t.Helper()
	tb := &testBundle{runs: make(chan run, 100)}
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[testArgs]) error {
		tb.runs <- run{Key: job.Args.Key, Attempt: job.Attempt, At: time.Now()}
		if w == nil {
			return nil
		}
		return w(ctx, job)
	}))
	tb.queues = b.open(t, testConfig(t, workers), nodes)
	return tb
}

// testConfig is a Config that polls and retries quickly and logs warnings
// to the test's output.
func testConfig(t *testing.T, workers *river.Workers) jobs.Config {
	return jobs.Config{
		FetchPollInterval: 50 * time.Millisecond,
		Logger:            slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		RetryPolicy:       fixedRetry(50 * time.Millisecond),
		Workers:           workers,
	}
}

// waitRuns returns the next n runs, failing t if they take over 15 s.
func (tb *testBundle) waitRuns(t *testing.T, n int) []run {
	t.Helper()
	timeout := time.After(15 * time.Second)
	var runs []run
	for len(runs) < n {
		select {
		case r := <-tb.runs:
			runs = append(runs, r)
		case <-timeout:
			t.Fatalf("got %d runs %v, want %d", len(runs), runs, n)
		}
	}
	return runs
}

// noMoreRuns fails t if a run comes within d.
func (tb *testBundle) noMoreRuns(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case r := <-tb.runs:
		t.Fatalf("unexpected run %+v", r)
	case <-time.After(d):
	}
}

// ignoreAt compares runs without their times.
var ignoreAt = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".At" }, cmp.Ignore())

func TestWork(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		tb := setup(t, b, 1, nil)
		if err := tb.queues[0].Enqueue(t.Context(), testArgs{Key: "a"}, nil); err != nil {
			t.Fatal(err)
		}
		got := tb.waitRuns(t, 1)
		if diff := cmp.Diff([]run{{Key: "a", Attempt: 1}}, got, ignoreAt); diff != "" {
			t.Errorf("runs (-want +got):\n%s", diff)
		}
	})
}

// TestScheduled: a job scheduled a little ahead runs, not before its time.
func TestScheduled(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		tb := setup(t, b, 1, nil)
		at := time.Now().Add(time.Second)
		if err := tb.queues[0].Enqueue(t.Context(), testArgs{Key: "later"}, &river.InsertOpts{ScheduledAt: at}); err != nil {
			t.Fatal(err)
		}
		got := tb.waitRuns(t, 1)
		if got[0].At.Before(at) {
			t.Errorf("the job ran at %v, before its time %v", got[0].At, at)
		}
	})
}

// TestRetry: a job that fails is retried until it succeeds, then not again.
func TestRetry(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		tb := setup(t, b, 1, func(_ context.Context, job *river.Job[testArgs]) error {
			if job.Attempt < 3 {
				return errors.New("not yet")
			}
			return nil
		})
		if err := tb.queues[0].Enqueue(t.Context(), testArgs{Key: "flaky"}, nil); err != nil {
			t.Fatal(err)
		}
		got := tb.waitRuns(t, 3)
		want := []run{{Key: "flaky", Attempt: 1}, {Key: "flaky", Attempt: 2}, {Key: "flaky", Attempt: 3}}
		if diff := cmp.Diff(want, got, ignoreAt); diff != "" {
			t.Errorf("runs (-want +got):\n%s", diff)
		}
		tb.noMoreRuns(t, 300*time.Millisecond)
	})
}

// TestEnqueueUnique: a key has one unfinished job at a time; once that job
// has finished the key can be enqueued again.
func TestEnqueueUnique(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		release := make(chan struct{})
		tb := setup(t, b, 1, func(ctx context.Context, _ *river.Job[testArgs]) error {
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		q := tb.queues[0]
		enqueue := func(key string, at time.Time) bool {
			t.Helper()
			inserted, err := q.EnqueueUnique(t.Context(), testArgs{Key: key}, at)
			if err != nil {
				t.Fatal(err)
			}
			return inserted
		}
		var got []bool
		got = append(got, enqueue("a", time.Time{})) // new: inserted
		tb.waitRuns(t, 1)                            // "a" is running
		got = append(got, enqueue("a", time.Time{})) // running: skipped
		got = append(got, enqueue("b", time.Now().Add(time.Hour)))
		got = append(got, enqueue("b", time.Time{})) // scheduled: skipped
		if diff := cmp.Diff([]bool{true, false, true, false}, got); diff != "" {
			t.Errorf("inserted (-want +got):\n%s", diff)
		}

		// Once "a" has completed (the completion is recorded shortly after
		// Work returns), "a" can be enqueued again, and runs again.
		close(release)
		deadline := time.Now().Add(10 * time.Second)
		for !enqueue("a", time.Time{}) {
			if time.Now().After(deadline) {
				t.Fatal(`"a" could not be enqueued again after its job completed`)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if diff := cmp.Diff([]run{{Key: "a", Attempt: 1}}, tb.waitRuns(t, 1), ignoreAt); diff != "" {
			t.Errorf("runs (-want +got):\n%s", diff)
		}
	})
}

// TestEnqueueUniqueConcurrent: enqueuing one key many times at once — on
// PostgreSQL from two nodes (pools) both working the queue — inserts one
// job, which runs once.
func TestEnqueueUniqueConcurrent(t *testing.T) {
	t.Parallel()
	nodes := map[string]int{"sqlite": 1, "postgres": 2}
	forEachBackend(t, func(t *testing.T, b backend) {
		release := make(chan struct{})
		tb := setup(t, b, nodes[b.name], func(ctx context.Context, _ *river.Job[testArgs]) error {
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		const perNode = 10
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			inserted int
			errs     []error
		)
		for _, q := range tb.queues {
			for range perNode {
				wg.Go(func() {
					ok, err := q.EnqueueUnique(t.Context(), testArgs{Key: "conn-1"}, time.Time{})
					mu.Lock()
					defer mu.Unlock()
					if ok {
						inserted++
					}
					if err != nil {
						errs = append(errs, err)
					}
				})
			}
		}
		wg.Wait() // the job, held by release, is still unfinished
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if inserted != 1 {
			t.Errorf("%d of %d enqueues inserted a job, want 1", inserted, perNode*len(tb.queues))
		}
		tb.waitRuns(t, 1)
		close(release)
		tb.noMoreRuns(t, 500*time.Millisecond)
	})
}

// TestStop: Stop waits for a running job until its context ends, then
// cancels the job; stopping again, or a queue that never started, is fine.
func TestStop(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		cancelled := make(chan error, 1)
		tb := setup(t, b, 1, func(ctx context.Context, _ *river.Job[testArgs]) error {
			<-ctx.Done()
			cancelled <- ctx.Err()
			return ctx.Err()
		})
		q := tb.queues[0]
		if err := q.Enqueue(t.Context(), testArgs{Key: "stuck"}, nil); err != nil {
			t.Fatal(err)
		}
		tb.waitRuns(t, 1)
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		if err := q.Stop(ctx); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Errorf("Stop returned after %v, before its context ended", d)
		}
		select {
		case err := <-cancelled:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("the job's context ended with %v, want context.Canceled", err)
			}
		default:
			t.Error("Stop returned while the job was running")
		}
		if err := q.Stop(t.Context()); err != nil {
			t.Errorf("second Stop: %v", err)
		}

		idle := b.open(t, testConfig(t, river.NewWorkers()), 1)[0]
		if err := idle.Stop(t.Context()); err != nil {
			t.Errorf("Stop of a queue never started: %v", err)
		}
	})
}

// TestStartContext: cancelling Start's context stops the queue gracefully —
// the running job goes on with its context intact — and Stop then waits for
// that job.
func TestStartContext(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		release := make(chan struct{})
		result := make(chan error, 1)
		tb := openBundle(t, b, 1, func(ctx context.Context, _ *river.Job[testArgs]) error {
			select {
			case <-release:
				result <- nil
			case <-ctx.Done():
				result <- ctx.Err()
			}
			return nil
		})
		q := tb.queues[0]
		ctx, cancel := context.WithCancel(t.Context())
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		if err := q.Enqueue(t.Context(), testArgs{Key: "long"}, nil); err != nil {
			t.Fatal(err)
		}
		tb.waitRuns(t, 1)
		cancel()
		time.Sleep(100 * time.Millisecond)
		close(release)
		if err := q.Stop(t.Context()); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		select {
		case err := <-result:
			if err != nil {
				t.Errorf("the running job's context ended (%v) when Start's context was cancelled", err)
			}
		default:
			t.Error("Stop returned while the job was running")
		}
	})
}

// TestErrors: what a Queue refuses.
func TestErrors(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		tb := setup(t, b, 1, nil)
		insertOnly := b.open(t, jobs.Config{}, 1)[0]
		tests := []struct {
			name string
			do   func(ctx context.Context) error
			want string
		}{
			{
				name: "enqueue a kind without a worker",
				do:   func(ctx context.Context) error { return tb.queues[0].Enqueue(ctx, otherArgs{}, nil) },
				want: "jobs: enqueue jobs_test_other:",
			},
			{
				name: "invalid insert options",
				do: func(ctx context.Context) error {
					return tb.queues[0].Enqueue(ctx, testArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Millisecond}})
				},
				want: "jobs: enqueue jobs_test:",
			},
			{
				name: "start an insert-only queue",
				do:   insertOnly.Start,
				want: "jobs: start:",
			},
		}
		for _, test := range tests {
			err := test.do(t.Context())
			if err == nil || !strings.HasPrefix(err.Error(), test.want) {
				t.Errorf("%s: got error %v, want one starting %q", test.name, err, test.want)
			}
		}
		// An insert-only queue accepts any kind, for another node to work.
		if err := insertOnly.Enqueue(t.Context(), otherArgs{}, nil); err != nil {
			t.Errorf("insert-only Enqueue: %v", err)
		}
	})
}
