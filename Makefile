# anonvm: the two commands of the README, and install.
#   make demo     install what is missing, build (release), run the forkstorm demo
#   make check    install what is missing, build, run every test: the debug build (with the
#                 fault-injection sweeps, the installed-library test and the live-kernel
#                 comparison), the release build (it must compile with -Werror; scenarios and
#                 cli tests), then the unit tests and scenarios again under ASan+UBSan, and
#                 the unit tests (the concurrent ones among them) and the par scenarios
#                 (threads) under TSan. The last line is 'N passed, N failed' over every
#                 build.
#   make install  build the release build and install it under PREFIX (/usr/local); DESTDIR
#                 is honoured
# Quiet by default: build and test output go to make-build.log and make-check.log in each
# build directory (and meson's own logs in its meson-logs/); V=1 shows all of it.
BUILD ?= build
RELEASE_BUILD ?= build-release
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
MESON_OPTS ?=
PREFIX ?= /usr/local
DESTDIR ?=
V ?= 0

# Each build: its directory, its meson setup options, the test suites it runs (all when
# empty), the environment of its tests.
BUILDS = debug release asan tsan
debug_DIR = $(BUILD)
debug_SETUP = $(MESON_OPTS)
release_DIR = $(RELEASE_BUILD)
release_SETUP = -Dbuildtype=release -Dkernel_tests=false --prefix=$(PREFIX)
release_SUITES = scenario cli
asan_DIR = $(ASAN_BUILD)
asan_SETUP = -Db_sanitize=address,undefined -Dc_args=-fno-sanitize-recover=all \
	-Dkernel_tests=false -Db_lundef=false
asan_SUITES = unit scenario cli examples fuzz
tsan_DIR = $(TSAN_BUILD)
tsan_SETUP = -Db_sanitize=thread -Dkernel_tests=false -Db_lundef=false
# Only what runs threads of its own: the rest is single-threaded and only slower under TSan.
# Its programs run 5 to 15 times slower than in the debug build: a longer timeout.
tsan_SUITES = threads par
tsan_TEST_OPTS = --timeout-multiplier 3
tsan_ENV = TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1"

space := $(subst x, ,x)
# Q hides a command unless V=1.
Q = $(if $(filter 1,$(V)),,@)

# $(call to_log,FILE), appended to a command: its output goes to FILE (unless V=1); when it
# fails, the end of FILE is shown.
# $(call log_note,FILE): where the output went, for a progress line.
ifeq ($(V),1)
to_log =
log_note =
else
log_note = $(space)(log: $(1))
to_log = >>$(1) 2>&1 || { st=$$?; echo "anonvm: failed; the end of $(1):"; tail -n 30 $(1); \
	exit $$st; }
endif

.PHONY: all deps build demo check summary install clean $(BUILDS:%=build-%) $(BUILDS:%=check-%)

all: build

deps:
	@scripts/install-deps.sh

build: build-debug

# build-NAME: set up (or reconfigure, so that changed options apply) and compile.
define build_rules
build-$(1): deps
	$$(Q)mkdir -p $$($(1)_DIR) && : >$$($(1)_DIR)/make-build.log
	@echo "anonvm: building $$($(1)_DIR)$$(call log_note,$$($(1)_DIR)/make-build.log)"
	$$(Q)[ -f $$($(1)_DIR)/build.ninja ] || meson setup $$($(1)_DIR) $$($(1)_SETUP) \
		$$(call to_log,$$($(1)_DIR)/make-build.log)
	$$(Q)meson setup --reconfigure $$($(1)_DIR) $$($(1)_SETUP) \
		$$(call to_log,$$($(1)_DIR)/make-build.log)
	$$(Q)ninja -C $$($(1)_DIR) $$(call to_log,$$($(1)_DIR)/make-build.log)

check-$(1): build-$(1)
	$$(Q)rm -f $$($(1)_DIR)/meson-logs/testlog.json
	@echo "anonvm: testing $$($(1)_DIR)$$(call log_note,$$($(1)_DIR)/make-check.log)"
	$$(Q)$$($(1)_ENV) meson test -C $$($(1)_DIR) --print-errorlogs --num-processes 2 \
		$$($(1)_TEST_OPTS) $$(addprefix --suite ,$$($(1)_SUITES)) \
		$$(if $$(filter 1,$$(V)),,>$$($(1)_DIR)/make-check.log 2>&1)
endef
$(foreach b,$(BUILDS),$(eval $(call build_rules,$(b))))

# The demo: the 2010 anon_vma_chain patch's forkstorm (1000 children x 1000 COWed pages) on
# the linux and the legacy (2.6.33) designs, release build, legacy's walks sampled; pictures
# of a small fork tree's reverse map in both designs; a plot of walk cost against the number
# of children. Files go to $(DEMO_DIR).
DEMO_DIR ?= $(RELEASE_BUILD)/demo
ANONVM_REL = $(RELEASE_BUILD)/cli/anonvm
demo: build-release
	$(Q)mkdir -p $(DEMO_DIR)
	@echo "anonvm demo: forkstorm, 1000 children x 1000 pages, every child writes every page,"
	@echo "then the rmap walk of each page (legacy: 20000 of them, spread evenly)"
	$(Q)$(ANONVM_REL) bench forkstorm --design linux,legacy --sample legacy=20000
	$(Q)$(ANONVM_REL) dot --design linux -o $(DEMO_DIR)/fork-tree-linux.png examples/fork-tree.avs
	$(Q)$(ANONVM_REL) dot --design legacy -o $(DEMO_DIR)/fork-tree-legacy.png examples/fork-tree.avs
	$(Q)$(ANONVM_REL) bench forkstorm --design linux,legacy --children 10,30,100,300,1000 \
		--pages 100 --metadata-only --sample legacy=20000 --quiet \
		--plot $(DEMO_DIR)/forkstorm-walk-cost.png >/dev/null
	@echo "anonvm demo: the reverse map of examples/fork-tree.avs: $(DEMO_DIR)/fork-tree-linux.png,"
	@echo "  $(DEMO_DIR)/fork-tree-legacy.png; ns per walk vs children: $(DEMO_DIR)/forkstorm-walk-cost.png"

# Every build's tests, whatever failed before; then one summary over all of them. Old results
# go first, so that a build that fails counts as a failure, not as its last results.
check:
	@status=0; \
	$(foreach b,$(BUILDS),rm -f $($(b)_DIR)/meson-logs/testlog.json; \
		$(MAKE) --no-print-directory check-$(b) || status=1;) \
	scripts/summary.py $(foreach b,$(BUILDS),$($(b)_DIR)) || status=1; \
	exit $$status

# The last line of check again, alone (after make's own message about a failed check, or
# after other checks: ALSO="NAME=STATUS ..." counts each as one more, passed at status 0).
summary:
	@scripts/summary.py --total $(foreach a,$(ALSO),--also $(a)) \
		$(foreach b,$(BUILDS),$($(b)_DIR)) || true

install: build-release
	$(Q): >$(RELEASE_BUILD)/make-install.log
	$(Q)meson install -C $(RELEASE_BUILD) --no-rebuild $(if $(DESTDIR),--destdir "$(DESTDIR)") \
		$(call to_log,$(RELEASE_BUILD)/make-install.log)
	@echo "anonvm: installed under $(DESTDIR)$(PREFIX) (list: $(RELEASE_BUILD)/meson-logs/install-log.txt)"

clean:
	rm -rf $(foreach b,$(BUILDS),$($(b)_DIR))
