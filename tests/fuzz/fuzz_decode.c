// SPDX-License-Identifier: GPL-2.0
/*
 * Ring-buffer records of any size and content, through everything that
 * reads them: pt_decode() (or pt_decode_cgroup()), then the pipeline (cgroup
 * ids named from a table holding seed_cgroups.h's node, cgroup parse,
 * classify) into both standalone output formats and the Kubernetes Event
 * bodies.
 *
 * Each input is decoded twice: as it is (almost always refused: the size
 * must match exactly), and "repaired" (padded or cut to the size of the
 * record its kind names, with a valid header) so that the fuzzer spends its
 * time on record contents rather than on guessing the header. A valid
 * record is its own repair, so the seed corpus is plain records.
 *
 * Invariants: decode succeeds on every repaired record; every string of the
 * event is NUL-terminated within its array and is the record's bytes up to
 * their first NUL; the wait status splits consistently; reports' messages
 * are terminated and bounded; the JSON line and Event bodies are valid JSON
 * that carry the message unchanged; a text line ends with a newline (and,
 * with -DFUZZ_TEXT_ONE_LINE, holds no other: off until output.c escapes
 * control bytes, see regressions/decode/NOTES.md).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <json-c/json.h>

#include "classify.h"
#include "decode.h"
#include "k8s/event_build.h"
#include "output.h"
#include "cgroup_names.h"
#include "pipeline.h"
#include "fuzz_util.h"
#include "seed_cgroups.h"

static FILE *devnull;
static char *line;
static size_t line_cap;
static FILE *mem;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	devnull = fopen("/dev/null", "w");
	mem = open_memstream(&line, &line_cap);
	if (!devnull || !mem)
		abort();
	return 0;
}

/* The bytes of a fixed-size kernel string, up to the first NUL. */
static void check_copy(const char *what, const char *dst, size_t dstsize, const char *src,
		       size_t srclen)
{
	size_t n = strnlen(src, srclen);

	FUZZ_ASSERT(dstsize > srclen, "%s: no room for the NUL", what);
	FUZZ_ASSERT(fuzz_terminated(dst, dstsize), "%s is not NUL-terminated", what);
	FUZZ_ASSERT(strlen(dst) == n && !memcmp(dst, src, n), "%s is not the record's string",
		    what);
}

#define CHECK_COPY(dst, src) check_copy(#dst, (dst), sizeof(dst), (src), sizeof(src))

/* Decode copies the id; the path comes from the table, never from the record. */
static void check_cgroup(const struct pt_cgroup *cg, uint32_t flags, const struct pt_event *ev)
{
	FUZZ_ASSERT(ev->cgroup.id == cg->id && ev->cgroup.hierarchy_id == cg->hierarchy_id &&
			ev->cgroup.depth == cg->level && !ev->cgroup.known,
		    "cgroup id/hierarchy/depth");
	FUZZ_ASSERT(ev->cgroup.v1 == !!(flags & PT_FLAG_CGROUP_V1), "cgroup flags");
}

/* A table of the seeds' node, as the walk at start would fill it. */
static struct pt_cgroup_ids *seed_table(void)
{
	struct pt_cgroup_ids *t;

	FUZZ_ASSERT(pt_cgroup_ids_new(60ULL * 1000000000ULL, &t) == 0, "table");
	for (size_t i = 0; i < sizeof(seed_cgroups) / sizeof(seed_cgroups[0]); i++)
		FUZZ_ASSERT(pt_cgroup_ids_add(t, seed_cgroups[i].hierarchy, seed_cgroups[i].id,
					      seed_cgroups[i].path) == 0,
			    "seed cgroup");
	return t;
}

/* Named from the table: a known path is absolute, bounded, and the table's when short. */
static void check_named(struct pt_cgroup_ids *t, struct pt_event *ev)
{
	const char *path;

	pt_cgroup_names_fill(t, ev);
	path = pt_cgroup_ids_find(t, ev->cgroup.hierarchy_id, ev->cgroup.id);
	FUZZ_ASSERT(ev->cgroup.known == (ev->cgroup.id && path), "cgroup known");
	if (!ev->cgroup.known)
		return;
	FUZZ_ASSERT_STR(ev->cgroup.path);
	FUZZ_ASSERT(ev->cgroup.path[0] == '/', "cgroup path \"%s\"", ev->cgroup.path);
	if (!ev->cgroup.truncated)
		FUZZ_ASSERT(!strcmp(ev->cgroup.path, path), "cgroup path \"%s\", table \"%s\"",
			    ev->cgroup.path, path);
}

