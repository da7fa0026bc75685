# anonvm: the two commands of the README.
#   make demo   install what is missing, build, run the demo
#   make check  install what is missing, build, run every test: the debug build (with the
#               fault-injection sweeps and the live-kernel comparison), then the unit tests
#               and scenarios again under ASan+UBSan
BUILD ?= build
ASAN_BUILD ?= build-asan
MESON_OPTS ?=

.PHONY: all deps build build-asan demo check check-debug check-asan clean

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

demo: build
	$(BUILD)/cli/anonvm run examples/demo.avs

check-debug: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

check-asan: build-asan
	meson test -C $(ASAN_BUILD) --print-errorlogs --num-processes 2 --suite unit --suite scenario --suite cli --suite examples

check:
	@status=0; $(MAKE) --no-print-directory check-debug || status=1; \
	$(MAKE) --no-print-directory check-asan || status=1; exit $$status

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
