package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/hookstack/hookstack/internal/platform"
)

type userRef struct {
	ID    string `json:"_id,omitempty"`
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

// shareJSON is a share as its owner's account sees it.
type shareJSON struct {
	ID             string  `json:"_id"`
	StackID        string  `json:"_stackId"`
	SharedWithUser userRef `json:"sharedWithUser"`
	Status         string  `json:"status"`
	Accepted       bool    `json:"accepted"`
	Dismissed      bool    `json:"dismissed"`
	Disabled       bool    `json:"disabled"`
	CreatedAt      string  `json:"createdAt"`
	LastModified   string  `json:"lastModified"`
}

// inviteJSON is a share as its invitee sees it.
type inviteJSON struct {
	ID        string  `json:"_id"`
	OwnerUser userRef `json:"ownerUser"`
	Stack     struct {
		ID   string `json:"_id"`
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"stack"`
	Status       string `json:"status"`
	Accepted     bool   `json:"accepted"`
	Dismissed    bool   `json:"dismissed"`
	Disabled     bool   `json:"disabled"`
	CreatedAt    string `json:"createdAt"`
	LastModified string `json:"lastModified"`
}

func (s *Server) shareView(r *http.Request, sh *platform.Share) shareJSON {
	v := shareJSON{ID: sh.ID, StackID: sh.StackID, SharedWithUser: userRef{Email: sh.Email}, Status: sh.Status(),
		Accepted: sh.Accepted, Dismissed: sh.Dismissed, Disabled: sh.Disabled,
		CreatedAt: timeJSON(sh.CreatedAt), LastModified: timeJSON(sh.LastModified)}
	if sh.SharedWithUserID != "" {
		if u, err := s.store.GetUser(r.Context(), sh.SharedWithUserID); err == nil {
			v.SharedWithUser = userRef{ID: u.ID, Email: u.Email, Name: u.Name}
		}
	}
	return v
}

func (s *Server) inviteView(r *http.Request, sh *platform.Share) (inviteJSON, error) {
	v := inviteJSON{ID: sh.ID, Status: sh.Status(), Accepted: sh.Accepted, Dismissed: sh.Dismissed, Disabled: sh.Disabled,
		CreatedAt: timeJSON(sh.CreatedAt), LastModified: timeJSON(sh.LastModified)}
	owner, err := s.store.GetUser(r.Context(), sh.OwnerUserID)
	if err != nil {
		return v, err
	}
	v.OwnerUser = userRef{ID: owner.ID, Email: owner.Email, Name: owner.Name}
	st, err := s.store.GetStack(r.Context(), sh.StackID)
	if err != nil {
		return v, err
	}
	v.Stack.ID, v.Stack.Name, v.Stack.Type = st.ID, st.Name, st.Type
	return v, nil
}

// invite shares a stack with a user by email (who may not have a user yet).
func (s *Server) invite(w http.ResponseWriter, r *http.Request, p *principal) error {
	st, err := s.ownStack(r, p)
	if err != nil {
		return err
	}
	var b struct {
		Email *string `json:"email"`
	}
	if err := decode(r, &b); err != nil {
		return err
	}
	email := strings.ToLower(str(b.Email))
	switch {
	case email == "":
		return platform.FieldError(platform.CodeMissingRequiredField, "email", "email is required.")
	case !validEmail(email):
		return platform.FieldError(platform.CodeInvalidField, "email", "%q is not an email address.", email)
	}
	if u, err := s.store.GetUserByEmail(r.Context(), email); err == nil && u.AccountID == p.user.AccountID {
		return platform.FieldError(platform.CodeInvalidField, "email", "%s is in your account already and sees its stacks.", email)
	} else if err != nil && !errors.Is(err, platform.ErrNotFound) {
		return err
	}
	sh := &platform.Share{ID: platform.NewID(), StackID: st.ID, AccountID: st.AccountID, OwnerUserID: p.user.ID, Email: email}
	if err := s.store.CreateShare(r.Context(), sh); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.shareView(r, sh))
	return nil
}

func (s *Server) listShares(w http.ResponseWriter, r *http.Request, p *principal) error {
	return list(w, r, func(pg platform.Page) ([]*platform.Share, error) {
		return s.store.ListSharesByAccount(r.Context(), p.user.AccountID, pg)
	}, plain(func(sh *platform.Share) shareJSON { return s.shareView(r, sh) }))
}

// shareFor loads a share by id for its owner's account (owner) or its
// invitee (!owner); anyone else gets not found.
func (s *Server) shareFor(r *http.Request, p *principal, owner bool) (*platform.Share, error) {
	id := r.PathValue("id")
	if !platform.ValidID(id) {
		return nil, platform.ErrNotFound
	}
	sh, err := s.store.GetShare(r.Context(), id)
	if err != nil {
		return nil, err
	}
	switch {
	case owner && sh.AccountID == p.user.AccountID:
		return sh, p.requireManage()
	case !owner && sh.SharedWithUserID == p.user.ID:
		return sh, nil
	case owner && sh.SharedWithUserID == p.user.ID, !owner && sh.AccountID == p.user.AccountID:
		return nil, platform.Errorf(platform.CodeForbidden, "Only the %s may do this.", map[bool]string{true: "stack's owner", false: "invitee"}[owner])
	}
	return nil, platform.ErrNotFound
}

// reinvite makes a dismissed (or disabled) share pending again.
func (s *Server) reinvite(w http.ResponseWriter, r *http.Request, p *principal) error {
	sh, err := s.shareFor(r, p, true)
	if err != nil {
		return err
	}
	var b map[string]any
	if err := decode(r, &b); err != nil {
		return err
	}
	if sh.Dismissed {
		sh.Accepted = false
	}
	sh.Dismissed, sh.Disabled = false, false
	if err := s.store.UpdateShare(r.Context(), sh); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.shareView(r, sh))
	return nil
}

// toggleShare switches an accepted share Off or On.
func (s *Server) toggleShare(w http.ResponseWriter, r *http.Request, p *principal) error {
	sh, err := s.shareFor(r, p, true)
	if err != nil {
		return err
	}
	if !sh.Accepted {
		return platform.Errorf(platform.CodeInvalidField, "Only an accepted share can be switched off or on; this one is %s.", sh.Status())
	}
	sh.Disabled = !sh.Disabled
	if err := s.store.UpdateShare(r.Context(), sh); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.shareView(r, sh))
	return nil
}

func (s *Server) deleteShare(w http.ResponseWriter, r *http.Request, p *principal) error {
	sh, err := s.shareFor(r, p, true)
	if err != nil {
		return err
	}
	if err := s.store.DeleteShare(r.Context(), sh.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// answerShare accepts or dismisses an invitation.
func (s *Server) answerShare(accept bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *principal) error {
		sh, err := s.shareFor(r, p, false)
		if err != nil {
			return err
		}
		if accept && sh.Dismissed {
			return platform.Errorf(platform.CodeInvalidField, "You dismissed this invitation; the stack's owner must invite you again.")
		}
		sh.Accepted, sh.Dismissed = accept, !accept
		if err := s.store.UpdateShare(r.Context(), sh); err != nil {
			return err
		}
		v, err := s.inviteView(r, sh)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func (s *Server) listInvites(w http.ResponseWriter, r *http.Request, p *principal) error {
	return list(w, r, func(pg platform.Page) ([]*platform.Share, error) {
		return s.store.ListSharesForUser(r.Context(), p.user.ID, pg)
	}, func(sh *platform.Share) (inviteJSON, error) { return s.inviteView(r, sh) })
}

func (s *Server) listSharedStacks(w http.ResponseWriter, r *http.Request, p *principal) error {
	return list(w, r, func(pg platform.Page) ([]*platform.Stack, error) {
		return s.store.ListSharedStacks(r.Context(), p.user.ID, pg)
	}, plain(func(st *platform.Stack) stackJSON { return stackView(st, true) }))
}
