package platform

import (
	"context"
	"time"
)

// Store keeps the platform's records. Implementations (sqlitestore, pgstore)
// pass the same conformance suite (storetest). Every method takes ctx first;
// methods that find one record return an error wrapping ErrNotFound when it
// does not exist; account-scoped lookups treat another account's record as
// not existing.
type Store interface {
	// CreateAccountWithOwner creates an account and its first user in one
	// transaction. It returns an error with CodeConflict when the email is
	// taken.
	CreateAccountWithOwner(ctx context.Context, a *Account, u *User) error
	// CreateUser adds a user to an existing account (CodeConflict when the
	// email is taken, ErrNotFound for an unknown account). Pending shares for
	// the user's email are bound to the new user.
	CreateUser(ctx context.Context, u *User) error
	// GetUser returns a user by id.
	GetUser(ctx context.Context, id string) (*User, error)
	// GetUserByEmail returns a user by (lower-cased) email.
	GetUserByEmail(ctx context.Context, email string) (*User, error)
	// GetAccount returns an account by id.
	GetAccount(ctx context.Context, id string) (*Account, error)
	// CountUsers returns the number of users of the whole platform.
	CountUsers(ctx context.Context) (int, error)

	// CreateAPIToken stores a new token.
	CreateAPIToken(ctx context.Context, t *APIToken) error
	// GetAPIToken returns a token of the account.
	GetAPIToken(ctx context.Context, accountID, id string) (*APIToken, error)
	// APITokenByHash returns the token with that hash, revoked or not.
	APITokenByHash(ctx context.Context, hash []byte) (*APIToken, error)
	// ListAPITokens lists the account's tokens, oldest first.
	ListAPITokens(ctx context.Context, accountID string, p Page) ([]*APIToken, error)
	// UpdateAPIToken replaces a token's mutable fields (name, description,
	// revoked, autoPurgeAt, hash and sealed value).
	UpdateAPIToken(ctx context.Context, t *APIToken) error
	// DeleteAPIToken deletes a revoked token; an unrevoked one gives
	// CodeTokenNotRevoked.
	DeleteAPIToken(ctx context.Context, accountID, id string) error
	// PurgeAPITokens deletes tokens whose autoPurgeAt is before now.
	PurgeAPITokens(ctx context.Context, now time.Time) (int, error)

	// CreateStack stores a new stack.
	CreateStack(ctx context.Context, s *Stack) error
	// GetStack returns a stack by id, whatever its account (callers check
	// access).
	GetStack(ctx context.Context, id string) (*Stack, error)
	// ListStacks lists the account's own stacks, oldest first.
	ListStacks(ctx context.Context, accountID string, p Page) ([]*Stack, error)
	// UpdateStack replaces a stack's fields (all but id, account and createdAt).
	UpdateStack(ctx context.Context, s *Stack) error
	// DeleteStack deletes a stack and its shares, or returns CodeStackInUse
	// while anything references it; the check and the delete are atomic.
	DeleteStack(ctx context.Context, accountID, id string) error
	// StackDependencies lists what references a stack.
	StackDependencies(ctx context.Context, id string) (*Dependencies, error)

	// CreateShare stores an invitation. If a user with the email exists it
	// is bound to it. A second live share of the same stack with the same
	// email gives CodeConflict.
	CreateShare(ctx context.Context, s *Share) error
	// GetShare returns a share by id.
	GetShare(ctx context.Context, id string) (*Share, error)
	// GetShareFor returns the share of a stack addressed to a user.
	GetShareFor(ctx context.Context, stackID, userID string) (*Share, error)
	// ListSharesByAccount lists the shares of the account's stacks.
	ListSharesByAccount(ctx context.Context, accountID string, p Page) ([]*Share, error)
	// ListSharesForUser lists the invitations addressed to the user.
	ListSharesForUser(ctx context.Context, userID string, p Page) ([]*Share, error)
	// UpdateShare replaces a share's flags (accepted, dismissed, disabled).
	UpdateShare(ctx context.Context, s *Share) error
	// DeleteShare deletes a share, or returns CodeShareInUse while the
	// invitee's resources reference the stack; atomic.
	DeleteShare(ctx context.Context, id string) error
	// ListSharedStacks lists the stacks shared with the user by accepted,
	// enabled shares.
	ListSharedStacks(ctx context.Context, userID string, p Page) ([]*Stack, error)

	// CreateConnection stores a new connection.
	CreateConnection(ctx context.Context, c *Connection) error
	// GetConnection returns a connection of the account.
	GetConnection(ctx context.Context, accountID, id string) (*Connection, error)
	// ListConnections lists the account's connections, oldest first.
	ListConnections(ctx context.Context, accountID string, p Page) ([]*Connection, error)
	// UpdateConnection replaces a connection's fields (all but id, account,
	// user and createdAt).
	UpdateConnection(ctx context.Context, c *Connection) error
	// SetConnectionOffline records a ping's verdict.
	SetConnectionOffline(ctx context.Context, accountID, id string, offline bool) error
	// DeleteConnection deletes a connection.
	DeleteConnection(ctx context.Context, accountID, id string) error

	// CreateOneTimeToken stores a one-time token.
	CreateOneTimeToken(ctx context.Context, t *OneTimeToken) error
	// UseOneTimeToken consumes the token with that hash if it has not
	// expired at now, and returns it; of concurrent uses exactly one
	// succeeds. A used, expired or unknown token gives ErrNotFound.
	UseOneTimeToken(ctx context.Context, hash []byte, now time.Time) (*OneTimeToken, error)
	// DeleteOneTimeToken removes a token whether used or not (the call
	// returned); deleting a missing token is not an error.
	DeleteOneTimeToken(ctx context.Context, hash []byte) error
	// PurgeOneTimeTokens deletes tokens expired at now.
	PurgeOneTimeTokens(ctx context.Context, now time.Time) (int, error)

	// AcquireSlot takes one of limit slots of key for holder until expires
	// (leases past their expiry are reclaimed), and reports whether one was
	// free. Slots are numbered, so concurrent callers on any node never hold
	// more than limit between them.
	AcquireSlot(ctx context.Context, key string, limit int, holder string, now, expires time.Time) (bool, error)
	// ReleaseSlot gives back the slot of key held by holder.
	ReleaseSlot(ctx context.Context, key, holder string) error

	// AllowRequest meters one request against the leaky bucket key (GCRA):
	// it admits the request when the bucket, draining one request per
	// interval, has room for burst requests; otherwise it returns how long
	// until one more would be admitted. On a shared database every process
	// sees the same bucket.
	AllowRequest(ctx context.Context, key string, now time.Time, interval time.Duration, burst int) (ok bool, retryAfter time.Duration, err error)

	// Close releases the store's resources.
	Close() error
}
