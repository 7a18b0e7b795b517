// Package app assembles the platform from its parts — the store (SQLite in
// the data directory, or PostgreSQL), the master key and sealer, the rate
// limiter and the REST API — and runs it: `hookstack up` and
// `hookstack user add` are thin wrappers around Open, Bootstrap, Serve and
// AddUser.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/hookstack/hookstack/internal/api"
	"github.com/hookstack/hookstack/internal/connection"
	"github.com/hookstack/hookstack/internal/jobs"
	"github.com/hookstack/hookstack/internal/pgstore"
	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/ratelimit"
	"github.com/hookstack/hookstack/internal/secret"
	"github.com/hookstack/hookstack/internal/sqlitestore"
)

// Config is the platform's configuration, from flags and the environment.
type Config struct {
	// DataDir holds the SQLite database and the master key file.
	DataDir string
	// DatabaseURL selects PostgreSQL (postgres://…); empty means SQLite.
	DatabaseURL string
	// Addr is the listen address.
	Addr string
	// RateBurst and RatePerSecond set each account's leaky bucket (default
	// 1000 and 300); RatePerSecond < 0 turns rate limiting off.
	RateBurst     int
	RatePerSecond int
	// Getenv reads HOOKSTACK_MASTER_KEY and HOOKSTACK_BOOTSTRAP_TOKEN.
	Getenv func(string) string
	// Logger receives the platform's logs.
	Logger *slog.Logger
}

// Validate checks the configuration and returns every problem at once.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("the data directory (--data, HOOKSTACK_DATA) must not be empty"))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, fmt.Errorf("the database URL must start with postgres:// (got %q)", redactURL(c.DatabaseURL)))
	}
	if c.RateBurst < 0 {
		errs = append(errs, fmt.Errorf("the rate-limit burst must not be negative (got %d)", c.RateBurst))
	}
	if c.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			errs = append(errs, fmt.Errorf("the listen address %q is not host:port: %v", c.Addr, err))
		}
	}
	return errors.Join(errs...)
}

// redactURL hides a password in a database URL for messages.
func redactURL(u string) string {
	if i := strings.Index(u, "@"); i > 0 {
		if j := strings.Index(u, "://"); j >= 0 && j < i {
			return u[:j+3] + "…@" + u[i+1:]
		}
	}
	return u
}

// App is an opened platform.
type App struct {
	Store  platform.Store
	Sealer *secret.Sealer
	API    *api.Server
	// Jobs runs background work (re-pings of offline connections) on the
	// store's database; Serve starts and stops it.
	Jobs *jobs.Queue
	log  *slog.Logger
	cfg  Config
}

// Open opens the store (migrating it), loads the master key (creating the
// key file on first use) and builds the API.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Getenv == nil {
		cfg.Getenv = os.Getenv
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RateBurst == 0 {
		cfg.RateBurst = ratelimit.Capacity
	}
	if cfg.RatePerSecond == 0 {
		cfg.RatePerSecond = ratelimit.Rate
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	key, created, err := secret.LoadMasterKey(cfg.Getenv, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if created {
		cfg.Logger.Warn("created a new master key; back it up with the database", "file", filepath.Join(cfg.DataDir, secret.KeyFileName))
	}
	sealer, err := secret.NewSealer(key)
	if err != nil {
		return nil, err
	}
	a := &App{Sealer: sealer, log: cfg.Logger, cfg: cfg}
	// Background work: offline connections are re-pinged until they answer.
	pinger := &connection.Pinger{Sealer: sealer, Invokers: api.StackInvokers(sealer), Now: time.Now}
	workers := river.NewWorkers()
	river.AddWorker(workers, &connection.RepingWorker{Pinger: pinger, Events: connection.LogEvents{Log: cfg.Logger}, Log: cfg.Logger})
	jcfg := jobs.Config{Workers: workers, Logger: cfg.Logger}

	var limiter api.Limiter
	interval := time.Second / time.Duration(max(cfg.RatePerSecond, 1))
	if cfg.DatabaseURL != "" {
		pg, err := pgstore.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		if a.Jobs, err = pg.Jobs(jcfg); err != nil {
			pg.Close()
			return nil, err
		}
		a.Store = pg
		limiter = &ratelimit.Shared{Store: pg, Interval: interval, Burst: cfg.RateBurst}
	} else {
		sq, err := sqlitestore.Open(ctx, filepath.Join(cfg.DataDir, "hookstack.db"), nil)
		if err != nil {
			return nil, err
		}
		if a.Jobs, err = sq.Jobs(jcfg); err != nil {
			sq.Close()
			return nil, err
		}
		a.Store = sq
		limiter = ratelimit.NewMemory(interval, cfg.RateBurst)
	}
	pinger.Store = a.Store
	if cfg.RatePerSecond < 0 {
		limiter = nil
		cfg.Logger.Warn("API rate limiting is off")
	}
	a.API = api.New(api.Config{Store: a.Store, Sealer: sealer, Limiter: limiter, Logger: cfg.Logger, Offline: a.repingLater})
	return a, nil
}

// repingLater schedules the re-pings of a connection that went offline:
// one job per connection across every node, first after about a minute.
func (a *App) repingLater(ctx context.Context, accountID, connectionID string) error {
	_, err := a.Jobs.EnqueueUnique(ctx, connection.RepingArgs{AccountID: accountID, ConnectionID: connectionID},
		time.Now().Add(connection.NextPing(1, rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1)))))
	return err
}

