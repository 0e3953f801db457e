# denpo build.  `make` builds libdenpo, denpod, denpo, tests and benches into
# build/; `make SAN=1` builds the ASan+UBSan variant into build-asan/.
# `make check` runs every test (unit + integration) against that build.
# `make fuzz` builds the libFuzzer targets with clang and runs each briefly.

SAN ?= 0
WERROR ?= 0
ifeq ($(SAN),1)
BUILD ?= build-asan
else
BUILD ?= build
endif

CC ?= cc
PKGS := libsodium openssl sqlite3 libevent libevent_openssl libevent_pthreads jansson libcurl zlib \
	libseccomp pwquality libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS)) -lpthread -lm

WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wvla -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter -Wpointer-arith -Wcast-qual -Wnull-dereference
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -g -Iinclude -I. $(WARN) $(PKG_CFLAGS) -fno-strict-overflow \
	-fno-delete-null-pointer-checks -fstack-protector-strong -fstack-clash-protection -fcf-protection -fPIE
LDFLAGS_BASE := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack

ifeq ($(SAN),1)
CFLAGS_BASE += -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS_BASE += -fsanitize=address,undefined
else
CFLAGS_BASE += -O2 -D_FORTIFY_SOURCE=2
endif
ifeq ($(WERROR),1)
CFLAGS_BASE += -Werror
endif
CFLAGS_ALL := $(CFLAGS_BASE) $(CFLAGS)
LDFLAGS_ALL := $(LDFLAGS_BASE) $(LDFLAGS)

LIB_SRCS := $(wildcard lib/*.c)
DENPOD_SRCS := $(filter-out denpod/main.c,$(wildcard denpod/*.c))
DENPO_SRCS := $(filter-out denpo/main.c,$(wildcard denpo/*.c))
TEST_SRCS := $(wildcard tests/test_*.c)
TOOL_SRCS := $(wildcard tests/tool_*.c)
BENCH_SRCS := $(wildcard bench/bench_*.c)

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
DENPOD_OBJS := $(DENPOD_SRCS:%.c=$(BUILD)/obj/%.o)
DENPO_OBJS := $(DENPO_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
TOOL_BINS := $(TOOL_SRCS:tests/%.c=$(BUILD)/tests/%)
BENCH_BINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)

all: $(BUILD)/libdenpo.a $(BUILD)/denpod $(BUILD)/denpo $(TEST_BINS) $(TOOL_BINS) $(BENCH_BINS)

# Each object depends on the headers it includes (-MMD: the compiler lists them
# in a .d file beside it; -MP: a removed header is no error), so changing one
# header rebuilds only the files that include it.
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<
-include $(shell find $(BUILD)/obj build-fuzz -name '*.d' 2>/dev/null)
# An object built before -MMD (a build directory from an older checkout) has
# no .d: it depends on every header, as all objects once did, until rebuilt.
ALL_HEADERS := $(wildcard include/denpo/*.h lib/*.h denpod/*.h denpo/*.h tests/*.h fuzz/*.h)
$(foreach o,$(wildcard $(BUILD)/obj/*/*.o),$(if $(wildcard $(o:.o=.d)),,$(eval $(o): $(ALL_HEADERS))))

# The browser interfaces' files are compiled in (.incbin: denpo/ui_assets.c, denpod/console_assets.c).
UI_ASSETS := $(wildcard denpo/ui/*)
$(BUILD)/obj/denpo/ui_assets.o: $(UI_ASSETS)
$(BUILD)/obj/lib/webui.o: $(wildcard lib/webui/*)
$(BUILD)/obj/denpod/console_assets.o: $(wildcard denpod/console/*)

$(BUILD)/libdenpo.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/denpod.a: $(DENPOD_OBJS)
	@rm -f $@
	ar rcs $@ $^ $(if $(DENPOD_OBJS),,&& true)

$(BUILD)/denpo.a: $(DENPO_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/denpod: $(BUILD)/obj/denpod/main.o $(BUILD)/denpod.a $(BUILD)/libdenpo.a
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/denpo: $(BUILD)/obj/denpo/main.o $(BUILD)/denpo.a $(BUILD)/libdenpo.a
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

# Tests link libdenpo; test_denpod_* also the daemon's modules, test_client_* the client's.
$(BUILD)/tests/test_denpod_%: $(BUILD)/obj/tests/test_denpod_%.o $(BUILD)/obj/tests/harness.o \
		$(BUILD)/obj/tests/fixture.o $(BUILD)/denpod.a $(BUILD)/libdenpo.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)
$(BUILD)/tests/test_client_%: $(BUILD)/obj/tests/test_client_%.o $(BUILD)/obj/tests/harness.o $(BUILD)/denpo.a $(BUILD)/libdenpo.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)
# tool_submit --seal seals a real cable as denpo does (denpo/seal.c)
$(BUILD)/tests/tool_submit: $(BUILD)/obj/tests/tool_submit.o $(BUILD)/obj/tests/harness.o \
		$(BUILD)/obj/tests/fixture.o $(BUILD)/denpo.a $(BUILD)/libdenpo.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)
# tool_bag makes export bags with the client's own code (denpo/archive_export.c).
$(BUILD)/tests/tool_bag: $(BUILD)/obj/tests/tool_bag.o $(BUILD)/obj/tests/harness.o \
		$(BUILD)/obj/tests/fixture.o $(BUILD)/denpo.a $(BUILD)/libdenpo.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)
$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(BUILD)/obj/tests/harness.o $(BUILD)/obj/tests/fixture.o \
		$(BUILD)/libdenpo.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(BUILD)/denpod.a $(BUILD)/denpo.a $(BUILD)/libdenpo.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

check: all
	BUILD=$(BUILD) tests/run.sh

# libFuzzer targets (clang), with ASan+UBSan; FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 20
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:fuzz/%.c=build-fuzz/%)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude -I. $(PKG_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
# The library is compiled once for all targets (the targets take -j); they run
# in parallel, one per core (tests/fuzz.sh).
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=build-fuzz/obj/%.o)
build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<
build-fuzz/libdenpo.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^
# The switch's code, for the targets that call into it (FUZZ_WITH_DENPOD) rather
# than include one of its .c files.
FUZZ_DENPOD_OBJS := $(DENPOD_SRCS:%.c=build-fuzz/obj/%.o)
build-fuzz/obj/denpod/%.o: denpod/%.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<
build-fuzz/denpod.a: $(FUZZ_DENPOD_OBJS)
	@rm -f $@
	ar rcs $@ $^
FUZZ_WITH_DENPOD := build-fuzz/fuzz_signer build-fuzz/fuzz_config build-fuzz/fuzz_route build-fuzz/fuzz_console_act
$(FUZZ_WITH_DENPOD): build-fuzz/denpod.a
# The device's checks that follow its parsers (seal.c: proofs and key records
# of an answer; ckpt.c: checkpoints, cosignatures, consistency), for the
# targets of the answers a switch sends (FUZZ_WITH_DENPO).
FUZZ_DENPO_OBJS := build-fuzz/obj/denpo/seal.o build-fuzz/obj/denpo/ckpt.o
build-fuzz/denpo.a: $(FUZZ_DENPO_OBJS)
	@rm -f $@
	ar rcs $@ $^
FUZZ_WITH_DENPO := $(addprefix build-fuzz/fuzz_client_,resolve status accepted sent list checkpoint fetch)
$(FUZZ_WITH_DENPO): build-fuzz/denpo.a
build-fuzz/%: fuzz/%.c build-fuzz/libdenpo.a
	@mkdir -p build-fuzz
	clang $(FUZZ_CFLAGS) -MMD -MP -o $@ $< $(if $(filter $@,$(FUZZ_WITH_DENPOD)),build-fuzz/denpod.a) \
		$(if $(filter $@,$(FUZZ_WITH_DENPO)),build-fuzz/denpo.a) build-fuzz/libdenpo.a $(PKG_LIBS)
fuzz: $(FUZZ_BINS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz.sh $(FUZZ_BINS)

# ---- version and install (issue 12) ----
# The version is VERSION's; in a git checkout, git describe's (a tag vX.Y.Z) or
# VERSION+g<commit>[-dirty].  main.c of both programs prints it (--version);
# they are recompiled when it changes (the stamp file is rewritten only then).
DENPO_VERSION := $(shell cat VERSION)
ifneq ($(wildcard .git),)
GIT_VERSION := $(shell git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null | sed 's/^v//')
ifeq ($(GIT_VERSION),)
GIT_VERSION := $(shell git describe --always --dirty 2>/dev/null)
DENPO_VERSION := $(DENPO_VERSION)$(if $(GIT_VERSION),+g$(GIT_VERSION))
else
DENPO_VERSION := $(GIT_VERSION)
endif
endif
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DENPO_VERSION)' | cmp -s - $@ || echo '$(DENPO_VERSION)' > $@
$(BUILD)/obj/denpod/main.o $(BUILD)/obj/denpo/main.o $(BUILD)/obj/denpo/archive_export.o: $(BUILD)/version.stamp
$(BUILD)/obj/denpod/main.o $(BUILD)/obj/denpo/main.o $(BUILD)/obj/denpo/archive_export.o: CFLAGS_ALL += -DDENPO_VERSION='"$(DENPO_VERSION)"'

# make install [PREFIX=/usr/local] [DESTDIR=]: the programs, man pages, bash
# completion, docs, and what dist/ holds (systemd unit, logrotate file).
# install-denpod (the switch) and install-denpo (the officer's client) are
# the two halves, one per Debian package (debian/rules).
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
DOCDIR ?= $(PREFIX)/share/doc/denpo
# Debian 12 (before the /usr merge of units) ships units in /lib/systemd/system.
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib,$(PREFIX)/lib)/systemd/system
MANDIR := $(PREFIX)/share/man
COMPDIR := $(PREFIX)/share/bash-completion/completions
INSTALL ?= install
DIST_UNIT := $(wildcard dist/denpod.service)
DIST_LOGROTATE := $(wildcard dist/denpod.logrotate)

programs: $(BUILD)/denpod $(BUILD)/denpo
install: install-denpod install-denpo
install-denpod: $(BUILD)/denpod
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(COMPDIR) $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 0755 $(BUILD)/denpod $(DESTDIR)$(PREFIX)/sbin/denpod
	$(INSTALL) -m 0644 man/denpod.8 $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 man/denpod.conf.5 man/detect.conf.5 $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 0644 dist/denpo.bash-completion $(DESTDIR)$(COMPDIR)/denpod
	$(INSTALL) -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
ifneq ($(DIST_UNIT),)
	$(INSTALL) -d $(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 0644 $(DIST_UNIT) $(DESTDIR)$(UNITDIR)/denpod.service
endif
ifneq ($(DIST_LOGROTATE),)
	$(INSTALL) -d $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	$(INSTALL) -m 0644 $(DIST_LOGROTATE) $(DESTDIR)$(SYSCONFDIR)/logrotate.d/denpod
endif
install-denpo: $(BUILD)/denpo
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPDIR) $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 0755 $(BUILD)/denpo $(DESTDIR)$(PREFIX)/bin/denpo
	$(INSTALL) -m 0644 man/denpo.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 dist/denpo.bash-completion $(DESTDIR)$(COMPDIR)/denpo
	$(INSTALL) -m 0644 README.md $(DESTDIR)$(DOCDIR)/

.PHONY: programs install install-denpod install-denpo FORCE
# ---- end of version and install ----

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all check clean fuzz
.SECONDARY:
