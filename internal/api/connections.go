package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"github.com/hookstack/hookstack/internal/connection"
	"github.com/hookstack/hookstack/internal/invoke"
	"github.com/hookstack/hookstack/internal/platform"
)

// MaxConcurrencyLevel is the highest concurrencyLevel of a connection.
const MaxConcurrencyLevel = 25

type wrapperJSON struct {
	PingFunction      string          `json:"pingFunction,omitempty"`
	StackID           string          `json:"_stackId,omitempty"`
	Unencrypted       json.RawMessage `json:"unencrypted"`
	Encrypted         string          `json:"encrypted"`
	UnencryptedFields json.RawMessage `json:"unencryptedFields"`
	EncryptedFields   json.RawMessage `json:"encryptedFields"`
	ConcurrencyLevel  *int            `json:"concurrencyLevel,omitempty"`
}

type connectionJSON struct {
	ID           string      `json:"_id"`
	Type         string      `json:"type"`
	Name         string      `json:"name"`
	Offline      bool        `json:"offline"`
	Wrapper      wrapperJSON `json:"wrapper"`
	CreatedAt    string      `json:"createdAt"`
	LastModified string      `json:"lastModified"`
}

func orJSON(b []byte, empty string) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage(empty)
	}
	return b
}

// connectionView renders a connection; the encrypted part is always masked.
func connectionView(c *platform.Connection) connectionJSON {
	w := c.Wrapper
	v := connectionJSON{ID: c.ID, Type: "wrapper", Name: c.Name, Offline: c.Offline,
		Wrapper: wrapperJSON{PingFunction: w.PingFunction, StackID: w.StackID, Unencrypted: orJSON(w.Unencrypted, "{}"),
			Encrypted: mask, UnencryptedFields: orJSON(w.UnencryptedFields, "[]"), EncryptedFields: orJSON(w.EncryptedFields, "[]")},
		CreatedAt: timeJSON(c.CreatedAt), LastModified: timeJSON(c.LastModified)}
	if w.ConcurrencyLevel > 0 {
		level := w.ConcurrencyLevel
		v.Wrapper.ConcurrencyLevel = &level
	}
	return v
}

// connectionBody is what POST, PUT and POST /v1/connections/ping accept.
type connectionBody struct {
	Type    *string `json:"type"`
	Name    *string `json:"name"`
	Wrapper *struct {
		PingFunction      *string         `json:"pingFunction"`
		StackID           *string         `json:"_stackId"`
		Unencrypted       json.RawMessage `json:"unencrypted"`
		Encrypted         json.RawMessage `json:"encrypted"`
		UnencryptedFields json.RawMessage `json:"unencryptedFields"`
		EncryptedFields   json.RawMessage `json:"encryptedFields"`
		ConcurrencyLevel  *int            `json:"concurrencyLevel"`
	} `json:"wrapper"`
}

func isNull(b json.RawMessage) bool { return len(b) == 0 || string(bytes.TrimSpace(b)) == "null" }

func isKind(b json.RawMessage, open byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && t[0] == open
}

func connAAD(id string) string { return connection.SecretAAD(id) }