static void check_oom(const struct pt_oom *o, uint32_t flags, const struct pt_event_oom *out)
{
	FUZZ_ASSERT(out->present, "oom not present");
	FUZZ_ASSERT(out->confined == !!(flags & PT_FLAG_OOM_MEMCG) &&
			out->has_rss == !!(flags & PT_FLAG_HAS_RSS),
		    "oom flags");
	FUZZ_ASSERT(out->memcg_limit_bytes == o->memcg_limit_bytes &&
			out->anon_rss_kb == o->anon_rss_kb &&
			out->oom_score_adj == o->oom_score_adj,
		    "oom figures");
	CHECK_COPY(out->memcg_name, o->memcg_name);
}

static void check_cgroup_record(const uint8_t *rec, size_t size)
{
	struct pt_cgroup_record r;
	struct pt_cgroup_change c;

	if (pt_record_kind(rec, size) == PT_RECORD_CGROUP_NAMES) {
		struct pt_cgroup_names_record n;

		FUZZ_ASSERT(size == sizeof(n), "names record of %zu bytes", size);
		memcpy(&n, rec, sizeof(n));
		FUZZ_ASSERT(pt_decode_cgroup(rec, size, &c) == 0, "a names record refused");
		FUZZ_ASSERT(c.id == n.cgroup.id && c.hierarchy_id == n.cgroup.hierarchy_id &&
				c.level == n.cgroup.level && !c.cut && c.path[0] == '/',
			    "names record fields");
		FUZZ_ASSERT_STR(c.path);
		return;
	}
	FUZZ_ASSERT(size == sizeof(r), "cgroup record of %zu bytes", size);
	memcpy(&r, rec, sizeof(r));
	FUZZ_ASSERT(pt_decode_cgroup(rec, size, &c) == 0, "a well-formed cgroup record refused");
	FUZZ_ASSERT(c.id == r.cgroup.id && c.hierarchy_id == r.cgroup.hierarchy_id &&
			c.level == r.cgroup.level && c.kind == r.hdr.kind,
		    "cgroup record fields");
	FUZZ_ASSERT_STR(c.path);
	FUZZ_ASSERT(!strncmp(c.path, r.path, strlen(c.path)), "cgroup record path");
	FUZZ_ASSERT(c.cut || c.path[0] == '/', "uncut relative path \"%s\"", c.path);
}

/* @oom: the record's OOM figures, NULL for a plain exit record. */
static void check_exit(const struct pt_exit_record *r, const struct pt_oom *oom,
		       const struct pt_event *ev)
{
	uint32_t flags = r->hdr.flags;

	FUZZ_ASSERT(ev->kind == PT_RECORD_EXIT && ev->pid == r->pid && ev->tid == r->tid &&
			ev->ppid == r->ppid,
		    "exit ids");
	CHECK_COPY(ev->comm, r->comm);
	CHECK_COPY(ev->parent_comm, r->parent_comm);
	/* Exited with a code, or killed by a signal: never both. */
	if (ev->exited)
		FUZZ_ASSERT(ev->signal == 0 && ev->exit_code >= 0 && ev->exit_code <= 255 &&
				!ev->core_dumped,
			    "exit status %#x", r->exit_code);
	else
		FUZZ_ASSERT(ev->signal > 0 && ev->signal < 128 && ev->exit_code == 0,
			    "signal status %#x", r->exit_code);
	FUZZ_ASSERT(ev->lifetime_ns <= r->hdr.ktime_ns, "lifetime longer than uptime");
	FUZZ_ASSERT(ev->killer.present == !!(flags & PT_FLAG_HAS_KILLER), "killer presence");
	if (flags & PT_FLAG_KILLER_SELF) {
		/* The process's own fault: the killer is the process, at its exit. */
		CHECK_COPY(ev->killer.comm, r->comm);
		FUZZ_ASSERT(ev->killer.tgid == r->pid && ev->killer.pid == r->tid &&
				ev->killer.sig == ev->signal && ev->killer.from_kernel &&
				ev->killer.ktime_ns == r->hdr.ktime_ns && !ev->killer.cgroup_id,
			    "own fault's killer");
	} else if (ev->killer.present) {
		CHECK_COPY(ev->killer.comm, r->killer.comm);
		FUZZ_ASSERT(ev->killer.cgroup_id == r->killer.cgroup_id &&
				ev->killer.cgroup_hierarchy_id == r->killer.cgroup_hierarchy_id &&
				!ev->killer.cgroup_leaf[0],
			    "killer cgroup");
		FUZZ_ASSERT(ev->killer.from_kernel == (r->killer.code > 0), "killer from_kernel");
	}
	FUZZ_ASSERT(ev->oom.present == !!(flags & PT_FLAG_OOM_KILLED), "oom presence");
	FUZZ_ASSERT(!oom == !ev->oom.present, "oom section");
	if (ev->oom.present)
		check_oom(oom, flags, &ev->oom);
	check_cgroup(&r->cgroup, flags, ev);
}

