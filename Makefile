# Hookstack — one command per task, the same locally and in CI.
.DEFAULT_GOAL := help
GO ?= go

.PHONY: help
help: ## Show this help
	@grep -E '^[a-zA-Z/_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: test
test: ## Run all tests (the README's test command)
	$(GO) test ./...

.PHONY: test/race
test/race: ## Run all tests with the race detector, as CI does
	$(GO) test -race -count=1 ./...

.PHONY: lint
lint: ## gofmt check, go vet and staticcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

.PHONY: bench
bench: ## Go micro-benchmarks of the SDK's hot paths
	$(GO) test -run '^$$' -bench . -benchmem ./extension/...

.PHONY: bench/side-by-side
bench/side-by-side: ## Go stack vs the Node original with ../shared/bench/run.sh (needs wrk, node)
	./bench/side-by-side.sh

.PHONY: up
up: ## Run the platform (the README's main job) on 127.0.0.1:8080
	$(GO) run ./cmd/hookstack up

.PHONY: run
run: ## Run the example stack on :8080
	INTEGRATOR_EXTENSION_SYSTEM_TOKEN=$${INTEGRATOR_EXTENSION_SYSTEM_TOKEN:-dev-token} PORT=$${PORT:-8080} $(GO) run ./examples/orders/cmd/orders-server

.PHONY: ci
ci: ## What CI runs
	./.ci/run
