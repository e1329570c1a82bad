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
# make man      the man pages xvsd(8), xvsctl(8), xvs.yaml(5) into build/man/
#               (from tools/man/*.md, which pull in config/README.md,
#               tools/xvsctl/README.md and the binaries' --help: tools/man/README.md)
# make install  xvsd, xvsctl, the XDP object, the systemd unit, man pages,
#               example configs; /etc/xvs/xvs.yaml only if there is none.
#               DESTDIR (staging root), PREFIX (/usr/local; /usr for a
#               package), SYSCONFDIR (/etc) and the directories below
# make uninstall  what install put there, but a config that was changed
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
             -Iinclude -Isrc -Itools/lib -I$(BUILD)/bpf -I$(BUILD)/gen
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

# Install layout. xvsd is a system daemon (sbin); xvsctl is in bin, as
# members of switch.control-socket-group may run its read-only commands.
# The config lives in SYSCONFDIR whatever PREFIX is; systemd also reads
# units from /usr/local/lib/systemd/system.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/xvs
UNITDIR    ?= $(PREFIX)/lib/systemd/system
# beside libxdp's own objects, where Debian keeps them
BPFDIR     ?= $(PREFIX)/lib/$(MULTIARCH)/bpf
INSTALL    ?= install

MAN_PAGES := $(BUILD)/man/xvsd.8 $(BUILD)/man/xvsctl.8 $(BUILD)/man/xvs.yaml.5
UNIT      := $(BUILD)/systemd/xvsd.service

.PHONY: all deps test demo bench clean fuzz fuzz-build man install uninstall FORCE
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

# Paths compiled in: rewritten only when they change, so that a different
# SYSCONFDIR rebuilds xvsd and nothing else does.
$(BUILD)/gen/xvs_paths.h: FORCE
	@mkdir -p $(@D)
	$(Q)printf '%s\n' '/* SPDX-License-Identifier: GPL-2.0-only */' \
		'/* generated by the Makefile from SYSCONFDIR */' \
		'#define XVS_CONFIG_DEFAULT "$(SYSCONFDIR)/xvs/xvs.yaml"' > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/obj/src/xvsd.o: $(BUILD)/gen/xvs_paths.h

# The same for the install paths the man pages and the unit name.
INSTALL_PATHS := $(SBINDIR) $(SYSCONFDIR) $(BPFDIR) $(DOCDIR)
$(BUILD)/gen/install-paths: FORCE
	@mkdir -p $(@D)
	$(Q)echo '$(INSTALL_PATHS)' > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

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
# fuzz_offload: the offloads, pure functions over buffers
FUZZ_LIB_SRCS += src/dp/offload.c
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

# Man pages: tools/man/md2man.awk turns each tools/man/PAGE.md into roff; the sources
# include the READMEs and --help texts that say it already (tools/man/README.md).
MAN_DEPS := tools/man/md2man.awk $(BUILD)/gen/install-paths
$(BUILD)/man/xvsd.8: $(BUILD)/bin/xvsd
$(BUILD)/man/xvsctl.8: $(BUILD)/bin/xvsctl tools/xvsctl/README.md
$(BUILD)/man/xvs.yaml.5: config/README.md

$(BUILD)/man/%: tools/man/%.md $(MAN_DEPS)
	@mkdir -p $(@D)
	@echo "  MAN     $@"
	$(Q)awk -v bin=$(BUILD)/bin -v src=$< -v sysconfdir=$(SYSCONFDIR) \
		-v bpfdir=$(BPFDIR) -v docdir=$(DOCDIR) -f tools/man/md2man.awk $< > $@.tmp && mv $@.tmp $@

man: $(MAN_PAGES)

$(UNIT): config/systemd/xvsd.service.in $(BUILD)/gen/install-paths
	@mkdir -p $(@D)
	@echo "  UNIT    $@"
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< > $@.tmp && mv $@.tmp $@

# Everything under $(DESTDIR). The shipped config goes to SYSCONFDIR only
# where there is none (an operator's file is never overwritten); it is
# always in DOCDIR.
install: $(BUILD)/bin/xvsd $(BUILD)/bin/xvsctl $(BUILD)/bpf/xvs_xdp.bpf.o $(MAN_PAGES) $(UNIT)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(BPFDIR) \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSCONFDIR)/xvs
	$(INSTALL) -m 0755 $(BUILD)/bin/xvsd $(DESTDIR)$(SBINDIR)/xvsd
	$(INSTALL) -m 0755 $(BUILD)/bin/xvsctl $(DESTDIR)$(BINDIR)/xvsctl
	$(INSTALL) -m 0644 $(BUILD)/bpf/xvs_xdp.bpf.o $(DESTDIR)$(BPFDIR)/xvs_xdp.bpf.o
	$(INSTALL) -m 0644 $(UNIT) $(DESTDIR)$(UNITDIR)/xvsd.service
	$(INSTALL) -m 0644 $(BUILD)/man/xvs.yaml.5 $(DESTDIR)$(MANDIR)/man5/xvs.yaml.5
	$(INSTALL) -m 0644 $(BUILD)/man/xvsd.8 $(BUILD)/man/xvsctl.8 $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 config/xvs.yaml $(DESTDIR)$(DOCDIR)/xvs.yaml
	$(INSTALL) -m 0644 config/examples/*.yaml $(DESTDIR)$(DOCDIR)/examples/
	$(Q)if [ -e $(DESTDIR)$(SYSCONFDIR)/xvs/xvs.yaml ]; then \
		echo "  KEEP    $(DESTDIR)$(SYSCONFDIR)/xvs/xvs.yaml (the example: $(DOCDIR)/xvs.yaml)"; \
	else \
		$(INSTALL) -m 0644 config/xvs.yaml $(DESTDIR)$(SYSCONFDIR)/xvs/xvs.yaml; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/xvsd $(DESTDIR)$(BINDIR)/xvsctl \
		$(DESTDIR)$(BPFDIR)/xvs_xdp.bpf.o $(DESTDIR)$(UNITDIR)/xvsd.service \
		$(DESTDIR)$(MANDIR)/man5/xvs.yaml.5 $(DESTDIR)$(MANDIR)/man8/xvsd.8 \
		$(DESTDIR)$(MANDIR)/man8/xvsctl.8
	rm -f $(DESTDIR)$(DOCDIR)/xvs.yaml \
		$(patsubst config/%,$(DESTDIR)$(DOCDIR)/%,$(wildcard config/examples/*.yaml))
	rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true
	$(Q)if cmp -s config/xvs.yaml $(DESTDIR)$(SYSCONFDIR)/xvs/xvs.yaml; then \
		rm -f $(DESTDIR)$(SYSCONFDIR)/xvs/xvs.yaml; \
		rmdir $(DESTDIR)$(SYSCONFDIR)/xvs 2>/dev/null || true; \
	elif [ -e $(DESTDIR)$(SYSCONFDIR)/xvs/xvs.yaml ]; then \
		echo "  KEEP    $(DESTDIR)$(SYSCONFDIR)/xvs/xvs.yaml (changed since it was installed)"; \
	fi

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)

-include $(shell find $(BUILD) $(if $(filter fuzz%,$(MAKECMDGOALS)),$(FUZZ_BUILD)) -name '*.d' 2>/dev/null)
