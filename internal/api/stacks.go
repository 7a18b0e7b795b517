package api

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/secret"
)

// Languages a Lambda stack may declare.
var lambdaLanguages = []string{"C#", "Java", "Node.js", "Other"}

var (
	awsRegionRE    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$`)
	functionNameRE = regexp.MustCompile(`^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$`)
	accessKeyRE    = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
)

// MaxGrace bounds the grace window of a system-token rotation.
const MaxGrace = time.Hour

type serverJSON struct {
	HostURI     string   `json:"hostURI"`
	IPRanges    []string `json:"ipRanges"`
	SystemToken string   `json:"systemToken,omitempty"`
}

type lambdaJSON struct {
	AccessKeyID     string `json:"accessKeyId,omitempty"`
	SecretAccessKey string `json:"secretAccessKey,omitempty"`
	AWSRegion       string `json:"awsRegion"`
	FunctionName    string `json:"functionName"`
	Language        string `json:"language"`
	EndpointURL     string `json:"endpointURL,omitempty"`
}

type stackJSON struct {
	ID           string      `json:"_id"`
	Name         string      `json:"name"`
	Type         string      `json:"type"`
	Framework    string      `json:"framework,omitempty"`
	Server       *serverJSON `json:"server,omitempty"`
	Lambda       *lambdaJSON `json:"lambda,omitempty"`
	Shared       bool        `json:"shared,omitempty"`
	CreatedAt    string      `json:"createdAt"`
	LastModified string      `json:"lastModified"`
}

// stackView renders a stack; secrets are always masked, and a stack shared
// with the caller shows neither the token nor the AWS credentials.
func stackView(st *platform.Stack, shared bool) stackJSON {
	v := stackJSON{ID: st.ID, Name: st.Name, Type: st.Type, Framework: st.Framework, Shared: shared,
		CreatedAt: timeJSON(st.CreatedAt), LastModified: timeJSON(st.LastModified)}
	if st.Server != nil {
		v.Server = &serverJSON{HostURI: st.Server.HostURI, IPRanges: st.Server.IPRanges}
		if v.Server.IPRanges == nil {
			v.Server.IPRanges = []string{}
		}
		if !shared {
			v.Server.SystemToken = mask
		}
	}
	if st.Lambda != nil {
		v.Lambda = &lambdaJSON{AWSRegion: st.Lambda.AWSRegion, FunctionName: st.Lambda.FunctionName, Language: st.Lambda.Language}
		if !shared {
			v.Lambda.AccessKeyID, v.Lambda.SecretAccessKey, v.Lambda.EndpointURL = st.Lambda.AccessKeyID, mask, st.Lambda.EndpointURL
		}
	}
	return v
}

// stackBody is what POST and PUT accept.
type stackBody struct {
	Name      *string `json:"name"`
	Type      *string `json:"type"`
	Framework *string `json:"framework"`
	Server    *struct {
		HostURI     *string  `json:"hostURI"`
		IPRanges    []string `json:"ipRanges"`
		SystemToken *string  `json:"systemToken"`
	} `json:"server"`
	Lambda *struct {
		AccessKeyID     *string `json:"accessKeyId"`
		SecretAccessKey *string `json:"secretAccessKey"`
		AWSRegion       *string `json:"awsRegion"`
		FunctionName    *string `json:"functionName"`
		Language        *string `json:"language"`
		EndpointURL     *string `json:"endpointURL"`
	} `json:"lambda"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

func secretAAD(stackID, field string) string { return "stack:" + stackID + ":" + field }

// apply validates b and writes it onto st (a new stack when old is nil,
// else the stored one being replaced). Every problem is reported, each with
// its field.
func (s *Server) apply(b *stackBody, st *platform.Stack, old *platform.Stack) error {
	var errs platform.Errors
	add := func(code platform.Code, field, format string, args ...any) {
		errs = append(errs, platform.FieldError(code, field, format, args...))
	}
	name := str(b.Name)
	switch {
	case name == "":
		add(platform.CodeMissingRequiredField, "name", "name is required.")
	case len(name) > 200:
		add(platform.CodeInvalidField, "name", "name is longer than 200 characters.")
	case !plainText(name):
		add(platform.CodeInvalidField, "name", "name must not contain control characters.")
	}
	typ := str(b.Type)
	switch typ {
	case platform.StackServer, platform.StackLambda:
	case "":
		add(platform.CodeMissingRequiredField, "type", "type is required (server or lambda).")
	default:
		add(platform.CodeInvalidField, "type", "type must be server or lambda, not %q.", typ)
	}
	framework := ""
	if b.Framework != nil {
		framework = *b.Framework
	}
	if framework != "" && framework != platform.FrameworkTwoDotZero {
		add(platform.CodeInvalidField, "framework", "framework must be %q or absent (framework 1.0).", platform.FrameworkTwoDotZero)
	}
	if old != nil { // editing never changes the framework (PLATFORM §8.5)
		if b.Framework != nil && framework != old.Framework {
			add(platform.CodeInvalidField, "framework", "The framework of a stack cannot be changed.")
		}
		framework = old.Framework
	}
	st.Name, st.Type, st.Framework = name, typ, framework

	switch typ {
	case platform.StackServer:
		if b.Lambda != nil {
			add(platform.CodeInvalidField, "lambda", "A server stack has no lambda settings.")
		}
		srv := &platform.ServerStack{IPRanges: []string{}}
		if b.Server != nil {
			srv.HostURI = str(b.Server.HostURI)
			if srv.HostURI != "" {
				if u, err := url.Parse(srv.HostURI); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
					add(platform.CodeInvalidField, "server.hostURI", "hostURI must be an http or https URL, such as https://ext.example.com.")
				}
			}
			for i, r := range b.Server.IPRanges {
				r = strings.TrimSpace(r)
				if _, _, err := net.ParseCIDR(r); err != nil && net.ParseIP(r) == nil {
					add(platform.CodeInvalidField, fmt.Sprintf("server.ipRanges[%d]", i), "%q is not an IP address or CIDR range.", r)
				}
				srv.IPRanges = append(srv.IPRanges, r)
			}
			if t := b.Server.SystemToken; t != nil && *t != mask && *t != "" {
				add(platform.CodeInvalidField, "server.systemToken", "The system token is generated by the platform; rotate it with DELETE /v1/stacks/{id}/systemToken.")
			}
		}
		st.Server, st.Lambda = srv, nil
		if old == nil || old.Type != platform.StackServer || len(old.SystemToken) == 0 {
			st.SystemToken = s.sealer.SealString(secret.NewToken(), secretAAD(st.ID, "systemToken"))
			st.PreviousToken, st.GraceUntil = nil, nil
		}
	case platform.StackLambda:
		if b.Server != nil {
			add(platform.CodeInvalidField, "server", "A lambda stack has no server settings.")
		}
		lam := &platform.LambdaStack{}
		if b.Lambda == nil {
			add(platform.CodeMissingRequiredField, "lambda", "A lambda stack needs its lambda settings.")
			break
		}
		l := b.Lambda
		lam.AccessKeyID, lam.AWSRegion, lam.FunctionName, lam.Language, lam.EndpointURL = str(l.AccessKeyID), str(l.AWSRegion), str(l.FunctionName), str(l.Language), str(l.EndpointURL)
		switch {
		case lam.AccessKeyID == "":
			add(platform.CodeMissingRequiredField, "lambda.accessKeyId", "accessKeyId is required.")
		case !accessKeyRE.MatchString(lam.AccessKeyID):
			add(platform.CodeInvalidField, "lambda.accessKeyId", "accessKeyId must be an AWS access key id (upper-case letters and digits).")
		}
		switch secretKey := str(l.SecretAccessKey); {
		case secretKey == mask && old != nil && old.Lambda != nil && len(old.Lambda.SecretAccessKey) > 0:
			lam.SecretAccessKey = old.Lambda.SecretAccessKey // "******" means unchanged
		case secretKey == "" || secretKey == mask:
			add(platform.CodeMissingRequiredField, "lambda.secretAccessKey", "secretAccessKey is required.")
		default:
			lam.SecretAccessKey = s.sealer.SealString(secretKey, secretAAD(st.ID, "secretAccessKey"))
		}
		switch {
		case lam.AWSRegion == "":
			add(platform.CodeMissingRequiredField, "lambda.awsRegion", "awsRegion is required.")
		case !awsRegionRE.MatchString(lam.AWSRegion):
			add(platform.CodeInvalidField, "lambda.awsRegion", "%q is not an AWS region such as us-east-1.", lam.AWSRegion)
		}
		switch {
		case lam.FunctionName == "":
			add(platform.CodeMissingRequiredField, "lambda.functionName", "functionName is required.")
		case !functionNameRE.MatchString(lam.FunctionName):
			add(platform.CodeInvalidField, "lambda.functionName", "functionName must be a Lambda function name or ARN.")
		}
		switch {
		case lam.Language == "":
			add(platform.CodeMissingRequiredField, "lambda.language", "language is required (%s).", strings.Join(lambdaLanguages, ", "))
		case !contains(lambdaLanguages, lam.Language):
			add(platform.CodeInvalidField, "lambda.language", "language must be one of %s.", strings.Join(lambdaLanguages, ", "))
		}
		if lam.EndpointURL != "" {
			if u, err := url.Parse(lam.EndpointURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				add(platform.CodeInvalidField, "lambda.endpointURL", "endpointURL must be an http or https URL.")
			}
		}
		st.Lambda, st.Server = lam, nil
		st.SystemToken, st.PreviousToken, st.GraceUntil = nil, nil, nil
	}
	return errs.Err()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Server) listStacks(w http.ResponseWriter, r *http.Request, p *principal) error {
	return list(w, r, func(pg platform.Page) ([]*platform.Stack, error) {
		return s.store.ListStacks(r.Context(), p.user.AccountID, pg)
	}, plain(func(st *platform.Stack) stackJSON { return stackView(st, false) }))
}

