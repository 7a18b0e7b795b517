package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hookstack/hookstack/internal/invoke"
	"github.com/hookstack/hookstack/internal/platform"
	"github.com/hookstack/hookstack/internal/secret"
)

// StackInvokers returns the platform's way to call a stack's functions:
// POST {hostURI}/function with the stack's system token for a server stack,
// retried once with the previous token when the stack refuses the current
// one during a rotation's grace window (DELETE …/systemToken?graceSeconds=N).
// A Lambda stack is invoked with the AWS SDK, its keys (the secret opened
// here), region, function name and optional endpointURL.
func StackInvokers(sealer *secret.Sealer) func(*platform.Stack) (invoke.Invoker, error) {
	return func(st *platform.Stack) (invoke.Invoker, error) {
		switch st.Type {
		case platform.StackServer:
			if st.Server == nil || st.Server.HostURI == "" {
				return nil, fmt.Errorf("the stack %q has no host URI yet", st.Name)
			}
			tok, err := sealer.OpenString(st.SystemToken, secretAAD(st.ID, "systemToken"))
			if err != nil {
				return nil, fmt.Errorf("open the system token of stack %s: %w", st.ID, err)
			}
			cur := &invoke.HTTP{BaseURL: st.Server.HostURI, Token: tok}
			if len(st.PreviousToken) == 0 || st.GraceUntil == nil || !time.Now().Before(*st.GraceUntil) {
				return cur, nil
			}
			prev, err := sealer.OpenString(st.PreviousToken, secretAAD(st.ID, "systemToken"))
			if err != nil {
				return nil, fmt.Errorf("open the previous system token of stack %s: %w", st.ID, err)
			}
			return graceInvoker{cur: cur, prev: &invoke.HTTP{BaseURL: st.Server.HostURI, Token: prev}}, nil
		case platform.StackLambda:
			if st.Lambda == nil {
				return nil, fmt.Errorf("the stack %q has no lambda settings", st.Name)
			}
			key, err := sealer.OpenString(st.Lambda.SecretAccessKey, secretAAD(st.ID, "secretAccessKey"))
			if err != nil {
				return nil, fmt.Errorf("open the secret access key of stack %s: %w", st.ID, err)
			}
			return &invoke.Lambda{AccessKeyID: st.Lambda.AccessKeyID, SecretAccessKey: key, Region: st.Lambda.AWSRegion,
				FunctionName: st.Lambda.FunctionName, EndpointURL: st.Lambda.EndpointURL}, nil
		}
		return nil, fmt.Errorf("calling %s stacks is not available in this version", st.Type)
	}
}

// graceInvoker calls with the current system token and, when the stack
// refuses it (401: the stack has not been given the new token yet), once
// more with the previous one.
type graceInvoker struct{ cur, prev invoke.Invoker }

func (g graceInvoker) Invoke(ctx context.Context, call *invoke.Call) (json.RawMessage, error) {
	res, err := g.cur.Invoke(ctx, call)
	var se *invoke.StackError
	if errors.As(err, &se) && se.Code() == invoke.CodeStackUnauthorized {
		return g.prev.Invoke(ctx, call)
	}
	return res, err
}
