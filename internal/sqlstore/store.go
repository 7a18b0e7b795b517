package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookstack/hookstack/internal/platform"
)

// Store is a platform.Store on a DB.
type Store struct {
	db  DB
	now func() time.Time
}

var _ platform.Store = (*Store)(nil)

// New returns a Store on db; now stamps records (nil means time.Now).
func New(db DB, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: now}
}

// DB returns the store's database, for the adapters' own needs.
func (s *Store) DB() DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func ns(t time.Time) int64 { return t.UTC().UnixNano() }

func fromNS(n int64) time.Time { return time.Unix(0, n).UTC() }

func nullTime(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ns(*t), Valid: true}
}

func timePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNS(n.Int64)
	return &t
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// stamp sets the record times for an insert (created) or an update.
func (s *Store) stamp(st *platform.Stamp, created bool) {
	now := s.now().UTC()
	if created {
		st.CreatedAt = now
	}
	st.LastModified = now
}

func (s *Store) notFound(err error, what string) error {
	if s.db.IsNoRows(err) {
		return fmt.Errorf("%s: %w", what, platform.ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func limit(p platform.Page) (int, int) {
	l := p.Limit
	if l <= 0 {
		l = 100
	}
	return l, max(p.Skip, 0)
}

// --- accounts and users ---------------------------------------------------

const userColumns = `id, account_id, email, name, role, created_at, last_modified`

func scanUser(r Row) (*platform.User, error) {
	var u platform.User
	var c, m int64
	if err := r.Scan(&u.ID, &u.AccountID, &u.Email, &u.Name, &u.Role, &c, &m); err != nil {
		return nil, err
	}
	u.CreatedAt, u.LastModified = fromNS(c), fromNS(m)
	return &u, nil
}

func (s *Store) insertUser(ctx context.Context, c Conn, u *platform.User) error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	s.stamp(&u.Stamp, true)
	_, err := c.Exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		u.ID, u.AccountID, u.Email, u.Name, string(u.Role), ns(u.CreatedAt), ns(u.LastModified))
	if s.db.IsUniqueViolation(err) {
		return platform.FieldError(platform.CodeConflict, "email", "A user with email %s already exists.", u.Email)
	}
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	// Invitations sent to this email before the user existed now reach them.
	if _, err := c.Exec(ctx, `UPDATE shares SET shared_with_user_id = $1 WHERE email = $2 AND shared_with_user_id IS NULL`, u.ID, u.Email); err != nil {
		return fmt.Errorf("bind shares: %w", err)
	}
	return nil
}

// CreateAccountWithOwner implements platform.Store.
func (s *Store) CreateAccountWithOwner(ctx context.Context, a *platform.Account, u *platform.User) error {
	return s.db.InTx(ctx, func(c Conn) error {
		s.stamp(&a.Stamp, true)
		if _, err := c.Exec(ctx, `INSERT INTO accounts (id, name, created_at, last_modified) VALUES ($1, $2, $3, $4)`,
			a.ID, a.Name, ns(a.CreatedAt), ns(a.LastModified)); err != nil {
			return fmt.Errorf("insert account: %w", err)
		}
		u.AccountID = a.ID
		return s.insertUser(ctx, c, u)
	})
}

// CreateUser implements platform.Store.
func (s *Store) CreateUser(ctx context.Context, u *platform.User) error {
	return s.db.InTx(ctx, func(c Conn) error {
		var one int64
		if err := c.QueryRow(ctx, `SELECT 1 FROM accounts WHERE id = $1`, u.AccountID).Scan(&one); err != nil {
			return s.notFound(err, "account "+u.AccountID)
		}
		return s.insertUser(ctx, c, u)
	})
}

// GetUser implements platform.Store.
func (s *Store) GetUser(ctx context.Context, id string) (*platform.User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return nil, s.notFound(err, "user")
	}
	return u, nil
}

// GetUserByEmail implements platform.Store.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*platform.User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, strings.ToLower(strings.TrimSpace(email))))
	if err != nil {
		return nil, s.notFound(err, "user")
	}
	return u, nil
}

