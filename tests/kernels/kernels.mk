# Kernel matrix: the agent and the integration scenarios inside qemu guests
# booting Debian's own kernels with pure cgroup v2 (cgroup_no_v1=all).
# Included by the top-level Makefile.
#
#   make test-kernels                    every kernel, one PASS/FAIL line each
#   make test-kernels KERNELS="bookworm"  one suite only
#
# PODTRAIL_KERNEL_CACHE (default /var/cache/podtrail-kernels) keeps the
# downloaded kernels between runs; logs and the initramfs go to build/kernels/.
#
# The guest's podtrail is a static build of the same sources, without cluster
# mode (userspace/cluster.c and userspace/k8s/ need libcurl, whose static
# library pulls in OpenSSL, Kerberos and LDAP): tests/kernels/cluster_stub.c
# stands in for cluster.c.

KERN_DIR := tests/kernels
STATIC := build/static
KERN_OUT := build/kernels
KERNELS ?= bullseye bookworm trixie
KERNEL_TIMEOUT ?= 120

# Debian packages the matrix needs on the host (static libraries for the
# guest's binaries, the emulator, busybox for the initramfs).
KERN_DEB_PACKAGES := qemu-system-x86 busybox-static debian-archive-keyring binutils \
	libc6-dev libbpf-dev libelf-dev zlib1g-dev libjson-c-dev

# Same flags as the host build, without the sanitizers (no static ASan runtime).
STATIC_CFLAGS = $(filter-out -fsanitize=% -fno-sanitize-recover=% -fno-omit-frame-pointer,$(CFLAGS))
STATIC_SRCS := $(filter-out userspace/cluster.c userspace/http_server.c userspace/k8s/%,$(USER_SRCS)) \
	userspace/k8s/api_stats.c userspace/k8s/runtime_meta.c userspace/main.c \
	$(KERN_DIR)/cluster_stub.c
STATIC_OBJS := $(patsubst %.c,$(STATIC)/obj/%.o,$(STATIC_SRCS))
STATIC_LIBS := -lbpf -lelf -lz -ljson-c -lm

.PHONY: test-kernels kernels-deps kernels-static

kernels-static: $(STATIC)/podtrail $(STATIC)/pt-helper $(STATIC)/ptcheck

$(STATIC)/obj/%.o: %.c $(USER_HDRS) $(BUILD)/podtrail.skel.h
	@mkdir -p $(@D)
	$(CC) $(STATIC_CFLAGS) -c $< -o $@

$(STATIC)/podtrail: $(STATIC_OBJS)
	$(CC) -static -o $@ $^ $(STATIC_LIBS)

$(STATIC)/pt-helper: $(KERN_DIR)/helper.c
	@mkdir -p $(@D)
	$(CC) -static -O1 -Wall -Werror -o $@ $<

$(STATIC)/ptcheck: $(KERN_DIR)/ptcheck.c
	@mkdir -p $(@D)
	$(CC) -static -O2 -Wall -Werror -D_GNU_SOURCE -o $@ $< -ljson-c

kernels-deps:
	$(call install-missing,make test-kernels,$(KERN_DEB_PACKAGES))

test-kernels: kernels-deps
	$(MAKE) kernels-static
	$(KERN_DIR)/run-matrix.sh --out $(KERN_OUT) --static $(STATIC) \
		--timeout $(KERNEL_TIMEOUT) $(KERNELS)
