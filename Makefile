# podtrail — build, run, test.
#
#   make            build build/podtrail (BPF object, skeleton, daemon)
#   make deps       install the Debian packages the build and tests need (root)
#   make run        deps + build + run the agent (standalone without a cluster)
#   make test       deps + build + unit, integration and end-to-end tests
#   make bench      deps + build + benchmarks
#   make install    install binary and man page (PREFIX, DESTDIR honoured)
#   make readme-flags  README's table of flags from the option table
#   make image      the container image from deploy/Dockerfile, as an OCI archive
#                   (build/podtrail-image.tar; buildah, no daemon, no registry)
#   make test-image the image run as the DaemonSet runs it (containerd, CRI)
#
# BUILD selects the output directory, SANITIZE=1 builds with ASan and UBSan
# (the test build uses both: BUILD=build/san SANITIZE=1).

BUILD ?= build
SANITIZE ?= 0
PREFIX ?= /usr/local
DESTDIR ?=

CC := clang
CLANG ?= clang
BPFTOOL ?= bpftool
LLVM_STRIP ?= llvm-strip
PKG_CONFIG ?= pkg-config
PYTHON ?= /usr/bin/python3

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

# Debian packages: build, test, bench. `make deps` installs only what is missing.
DEB_PACKAGES := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config \
	libcurl4-openssl-dev libjson-c-dev libcmocka-dev libmicrohttpd-dev libcap-dev \
	libclang-rt-14-dev runc busybox-static python3 python3-pytest valgrind bpftrace \
	openssl procps util-linux libcap2-bin libyaml-dev gcc libc6-dev binutils \
	qemu-system-x86 debian-archive-keyring shellcheck clang-format libbpf-tools \
	containerd python3-grpcio python3-protobuf protobuf-compiler

# `make image` (tools/image/build-image.sh) and `make test-image` (tests/image).
IMAGE_DEB_PACKAGES := buildah mmdebstrap bpftool
IMAGE_TEST_DEB_PACKAGES := containernetworking-plugins iproute2 containerd runc busybox-static gcc \
	libc6-dev openssl python3-pytest python3-grpcio python3-protobuf protobuf-compiler shellcheck

PKGS := libbpf libelf zlib json-c libcurl yaml-0.1 libmicrohttpd
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -gdwarf-4
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow \
	-Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	-D_GNU_SOURCE -Iinclude -Iuserspace -I$(BUILD) $(PKG_CFLAGS)
LDLIBS += $(PKG_LIBS) -lm
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