static void check_oom_record(const struct pt_oom_record *r, const struct pt_event *ev)
{
	FUZZ_ASSERT(ev->kind == PT_RECORD_OOM && ev->pid == r->pid, "oom ids");
	CHECK_COPY(ev->comm, r->comm);
	FUZZ_ASSERT(!ev->killer.present, "oom record with a killer");
	FUZZ_ASSERT(!ev->cgroup.known, "oom record with a cgroup");
	check_oom(&r->oom, r->hdr.flags, &ev->oom);
}

/* Writes with @fn into the memory stream and returns the NUL-terminated text. */
static const char *render(enum pt_output_format fmt, const struct pt_emitted *e)
{
	rewind(mem);
	FUZZ_ASSERT(pt_output_write(mem, fmt, e) == 0, "pt_output_write failed");
	fputc('\0', mem);
	fflush(mem);
	return line;
}

static struct json_object *parse_json(const char *what, const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	FUZZ_ASSERT(o && json_object_is_type(o, json_type_object), "%s is not a JSON object: %s",
		    what, text);
	return o;
}

static void check_member_str(const char *what, struct json_object *o, const char *key,
			     const char *want)
{
	struct json_object *v;

	FUZZ_ASSERT(json_object_object_get_ex(o, key, &v), "%s has no \"%s\"", what, key);
	if (!want || !want[0]) {
		FUZZ_ASSERT(!v, "%s: \"%s\" should be null", what, key);
		return;
	}
	FUZZ_ASSERT(v && json_object_is_type(v, json_type_string) &&
			!strcmp(json_object_get_string(v), want),
		    "%s: \"%s\" is \"%s\", not \"%s\"", what, key,
		    v ? json_object_get_string(v) : "(null)", want);
}

