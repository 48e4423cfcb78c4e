# libFuzzer targets (clang): included by the top-level Makefile.
#
#   make fuzz-build    build every target in $(FUZZ_OUT)/bin
#   make test-fuzz     replay tests/fuzz/regressions/<target>/*, then run every
#                      target FUZZ_TEST_SECONDS (20) on the committed corpus
#   make fuzz          run every target FUZZ_SECONDS (300) on a working corpus in
#                      $(FUZZ_OUT)/corpus (seeded from the committed one)
#   make fuzz-merge    fold the working corpus into tests/fuzz/corpus, minimised
#   make fuzz-seeds    regenerate the hand-written seeds (gen_seeds.py, gen_records.c)
#   make fuzz-coverage line coverage of the code under test by the committed
#                      corpus, the regressions and the working corpus
#
# FUZZ_TARGETS picks targets (e.g. make fuzz FUZZ_TARGETS=decode), FUZZ_JOBS
# how many run at once (default: the number of CPUs, at most 4). Any crash,
# leak, timeout or broken invariant fails the target loudly; see
# tests/fuzz/README.md.

FUZZ_DIR := tests/fuzz
FUZZ_OUT ?= build/fuzz
FUZZ_ALL_TARGETS := cgroup_path decode watch_stream api_json kubeconfig
FUZZ_TARGETS ?= $(FUZZ_ALL_TARGETS)
FUZZ_SECONDS ?= 300
FUZZ_TEST_SECONDS ?= 20
FUZZ_JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 4 ] && n=4; echo $$n)
FUZZ_CC ?= $(CLANG)
OBJCOPY ?= objcopy

# The project's language and warning flags (-Werror included) and include
# paths, from CFLAGS; optimisation and sanitizers are the fuzzer's own.
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# FUZZ_DEFINES: extra checks; text output staying one line per event is fixed, so on by default.
FUZZ_DEFINES ?= -DFUZZ_TEXT_ONE_LINE
FUZZ_CFLAGS = -g -O1 $(filter -std=% -W% -D% -I%,$(CFLAGS)) \
	$(shell $(PKG_CONFIG) --cflags json-c yaml-0.1 2>/dev/null) $(FUZZ_SAN) $(FUZZ_DEFINES)
FUZZ_LIBS = $(shell $(PKG_CONFIG) --libs json-c yaml-0.1 2>/dev/null) -lm

# What each target links: only the sources it needs (never main.c, nor the
# BPF skeleton's users).
FUZZ_SRCS_cgroup_path := userspace/cgroup_path.c
FUZZ_SRCS_decode := userspace/decode.c userspace/cgroup_path.c userspace/classify.c userspace/message.c \
	userspace/cgroup_ids.c userspace/cgroup_names.c \
	userspace/signals.c userspace/output.c userspace/json_writer.c userspace/pipeline.c userspace/k8s/event_build.c \
	userspace/identity.c userspace/oom_groups.c userspace/runtime_state.c userspace/event_loop.c \
	userspace/components.c userspace/recent_exits.c \
	userspace/k8s/runtime_meta.c
FUZZ_SRCS_watch_stream := userspace/k8s/watch_stream.c userspace/k8s/pod_json.c
FUZZ_SRCS_api_json := userspace/k8s/pod_json.c
FUZZ_SRCS_kubeconfig := userspace/k8s/kubeconfig.c

