# tracker: `make demo` sets everything up and runs the demo; `make test` runs the tests.
GO      ?= go
BIN     := bin/tracker
# Debian packages the build needs: the HDF5 C library and OpenBLAS (cgo).
DEB_BUILD := libhdf5-dev libopenblas-dev pkg-config gcc
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build test check bench fuzz reliability demo clean

all: build

# deps installs the C libraries cgo needs, only when they are missing.
deps:
	@if ! pkg-config --exists hdf5 2>/dev/null || ! pkg-config --exists openblas 2>/dev/null || ! command -v gcc >/dev/null; then \
		echo "installing $(DEB_BUILD) (Debian packages for HDF5 and OpenBLAS)"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_BUILD); \
	fi
	@# tracker links OpenBLAS statically (experiments/nn); the OpenMP build's
	@# archive would need libgomp, so say how to pick the pthread one.
	@a=/usr/lib/$$(gcc -print-multiarch)/libopenblas.a; \
	if readlink -f "$$a" 2>/dev/null | grep -q openmp; then \
		echo "$$a is OpenBLAS's OpenMP build; tracker links the pthread one:"; \
		echo "  $(SUDO) update-alternatives --set libopenblas.a-$$(gcc -print-multiarch) /usr/lib/$$(gcc -print-multiarch)/openblas-pthread/libopenblas.a"; \
		exit 1; \
	fi

build: deps
	$(GO) build -o $(BIN) ./cmd/tracker

# test is the one test command: formatting, vet and every test.
test: deps
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test ./...

check: test
	$(GO) tool staticcheck ./...
	$(GO) mod tidy -diff

bench: build
	bash bench/start.sh
	bash bench/ingest.sh
	bash bench/nn.sh
	bash bench/train.sh
	bash bench/query.sh
	bash bench/dropretrain.sh

fuzz: deps
	$(GO) test -run='^$$' -fuzz='^FuzzParseStructure$$' -fuzztime=60s ./snapshot/keras/
	$(GO) test -run='^$$' -fuzz='^FuzzLoadWeights$$' -fuzztime=30s ./snapshot/keras/
	$(GO) test -run='^$$' -fuzz='^FuzzDecodeExperiment$$' -fuzztime=60s ./tracker/
	$(GO) test -run='^$$' -fuzz='^FuzzParseWeek$$' -fuzztime=30s ./tracker/
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=60s ./experiments/dataset/
	$(GO) test -run='^$$' -fuzz='^FuzzSeriesHead$$' -fuzztime=30s ./tracker/
	$(GO) test -run='^$$' -fuzz='^FuzzParseRetrainCSV$$' -fuzztime=30s ./experiments/dropretrain/
	$(GO) test -run='^$$' -fuzz='^FuzzReadShardFile$$' -fuzztime=30s ./experiments/dropretrain/
	$(GO) test -run='^$$' -fuzz='^FuzzPlainNumber$$' -fuzztime=20s ./internal/table/
	$(GO) test -run='^$$' -fuzz='^FuzzScan$$' -fuzztime=60s ./experiments/dataset/
	$(GO) test -run='^$$' -fuzz='^FuzzEvaluate$$' -fuzztime=30s ./experiments/quality/

# reliability is the long crash and hostile-input run behind docs/RELIABILITY.md:
# 15 SIGKILLs per writing command (the normal test run does 3) and the whole
# hostile-input corpus, each with its exit code, time and peak memory.
reliability: deps
	TRACKER_CRASH_KILLS=15 $(GO) test -count=1 -v -run 'TestKilledCommandsLoseNothing|TestHostileInputsAreRefusedCleanly' ./cmd/tracker/

demo: build
	rm -rf demo
	$(BIN) demo --dir demo

clean:
	rm -rf bin demo
