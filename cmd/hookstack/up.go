package main

import (
	"fmt"
	"log/slog"
	"net"

	"github.com/hookstack/hookstack/internal/app"
	"github.com/hookstack/hookstack/internal/platform"
)

// storeFlags select the platform's data; shared by every command that opens it.
type storeFlags struct {
	Data        string `help:"Data directory (SQLite database, master key)." env:"HOOKSTACK_DATA" default:"./hookstack-data" type:"path"`
	DatabaseURL string `name:"database-url" help:"PostgreSQL URL (postgres://…) instead of SQLite." env:"HOOKSTACK_DATABASE_URL"`
}

func (f *storeFlags) config(e *env, addr string) app.Config {
	return app.Config{
		DataDir: f.Data, DatabaseURL: f.DatabaseURL, Addr: addr, Getenv: e.getenv,
		Logger: slog.New(slog.NewTextHandler(e.stderr, nil)),
	}
}

type upCmd struct {
	storeFlags
	Addr          string `help:"Listen address." env:"HOOKSTACK_ADDR" default:"127.0.0.1:8080"`
	RateBurst     int    `help:"Requests an account may make at once (leaky bucket capacity)." env:"HOOKSTACK_RATE_BURST" default:"1000"`
	RatePerSecond int    `help:"Requests per second an account's bucket drains; -1 (--rate-per-second=-1) turns rate limiting off." env:"HOOKSTACK_RATE_PER_SECOND" default:"300"`
	OwnerEmail    string `help:"Email of the owner user created on the first start." env:"HOOKSTACK_OWNER_EMAIL" default:"owner@hookstack.local"`
}

// Run opens (and migrates) the store, creates the owner on the first start,
// and serves the API until SIGTERM or SIGINT.
func (c *upCmd) Run(e *env) error {
	cfg := c.config(e, c.Addr)
	cfg.RateBurst, cfg.RatePerSecond = c.RateBurst, c.RatePerSecond
	a, err := app.Open(e.ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Bootstrap(e.ctx, c.OwnerEmail, e.stdout); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Hookstack is listening on http://%s/v1\n", ln.Addr())
	return a.Serve(e.ctx, ln)
}

type userCmd struct {
	Add userAddCmd `cmd:"" help:"Add a user and print their API token as the last line."`
}

type userAddCmd struct {
	storeFlags
	Email   string `help:"The user's email." required:""`
	Name    string `help:"The user's name."`
	Account string `help:"new, or the _id of an existing account." default:"new"`
	Role    string `help:"manage (change everything) or monitor (read only)." enum:"manage,monitor" default:"manage"`
}

// Run adds the user and prints the token last.
func (c *userAddCmd) Run(e *env) error {
	a, err := app.Open(e.ctx, c.config(e, ""))
	if err != nil {
		return err
	}
	defer a.Close()
	u, tok, err := a.AddUser(e.ctx, c.Email, c.Name, c.Account, platform.Role(c.Role))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Added %s (%s) to account %s. Their API token:\n%s\n", u.Email, u.Role, u.AccountID, tok)
	return nil
}
