# keks: the EKS API and real Kubernetes clusters on your own machine.
OUT        := _output
KEKS       := $(OUT)/bin/keks
DATA_DIR   ?= /var/lib/keks
LISTEN     ?= 127.0.0.1:4577
K8S_VERSIONS ?=

.PHONY: all build keks kubernetes run test unit e2e bench vet clean

all: build

build: keks kubernetes

keks:
	@mkdir -p $(OUT)/bin
	go build -o $(KEKS) ./cmd/keks

# Builds the default Kubernetes version (and K8S_VERSIONS) from the Go module
# proxy into $(OUT)/k8s; cached, so a second run takes seconds.
kubernetes: keks
	$(KEKS) build-kubernetes $(K8S_VERSIONS)

run: build
	$(KEKS) server --data-dir $(DATA_DIR) --listen $(LISTEN) --demo-cluster demo

test: build vet unit e2e

vet:
	go vet ./...

unit:
	go test -count=1 ./internal/... ./cmd/...

e2e: build
	go test -count=1 -timeout 30m -v ./test/e2e/

bench: build
	go test -count=1 -timeout 30m -run '^$$' -bench . -benchtime 1x ./test/bench/

clean:
	rm -rf $(OUT)