BPF_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-Iinclude -I$(BUILD) -mcpu=v3

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_HDRS := $(wildcard bpf/*.h) include/podtrail/record.h
USER_SRCS := $(filter-out userspace/main.c,$(wildcard userspace/*.c userspace/*/*.c))
USER_HDRS := $(wildcard userspace/*.h userspace/*/*.h include/podtrail/*.h)
USER_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(USER_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TOOL_SRCS := $(wildcard tools/*.c)
TOOL_BINS := $(patsubst tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))

.PHONY: all deps run test test-unit test-integration bench install clean format check-format \
	image image-deps test-image readme-flags

all: $(BUILD)/podtrail $(TOOL_BINS) docs/podtrail.8

# --- dependencies -------------------------------------------------------------

# $(call install-missing,WHO,PACKAGES): apt-get install those of PACKAGES that
# are not installed yet (as root), saying which; nothing when all are there.
define install-missing
	@missing=$$(for p in $(2); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "$(1): missing packages ($$missing); run as root" >&2; exit 1; fi; \
		echo "$(1): installing $$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call install-missing,make deps,$(DEB_PACKAGES))

# --- BPF ----------------------------------------------------------------------

# vmlinux.h comes from the running kernel's BTF: CO-RE relocations make the
# object portable to other kernels, and the header always matches the types
# the verifier will see here. See README "Why vmlinux.h is generated".
$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	@test -r /sys/kernel/btf/vmlinux || { echo "no /sys/kernel/btf/vmlinux: this kernel lacks BTF (CONFIG_DEBUG_INFO_BTF=y)" >&2; exit 1; }
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/podtrail.bpf.o: $(BPF_SRCS) $(BPF_HDRS) $(BUILD)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c bpf/podtrail.bpf.c -o $@
	@# The skeleton embeds this object in the binary: keep BTF, drop DWARF (0.5 MiB of RSS).
	$(LLVM_STRIP) -g $@

$(BUILD)/podtrail.skel.h: $(BUILD)/podtrail.bpf.o
	$(BPFTOOL) gen skeleton $< name podtrail_bpf > $@.tmp && mv $@.tmp $@

# --- userspace ----------------------------------------------------------------

$(BUILD)/obj/%.o: %.c $(USER_HDRS) $(BUILD)/podtrail.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libpodtrail.a: $(USER_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/podtrail: $(BUILD)/obj/userspace/main.o $(BUILD)/libpodtrail.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tools/%: tools/%.c $(wildcard tools/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

# --- tests --------------------------------------------------------------------

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/libpodtrail.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libpodtrail.a $(LDLIBS) -lcmocka

test-unit: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

# The whole suite: unit tests and integration tests run against the
# sanitized build; the plain build is what `make run` and the README use.
test: deps
	$(MAKE) check-format
	$(MAKE) all
	$(MAKE) BUILD=build/san SANITIZE=1 all test-unit
	# One pytest run per directory: each has a conftest of its own.
	for d in tests/fakeapi tests/integration tests/e2e tests/cri tests/deploy; do \
		PODTRAIL_BUILD=build/san $(PYTHON) -m pytest -v -p no:cacheprovider $$d || exit 1; \
	done
	$(MAKE) test-image
	$(MAKE) test-kernels
	$(MAKE) test-fuzz

# --- container image --------------------------------------------------------

# Installs only what is missing, like deps.
image-deps:
	$(call install-missing,make image,$(IMAGE_DEB_PACKAGES) $(if $(filter test-image,$(MAKECMDGOALS)),$(IMAGE_TEST_DEB_PACKAGES)))

# build/podtrail-image.tar, tagged podtrail:<version>. Bases and buildah's
# storage are cached in PODTRAIL_IMAGE_CACHE (/var/cache/podtrail-image).
image: image-deps
	tools/image/build-image.sh $(ARGS)

# The image under a private containerd, run through the CRI from the rendered
# DaemonSet (docs/image.md, "The image as the DaemonSet runs it").
test-image: image-deps image
	$(PYTHON) -m pytest -v -p no:cacheprovider tests/image

bench: deps all
	tools/bench.sh $(ARGS)

run: deps all
	$(BUILD)/podtrail $(ARGS)

# The man page is the option table as the program itself writes it (--help=man),
# so it never disagrees with --help; tests/integration/test_cli.py checks it is current.
docs/podtrail.8: $(BUILD)/podtrail
	$< --help=man > $@.tmp && mv $@.tmp $@

# README's table of flags, between its two markers, from the same table (--help=markdown).
readme-flags: $(BUILD)/podtrail
	$< --help=markdown > $(BUILD)/flags.md
	awk -v table=$(BUILD)/flags.md '/^<!-- flags: end -->/ { skip = 0 } !skip { print } \
		/^<!-- flags: podtrail --help=markdown/ { while ((getline l < table) > 0) print l; skip = 1 }' \
		README.md > $(BUILD)/README.md.tmp && mv $(BUILD)/README.md.tmp README.md

install: $(BUILD)/podtrail docs/podtrail.8
	install -D -m 0755 $(BUILD)/podtrail $(DESTDIR)$(PREFIX)/sbin/podtrail
	install -D -m 0644 docs/podtrail.8 $(DESTDIR)$(PREFIX)/share/man/man8/podtrail.8

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

check-format:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

# Kernel matrix under qemu and fuzzing live in their own makefiles.
-include tests/kernels/kernels.mk
-include tests/fuzz/fuzz.mk
