# appconnector — run `make help` for the targets.

GO        ?= go
BIN       ?= bin
DATA_DIR  ?= ./data
FUZZTIME  ?= 60s
BENCHTIME ?= 1s
PKGS      := ./...

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build every binary (and the example echo-server) into ./bin.
	@mkdir -p $(BIN)
	$(GO) build -trimpath -o $(BIN)/ ./cmd/... ./examples/...

.PHONY: run
run: build ## Build and start appconnector with the embedded store in $(DATA_DIR).
	./$(BIN)/appconnector --data-dir $(DATA_DIR)

.PHONY: test
test: realservers ## Run every test with the race detector (real etcd, kube-apiserver, Vault and helm included).
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

.PHONY: generate
generate: ## Regenerate wire_gen.go and mocks/ (go generate: wire + mockgen).
	$(GO) generate ./...

.PHONY: verify-generate
verify-generate: generate ## Fail if generated files differ from what is committed.
	@git diff --exit-code -- mocks cmd ports adapters/compass/internal || { echo "generated files are stale: run 'make generate' and commit"; exit 1; }
	@test -z "$$(git status --porcelain --untracked-files=all -- mocks cmd adapters/compass/internal)" || { git status --short -- mocks cmd adapters/compass/internal; echo "untracked generated files: commit them"; exit 1; }

.PHONY: fmt
fmt: ## Format the code.
	gofmt -w $$(git ls-files '*.go')

.PHONY: lint
lint: ## gofmt check, go vet, and the layer rules (domain stays pure).
	@out=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$out" || { echo "gofmt needed:"; echo "$$out"; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) test -count=1 -run 'TestLayers' ./domain/

.PHONY: fuzz
fuzz: ## Run every fuzz test for $(FUZZTIME) each.
	@set -e; for pkg in $$(git grep -l '^func Fuzz' -- '*_test.go' | xargs -n1 dirname | sort -u); do \
		for f in $$($(GO) test -list '^Fuzz' ./$$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./$$pkg; \
		done; \
	done

.PHONY: bench
bench: ## Run the Go benchmarks and the gateway load test on loopback beside nginx (docs/performance.md).
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)
	$(MAKE) bench-gateway

# hack/nginx.sh prints the nginx binary, installing Debian's package first when it is
# missing and the user is root; anything else stops here with its message.
GATEWAYBENCH_FLAGS ?=
.PHONY: bench-gateway
bench-gateway: ## Run only the gateway load test (nginx, minimal Go proxies, gateway rows); GATEWAYBENCH_FLAGS adds flags.
	NGINX=$$(hack/nginx.sh) && PATH="$$(dirname "$$NGINX"):$$PATH" $(GO) test -count=1 -tags nginx -run TestNginx ./cmd/gatewaybench && \
		$(GO) run ./cmd/gatewaybench -nginx "$$NGINX" $(GATEWAYBENCH_FLAGS)

IMAGE ?= appconnector:dev

.PHONY: image
image: ## Build the container image $(IMAGE) (needs a Docker engine).
	docker build -t $(IMAGE) .

.PHONY: realservers
realservers: ## Build (once, cached under $$HOME) etcd, kube-apiserver, Vault and helm for the integration tests.
	hack/realservers.sh

.PHONY: clean
clean: ## Remove build output (not the data dir).
	rm -rf $(BIN)