// apply validates b onto c (old is the stored connection for a PUT) and
// returns the plain encrypted JSON, which it seals into c.
func (s *Server) applyConnection(ctx context.Context, p *principal, b *connectionBody, c, old *platform.Connection) ([]byte, error) {
	var errs platform.Errors
	add := func(code platform.Code, field, format string, args ...any) {
		errs = append(errs, platform.FieldError(code, field, format, args...))
	}
	switch t := str(b.Type); t {
	case "wrapper":
	case "":
		add(platform.CodeMissingRequiredField, "type", "type is required; Hookstack stores wrapper connections.")
	default:
		add(platform.CodeInvalidField, "type", "Only wrapper connections are supported, not %q.", t)
	}
	c.Name = str(b.Name)
	switch {
	case c.Name == "":
		add(platform.CodeMissingRequiredField, "name", "name is required.")
	case len(c.Name) > 200 || !plainText(c.Name):
		add(platform.CodeInvalidField, "name", "name must be at most 200 characters, without control characters.")
	}
	if b.Wrapper == nil {
		add(platform.CodeMissingRequiredField, "wrapper", "A wrapper connection needs its wrapper settings.")
		return nil, errs.Err()
	}
	w := b.Wrapper
	c.Wrapper.PingFunction, c.Wrapper.StackID = str(w.PingFunction), str(w.StackID)
	if !plainText(c.Wrapper.PingFunction) || len(c.Wrapper.PingFunction) > 200 {
		add(platform.CodeInvalidField, "wrapper.pingFunction", "pingFunction must be a function name.")
	}
	if c.Wrapper.StackID == "" {
		add(platform.CodeMissingRequiredField, "wrapper._stackId", "_stackId is required: the stack that runs the wrapper.")
	} else if _, err := connection.UsableStack(ctx, s.store, c.AccountID, c.UserID, c.Wrapper.StackID); err != nil {
		// A connection uses a stack as its creator may: theirs, or shared
		// with them (c.UserID is the caller for a new connection).
		if platform.ErrorCode(err) != platform.CodeNotFound {
			return nil, err
		}
		add(platform.CodeInvalidField, "wrapper._stackId", "No stack %s is available to you (yours, or shared with you and accepted).", c.Wrapper.StackID)
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		open byte
		dst  *[]byte
	}{
		{"wrapper.unencrypted", w.Unencrypted, '{', &c.Wrapper.Unencrypted},
		{"wrapper.unencryptedFields", w.UnencryptedFields, '[', &c.Wrapper.UnencryptedFields},
		{"wrapper.encryptedFields", w.EncryptedFields, '[', &c.Wrapper.EncryptedFields},
	} {
		*f.dst = nil
		if isNull(f.raw) {
			continue
		}
		if !isKind(f.raw, f.open) {
			add(platform.CodeInvalidField, f.name, "%s must be a JSON %s.", f.name, map[byte]string{'{': "object", '[': "array"}[f.open])
			continue
		}
		var compact bytes.Buffer
		_ = json.Compact(&compact, f.raw)
		*f.dst = compact.Bytes()
	}
	c.Wrapper.ConcurrencyLevel = 0
	if l := w.ConcurrencyLevel; l != nil {
		if *l < 1 || *l > MaxConcurrencyLevel {
			add(platform.CodeInvalidField, "wrapper.concurrencyLevel", "concurrencyLevel must be 1 to %d, or absent for burst mode.", MaxConcurrencyLevel)
		}
		c.Wrapper.ConcurrencyLevel = *l
	}
	var plain []byte
	switch {
	case isNull(w.Encrypted):
		c.Wrapper.Encrypted = nil
	case string(bytes.TrimSpace(w.Encrypted)) == `"`+mask+`"`:
		if old == nil {
			add(platform.CodeInvalidField, "wrapper.encrypted", `encrypted must be a JSON object; "******" only means "unchanged" on an update.`)
			break
		}
		c.Wrapper.Encrypted = old.Wrapper.Encrypted
		if len(old.Wrapper.Encrypted) > 0 {
			var err error
			if plain, err = s.sealer.Open(old.Wrapper.Encrypted, connAAD(c.ID)); err != nil {
				return nil, errors.Join(errors.New("open connection secret"), err)
			}
		}
	case isKind(w.Encrypted, '{'):
		var compact bytes.Buffer
		_ = json.Compact(&compact, w.Encrypted)
		plain = compact.Bytes()
		c.Wrapper.Encrypted = s.sealer.Seal(plain, connAAD(c.ID))
	default:
		add(platform.CodeInvalidField, "wrapper.encrypted", "encrypted must be a JSON object.")
	}
	return plain, errs.Err()
}

func (s *Server) listConnections(w http.ResponseWriter, r *http.Request, p *principal) error {
	return list(w, r, func(pg platform.Page) ([]*platform.Connection, error) {
		return s.store.ListConnections(r.Context(), p.user.AccountID, pg)
	}, plain(connectionView))
}

func (s *Server) createConnection(w http.ResponseWriter, r *http.Request, p *principal) error {
	if err := p.requireManage(); err != nil {
		return err
	}
	var b connectionBody
	if err := decode(r, &b); err != nil {
		return err
	}
	c := &platform.Connection{ID: platform.NewID(), AccountID: p.user.AccountID, UserID: p.user.ID}
	if _, err := s.applyConnection(r.Context(), p, &b, c, nil); err != nil {
		return err
	}
	if err := s.store.CreateConnection(r.Context(), c); err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/connections/"+c.ID)
	writeJSON(w, http.StatusCreated, connectionView(c))
	return nil
}