// GetAccount implements platform.Store.
func (s *Store) GetAccount(ctx context.Context, id string) (*platform.Account, error) {
	var a platform.Account
	var c, m int64
	err := s.db.QueryRow(ctx, `SELECT id, name, created_at, last_modified FROM accounts WHERE id = $1`, id).Scan(&a.ID, &a.Name, &c, &m)
	if err != nil {
		return nil, s.notFound(err, "account")
	}
	a.CreatedAt, a.LastModified = fromNS(c), fromNS(m)
	return &a, nil
}

// CountUsers implements platform.Store.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int64
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return int(n), nil
}

// --- API tokens -------------------------------------------------------------

const tokenColumns = `id, account_id, user_id, name, description, hash, sealed, revoked, auto_purge_at, created_at, last_modified`

func scanToken(r Row) (*platform.APIToken, error) {
	var t platform.APIToken
	var revoked, c, m int64
	var purge sql.NullInt64
	if err := r.Scan(&t.ID, &t.AccountID, &t.UserID, &t.Name, &t.Description, &t.Hash, &t.Sealed, &revoked, &purge, &c, &m); err != nil {
		return nil, err
	}
	t.Revoked, t.AutoPurgeAt, t.CreatedAt, t.LastModified = revoked != 0, timePtr(purge), fromNS(c), fromNS(m)
	return &t, nil
}

// CreateAPIToken implements platform.Store.
func (s *Store) CreateAPIToken(ctx context.Context, t *platform.APIToken) error {
	s.stamp(&t.Stamp, true)
	_, err := s.db.Exec(ctx, `INSERT INTO api_tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		t.ID, t.AccountID, t.UserID, t.Name, t.Description, t.Hash, t.Sealed, b2i(t.Revoked), nullTime(t.AutoPurgeAt), ns(t.CreatedAt), ns(t.LastModified))
	if s.db.IsUniqueViolation(err) {
		return platform.Errorf(platform.CodeConflict, "This token value is already in use.")
	}
	if err != nil {
		return fmt.Errorf("insert api token: %w", err)
	}
	return nil
}

// GetAPIToken implements platform.Store.
func (s *Store) GetAPIToken(ctx context.Context, accountID, id string) (*platform.APIToken, error) {
	t, err := scanToken(s.db.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE id = $1 AND account_id = $2`, id, accountID))
	if err != nil {
		return nil, s.notFound(err, "api token")
	}
	return t, nil
}

// APITokenByHash implements platform.Store.
func (s *Store) APITokenByHash(ctx context.Context, hash []byte) (*platform.APIToken, error) {
	t, err := scanToken(s.db.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = $1`, hash))
	if err != nil {
		return nil, s.notFound(err, "api token")
	}
	return t, nil
}

// ListAPITokens implements platform.Store.
func (s *Store) ListAPITokens(ctx context.Context, accountID string, p platform.Page) ([]*platform.APIToken, error) {
	l, o := limit(p)
	rows, err := s.db.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE account_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`, accountID, l, o)
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return collect(rows, scanToken)
}

