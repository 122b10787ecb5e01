# polycrate - a static block registry client.
#   make            static, stripped ./polycrate (musl, vendored BearSSL/libyaml/zlib)
#   make test       every suite (installs what it needs on Debian 12 when run as root)
#   make asan       clang + ASan/UBSan build against the system -dev libraries
#   make tsan       clang + ThreadSanitizer build of the binary and the threaded unit suites
#   make fuzz       libFuzzer targets, each for FUZZ_SECONDS
#   make vendor-dist  pack the pinned third-party tarballs into polycrate-vendor.tar
.POSIX:
.SUFFIXES:

VERSION = 0.1.0
GIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

CC_MUSL = musl-gcc
ARCH := $(shell $(CC_MUSL) -dumpmachine 2>/dev/null | cut -d- -f1)
VENDOR = build/vendor/$(ARCH)
WARN = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wvla -Wno-unused-parameter
DEFS = -DPOLYCRATE_VERSION='"$(VERSION)"' -DPOLYCRATE_GIT='"$(GIT)"'
CFLAGS_MUSL = $(WARN) $(DEFS) -O2 -ffunction-sections -fdata-sections -fno-plt \
	-fno-asynchronous-unwind-tables -fno-unwind-tables \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -I$(VENDOR)/include
LDFLAGS_MUSL = -static -Wl,--gc-sections -Wl,-O1 -s
LIBS_MUSL = $(VENDOR)/lib/libbearssl.a $(VENDOR)/lib/libyaml.a $(VENDOR)/lib/libz.a

CC_ASAN = clang
SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
CFLAGS_ASAN = $(WARN) $(DEFS) -O1 -g $(SAN) -I/usr/include/bearssl
LIBS_ASAN = -lbearssl -lyaml -lz

CFLAGS_TSAN = $(WARN) $(DEFS) -O1 -g -fsanitize=thread -fno-omit-frame-pointer \
	-I/usr/include/bearssl