func (s *Server) createStack(w http.ResponseWriter, r *http.Request, p *principal) error {
	if err := p.requireManage(); err != nil {
		return err
	}
	var b stackBody
	if err := decode(r, &b); err != nil {
		return err
	}
	st := &platform.Stack{ID: platform.NewID(), AccountID: p.user.AccountID}
	if err := s.apply(&b, st, nil); err != nil {
		return err
	}
	if err := s.store.CreateStack(r.Context(), st); err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/stacks/"+st.ID)
	writeJSON(w, http.StatusCreated, stackView(st, false))
	return nil
}

// access says how the caller may see a stack.
type access int

const (
	noAccess access = iota
	sharedAccess
	ownAccess
)

// stackFor loads a stack the caller may see: their account's, or one shared
// with them by an accepted, enabled share. Anything else is not found.
func (s *Server) stackFor(r *http.Request, p *principal) (*platform.Stack, access, error) {
	id := r.PathValue("id")
	if !platform.ValidID(id) {
		return nil, noAccess, platform.ErrNotFound
	}
	st, err := s.store.GetStack(r.Context(), id)
	if err != nil {
		return nil, noAccess, err
	}
	if st.AccountID == p.user.AccountID {
		return st, ownAccess, nil
	}
	sh, err := s.store.GetShareFor(r.Context(), st.ID, p.user.ID)
	if errors.Is(err, platform.ErrNotFound) || err == nil && !sh.Grants() {
		return nil, noAccess, platform.ErrNotFound
	}
	if err != nil {
		return nil, noAccess, err
	}
	return st, sharedAccess, nil
}

// ownStack loads a stack of the caller's account for a change by a manage user.
func (s *Server) ownStack(r *http.Request, p *principal) (*platform.Stack, error) {
	st, acc, err := s.stackFor(r, p)
	if err != nil {
		return nil, err
	}
	if acc != ownAccess {
		return nil, platform.Errorf(platform.CodeForbidden, "Only the stack's owner account may do this.")
	}
	return st, p.requireManage()
}

func (s *Server) getStack(w http.ResponseWriter, r *http.Request, p *principal) error {
	st, acc, err := s.stackFor(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, stackView(st, acc == sharedAccess))
	return nil
}

func (s *Server) updateStack(w http.ResponseWriter, r *http.Request, p *principal) error {
	old, err := s.ownStack(r, p)
	if err != nil {
		return err
	}
	var b stackBody
	if err := decode(r, &b); err != nil {
		return err
	}
	st := *old
	if err := s.apply(&b, &st, old); err != nil {
		return err
	}
	if err := s.store.UpdateStack(r.Context(), &st); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, stackView(&st, false))
	return nil
}

func (s *Server) deleteStack(w http.ResponseWriter, r *http.Request, p *principal) error {
	st, err := s.ownStack(r, p)
	if err != nil {
		return err
	}
	if err := s.store.DeleteStack(r.Context(), st.AccountID, st.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

var errNoServerStack = platform.Errorf(platform.CodeNotFound, "Stack of type server not found.")

func (s *Server) getSystemToken(w http.ResponseWriter, r *http.Request, p *principal) error {
	st, err := s.ownStack(r, p)
	if err != nil {
		return err
	}
	if st.Type != platform.StackServer {
		return errNoServerStack
	}
	tok, err := s.sealer.OpenString(st.SystemToken, secretAAD(st.ID, "systemToken"))
	if err != nil {
		return errors.Join(errors.New("open system token"), err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"_id": st.ID, "systemToken": tok, "token": tok})
	return nil
}

// rotateSystemToken replaces the token at once, or, with ?graceSeconds=N
// (at most 3600), keeps the previous one accepted for N seconds.
func (s *Server) rotateSystemToken(w http.ResponseWriter, r *http.Request, p *principal) error {
	st, err := s.ownStack(r, p)
	if err != nil {
		return err
	}
	if st.Type != platform.StackServer {
		return errNoServerStack
	}
	grace := time.Duration(0)
	if v := r.URL.Query().Get("graceSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || time.Duration(n)*time.Second > MaxGrace {
			return platform.FieldError(platform.CodeInvalidQueryParams, "graceSeconds", "graceSeconds must be a whole number from 0 to 3600.")
		}
		grace = time.Duration(n) * time.Second
	}
	aad := secretAAD(st.ID, "systemToken")
	st.PreviousToken, st.GraceUntil = nil, nil
	if grace > 0 {
		until := s.now().Add(grace).UTC()
		st.PreviousToken, st.GraceUntil = st.SystemToken, &until
	}
	st.SystemToken = s.sealer.SealString(secret.NewToken(), aad)
	if err := s.store.UpdateStack(r.Context(), st); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) stackDependencies(w http.ResponseWriter, r *http.Request, p *principal) error {
	st, acc, err := s.stackFor(r, p)
	if err != nil {
		return err
	}
	if acc != ownAccess {
		return platform.Errorf(platform.CodeForbidden, "Only the stack's owner account may list its dependencies.")
	}
	deps, err := s.store.StackDependencies(r.Context(), st.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, deps.Redacted(p.user.AccountID))
	return nil
}

func validEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e && !strings.ContainsAny(e, " <>")
}