func (s *Server) connectionFor(r *http.Request, p *principal) (*platform.Connection, error) {
	id := r.PathValue("id")
	if !platform.ValidID(id) {
		return nil, platform.ErrNotFound
	}
	return s.store.GetConnection(r.Context(), p.user.AccountID, id)
}

func (s *Server) getConnection(w http.ResponseWriter, r *http.Request, p *principal) error {
	c, err := s.connectionFor(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, connectionView(c))
	return nil
}

func (s *Server) updateConnection(w http.ResponseWriter, r *http.Request, p *principal) error {
	old, err := s.connectionFor(r, p)
	if err != nil {
		return err
	}
	if err := p.requireManage(); err != nil {
		return err
	}
	var b connectionBody
	if err := decode(r, &b); err != nil {
		return err
	}
	c := *old
	if _, err := s.applyConnection(r.Context(), p, &b, &c, old); err != nil {
		return err
	}
	if err := s.store.UpdateConnection(r.Context(), &c); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, connectionView(&c))
	return nil
}

func (s *Server) deleteConnection(w http.ResponseWriter, r *http.Request, p *principal) error {
	c, err := s.connectionFor(r, p)
	if err != nil {
		return err
	}
	if err := p.requireManage(); err != nil {
		return err
	}
	if err := s.store.DeleteConnection(r.Context(), c.AccountID, c.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pingSaved pings a stored connection and records the verdict: online
// clears offline, 401 sets it; a stack that cannot answer changes nothing.
func (s *Server) pingSaved(get bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *principal) error {
		c, err := s.connectionFor(r, p)
		if err != nil {
			return err
		}
		if err := p.requireManage(); err != nil {
			return err
		}
		var ref connection.Ref
		if !get && r.ContentLength != 0 {
			if err := decode(r, &ref); err != nil {
				return err
			}
		}
		plain, err := s.pinger.Open(c)
		if err != nil {
			return err
		}
		res, err := s.pinger.Ping(r.Context(), c, c.UserID, plain, ref)
		if err != nil {
			return err
		}
		if res.Online || res.Offline {
			if err := s.store.SetConnectionOffline(r.Context(), c.AccountID, c.ID, res.Offline); err != nil {
				return err
			}
		}
		if res.Offline && s.offline != nil {
			if err := s.offline(r.Context(), c.AccountID, c.ID); err != nil {
				return err
			}
		}
		writePing(w, res, get)
		return nil
	}
}

// pingUnsaved tests a connection sent in the body without saving it (the
// form's "Test connection").
func (s *Server) pingUnsaved(w http.ResponseWriter, r *http.Request, p *principal) error {
	if err := p.requireManage(); err != nil {
		return err
	}
	var b connectionBody
	if err := decode(r, &b); err != nil {
		return err
	}
	c := &platform.Connection{ID: platform.NewID(), AccountID: p.user.AccountID, UserID: p.user.ID}
	plain, err := s.applyConnection(r.Context(), p, &b, c, nil)
	if err != nil {
		return err
	}
	res, err := s.pinger.Ping(r.Context(), c, p.user.ID, plain, connection.Ref{})
	if err != nil {
		return err
	}
	writePing(w, res, false)
	return nil
}

// writePing answers a ping: {"code":200} (GET) or {} (POST) when online,
// else 200 with {"errors":[…]}.
func writePing(w http.ResponseWriter, res *connection.Result, get bool) {
	if res.Online {
		if get {
			writeJSON(w, http.StatusOK, map[string]int{"code": 200})
		} else {
			writeJSON(w, http.StatusOK, map[string]any{})
		}
		return
	}
	// A failure always names at least one error, each an object: a stack
	// answering {"errors":[]} or [null] must not read as {"errors":null}.
	errs := slices.DeleteFunc(slices.Clone(res.Errors), func(e map[string]any) bool { return e == nil })
	if len(errs) == 0 {
		errs = []map[string]any{{"code": invoke.CodeInvalidStackResponse, "message": "The stack answered the ping with an empty errors list."}}
	}
	writeJSON(w, http.StatusOK, map[string]any{"errors": errs})
}