FUZZ_BINS := $(patsubst %,$(FUZZ_OUT)/bin/fuzz_%,$(FUZZ_TARGETS))
FUZZ_HDRS := $(wildcard userspace/*.h userspace/*/*.h include/podtrail/*.h) $(FUZZ_DIR)/fuzz_util.h \
	$(FUZZ_DIR)/seed_cgroups.h

.PHONY: fuzz fuzz-build test-fuzz fuzz-merge fuzz-seeds fuzz-coverage fuzz-clean

# Code under test: instrumented for coverage, not linked with libFuzzer's main.
$(FUZZ_OUT)/obj/%.o: %.c $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

# The kubeconfig loader opens paths taken from its input: in the fuzzer its
# open() goes through a wrapper that confines it to a temporary directory.
$(FUZZ_OUT)/obj/userspace/k8s/kubeconfig.confined.o: $(FUZZ_OUT)/obj/userspace/k8s/kubeconfig.o
	$(OBJCOPY) --redefine-sym open=fuzz_confined_open $< $@

$(FUZZ_OUT)/obj/harness/%.o: $(FUZZ_DIR)/%.c $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(FUZZ_DIR) -fsanitize=fuzzer -c $< -o $@

# A target's objects: its sources', the kubeconfig loader's confined.
fuzz_objs = $(patsubst %/kubeconfig.o,%/kubeconfig.confined.o,\
	$(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(FUZZ_SRCS_$(1))))
define fuzz_bin_rule
$(FUZZ_OUT)/bin/fuzz_$(1): $(FUZZ_OUT)/obj/harness/fuzz_$(1).o $(call fuzz_objs,$(1))
	@mkdir -p $$(@D)
	$$(FUZZ_CC) -fsanitize=fuzzer $$(FUZZ_SAN) -o $$@ $$^ $$(FUZZ_LIBS)
endef
$(foreach t,$(FUZZ_ALL_TARGETS),$(eval $(call fuzz_bin_rule,$(t))))

fuzz-build: $(FUZZ_BINS)

test-fuzz: fuzz-build
	$(FUZZ_DIR)/run-fuzzers.sh $(FUZZ_OUT)/bin $(FUZZ_OUT)/test $(FUZZ_TEST_SECONDS) \
		$(FUZZ_JOBS) test $(FUZZ_TARGETS)

fuzz: fuzz-build
	$(FUZZ_DIR)/run-fuzzers.sh $(FUZZ_OUT)/bin $(FUZZ_OUT) $(FUZZ_SECONDS) \
		$(FUZZ_JOBS) long $(FUZZ_TARGETS)

# Adds to the committed corpus only the inputs that reach new coverage.
fuzz-merge: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		[ -d $(FUZZ_OUT)/corpus/$$t ] || continue; \
		echo "fuzz-merge: $$t"; \
		$(FUZZ_OUT)/bin/fuzz_$$t -merge=1 $(FUZZ_DIR)/corpus/$$t $(FUZZ_OUT)/corpus/$$t \
			2>&1 | grep -E 'MERGE-OUTER: [0-9]+ new files' || exit 1; \
	done; du -sh $(FUZZ_DIR)/corpus

$(FUZZ_OUT)/gen_records: $(FUZZ_DIR)/gen_records.c $(FUZZ_DIR)/seed_cgroups.h include/podtrail/record.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(filter -std=% -W% -D% -I%,$(CFLAGS)) -I$(FUZZ_DIR) -o $@ $<

fuzz-seeds: $(FUZZ_OUT)/gen_records
	$(PYTHON) $(FUZZ_DIR)/gen_seeds.py
	$(FUZZ_OUT)/gen_records $(FUZZ_DIR)/corpus/decode

# Source-based coverage: the same harnesses, built without sanitizers, run
# once over every input; llvm-cov reports on the target's own sources.
FUZZ_COV := $(FUZZ_OUT)/coverage
FUZZ_COV_CFLAGS = $(filter-out -fsanitize% -fno-sanitize%,$(FUZZ_CFLAGS)) \
	-fprofile-instr-generate -fcoverage-mapping
define fuzz_cov
	d=$(FUZZ_COV)/$(1); mkdir -p $$d; objs=; \
	for s in $(FUZZ_SRCS_$(1)); do \
		o=$$d/$$(basename $$s .c).o; \
		$(FUZZ_CC) $(FUZZ_COV_CFLAGS) -c $$s -o $$o; \
		if [ $$s = userspace/k8s/kubeconfig.c ]; then \
			$(OBJCOPY) --redefine-sym open=fuzz_confined_open $$o; fi; \
		objs="$$objs $$o"; \
	done; \
	$(FUZZ_CC) $(FUZZ_COV_CFLAGS) -I$(FUZZ_DIR) -fsanitize=fuzzer -o $$d/fuzz_$(1) \
		$(FUZZ_DIR)/fuzz_$(1).c $$objs $(FUZZ_LIBS); \
	inputs=$(FUZZ_DIR)/corpus/$(1); \
	for x in $(FUZZ_DIR)/regressions/$(1) $(FUZZ_OUT)/corpus/$(1); do \
		[ -d $$x ] && inputs="$$inputs $$x"; done; \
	rm -f $$d/prof.raw; \
	LLVM_PROFILE_FILE=$$d/prof.raw $$d/fuzz_$(1) -runs=0 $$inputs >$$d/run.log 2>&1 || \
		{ tail -20 $$d/run.log; exit 1; }; \
	llvm-profdata merge -sparse $$d/prof.raw -o $$d/prof.data; \
	echo "== $(1): $$inputs"; \
	llvm-cov report $$d/fuzz_$(1) -instr-profile=$$d/prof.data $(FUZZ_SRCS_$(1)) | \
		sed -e '/^---/d'
endef

fuzz-coverage:
	@set -e; $(foreach t,$(FUZZ_TARGETS),$(call fuzz_cov,$(t));)

fuzz-clean:
	rm -rf $(FUZZ_OUT)
