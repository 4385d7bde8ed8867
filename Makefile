# keks: the EKS API and real Kubernetes clusters on your own machine.
OUT        := _output
KEKS       := $(OUT)/bin/keks
DATA_DIR   ?= /var/lib/keks
LISTEN     ?= 127.0.0.1:4577
K8S_VERSIONS ?=
# How long each fuzz target runs: FUZZTIME for `make fuzz`, TEST_FUZZTIME
# within `make test`.
FUZZTIME      ?= 10s
TEST_FUZZTIME ?= 5s
# Every fuzz target, as package:Target.
FUZZ_TARGETS := ./internal/server:FuzzEKS ./internal/server:FuzzIAM ./internal/server:FuzzIAMOps ./internal/server:FuzzSTS \
	./internal/server:FuzzEC2 ./internal/server:FuzzECR ./internal/api/kmsapi:FuzzKMS ./internal/api/ec2api:FuzzWildcard \
	./internal/iam/policy:FuzzParseEvaluate ./internal/server:FuzzLogs ./internal/cwlogs/filterpattern:FuzzParse \
	./internal/server:FuzzCloudFormation ./internal/cloudformation:FuzzTemplate \
	./internal/server:FuzzAutoScaling ./internal/api/ssmapi:FuzzSSM

.PHONY: all build keks kubernetes run test unit fuzz e2e e2e-extended bench conformance conformance-suite vet clean

all: build

build: keks kubernetes

# The programs of the images keks makes of its own code (keks/aws-check,
# eks/eks-pod-identity-agent) go beside keks, where keks server finds them.
PROGRAMS := aws-check eks-pod-identity-agent csi-sidecars

keks:
	@mkdir -p $(OUT)/bin
	go build -o $(KEKS) ./cmd/keks
	@for p in $(PROGRAMS); do \
		echo "go build -o $(OUT)/bin/$$p ./cmd/$$p"; \
		CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags='-s -w' -o $(OUT)/bin/$$p ./cmd/$$p || exit 1; \
	done

# Builds the default Kubernetes version (and K8S_VERSIONS) from the Go module
# proxy into $(OUT)/k8s; cached, so a second run takes seconds.
kubernetes: keks
	$(KEKS) build-kubernetes $(K8S_VERSIONS)

run: build
	$(KEKS) server --data-dir $(DATA_DIR) --listen $(LISTEN) --demo-cluster demo

test: build vet unit fuzz e2e

# Within `make test` the fuzzers run briefly (a command-line FUZZTIME wins).
test: FUZZTIME = $(TEST_FUZZTIME)

vet:
	go vet ./...

unit:
	go test -count=1 ./internal/... ./cmd/...

# go test fuzzes one target at a time: run them one after another. Go 1.26's
# fuzz coordinator can fail a target with a bare "context deadline exceeded"
# as -fuzztime ends (go.dev/issue/75804, fixed in Go 1.27): such a run, with
# no failing input written, is run once more; any other failure stops.
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; log=$$(mktemp); \
		for try in 1 2; do \
			echo "fuzz $$name for $(FUZZTIME)"; \
			if go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg >$$log 2>&1; then cat $$log; break; fi; \
			cat $$log; \
			if [ $$try = 1 ] && grep -q 'context deadline exceeded' $$log && ! grep -q 'Failing input written' $$log; then \
				echo "fuzz $$name: the fuzz coordinator's deadline race (go.dev/issue/75804), no failing input: once more"; continue; fi; \
			rm -f $$log; exit 1; \
		done; rm -f $$log; \
	done

# TestConformanceQuick runs a few conformance tests: the suite of the
# default version is built first (minutes the first time, then cached).
# Tests that call harness.Long are left to `make e2e-extended`
# (KEKS_E2E_LONG=1), so that `make test` stays under 45 minutes on 2 cores:
# Lab 1's EBS subtest (about 4 minutes: its own node group, volumes grown
# online) and its HPA subtest (about 2.5 minutes, mostly the HPA's
# scale-down window), the version upgrades under load (about 9.5 minutes),
# the two-cluster security group test and SSH across a keks restart (the
# eksctl flow checks both in less), and two servers sharing the host (about
# 3 minutes).
e2e: build conformance-suite
	go test -count=1 -timeout 45m -v ./test/e2e/

# Every end-to-end test, the long ones too.
e2e-extended: build conformance-suite
	KEKS_E2E_LONG=1 go test -count=1 -timeout 75m -v ./test/e2e/

conformance-suite: keks
	$(KEKS) build-kubernetes --conformance $(K8S_VERSIONS)

# Both control-plane runtimes: the kubernetes runtime's benchmark makes a
# management cluster first (KEKS_BENCH_KUBERNETES=0 leaves it out).
bench: build
	KEKS_BENCH_KUBERNETES=$${KEKS_BENCH_KUBERNETES:-1} go test -count=1 -timeout 60m -run '^$$' -bench . -benchtime 1x ./test/bench/

# The Kubernetes conformance suite against a running cluster of the keks
# server `make run` started (CLUSTER, default demo); CONFORMANCE_ARGS adds
# --quick, --focus, --skip, --parallel, --profile...
CLUSTER ?= demo
conformance: build
	$(KEKS) conformance --cluster $(CLUSTER) $(CONFORMANCE_ARGS)

clean:
	rm -rf $(OUT)
