# anonvm: the two commands of the README.
#   make demo   install what is missing, build, run the demo
#   make check  install what is missing, build, run every test: the debug build (with the
#               fault-injection sweeps and the live-kernel comparison), the release build
#               (it must compile with -Werror; scenarios and cli tests), then the unit tests
#               and scenarios again under ASan+UBSan, and the unit tests (the concurrent
#               ones among them) under TSan
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
RELEASE_BUILD ?= build-release
MESON_OPTS ?=

.PHONY: all deps build build-asan build-tsan build-release demo check check-debug check-asan check-tsan \
	check-release clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) $(MESON_OPTS)
	meson setup --reconfigure $(BUILD) $(MESON_OPTS) >/dev/null
	ninja -C $(BUILD)

build-asan: deps
	@[ -f $(ASAN_BUILD)/build.ninja ] || meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined \
		-Dc_args=-fno-sanitize-recover=all -Dkernel_tests=false -Db_lundef=false
	meson setup --reconfigure $(ASAN_BUILD) >/dev/null
	ninja -C $(ASAN_BUILD)

build-tsan: deps
	@[ -f $(TSAN_BUILD)/build.ninja ] || meson setup $(TSAN_BUILD) -Db_sanitize=thread \
		-Dkernel_tests=false -Db_lundef=false
	meson setup --reconfigure $(TSAN_BUILD) >/dev/null
	ninja -C $(TSAN_BUILD)

# The release build (no self-checks, -O3, -Werror): it must compile, and its scenarios pass.
build-release: deps
	@[ -f $(RELEASE_BUILD)/build.ninja ] || meson setup $(RELEASE_BUILD) -Dbuildtype=release \
		-Dkernel_tests=false
	meson setup --reconfigure $(RELEASE_BUILD) >/dev/null
	ninja -C $(RELEASE_BUILD)

demo: build
	$(BUILD)/cli/anonvm run examples/demo.avs

check-debug: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

check-asan: build-asan
	meson test -C $(ASAN_BUILD) --print-errorlogs --num-processes 2 --suite unit --suite scenario --suite cli --suite examples --suite fuzz

check-tsan: build-tsan
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1" \
		meson test -C $(TSAN_BUILD) --print-errorlogs --num-processes 2 --suite unit

check-release: build-release
	meson test -C $(RELEASE_BUILD) --print-errorlogs --num-processes 2 --suite scenario --suite cli

check:
	@status=0; $(MAKE) --no-print-directory check-debug || status=1; \
	$(MAKE) --no-print-directory check-release || status=1; \
	$(MAKE) --no-print-directory check-asan || status=1; \
	$(MAKE) --no-print-directory check-tsan || status=1; exit $$status

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(RELEASE_BUILD)