SRCS := $(sort $(wildcard src/*.c))
LIB_SRCS := $(filter-out src/main.c src/cmd_%.c,$(SRCS))
HDRS := $(wildcard src/*.h)
OBJS_MUSL := $(SRCS:src/%.c=build/musl/%.o)
LIBOBJS_MUSL := $(LIB_SRCS:src/%.c=build/musl/%.o)
# Optional, off by default: `make EMBED_CA=1` links EMBED_CA_FILE in as the CA bundle of
# last resort (docs/tls.md). The generated source stays in build/, never in git.
EMBED_CA_FILE = /etc/ssl/certs/ca-certificates.crt
EMBED_CA_OBJ_1 = build/musl/tls_ca.o
OBJS_MUSL += $(EMBED_CA_OBJ_$(EMBED_CA))
OBJS_ASAN := $(SRCS:src/%.c=build/asan/%.o)
LIBOBJS_ASAN := $(LIB_SRCS:src/%.c=build/asan/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/asan/tests/%)
UNIT_BINS_MUSL := $(UNIT_SRCS:tests/unit/%.c=build/musl/tests/%)
# the unit suites whose code runs threads: the gzip writer, the http pool, the token cache
UNIT_BINS_TSAN := build/tsan/tests/test_gz build/tsan/tests/test_http build/tsan/tests/test_auth
OBJS_TSAN := $(SRCS:src/%.c=build/tsan/%.o)
LIBOBJS_TSAN := $(LIB_SRCS:src/%.c=build/tsan/%.o)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
FUZZ_SECONDS = 60
JOBS := $(shell nproc 2>/dev/null || echo 2)

all: polycrate

polycrate: $(VENDOR)/.built $(OBJS_MUSL)
	$(CC_MUSL) $(CFLAGS_MUSL) $(LDFLAGS_MUSL) -o $@ $(OBJS_MUSL) $(LIBS_MUSL)

$(VENDOR)/.built: vendor/pins vendor/vendor.sh
	CC=$(CC_MUSL) vendor/vendor.sh build

build/git-rev: FORCE
	@mkdir -p build
	@echo '$(GIT)' | cmp -s - $@ || echo '$(GIT)' > $@

build/musl/cmd_version.o build/asan/cmd_version.o: build/git-rev

build/musl/%.o: src/%.c $(HDRS) $(VENDOR)/.built
	@mkdir -p $(@D)
	$(CC_MUSL) $(CFLAGS_MUSL) -c $< -o $@

build/musl/tls_ca.c: $(EMBED_CA_FILE) src/tls_ca.sh
	@mkdir -p $(@D)
	sh src/tls_ca.sh $(EMBED_CA_FILE) >$@.tmp && mv $@.tmp $@

build/musl/tls_ca.o: build/musl/tls_ca.c
	$(CC_MUSL) $(CFLAGS_MUSL) -c build/musl/tls_ca.c -o $@

build/asan/%.o: src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC_ASAN) $(CFLAGS_ASAN) -c $< -o $@

build/asan/polycrate: $(OBJS_ASAN)
	$(CC_ASAN) $(CFLAGS_ASAN) -o $@ $(OBJS_ASAN) $(LIBS_ASAN)

build/asan/tests/%: tests/unit/%.c tests/unit/t.h $(LIBOBJS_ASAN)
	@mkdir -p $(@D)
	$(CC_ASAN) $(CFLAGS_ASAN) -Isrc -o $@ $< $(LIBOBJS_ASAN) $(LIBS_ASAN)

build/musl/tests/%: tests/unit/%.c tests/unit/t.h $(LIBOBJS_MUSL)
	@mkdir -p $(@D)
	$(CC_MUSL) -Isrc $(CFLAGS_MUSL) -static -o $@ $< $(LIBOBJS_MUSL) $(LIBS_MUSL)

build/tsan/%.o: src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC_ASAN) $(CFLAGS_TSAN) -c $< -o $@

build/tsan/polycrate: $(OBJS_TSAN)
	$(CC_ASAN) $(CFLAGS_TSAN) -o $@ $(OBJS_TSAN) $(LIBS_ASAN)

build/tsan/tests/%: tests/unit/%.c tests/unit/t.h $(LIBOBJS_TSAN)
	@mkdir -p $(@D)
	$(CC_ASAN) $(CFLAGS_TSAN) -Isrc -o $@ $< $(LIBOBJS_TSAN) $(LIBS_ASAN)

CFLAGS_FUZZ = $(WARN) $(DEFS) -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
	-I/usr/include/bearssl
LIBOBJS_FUZZ := $(LIB_SRCS:src/%.c=build/fuzz/obj/%.o)

build/fuzz/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC_ASAN) $(CFLAGS_FUZZ) -c $< -o $@

build/fuzz/%: tests/fuzz/%.c $(LIBOBJS_FUZZ)
	@mkdir -p $(@D)
	$(CC_ASAN) $(CFLAGS_FUZZ) -fsanitize=fuzzer -Isrc -o $@ $< $(LIBOBJS_FUZZ) $(LIBS_ASAN)

asan: build/asan/polycrate $(UNIT_BINS)

tsan: build/tsan/polycrate $(UNIT_BINS_TSAN)

unit-bins: $(UNIT_BINS) $(UNIT_BINS_MUSL)

fuzz-bins: $(FUZZ_BINS)

# The suites; tests/run.sh prints each suite's closing line and the total.
test: deps
	$(MAKE) -s --no-print-directory -j$(JOBS) polycrate asan tsan unit-bins fuzz-bins
	tests/run.sh

# Installs the build and test dependencies on Debian when missing (as root).
deps:
	tests/deps.sh

fuzz: fuzz-bins
	tests/fuzz/run.sh $(FUZZ_SECONDS)

demo: deps
	examples/demo.sh

bench: polycrate
	bench/run.sh

vendor: $(VENDOR)/.built

vendor-dist:
	vendor/vendor.sh dist $(CURDIR)/polycrate-vendor.tar

format:
	clang-format -i src/*.c src/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c

clean:
	rm -rf build/musl build/asan build/tsan build/fuzz polycrate

distclean:
	rm -rf build polycrate

.PHONY: all demo asan tsan unit-bins fuzz-bins test deps fuzz bench vendor vendor-dist format clean \
	distclean FORCE
FORCE:

# objects made by pattern rules are kept (make would delete them as intermediates)
.SECONDARY:
