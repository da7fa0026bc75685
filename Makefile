# anonvm: the two commands of the README.
#   make demo   install what is missing, build, run the demo
#   make check  install what is missing, build, run every test
BUILD ?= build
MESON_OPTS ?=

.PHONY: all deps build demo check clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	meson setup --reconfigure $(BUILD) $(MESON_OPTS) >/dev/null
	ninja -C $(BUILD)

demo: build
	$(BUILD)/cli/anonvm run examples/demo.avs

check: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

clean:
	rm -rf $(BUILD)