/* The writer turns bytes that are not UTF-8 into U+FFFD; valid text must round-trip. */
static bool valid_utf8(const char *str)
{
	const unsigned char *p = (const unsigned char *)str;

	while (*p) {
		int n = *p < 0x80    ? 1
			: *p >= 0xf5 ? 0
			: *p >= 0xf0 ? 4
			: *p >= 0xe0 ? 3
			: *p >= 0xc2 ? 2
				     : 0;

		if (!n)
			return false;
		for (int i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

static void check_json_line(const struct pt_emitted *e)
{
	static const char *const keys[] = { "time",    "type", "reason",    "message",
					    "node",    "pod",  "container", "cgroup",
					    "process", "exit", "killer",    "oom" };
	const char *text = render(PT_OUTPUT_JSON, e);
	size_t len = strlen(text);
	struct json_object *o;

	FUZZ_ASSERT(len && text[len - 1] == '\n' && memchr(text, '\n', len) == text + len - 1,
		    "JSON output is not one line: %s", text);
	o = parse_json("JSON output", text);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		FUZZ_ASSERT(json_object_object_get_ex(o, keys[i], NULL), "JSON output has no %s",
			    keys[i]);
	if (valid_utf8(e->report->message))
		check_member_str("JSON output", o, "message", e->report->message);
	json_object_put(o);
}

static void check_text_line(const struct pt_emitted *e)
{
	const char *text = render(PT_OUTPUT_TEXT, e);
	size_t len = strlen(text);

	FUZZ_ASSERT(len && text[len - 1] == '\n', "text output does not end a line: %s", text);
#ifdef FUZZ_TEXT_ONE_LINE
	FUZZ_ASSERT(memchr(text, '\n', len) == text + len - 1, "text output is not one line: %s",
		    text);
#endif
}

static void check_event_bodies(const struct pt_emitted *e)
{
	struct pt_k8s_event kev;

	pt_k8s_event_build(e, &kev);
	FUZZ_ASSERT_STR(kev.message);
	FUZZ_ASSERT(!strcmp(kev.message, e->report->message), "Event message differs");
	for (int api = PT_EVENTS_CORE_V1; api <= PT_EVENTS_V1; api++) {
		char *create = pt_k8s_event_create_body(&kev, (enum pt_events_api)api);
		char *patch = pt_k8s_event_patch_body(&kev, (enum pt_events_api)api);
		struct json_object *o;

		FUZZ_ASSERT(create && patch, "no body");
		o = parse_json("create body", create);
		check_member_str("create body", o, api == PT_EVENTS_V1 ? "note" : "message",
				 kev.message);
		json_object_put(o);
		o = parse_json("patch body", patch);
		json_object_put(o);
		free(create);
		free(patch);
	}
}

static int sink(void *ctx, const struct pt_emitted *e)
{
	const struct pt_report *r = e->report;

	FUZZ_ASSERT((unsigned int)r->reason < PT_REASON__COUNT, "reason %d", r->reason);
	FUZZ_ASSERT_STR(r->message);
	FUZZ_ASSERT(r->message[0], "empty message");
	FUZZ_ASSERT(pt_reason_from_name(pt_reason_name(r->reason)) == (int)r->reason,
		    "reason name");
	FUZZ_ASSERT(pt_output_write(devnull, PT_OUTPUT_TEXT, e) == 0, "text to /dev/null");
	check_text_line(e);
	check_json_line(e);
	check_event_bodies(e);
	return 0;
}

/* What the attributor adds once the pod is known. */
static const struct pt_pod_ref known_pod = {
	.namespace_ = "default",
	.name = "web-7d4b9c8f6-x2x9q",
	.uid = "1b4c3a2e-0000-4000-8000-000000000001",
	.container_name = "app",
	.field_path = "spec.containers{app}",
};

static void run_pipeline(const void *rec, size_t size, struct pt_event *ev)
{
	struct pt_cgroup_ids *t = seed_table();
	struct pt_pipeline p;
	struct pt_placement where;
	uint64_t reports = 0;

	pt_pipeline_init(&p, "node-1", (struct pt_sink){ sink, NULL });
	p.cgroup_ids = t;
	pt_pipeline_on_record(&p, rec, size);
	FUZZ_ASSERT(p.stats.records == 1 && p.stats.decode_errors == 0, "pipeline decode");
	/* At most an OOM report and a ContainerExited, for an OOM-killed main process. */
	for (int i = 0; i < PT_REASON__COUNT; i++)
		reports += p.stats.by_reason[i];
	FUZZ_ASSERT(reports <= 2, "too many reports");

	/* The same event once attributed, as the cluster path emits it. */
	if (ev->kind != PT_RECORD_EXIT && ev->kind != PT_RECORD_OOM) {
		pt_cgroup_ids_free(t);
		return;
	}
	check_named(t, ev);
	memset(&where, 0, sizeof(where));
	pt_cgroup_parse(ev->cgroup.known ? ev->cgroup.path : "", &where.cgroup);
	pt_cgroup_parse(ev->killer.present ? ev->killer.cgroup_leaf : "", &where.killer_cgroup);
	pt_pipeline_emit(&p, ev, &where, &known_pod);
	pt_cgroup_ids_free(t);
}

static int decode_one(const uint8_t *rec, size_t size, bool must_decode)
{
	struct pt_record_header hdr;
	struct pt_event ev;
	int kind = pt_record_kind(rec, size);
	int ret;

	if (kind == PT_RECORD_CGROUP_MKDIR || kind == PT_RECORD_CGROUP_RMDIR ||
	    kind == PT_RECORD_CGROUP_NAMES) {
		struct pt_cgroup_change c;

		ret = pt_decode_cgroup(rec, size, &c);
		FUZZ_ASSERT(ret == 0 || ret == -EBADMSG, "ret %d", ret);
		if (must_decode)
			FUZZ_ASSERT(ret == 0, "a well-formed cgroup record was refused");
		if (ret)
			return ret;
		check_cgroup_record(rec, size);
		memset(&ev, 0, sizeof(ev));
		ev.kind = (enum pt_record_kind)kind;
		run_pipeline(rec, size, &ev);
		return 0;
	}
	ret = pt_decode(rec, size, &ev);
	FUZZ_ASSERT(ret == 0 || ret == -EBADMSG, "ret %d", ret);
	if (must_decode)
		FUZZ_ASSERT(ret == 0, "a well-formed record was refused");
	if (ret)
		return ret;
	FUZZ_ASSERT(size >= sizeof(hdr), "decoded %zu bytes", size);
	memcpy(&hdr, rec, sizeof(hdr));
	FUZZ_ASSERT(hdr.size == size && hdr.version == PT_RECORD_VERSION, "header");
	FUZZ_ASSERT(ev.flags == hdr.flags && ev.ktime_ns == hdr.ktime_ns, "header fields");
	if (hdr.kind == PT_RECORD_EXIT) {
		struct pt_exit_record_oom r;
		bool oom = hdr.flags & PT_FLAG_OOM_KILLED;

		FUZZ_ASSERT(size == pt_exit_record_size(hdr.flags), "exit record of %zu bytes",
			    size);
		memset(&r, 0, sizeof(r));
		memcpy(&r, rec, size);
		check_exit(&r.exit, oom ? &r.oom : NULL, &ev);
	} else {
		struct pt_oom_record r;

		FUZZ_ASSERT(hdr.kind == PT_RECORD_OOM && size == sizeof(r), "kind %u, %zu bytes",
			    hdr.kind, size);
		memcpy(&r, rec, sizeof(r));
		check_oom_record(&r, &ev);
	}
	run_pipeline(rec, size, &ev);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_record_header hdr = { 0 };
	uint8_t *raw = malloc(size ? size : 1);
	uint8_t *fixed;
	size_t fixed_size;
	int ret;

	/* As it came: exact-size heap copy, so that ASan sees any overread. */
	if (!raw)
		abort();
	memcpy(raw, data, size);
	ret = decode_one(raw, size, false);
	free(raw);
	if (!ret)
		return 0; /* a valid record is its own repair */

	/* Repaired: the kind picks the layout, the rest is the fuzzer's. */
	memcpy(&hdr, data, size < sizeof(hdr) ? size : sizeof(hdr));
	if (hdr.kind < PT_RECORD_EXIT || hdr.kind > PT_RECORD_CGROUP_NAMES)
		hdr.kind = PT_RECORD_EXIT + hdr.kind % 5;
	if (hdr.kind == PT_RECORD_EXIT) {
		if (!pt_exit_record_size(hdr.flags))
			hdr.flags &= ~PT_FLAG_KILLER_SELF;
		fixed_size = pt_exit_record_size(hdr.flags);
	} else if (hdr.kind == PT_RECORD_OOM)
		fixed_size = sizeof(struct pt_oom_record);
	else if (hdr.kind == PT_RECORD_CGROUP_NAMES)
		fixed_size = sizeof(struct pt_cgroup_names_record);
	else
		fixed_size = sizeof(struct pt_cgroup_record);
	fixed = calloc(1, fixed_size);
	if (!fixed)
		abort();
	memcpy(fixed, data, size < fixed_size ? size : fixed_size);
	hdr.version = PT_RECORD_VERSION;
	hdr.size = (uint32_t)fixed_size;
	memcpy(fixed, &hdr, sizeof(hdr));
	decode_one(fixed, fixed_size, true);
	free(fixed);
	return 0;
}
