package api

import "github.com/hookstack/hookstack/internal/ott"

// register declares every route; api/openapi.yaml documents exactly these.
func (s *Server) register() {
	s.handleClass("GET /v1/tokenInfo", ott.ClassSelf, s.tokenInfo)

	s.handle("GET /v1/accesstokens", s.listTokens)
	s.handle("POST /v1/accesstokens", s.createToken)
	s.handle("GET /v1/accesstokens/{id}", s.getToken)
	s.handle("PUT /v1/accesstokens/{id}", s.updateToken)
	s.handle("DELETE /v1/accesstokens/{id}", s.deleteToken)
	s.handle("GET /v1/accesstokens/{id}/display", s.displayToken)
	s.handle("POST /v1/accesstokens/{id}/generate", s.generateToken)

	s.handle("GET /v1/stacks", s.listStacks)
	s.handle("POST /v1/stacks", s.createStack)
	s.handle("GET /v1/stacks/{id}", s.getStack)
	s.handle("PUT /v1/stacks/{id}", s.updateStack)
	s.handle("DELETE /v1/stacks/{id}", s.deleteStack)
	s.handle("GET /v1/stacks/{id}/systemToken", s.getSystemToken)
	s.handle("DELETE /v1/stacks/{id}/systemToken", s.rotateSystemToken)
	s.handle("GET /v1/stacks/{id}/dependencies", s.stackDependencies)
	s.handle("POST /v1/stacks/{id}/invite", s.invite)

	s.handle("GET /v1/sshares", s.listShares)
	s.handle("PUT /v1/sshares/{id}", s.reinvite)
	s.handle("PUT /v1/sshares/{id}/disable", s.toggleShare)
	s.handle("DELETE /v1/sshares/{id}", s.deleteShare)
	s.handle("PUT /v1/sshares/{id}/accept", s.answerShare(true))
	s.handle("PUT /v1/sshares/{id}/dismiss", s.answerShare(false))
	s.handle("GET /v1/shared/sshares", s.listInvites)
	s.handle("GET /v1/shared/stacks", s.listSharedStacks)

	s.handleClass("GET /v1/connections", ott.ClassIntegration, s.listConnections)
	s.handleClass("POST /v1/connections", ott.ClassIntegration, s.createConnection)
	s.handleClass("GET /v1/connections/{id}", ott.ClassIntegration, s.getConnection)
	s.handleClass("PUT /v1/connections/{id}", ott.ClassIntegration, s.updateConnection)
	s.handleClass("DELETE /v1/connections/{id}", ott.ClassIntegration, s.deleteConnection)
	s.handleClass("GET /v1/connections/{id}/ping", ott.ClassIntegration, s.pingSaved(true))
	s.handleClass("POST /v1/connections/{id}/ping", ott.ClassIntegration, s.pingSaved(false))
	s.handleClass("POST /v1/connections/ping", ott.ClassIntegration, s.pingUnsaved)
}
