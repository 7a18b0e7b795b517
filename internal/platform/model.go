package platform

import "time"

// Role is what a user may do in their account.
type Role string

// Roles: Manage may change everything in the account (integrator.io's
// "Manage All"); Monitor may only read.
const (
	RoleManage  Role = "manage"
	RoleMonitor Role = "monitor"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleManage || r == RoleMonitor }

// Account groups users and everything they own.
type Account struct {
	ID   string
	Name string
	Stamp
}

// User is a person with a login in one account.
type User struct {
	ID        string
	AccountID string
	Email     string // lower-cased
	Name      string
	Role      Role
	Stamp
}

// APIToken is a bearer token for the /v1 API. Only a hash identifies it; the
// value itself is kept sealed so that its owner can display it again.
type APIToken struct {
	ID          string
	AccountID   string
	UserID      string // the user the token acts as
	Name        string
	Description string
	Hash        []byte // SHA-256 of the token value
	Sealed      []byte // the token value, sealed with the master key
	Revoked     bool
	AutoPurgeAt *time.Time
	Stamp
}

// Stack types and frameworks.
const (
	StackServer = "server"
	StackLambda = "lambda"

	// FrameworkTwoDotZero is the only framework value the API stores;
	// absent means framework 1.0.
	FrameworkTwoDotZero = "twoDotZero"
)

// Stack says where extension code runs.
type Stack struct {
	ID        string
	AccountID string
	Name      string
	Type      string // StackServer or StackLambda
	Framework string // "" (1.0) or FrameworkTwoDotZero
	Server    *ServerStack
	Lambda    *LambdaStack
	// SystemToken authenticates the platform's calls to a server stack
	// (sealed). PreviousToken stays accepted until GraceUntil during a
	// rotation with a grace window.
	SystemToken   []byte
	PreviousToken []byte
	GraceUntil    *time.Time
	Stamp
}

// ServerStack is the part of a stack of type server.
type ServerStack struct {
	HostURI  string
	IPRanges []string
}

// LambdaStack is the part of a stack of type lambda. SecretAccessKey is
// sealed.
type LambdaStack struct {
	AccessKeyID     string
	SecretAccessKey []byte
	AWSRegion       string
	FunctionName    string
	Language        string
	EndpointURL     string // optional: an AWS-compatible endpoint for development
}

// Share is an invitation to use a stack, from its owner's account to a user
// identified by email (who may not have a user yet).
type Share struct {
	ID               string
	StackID          string
	AccountID        string // the stack owner's account
	OwnerUserID      string // who invited
	Email            string // invitee, lower-cased
	SharedWithUserID string // set once a user with that email exists
	Accepted         bool
	Dismissed        bool
	Disabled         bool
	Stamp
}

// Status is the share's state as the UI shows it.
func (s *Share) Status() string {
	switch {
	case s.Accepted:
		return "Accepted"
	case s.Dismissed:
		return "Dismissed"
	}
	return "Pending"
}

// Grants reports whether the share lets its invitee use the stack: accepted
// and switched on.
func (s *Share) Grants() bool { return s.Accepted && !s.Disabled && !s.Dismissed }

// Ref is a resource that references a stack.
type Ref struct {
	ID   string `json:"_id"`
	Name string `json:"name"`
	// AccountID owns the resource: an invitee's resources are in another
	// account than the stack, and their names are not shown to the owner.
	AccountID string `json:"-"`
}

// Redacted returns d with the names of resources outside accountID hidden.
func (d *Dependencies) Redacted(accountID string) *Dependencies {
	out := &Dependencies{}
	for _, p := range []struct{ in, out *[]Ref }{{&d.Connections, &out.Connections}, {&d.Exports, &out.Exports},
		{&d.Imports, &out.Imports}, {&d.Flows, &out.Flows}} {
		*p.out = make([]Ref, 0, len(*p.in))
		for _, r := range *p.in {
			if r.AccountID != "" && r.AccountID != accountID {
				r.Name = "(a resource of a user the stack is shared with)"
			}
			*p.out = append(*p.out, r)
		}
	}
	return out
}

// Dependencies lists what references a stack.
type Dependencies struct {
	Connections []Ref `json:"connections"`
	Exports     []Ref `json:"exports"`
	Imports     []Ref `json:"imports"`
	Flows       []Ref `json:"flows"`
}

// Empty reports whether nothing references the stack.
func (d *Dependencies) Empty() bool {
	return len(d.Connections)+len(d.Exports)+len(d.Imports)+len(d.Flows) == 0
}

// Frameworks of a stack as one-time tokens record them.
const (
	Framework1 = "1.0"
	Framework2 = "2.0"
)

// OneTimeToken is the bearer token handed to one extension call as
// options.bearerToken: usable once on the API, until the call returns, and
// for 15 minutes at most, within a scope (PLATFORM §3.4, §8.7). Only its
// SHA-256 is stored.
type OneTimeToken struct {
	Hash          []byte
	AccountID     string
	UserID        string // the user the call acts for
	Framework     string // Framework1 or Framework2
	Kind          string // hook, wrapper, installer, uninstaller, setting, update, …
	IntegrationID string
	ConnectorID   string
	ExpiresAt     time.Time
	CreatedAt     time.Time
}

// Connection is a wrapper connection: credentials and settings for a
// wrapper's functions on a stack (PLATFORM §2.3, §7.3).
type Connection struct {
	ID        string
	AccountID string
	UserID    string // who created it: a stack shared with them is "in use" by it
	Name      string
	// Offline is set by the platform from ping results, never by clients.
	Offline bool
	Wrapper WrapperConfig
	Stamp
}

// WrapperConfig is the wrapper part of a connection.
type WrapperConfig struct {
	PingFunction string
	StackID      string
	// Unencrypted is non-sensitive JSON; Encrypted is sealed JSON.
	Unencrypted       []byte
	Encrypted         []byte
	UnencryptedFields []byte // JSON form-field definitions
	EncryptedFields   []byte
	// ConcurrencyLevel caps calls in flight (1–25); 0 means burst.
	ConcurrencyLevel int
}
