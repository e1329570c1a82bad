# SPDX-License-Identifier: GPL-2.0-only
#
# make          build BPF objects, skeletons, xvsd and tools into build/
# make deps     install missing Debian packages (tools/deps.sh, idempotent)
# make test     deps + build + every test (tests/run.sh); last line "N passed, N failed"
# make demo     deps + build + a self-contained demo topology
# make SAN=1    the same build with ASan + UBSan (clang, -fno-sanitize-recover=all)
#               into build-san/ (BUILD overrides); BPF objects unchanged
# make fuzz     build the libFuzzer targets (tests/fuzz/, clang) into build-fuzz/,
#               run each FUZZ_SECONDS (default 60) on a scratch copy of its
#               corpus, then replay its saved crash inputs (tests/fuzz/README.md)
# make clean
#
# Layout: bpf/*.bpf.c → build/bpf/*.bpf.o + *.skel.h; src/<module>/*.c →
# build/libxvs.a; src/xvsd.c → build/bin/xvsd; tools/<name>/*.c →
# build/bin/<name> (also tools/bench/<name>/*.c); tests/{unit,bpf}/test_*.c →
# build/tests/...

SAN_BUILD  ?= build-san
FUZZ_BUILD ?= build-fuzz
ifeq ($(SAN),1)
BUILD   ?= $(SAN_BUILD)
endif
BUILD   ?= build
CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool
Q       := $(if $(V),,@)

MULTIARCH := $(shell $(CC) -dumpmachine)
CFLAGS    ?= -O2 -g
XCFLAGS   := $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -MMD -MP \
             -Iinclude -Isrc -Itools/lib -I$(BUILD)/bpf
# SAN=1: every userspace object and link, the first report aborts the
# process. clang by default (SAN_CC=gcc works too): gcc's UBSan is a library
# apart from its ASan and ignores log_path, so a daemon's UBSan report would
# only reach its stderr, where tests/run.sh cannot collect it.
SAN_CC    ?= $(CLANG)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ifeq ($(SAN),1)
override CC := $(SAN_CC)
XCFLAGS   += $(SAN_FLAGS)
endif
BPF_CFLAGS := -target bpf -mcpu=v3 -O2 -g -Wall -Werror -Iinclude -I/usr/include/$(MULTIARCH) -MMD -MP
LDLIBS    := $(shell pkg-config --libs libxdp libbpf 2>/dev/null || echo -lxdp -lbpf) \
             -lelf -lz -lyaml -lpthread
TEST_LDLIBS := -lcmocka

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
SKELS    := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.skel.h)

LIB_SRCS  := $(wildcard src/*/*.c) $(wildcard tools/lib/*.c)
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB       := $(BUILD)/libxvs.a

DAEMON_SRCS := $(wildcard src/*.c)
DAEMONS     := $(DAEMON_SRCS:src/%.c=$(BUILD)/bin/%)
TOOLS       := $(patsubst tools/%/main.c,%,$(wildcard tools/*/main.c))
BENCH_TOOLS := $(patsubst tools/bench/%/main.c,%,$(wildcard tools/bench/*/main.c))
TOOL_BINS   := $(TOOLS:%=$(BUILD)/bin/%) $(BENCH_TOOLS:%=$(BUILD)/bin/%)
UNIT_TESTS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/test_*.c))
BPF_TESTS   := $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%,$(wildcard tests/bpf/test_*.c))

.PHONY: all deps test demo bench clean fuzz fuzz-build
.SECONDARY:
.DEFAULT_GOAL := all

all: $(BPF_OBJS) $(SKELS) $(DAEMONS) $(TOOL_BINS) $(UNIT_TESTS) $(BPF_TESTS)

deps:
	$(Q)bash tools/deps.sh

# The suites san-unit, san-bats and fuzz need the sanitizer and fuzzer
# builds; without a libFuzzer runtime the fuzz suite reports skips.
test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory SAN=1 BUILD=$(SAN_BUILD) all
	$(Q)if bash tests/fuzz/run.sh --probe; then $(MAKE) --no-print-directory fuzz-build; fi
	$(Q)BUILD=$(BUILD) SAN_BUILD=$(SAN_BUILD) FUZZ_BUILD=$(FUZZ_BUILD) bash tests/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash tools/demo/demo.sh

bench:
	$(Q)bash tools/deps.sh bench
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash tools/bench/run.sh $(BENCH_ARGS)

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c
	@mkdir -p $(@D)
	@echo "  BPF     $@"
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	@echo "  SKEL    $@"
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst .bpf,,$(basename $(notdir $<))) > $@.tmp 2> $@.log \
		|| { cat $@.log; exit 1; }; mv $@.tmp $@
	$(Q)grep -v 'skipping unrecognized data section.*xdp_run_config' $@.log >&2 || true

# Everything userspace may include a skeleton: build them first.
$(BUILD)/obj/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(XCFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/obj/src/%.o $(LIB)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(CC) $(XCFLAGS) $^ $(LDLIBS) -o $@

define tool_rule
$(BUILD)/bin/$(1): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard $(2)/*.c)) $(LIB)
	@mkdir -p $$(@D)
	@echo "  LINK    $$@"
	$(Q)$$(CC) $$(XCFLAGS) $$^ $$(LDLIBS) -o $$@
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t),tools/$(t))))
$(foreach t,$(BENCH_TOOLS),$(eval $(call tool_rule,$(t),tools/bench/$(t))))

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(LIB)
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(CC) $(XCFLAGS) $^ $(LDLIBS) $(TEST_LDLIBS) -o $@

# Fuzzers: libFuzzer targets tests/fuzz/fuzz_*.c, linked against the
# sources they exercise built again with clang, instrumented for coverage,
# ASan and UBSan, into $(FUZZ_BUILD)/ (never mixed with $(BUILD)/).
FUZZ_SECONDS  ?= 60
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   := -O1 -g -fno-omit-frame-pointer -std=gnu11 -Wall -Wextra -Werror \
                 -D_GNU_SOURCE -MMD -MP -Iinclude -Isrc -Itools/lib \
                 -fsanitize=fuzzer-no-link $(FUZZ_SAN)
FUZZ_LIB_SRCS := src/ctl/config.c src/ctl/cfg_fw.c src/ctl/fwcompile.c src/base/log.c $(wildcard src/vhost/*.c)
FUZZ_LIB      := $(FUZZ_BUILD)/libxvs-fuzz.a
FUZZ_TARGETS  := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS     := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)

fuzz-build: $(FUZZ_BINS)

fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)FUZZ_BUILD=$(FUZZ_BUILD) bash tests/fuzz/run.sh -t $(FUZZ_SECONDS) $(FUZZ_TARGETS)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

# the log is silenced by wrapping log_msg (tests/fuzz/fuzz.h)
$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	@echo "  LINK    $@"
	$(Q)$(CLANG) -fsanitize=fuzzer $(FUZZ_SAN) -Wl,--wrap=log_msg $^ $(LDLIBS) -o $@

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)

-include $(shell find $(BUILD) $(if $(filter fuzz%,$(MAKECMDGOALS)),$(FUZZ_BUILD)) -name '*.d' 2>/dev/null)