// UpdateAPIToken implements platform.Store.
func (s *Store) UpdateAPIToken(ctx context.Context, t *platform.APIToken) error {
	s.stamp(&t.Stamp, false)
	n, err := s.db.Exec(ctx, `UPDATE api_tokens SET name = $1, description = $2, revoked = $3, auto_purge_at = $4, hash = $5, sealed = $6, last_modified = $7
		WHERE id = $8 AND account_id = $9`,
		t.Name, t.Description, b2i(t.Revoked), nullTime(t.AutoPurgeAt), t.Hash, t.Sealed, ns(t.LastModified), t.ID, t.AccountID)
	if err != nil {
		return fmt.Errorf("update api token: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("api token: %w", platform.ErrNotFound)
	}
	return nil
}

// DeleteAPIToken implements platform.Store.
func (s *Store) DeleteAPIToken(ctx context.Context, accountID, id string) error {
	return s.db.InTx(ctx, func(c Conn) error {
		var revoked int64
		if err := c.QueryRow(ctx, `SELECT revoked FROM api_tokens WHERE id = $1 AND account_id = $2`, id, accountID).Scan(&revoked); err != nil {
			return s.notFound(err, "api token")
		}
		if revoked == 0 {
			return platform.Errorf(platform.CodeTokenNotRevoked, "Revoke the token before deleting it.")
		}
		_, err := c.Exec(ctx, `DELETE FROM api_tokens WHERE id = $1`, id)
		return err
	})
}

// PurgeAPITokens implements platform.Store.
func (s *Store) PurgeAPITokens(ctx context.Context, now time.Time) (int, error) {
	n, err := s.db.Exec(ctx, `DELETE FROM api_tokens WHERE auto_purge_at IS NOT NULL AND auto_purge_at <= $1`, ns(now))
	if err != nil {
		return 0, fmt.Errorf("purge api tokens: %w", err)
	}
	return int(n), nil
}

// --- stacks -----------------------------------------------------------------

var stackFields = []string{"id", "account_id", "name", "type", "framework", "host_uri", "ip_ranges", "access_key_id",
	"secret_access_key", "aws_region", "function_name", "language", "endpoint_url", "system_token", "previous_token",
	"grace_until", "created_at", "last_modified"}

var stackColumns = strings.Join(stackFields, ", ")

func scanStack(r Row) (*platform.Stack, error) {
	var st platform.Stack
	var host, ipRanges, keyID, region, fn, lang, endpoint string
	var secret []byte
	var grace sql.NullInt64
	var c, m int64
	if err := r.Scan(&st.ID, &st.AccountID, &st.Name, &st.Type, &st.Framework, &host, &ipRanges, &keyID, &secret,
		&region, &fn, &lang, &endpoint, &st.SystemToken, &st.PreviousToken, &grace, &c, &m); err != nil {
		return nil, err
	}
	switch st.Type {
	case platform.StackServer:
		st.Server = &platform.ServerStack{HostURI: host, IPRanges: []string{}}
		if ipRanges != "" {
			if err := json.Unmarshal([]byte(ipRanges), &st.Server.IPRanges); err != nil {
				return nil, fmt.Errorf("stack %s ip_ranges: %w", st.ID, err)
			}
		}
	case platform.StackLambda:
		st.Lambda = &platform.LambdaStack{AccessKeyID: keyID, SecretAccessKey: secret, AWSRegion: region,
			FunctionName: fn, Language: lang, EndpointURL: endpoint}
	}
	st.GraceUntil, st.CreatedAt, st.LastModified = timePtr(grace), fromNS(c), fromNS(m)
	return &st, nil
}

// stackArgs returns the values of stackColumns for st.
func stackArgs(st *platform.Stack) []any {
	var host, ipRanges, keyID, region, fn, lang, endpoint string
	var secret []byte
	if st.Server != nil {
		host = st.Server.HostURI
		b, _ := json.Marshal(st.Server.IPRanges)
		ipRanges = string(b)
	}
	if st.Lambda != nil {
		keyID, secret, region, fn, lang, endpoint = st.Lambda.AccessKeyID, st.Lambda.SecretAccessKey, st.Lambda.AWSRegion,
			st.Lambda.FunctionName, st.Lambda.Language, st.Lambda.EndpointURL
	}
	return []any{st.ID, st.AccountID, st.Name, st.Type, st.Framework, host, ipRanges, keyID, secret,
		region, fn, lang, endpoint, st.SystemToken, st.PreviousToken, nullTime(st.GraceUntil), ns(st.CreatedAt), ns(st.LastModified)}
}

// CreateStack implements platform.Store.
func (s *Store) CreateStack(ctx context.Context, st *platform.Stack) error {
	s.stamp(&st.Stamp, true)
	_, err := s.db.Exec(ctx, `INSERT INTO stacks (`+stackColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		stackArgs(st)...)
	if err != nil {
		return fmt.Errorf("insert stack: %w", err)
	}
	return nil
}

// GetStack implements platform.Store.
func (s *Store) GetStack(ctx context.Context, id string) (*platform.Stack, error) {
	st, err := scanStack(s.db.QueryRow(ctx, `SELECT `+stackColumns+` FROM stacks WHERE id = $1`, id))
	if err != nil {
		return nil, s.notFound(err, "stack")
	}
	return st, nil
}

// ListStacks implements platform.Store.
func (s *Store) ListStacks(ctx context.Context, accountID string, p platform.Page) ([]*platform.Stack, error) {
	l, o := limit(p)
	rows, err := s.db.Query(ctx, `SELECT `+stackColumns+` FROM stacks WHERE account_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`, accountID, l, o)
	if err != nil {
		return nil, fmt.Errorf("list stacks: %w", err)
	}
	return collect(rows, scanStack)
}

// UpdateStack implements platform.Store.
func (s *Store) UpdateStack(ctx context.Context, st *platform.Stack) error {
	s.stamp(&st.Stamp, false)
	// Every column but created_at (position 17 of stackFields) is set.
	a := stackArgs(st)
	a = append(a[:16:16], a[17])
	n, err := s.db.Exec(ctx, `UPDATE stacks SET name = $3, type = $4, framework = $5, host_uri = $6, ip_ranges = $7,
		access_key_id = $8, secret_access_key = $9, aws_region = $10, function_name = $11, language = $12, endpoint_url = $13,
		system_token = $14, previous_token = $15, grace_until = $16, last_modified = $17
		WHERE id = $1 AND account_id = $2`, a...)
	if err != nil {
		return fmt.Errorf("update stack: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("stack: %w", platform.ErrNotFound)
	}
	return nil
}

// dependencies lists what references the stack; with userID set, only the
// resources of that user. Exports, imports and flows (with their hooks)
// arrive with later schema versions.
func (s *Store) dependencies(ctx context.Context, c Conn, stackID, userID string) (*platform.Dependencies, error) {
	d := &platform.Dependencies{Connections: []platform.Ref{}, Exports: []platform.Ref{}, Imports: []platform.Ref{}, Flows: []platform.Ref{}}
	q := `SELECT id, name, account_id FROM connections WHERE stack_id = $1 ORDER BY created_at, id`
	args := []any{stackID}
	if userID != "" {
		q = `SELECT id, name, account_id FROM connections WHERE stack_id = $1 AND user_id = $2 ORDER BY created_at, id`
		args = append(args, userID)
	}
	rows, err := c.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("stack dependencies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r platform.Ref
		if err := rows.Scan(&r.ID, &r.Name, &r.AccountID); err != nil {
			return nil, err
		}
		d.Connections = append(d.Connections, r)
	}
	return d, rows.Err()
}

func inUse(d *platform.Dependencies) string {
	var parts []string
	add := func(kind string, refs []platform.Ref) {
		for _, r := range refs {
			parts = append(parts, fmt.Sprintf("%s %q (%s)", kind, r.Name, r.ID))
		}
	}
	add("connection", d.Connections)
	add("export", d.Exports)
	add("import", d.Imports)
	add("flow", d.Flows)
	return strings.Join(parts, ", ")
}

// DeleteStack implements platform.Store.
func (s *Store) DeleteStack(ctx context.Context, accountID, id string) error {
	return s.db.InTx(ctx, func(c Conn) error {
		var one int64
		if err := c.QueryRow(ctx, `SELECT 1 FROM stacks WHERE id = $1 AND account_id = $2`, id, accountID).Scan(&one); err != nil {
			return s.notFound(err, "stack")
		}
		deps, err := s.dependencies(ctx, c, id, "")
		if err != nil {
			return err
		}
		if !deps.Empty() {
			return platform.Errorf(platform.CodeStackInUse, "The stack is in use by %s; remove those references first.", inUse(deps.Redacted(accountID)))
		}
		if _, err := c.Exec(ctx, `DELETE FROM shares WHERE stack_id = $1`, id); err != nil {
			return fmt.Errorf("delete shares: %w", err)
		}
		_, err = c.Exec(ctx, `DELETE FROM stacks WHERE id = $1`, id)
		return err
	})
}

// StackDependencies implements platform.Store.
func (s *Store) StackDependencies(ctx context.Context, id string) (*platform.Dependencies, error) {
	return s.dependencies(ctx, s.db, id, "")
}

// --- shares -----------------------------------------------------------------

const shareColumns = `id, stack_id, account_id, owner_user_id, email, shared_with_user_id, accepted, dismissed, disabled, created_at, last_modified`

func scanShare(r Row) (*platform.Share, error) {
	var sh platform.Share
	var with sql.NullString
	var acc, dis, off, c, m int64
	if err := r.Scan(&sh.ID, &sh.StackID, &sh.AccountID, &sh.OwnerUserID, &sh.Email, &with, &acc, &dis, &off, &c, &m); err != nil {
		return nil, err
	}
	sh.SharedWithUserID = with.String
	sh.Accepted, sh.Dismissed, sh.Disabled = acc != 0, dis != 0, off != 0
	sh.CreatedAt, sh.LastModified = fromNS(c), fromNS(m)
	return &sh, nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// CreateShare implements platform.Store.
func (s *Store) CreateShare(ctx context.Context, sh *platform.Share) error {
	sh.Email = strings.ToLower(strings.TrimSpace(sh.Email))
	return s.db.InTx(ctx, func(c Conn) error {
		var one int64
		err := c.QueryRow(ctx, `SELECT 1 FROM shares WHERE stack_id = $1 AND email = $2`, sh.StackID, sh.Email).Scan(&one)
		if err == nil {
			return platform.FieldError(platform.CodeConflict, "email", "The stack is already shared with %s.", sh.Email)
		}
		if !s.db.IsNoRows(err) {
			return fmt.Errorf("find share: %w", err)
		}
		var uid string
		switch err := c.QueryRow(ctx, `SELECT id FROM users WHERE email = $1`, sh.Email).Scan(&uid); {
		case err == nil:
			sh.SharedWithUserID = uid
		case !s.db.IsNoRows(err):
			return fmt.Errorf("find invitee: %w", err)
		}
		s.stamp(&sh.Stamp, true)
		_, err = c.Exec(ctx, `INSERT INTO shares (`+shareColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			sh.ID, sh.StackID, sh.AccountID, sh.OwnerUserID, sh.Email, nullString(sh.SharedWithUserID),
			b2i(sh.Accepted), b2i(sh.Dismissed), b2i(sh.Disabled), ns(sh.CreatedAt), ns(sh.LastModified))
		if err != nil {
			return fmt.Errorf("insert share: %w", err)
		}
		return nil
	})
}

// GetShare implements platform.Store.
func (s *Store) GetShare(ctx context.Context, id string) (*platform.Share, error) {
	sh, err := scanShare(s.db.QueryRow(ctx, `SELECT `+shareColumns+` FROM shares WHERE id = $1`, id))
	if err != nil {
		return nil, s.notFound(err, "share")
	}
	return sh, nil
}

// GetShareFor implements platform.Store.
func (s *Store) GetShareFor(ctx context.Context, stackID, userID string) (*platform.Share, error) {
	sh, err := scanShare(s.db.QueryRow(ctx, `SELECT `+shareColumns+` FROM shares WHERE stack_id = $1 AND shared_with_user_id = $2`, stackID, userID))
	if err != nil {
		return nil, s.notFound(err, "share")
	}
	return sh, nil
}

// ListSharesByAccount implements platform.Store.
func (s *Store) ListSharesByAccount(ctx context.Context, accountID string, p platform.Page) ([]*platform.Share, error) {
	l, o := limit(p)
	rows, err := s.db.Query(ctx, `SELECT `+shareColumns+` FROM shares WHERE account_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`, accountID, l, o)
	if err != nil {
		return nil, fmt.Errorf("list shares: %w", err)
	}
	return collect(rows, scanShare)
}

// ListSharesForUser implements platform.Store.
func (s *Store) ListSharesForUser(ctx context.Context, userID string, p platform.Page) ([]*platform.Share, error) {
	l, o := limit(p)
	rows, err := s.db.Query(ctx, `SELECT `+shareColumns+` FROM shares WHERE shared_with_user_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`, userID, l, o)
	if err != nil {
		return nil, fmt.Errorf("list shares for user: %w", err)
	}
	return collect(rows, scanShare)
}

// UpdateShare implements platform.Store.
func (s *Store) UpdateShare(ctx context.Context, sh *platform.Share) error {
	s.stamp(&sh.Stamp, false)
	n, err := s.db.Exec(ctx, `UPDATE shares SET accepted = $1, dismissed = $2, disabled = $3, last_modified = $4 WHERE id = $5`,
		b2i(sh.Accepted), b2i(sh.Dismissed), b2i(sh.Disabled), ns(sh.LastModified), sh.ID)
	if err != nil {
		return fmt.Errorf("update share: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("share: %w", platform.ErrNotFound)
	}
	return nil
}

// DeleteShare implements platform.Store.
func (s *Store) DeleteShare(ctx context.Context, id string) error {
	return s.db.InTx(ctx, func(c Conn) error {
		sh, err := scanShare(c.QueryRow(ctx, `SELECT `+shareColumns+` FROM shares WHERE id = $1`, id))
		if err != nil {
			return s.notFound(err, "share")
		}
		if sh.SharedWithUserID != "" {
			deps, err := s.dependencies(ctx, c, sh.StackID, sh.SharedWithUserID)
			if err != nil {
				return err
			}
			if !deps.Empty() {
				return platform.Errorf(platform.CodeShareInUse, "The stack is in use by the invitee's %s; remove those references first.", inUse(deps))
			}
		}
		_, err = c.Exec(ctx, `DELETE FROM shares WHERE id = $1`, id)
		return err
	})
}

// ListSharedStacks implements platform.Store.
func (s *Store) ListSharedStacks(ctx context.Context, userID string, p platform.Page) ([]*platform.Stack, error) {
	l, o := limit(p)
	cols := "st." + strings.Join(stackFields, ", st.")
	rows, err := s.db.Query(ctx, `SELECT `+cols+` FROM stacks st JOIN shares sh ON sh.stack_id = st.id
		WHERE sh.shared_with_user_id = $1 AND sh.accepted = 1 AND sh.disabled = 0 AND sh.dismissed = 0
		ORDER BY st.created_at, st.id LIMIT $2 OFFSET $3`, userID, l, o)
	if err != nil {
		return nil, fmt.Errorf("list shared stacks: %w", err)
	}
	return collect(rows, scanStack)
}

// --- connections ------------------------------------------------------------------

const connColumns = `id, account_id, user_id, name, offline, ping_function, stack_id, unencrypted, encrypted,
	unencrypted_fields, encrypted_fields, concurrency_level, created_at, last_modified`

func scanConnection(r Row) (*platform.Connection, error) {
	var c platform.Connection
	var off, level, cr, m int64
	w := &c.Wrapper
	if err := r.Scan(&c.ID, &c.AccountID, &c.UserID, &c.Name, &off, &w.PingFunction, &w.StackID, &w.Unencrypted, &w.Encrypted,
		&w.UnencryptedFields, &w.EncryptedFields, &level, &cr, &m); err != nil {
		return nil, err
	}
	c.Offline, w.ConcurrencyLevel, c.CreatedAt, c.LastModified = off != 0, int(level), fromNS(cr), fromNS(m)
	// Empty is nil, whichever database read it.
	for _, b := range []*[]byte{&w.Unencrypted, &w.Encrypted, &w.UnencryptedFields, &w.EncryptedFields} {
		if len(*b) == 0 {
			*b = nil
		}
	}
	return &c, nil
}

// CreateConnection implements platform.Store.
func (s *Store) CreateConnection(ctx context.Context, c *platform.Connection) error {
	s.stamp(&c.Stamp, true)
	w := &c.Wrapper
	_, err := s.db.Exec(ctx, `INSERT INTO connections (`+connColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		c.ID, c.AccountID, c.UserID, c.Name, b2i(c.Offline), w.PingFunction, w.StackID, nonNil(w.Unencrypted), nonNil(w.Encrypted),
		nonNil(w.UnencryptedFields), nonNil(w.EncryptedFields), int64(w.ConcurrencyLevel), ns(c.CreatedAt), ns(c.LastModified))
	if err != nil {
		return fmt.Errorf("insert connection: %w", err)
	}
	return nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// GetConnection implements platform.Store.
func (s *Store) GetConnection(ctx context.Context, accountID, id string) (*platform.Connection, error) {
	c, err := scanConnection(s.db.QueryRow(ctx, `SELECT `+connColumns+` FROM connections WHERE id = $1 AND account_id = $2`, id, accountID))
	if err != nil {
		return nil, s.notFound(err, "connection")
	}
	return c, nil
}

// ListConnections implements platform.Store.
func (s *Store) ListConnections(ctx context.Context, accountID string, p platform.Page) ([]*platform.Connection, error) {
	l, o := limit(p)
	rows, err := s.db.Query(ctx, `SELECT `+connColumns+` FROM connections WHERE account_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3`, accountID, l, o)
	if err != nil {
		return nil, fmt.Errorf("list connections: %w", err)
	}
	return collect(rows, scanConnection)
}

// UpdateConnection implements platform.Store.
func (s *Store) UpdateConnection(ctx context.Context, c *platform.Connection) error {
	s.stamp(&c.Stamp, false)
	w := &c.Wrapper
	n, err := s.db.Exec(ctx, `UPDATE connections SET name = $1, offline = $2, ping_function = $3, stack_id = $4, unencrypted = $5,
		encrypted = $6, unencrypted_fields = $7, encrypted_fields = $8, concurrency_level = $9, last_modified = $10
		WHERE id = $11 AND account_id = $12`,
		c.Name, b2i(c.Offline), w.PingFunction, w.StackID, nonNil(w.Unencrypted), nonNil(w.Encrypted), nonNil(w.UnencryptedFields),
		nonNil(w.EncryptedFields), int64(w.ConcurrencyLevel), ns(c.LastModified), c.ID, c.AccountID)
	if err != nil {
		return fmt.Errorf("update connection: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("connection: %w", platform.ErrNotFound)
	}
	return nil
}

// SetConnectionOffline implements platform.Store.
func (s *Store) SetConnectionOffline(ctx context.Context, accountID, id string, offline bool) error {
	n, err := s.db.Exec(ctx, `UPDATE connections SET offline = $1, last_modified = $2 WHERE id = $3 AND account_id = $4`,
		b2i(offline), ns(s.now()), id, accountID)
	if err != nil {
		return fmt.Errorf("set connection offline: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("connection: %w", platform.ErrNotFound)
	}
	return nil
}

// DeleteConnection implements platform.Store.
func (s *Store) DeleteConnection(ctx context.Context, accountID, id string) error {
	n, err := s.db.Exec(ctx, `DELETE FROM connections WHERE id = $1 AND account_id = $2`, id, accountID)
	if err != nil {
		return fmt.Errorf("delete connection: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("connection: %w", platform.ErrNotFound)
	}
	return nil
}

// --- one-time tokens ------------------------------------------------------------

const ottColumns = `hash, account_id, user_id, framework, kind, integration_id, connector_id, expires_at, created_at`

// CreateOneTimeToken implements platform.Store.
func (s *Store) CreateOneTimeToken(ctx context.Context, t *platform.OneTimeToken) error {
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.now().UTC()
	}
	_, err := s.db.Exec(ctx, `INSERT INTO one_time_tokens (`+ottColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		t.Hash, t.AccountID, t.UserID, t.Framework, t.Kind, t.IntegrationID, t.ConnectorID, ns(t.ExpiresAt), ns(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert one-time token: %w", err)
	}
	return nil
}

// UseOneTimeToken implements platform.Store: the token is deleted and
// returned by one statement, so concurrent uses cannot both succeed.
func (s *Store) UseOneTimeToken(ctx context.Context, hash []byte, now time.Time) (*platform.OneTimeToken, error) {
	var t platform.OneTimeToken
	var exp, c int64
	err := s.db.QueryRow(ctx, `DELETE FROM one_time_tokens WHERE hash = $1 AND expires_at > $2 RETURNING `+ottColumns, hash, ns(now)).
		Scan(&t.Hash, &t.AccountID, &t.UserID, &t.Framework, &t.Kind, &t.IntegrationID, &t.ConnectorID, &exp, &c)
	if err != nil {
		return nil, s.notFound(err, "one-time token")
	}
	t.ExpiresAt, t.CreatedAt = fromNS(exp), fromNS(c)
	return &t, nil
}

// DeleteOneTimeToken implements platform.Store.
func (s *Store) DeleteOneTimeToken(ctx context.Context, hash []byte) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM one_time_tokens WHERE hash = $1`, hash); err != nil {
		return fmt.Errorf("delete one-time token: %w", err)
	}
	return nil
}

// PurgeOneTimeTokens implements platform.Store.
func (s *Store) PurgeOneTimeTokens(ctx context.Context, now time.Time) (int, error) {
	n, err := s.db.Exec(ctx, `DELETE FROM one_time_tokens WHERE expires_at <= $1`, ns(now))
	if err != nil {
		return 0, fmt.Errorf("purge one-time tokens: %w", err)
	}
	return int(n), nil
}

// --- concurrency slots ------------------------------------------------------------

// AcquireSlot implements platform.Store: expired leases of key are dropped,
// then each slot number is tried with an INSERT that the primary key (key,
// slot) lets succeed at most once.
func (s *Store) AcquireSlot(ctx context.Context, key string, limit int, holder string, now, expires time.Time) (bool, error) {
	if _, err := s.db.Exec(ctx, `DELETE FROM slots WHERE key = $1 AND expires_at <= $2`, key, ns(now)); err != nil {
		return false, fmt.Errorf("reclaim slots: %w", err)
	}
	for slot := range limit {
		n, err := s.db.Exec(ctx, `INSERT INTO slots (key, slot, holder, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (key, slot) DO NOTHING`,
			key, int64(slot), holder, ns(expires))
		if err != nil {
			return false, fmt.Errorf("acquire slot: %w", err)
		}
		if n == 1 {
			return true, nil
		}
	}
	return false, nil
}

// ReleaseSlot implements platform.Store.
func (s *Store) ReleaseSlot(ctx context.Context, key, holder string) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM slots WHERE key = $1 AND holder = $2`, key, holder); err != nil {
		return fmt.Errorf("release slot: %w", err)
	}
	return nil
}

// --- rate limiting ------------------------------------------------------------

// AllowRequest implements platform.Store with GCRA: the theoretical arrival
// time (tat) of the key's next request advances by interval per admitted
// request; a request is admitted while tat stays within burst intervals of
// now. One statement, so concurrent processes share one bucket exactly.
func (s *Store) AllowRequest(ctx context.Context, key string, now time.Time, interval time.Duration, burst int) (bool, time.Duration, error) {
	t, iv, tau := ns(now), int64(interval), int64(interval)*int64(burst)
	mx := s.db.Max()
	var tat int64
	err := s.db.QueryRow(ctx, `INSERT INTO rate_limits (key, tat) VALUES ($1, $2 + $3)
		ON CONFLICT (key) DO UPDATE SET tat = `+mx+`(rate_limits.tat, $2) + $3
		WHERE `+mx+`(rate_limits.tat, $2) + $3 - $2 <= $4
		RETURNING tat`, key, t, iv, tau).Scan(&tat)
	if err == nil {
		return true, 0, nil
	}
	if !s.db.IsNoRows(err) {
		return false, 0, fmt.Errorf("rate limit: %w", err)
	}
	if err := s.db.QueryRow(ctx, `SELECT tat FROM rate_limits WHERE key = $1`, key).Scan(&tat); err != nil {
		return false, 0, fmt.Errorf("rate limit: %w", err)
	}
	return false, time.Duration(max(tat, t) + iv - tau - t), nil
}

// collect scans every row with scan and closes rows.
func collect[T any](rows Rows, scan func(Row) (*T, error)) ([]*T, error) {
	defer rows.Close()
	out := []*T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