// Close closes the store.
func (a *App) Close() error { return a.Store.Close() }

// Bootstrap creates the owner account and user on the first start and
// writes the owner's first API token to w, once. The token is
// HOOKSTACK_BOOTSTRAP_TOKEN when set. It does nothing when users exist
// (or another process bootstrapped at the same moment).
func (a *App) Bootstrap(ctx context.Context, ownerEmail string, w io.Writer) error {
	n, err := a.Store.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	acct := &platform.Account{ID: platform.NewID(), Name: "Owner"}
	owner := &platform.User{ID: platform.NewID(), Email: ownerEmail, Name: "Owner", Role: platform.RoleManage}
	if err := a.Store.CreateAccountWithOwner(ctx, acct, owner); err != nil {
		if platform.ErrorCode(err) == platform.CodeConflict {
			return nil // another node bootstrapped first
		}
		return fmt.Errorf("creating the owner: %w", err)
	}
	tok, _, err := api.IssueToken(ctx, a.Store, a.Sealer, owner, "bootstrap", strings.TrimSpace(a.cfg.Getenv("HOOKSTACK_BOOTSTRAP_TOKEN")))
	if err != nil {
		return fmt.Errorf("issuing the owner's token: %w", err)
	}
	fmt.Fprintf(w, "Created the owner account and user %s. Their API token (shown once):\n%s\n", owner.Email, tok)
	return nil
}

// AddUser adds a user — in a new account, or in the account with the given
// id — issues their first API token and returns it.
func (a *App) AddUser(ctx context.Context, email, name, account string, role platform.Role) (*platform.User, string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !role.Valid() {
		return nil, "", fmt.Errorf("role must be manage or monitor, not %q", role)
	}
	if email == "" || !strings.Contains(email, "@") {
		return nil, "", fmt.Errorf("%q is not an email address", email)
	}
	u := &platform.User{ID: platform.NewID(), Email: email, Name: name, Role: role}
	var err error
	if account == "" || account == "new" {
		err = a.Store.CreateAccountWithOwner(ctx, &platform.Account{ID: platform.NewID(), Name: name}, u)
	} else {
		u.AccountID = account
		err = a.Store.CreateUser(ctx, u)
	}
	if err != nil {
		return nil, "", err
	}
	tok, _, err := api.IssueToken(ctx, a.Store, a.Sealer, u, "first token", "")
	return u, tok, err
}

// Serve serves the API on ln until ctx is done, then shuts down gracefully,
// letting requests in flight finish (at most 30 s).
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.API,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	if err := a.Jobs.Start(ctx); err != nil {
		return fmt.Errorf("starting the job queue: %w", err)
	}
	defer func() {
		stop, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer cancel()
		if err := a.Jobs.Stop(stop); err != nil {
			a.log.Warn("stopping the job queue", "err", err)
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.log.Info("hookstack platform listening", "addr", ln.Addr().String())
	purgeCtx, stopPurge := context.WithCancel(ctx)
	defer stopPurge()
	go a.purgeTokens(purgeCtx, 10*time.Minute)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdown)
	a.log.Info("hookstack platform stopped")
	return err
}

// purgeTokens deletes API tokens past their autoPurgeAt every interval
// (they stop working at that time already; this removes them).
func (a *App) purgeTokens(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := a.Store.PurgeAPITokens(ctx, time.Now()); err != nil && ctx.Err() == nil {
			a.log.Warn("purging expired API tokens failed", "err", err)
		} else if n > 0 {
			a.log.Info("purged expired API tokens", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
