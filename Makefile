# The two set-up commands of the README: `make run` and `make test`.
# Each installs libwebsockets-dev, libssl-dev, pkg-config and openssl (the TLS tests make their
# certificates with it) with apt-get when missing.

SWIFT ?= swift
ARGS ?=
SCRATCH_PATH ?=

.PHONY: deps build run deploy test test-plain test-tsan test-asan test-browser bench check-docs check-layers check-lean conformance conformance-deflate interop certs faults

deps:
	@if ! pkg-config --exists libwebsockets zlib 2>/dev/null || ! command -v openssl >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing libwebsockets-dev libssl-dev zlib1g-dev pkg-config openssl with apt-get"; \
	    SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && \
	    $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libwebsockets-dev libssl-dev zlib1g-dev pkg-config openssl; \
	  else \
	    echo "libwebsockets was not found by pkg-config, and there is no apt-get to install it."; \
	    echo "Install libwebsockets-dev (4.1.x), libssl-dev and pkg-config, then run make again."; \
	    exit 1; \
	  fi; \
	fi

build: deps
	$(SWIFT) build

# The echo server example: ws://127.0.0.1:7681 unless ARGS say otherwise (ARGS="--port 0").
run: deps
	$(SWIFT) run -c release lws-echo-server $(ARGS)

# The deployment build of the README ("Deployment"): the Swift libraries linked in statically,
# lld with packed relative relocations, and the functions that run at start-up laid out together
# (scripts/startup-order.txt, made by scripts/startup-order.sh). Start RSS of lws-echo-server:
# 16.3 MiB with `swift build -c release` (what `make run` builds), 10.6 MiB this way; see
# BENCHMARKS.md, "Start-up memory".
DEPLOY_FLAGS = --static-swift-stdlib -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs \
  -Xlinker --symbol-ordering-file=$(CURDIR)/scripts/startup-order.txt -Xlinker --no-warn-symbol-ordering
DEPLOY_SCRATCH_PATH ?= .build-deploy
deploy: deps
	$(SWIFT) build -c release --scratch-path $(DEPLOY_SCRATCH_PATH) $(DEPLOY_FLAGS) --product lws-echo-server
	@echo "deploy: $(DEPLOY_SCRATCH_PATH)/release/lws-echo-server"

# The whole suite, then again under the thread sanitizer, then the scripted tests against other peers.
test: test-plain test-tsan conformance conformance-deflate interop test-browser

test-plain: deps check-docs check-layers check-lean
	$(SWIFT) test

# Only Sources/LibWebSockets/LWS/ may import CLibwebsockets, and State/ stays pure; see ARCHITECTURE.md.
check-layers:
	./scripts/check-layers.sh

# A client of the library alone (Tests/LeanClient) must link no Foundation library; see the script.
check-lean: deps
	SWIFT="$(SWIFT)" SCRATCH_PATH="$(SCRATCH_PATH)" ./scripts/check-lean.sh

# Every ```swift block of README.md must be in the ReadmeExamples tests; see the script's header.
check-docs:
	./scripts/check-readme-snippets.sh

test-tsan: deps
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan

# Leaks inside lws and XCTest are suppressed; Tests/lsan-suppressions.txt says which and why.
test-asan: deps
	ASAN_OPTIONS=fast_unwind_on_malloc=0:malloc_context_size=10 LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan-suppressions.txt \
	  $(SWIFT) test --sanitize=address --scratch-path .build-asan

# A local CA and a certificate for localhost and 127.0.0.1, for trying wss:// by hand. Made here,
# never committed (.build-certs/ is git-ignored); the tests make their own.
certs:
	@mkdir -p .build-certs && cd .build-certs && \
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 30 \
	  -subj "/CN=swift-libwebsockets local CA" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null && \
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout localhost.key -out localhost.csr -subj /CN=localhost 2>/dev/null && \
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > localhost.ext && \
	openssl x509 -req -in localhost.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out localhost.pem -days 30 -extfile localhost.ext 2>/dev/null && \
	echo "made .build-certs/ca.pem (trust it with --ca-file) and .build-certs/localhost.pem + localhost.key (valid 30 days)"

bench: deps
	./Benchmarks/run.sh

# Headless chromium (installed with apt-get when missing) loads the echo example's page over
# http:// and https:// and must show every echo; screenshots land in .build-browser/.
test-browser: deps
	SWIFT="$(SWIFT)" ./Tests/Browser/run.sh

# The fault cases too slow or too strict for the suite (README, "Faults"): a 2,000-attempt refusal
# flood read by Python's websockets (pinned by hash in Tests/Faults/requirements.txt, 100 ms per
# answer), and a 60 s slow consumer of 100 MiB with the server's RSS. Release build, about 2 min.
faults: deps
	SWIFT="$(SWIFT)" ./Tests/Faults/run.sh

# Autobahn cases 1-10 (kosoku, pinned in Tests/Conformance/requirements.txt) against lws-echo-server,
# then against the client: lws-autobahn-client echoes every case of kosoku's fuzzing server, four at once.
conformance: deps
	SWIFT="$(SWIFT)" ./Tests/Conformance/run.sh
	SWIFT="$(SWIFT)" ./Tests/Conformance/run.sh --client --parallel 4

# Autobahn's permessage-deflate cases (groups 12 and 13) against lws-echo-server --deflate, and
# with lws-autobahn-client against kosoku's fuzzing server, four at once each: where lws 4.1.6
# alone corrupts its input (ARCHITECTURE.md, "Compression").
conformance-deflate: deps
	SWIFT="$(SWIFT)" ./Tests/Conformance/run.sh --deflate --parallel 4 --release
	SWIFT="$(SWIFT)" ./Tests/Conformance/run.sh --deflate --parallel 4 --release --client

# Python's websockets (pinned in Tests/Interop/requirements.txt) as the client of lws-interop-peer and
# lws-echo-server, and as the server for this package's client; see Tests/Interop/run.sh.
interop: deps
	SWIFT="$(SWIFT)" ./Tests/Interop/run.sh
