// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup path -> pod, container, runtime, QoS class, driver (see cgroup_path.h).
 *
 * The path is read one component at a time; empty components ("//", a
 * trailing "/") are skipped and the leading "/" is optional. The first
 * component that belongs to kubelet's tree is the anchor: what comes before
 * it is someone else's prefix (a cgroup namespace's "/..", a kind node's
 * docker scope, kubelet's --cgroup-root) and is ignored. From the anchor on,
 * the components must follow kubelet's layout exactly down to the container
 * directory; below that, the container owns the tree and may nest as it
 * likes. A path that enters kubelet's tree and then breaks its layout is
 * -EINVAL and a host process: a wrong pod is worse than no pod.
 *
 * When kubepods trees nest (a kind node running in a pod), the outermost one
 * wins: the process is inside that container, whatever it runs.
 *
 * Decisions beyond the header:
 * - Pod uids: an 8-4-4-4-12 uuid, or 32 hex digits, the md5 uid kubelet gives
 *   static pods (etcd, kube-apiserver). Hex digits of either case are
 *   accepted and written in lower case, as uuids compare case-insensitively;
 *   callers must compare lower-cased uids and ids.
 * - HOST is also the answer for the kubepods root and the QoS cgroups
 *   themselves, with driver and qos filled in, return 0.
 * - RUNTIME_HELPER (CRI-O's conmon) carries the pod uid and the id of the
 *   container it monitors; it is still not that container.
 * - NULL @path: host attribution, -EINVAL. NULL @out: -EINVAL, nothing written.
 */
#include <errno.h>
#include <string.h>

#include "cgroup_path.h"

/* A path component: points into the caller's string, not NUL-terminated. */
struct seg {
	const char *s;
	size_t len;
};

static bool next_seg(const char **cursor, struct seg *seg)
{
	const char *p = *cursor;

	while (*p == '/')
		p++;
	if (!*p)
		return false;
	seg->s = p;
	while (*p && *p != '/')
		p++;
	seg->len = (size_t)(p - seg->s);
	*cursor = p;
	return true;
}

static bool seg_eq(struct seg seg, const char *lit)
{
	size_t n = strlen(lit);

	return seg.len == n && !memcmp(seg.s, lit, n);
}

static bool seg_same(struct seg a, struct seg b)
{
	return a.len == b.len && !memcmp(a.s, b.s, a.len);
}

static bool seg_starts(struct seg seg, const char *lit)
{
	size_t n = strlen(lit);

	return seg.len >= n && !memcmp(seg.s, lit, n);
}

static bool seg_ends(struct seg seg, const char *lit)
{
	size_t n = strlen(lit);

	return seg.len >= n && !memcmp(seg.s + seg.len - n, lit, n);
}

static struct seg seg_skip(struct seg seg, size_t n)
{
	return (struct seg){ seg.s + n, seg.len - n };
}

static struct seg seg_trim(struct seg seg, size_t n)
{
	return (struct seg){ seg.s, seg.len - n };
}

/* Not <ctype.h>: the answer must not depend on the locale. */
static int hex_lower(char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
		return c;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 'a';
	return -1;
}

/* Copies @seg into @out (len + 1 bytes) in lower case if it is all hex. */
static int copy_hex(struct seg seg, char *out)
{
	for (size_t i = 0; i < seg.len; i++) {
		int c = hex_lower(seg.s[i]);

		if (c < 0)
			return -EINVAL;
		out[i] = (char)c;
	}
	out[seg.len] = '\0';
	return 0;
}

static bool is_uuid_dash(size_t i)
{
	return i == 8 || i == 13 || i == 18 || i == 23;
}

/*
 * A pod uid as kubelet spells it in a cgroup name: a uuid whose dashes are
 * @sep ('-' for cgroupfs; '_' for systemd, where '-' means slice nesting),
 * or the 32 hex digits of a static pod's uid. Written with dashes.
 */
static int parse_uid(struct seg seg, char sep, char *out)
{
	if (seg.len == 32)
		return copy_hex(seg, out);
	if (seg.len != PT_POD_UID_LEN)
		return -EINVAL;
	for (size_t i = 0; i < seg.len; i++) {
		int c = hex_lower(seg.s[i]);

		if (is_uuid_dash(i) ? seg.s[i] != sep : c < 0)
			return -EINVAL;
		out[i] = is_uuid_dash(i) ? '-' : (char)c;
	}
	out[seg.len] = '\0';
	return 0;
}

static int parse_container_id(struct seg seg, char *out)
{
	if (seg.len != PT_CONTAINER_ID_LEN)
		return -EINVAL;
	return copy_hex(seg, out);
}

static const struct runtime_prefix {
	const char *prefix;
	enum pt_runtime runtime;
	enum pt_cgroup_scope scope;
} runtime_prefixes[] = {
	/* Before "crio-", which it extends. */
	{ "crio-conmon-", PT_RUNTIME_CRIO, PT_SCOPE_RUNTIME_HELPER },
	{ "crio-", PT_RUNTIME_CRIO, PT_SCOPE_CONTAINER },
	{ "cri-containerd-", PT_RUNTIME_CONTAINERD, PT_SCOPE_CONTAINER },
	{ "docker-", PT_RUNTIME_DOCKER, PT_SCOPE_CONTAINER },
};

#define N_RUNTIME_PREFIXES (sizeof(runtime_prefixes) / sizeof(runtime_prefixes[0]))

/* The prefix @seg starts with ("crio-<id>"), or NULL. */
static const struct runtime_prefix *find_prefix(struct seg seg)
{
	for (size_t i = 0; i < N_RUNTIME_PREFIXES; i++) {
		if (seg_starts(seg, runtime_prefixes[i].prefix))
			return &runtime_prefixes[i];
	}
	return NULL;
}

/* The prefix @seg names without its dash ("crio"), or NULL. */
static const struct runtime_prefix *find_runtime(struct seg seg)
{
	for (size_t i = 0; i < N_RUNTIME_PREFIXES; i++) {
		const char *p = runtime_prefixes[i].prefix;

		if (seg.len + 1 == strlen(p) && !memcmp(seg.s, p, seg.len))
			return &runtime_prefixes[i];
	}
	return NULL;
}

static int set_container(const struct runtime_prefix *rp, struct seg id, struct pt_cgroup_info *out)
{
	if (parse_container_id(id, out->container_id))
		return -EINVAL;
	out->runtime = rp ? rp->runtime : PT_RUNTIME_UNKNOWN;
	out->scope = rp ? rp->scope : PT_SCOPE_CONTAINER;
	return 0;
}

/*
 * The directory below a pod. cgroupfs: "<id>" (containerd, dockershim) or
 * "crio-<id>", "crio-conmon-<id>" (CRI-O), other prefixes tolerated.
 * systemd: always "<prefix><id>.scope".
 */
static int parse_container_dir(struct seg seg, enum pt_cgroup_driver driver,
			       struct pt_cgroup_info *out)
{
	const struct runtime_prefix *rp;

	if (driver == PT_DRIVER_SYSTEMD) {
		if (!seg_ends(seg, ".scope"))
			return -EINVAL;
		seg = seg_trim(seg, strlen(".scope"));
	}
	rp = find_prefix(seg);
	if (!rp && driver == PT_DRIVER_SYSTEMD)
		return -EINVAL;
	if (rp)
		seg = seg_skip(seg, strlen(rp->prefix));
	return set_container(rp, seg, out);
}

/* cgroupfs: kubepods[/burstable|/besteffort]/pod<uid>/<container dir>. */
static int walk_cgroupfs(const char **cursor, struct pt_cgroup_info *out)
{
	enum pt_qos qos = PT_QOS_GUARANTEED;
	struct seg seg;

	out->driver = PT_DRIVER_CGROUPFS;
	if (!next_seg(cursor, &seg))
		return 0;
	if (seg_eq(seg, "burstable") || seg_eq(seg, "besteffort")) {
		qos = seg_eq(seg, "burstable") ? PT_QOS_BURSTABLE : PT_QOS_BESTEFFORT;
		out->qos = qos;
		if (!next_seg(cursor, &seg))
			return 0;
	}
	if (!seg_starts(seg, "pod") || parse_uid(seg_skip(seg, 3), '-', out->pod_uid))
		return -EINVAL;
	out->qos = qos;
	out->scope = PT_SCOPE_POD;
	if (!next_seg(cursor, &seg))
		return 0;
	return parse_container_dir(seg, PT_DRIVER_CGROUPFS, out);
}

enum slice_level {
	SLICE_ROOT, /* <stem>.slice */
	SLICE_QOS,  /* <stem>-<qos>.slice */
	SLICE_POD,  /* <stem>[-<qos>]-pod<uid>.slice */
};

/*
 * A systemd slice made by kubelet. systemd names a slice after its whole
 * ancestry, so each one says where it sits: "kubepods-burstable-pod<uid>".
 * The stem is "kubepods", or "<root>-kubepods" under --cgroup-root=<root>.
 */
struct kube_slice {
	struct seg stem;
	enum slice_level level;
	enum pt_qos qos; /* NONE for the root slice */
	char uid[PT_POD_UID_LEN + 1];
};

/* Length of the stem of @name (a slice name without ".slice"), or 0. */
static size_t stem_len(struct seg name)
{
	static const char word[] = "kubepods";
	size_t n = sizeof(word) - 1;

	/* The last "kubepods" between dashes: a uid or QoS never holds one. */
	for (size_t i = name.len; i >= n; i--) {
		size_t at = i - n;

		if (memcmp(name.s + at, word, n))
			continue;
		if ((at == 0 || name.s[at - 1] == '-') && (i == name.len || name.s[i] == '-'))
			return i;
	}
	return 0;
}

/* Whether @seg claims to be one of kubelet's slices. */
static bool is_kube_slice(struct seg seg)
{
	return seg_ends(seg, ".slice") && stem_len(seg_trim(seg, strlen(".slice")));
}

/* A name that claims kubelet's tree, even if it then breaks its rules. */
static bool looks_kube(struct seg name)
{
	return is_kube_slice(name) || stem_len(name);
}

static const struct {
	const char *word;
	enum pt_qos qos;
} qos_words[] = {
	{ "burstable", PT_QOS_BURSTABLE },
	{ "besteffort", PT_QOS_BESTEFFORT },
};

static int parse_kube_slice(struct seg seg, struct kube_slice *ks)
{
	struct seg rest;

	*ks = (struct kube_slice){ .level = SLICE_ROOT, .qos = PT_QOS_NONE };
	if (!is_kube_slice(seg))
		return -EINVAL;
	seg = seg_trim(seg, strlen(".slice"));
	ks->stem = (struct seg){ seg.s, stem_len(seg) };
	if (ks->stem.len == seg.len)
		return 0;
	rest = seg_skip(seg, ks->stem.len + 1);
	ks->qos = PT_QOS_GUARANTEED; /* unless a QoS word follows the stem */
	for (size_t i = 0; i < sizeof(qos_words) / sizeof(qos_words[0]); i++) {
		size_t n = strlen(qos_words[i].word);

		if (seg_eq(rest, qos_words[i].word)) {
			ks->level = SLICE_QOS;
			ks->qos = qos_words[i].qos;
			return 0;
		}
		if (seg_starts(rest, qos_words[i].word) && rest.len > n && rest.s[n] == '-') {
			ks->qos = qos_words[i].qos;
			rest = seg_skip(rest, n + 1);
			break;
		}
	}
	ks->level = SLICE_POD;
	if (!seg_starts(rest, "pod"))
		return -EINVAL;
	return parse_uid(seg_skip(rest, 3), '_', ks->uid);
}

/* Whether @child may sit directly under @parent (guaranteed pods skip QoS). */
static bool slice_follows(const struct kube_slice *parent, const struct kube_slice *child)
{
	if (!seg_same(parent->stem, child->stem))
		return false;
	switch (parent->level) {
	case SLICE_ROOT:
		return child->level == SLICE_QOS ||
		       (child->level == SLICE_POD && child->qos == PT_QOS_GUARANTEED);
	case SLICE_QOS:
		return child->level == SLICE_POD && child->qos == parent->qos;
	default:
		return false;
	}
}

static void set_pod(const struct kube_slice *ks, enum pt_cgroup_driver driver,
		    struct pt_cgroup_info *out)
{
	out->scope = PT_SCOPE_POD;
	out->driver = driver;
	out->qos = ks->qos;
	memcpy(out->pod_uid, ks->uid, sizeof(out->pod_uid));
}

/*
 * systemd: from whichever kubelet slice came first (the path may start below
 * kubepods.slice when the caller kept only the innermost names) down to the
 * pod slice, one level at a time, then the container scope.
 */
static int walk_systemd(const char **cursor, const struct kube_slice *anchor,
			struct pt_cgroup_info *out)
{
	struct kube_slice cur = *anchor, next;
	struct seg seg;

	out->driver = PT_DRIVER_SYSTEMD;
	while (cur.level != SLICE_POD) {
		out->qos = cur.qos;
		if (!next_seg(cursor, &seg))
			return 0;
		if (parse_kube_slice(seg, &next) || !slice_follows(&cur, &next))
			return -EINVAL;
		cur = next;
	}
	set_pod(&cur, PT_DRIVER_SYSTEMD, out);
	if (!next_seg(cursor, &seg))
		return 0;
	return parse_container_dir(seg, PT_DRIVER_SYSTEMD, out);
}

static struct seg split_at(struct seg *seg, char c)
{
	const char *end = memchr(seg->s, c, seg->len);
	struct seg head = *seg;

	if (!end) {
		*seg = (struct seg){ seg->s + seg->len, 0 };
		return head;
	}
	head.len = (size_t)(end - seg->s);
	*seg = seg_skip(*seg, head.len + 1);
	return head;
}

/*
 * "<pod slice>:<runtime>:<id>": kubelet runs the systemd driver but runc
 * does not, so it takes the unit spec kubelet passed for a directory name
 * under the runtime's own cgroup:
 * /system.slice/containerd.service/kubepods-besteffort-pod<uid>.slice:cri-containerd:<id>
 */
static int parse_unit_spec(struct seg seg, struct pt_cgroup_info *out)
{
	struct seg slice = split_at(&seg, ':');
	struct seg runtime = split_at(&seg, ':');
	const struct runtime_prefix *rp = find_runtime(runtime);
	struct kube_slice ks;

	if (parse_kube_slice(slice, &ks) || ks.level != SLICE_POD || !rp)
		return -EINVAL;
	set_pod(&ks, PT_DRIVER_SYSTEMD, out);
	return set_container(rp, seg, out);
}

static int parse_kubepods(const char *path, struct pt_cgroup_info *out)
{
	const char *cursor = path;
	struct kube_slice ks;
	struct seg seg;

	while (next_seg(&cursor, &seg)) {
		struct seg before_colon = seg;

		if (seg_eq(seg, "kubepods"))
			return walk_cgroupfs(&cursor, out);
		if (memchr(seg.s, ':', seg.len) && looks_kube(split_at(&before_colon, ':')))
			return parse_unit_spec(seg, out);
		if (is_kube_slice(seg)) {
			if (parse_kube_slice(seg, &ks))
				return -EINVAL;
			return walk_systemd(&cursor, &ks, out);
		}
	}
	return 0;
}

/* Only these unit types own a cgroup. */
static const char *const unit_suffixes[] = {
	".service", ".scope", ".slice", ".socket", ".mount", ".swap",
};

static bool unit_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr(":-_.\\@", c));
}

/* systemd's rules, roughly: its character set, a name before the suffix. */
static bool is_unit_name(struct seg seg)
{
	if (seg.len >= PT_UNIT_NAME_MAX)
		return false;
	for (size_t i = 0; i < seg.len; i++) {
		if (!unit_char_ok(seg.s[i]))
			return false;
	}
	for (size_t i = 0; i < sizeof(unit_suffixes) / sizeof(unit_suffixes[0]); i++) {
		if (seg_ends(seg, unit_suffixes[i]) && seg.len > strlen(unit_suffixes[i]))
			return true;
	}
	return false;
}

static void find_unit(const char *path, char *unit)
{
	struct seg seg, found = { NULL, 0 };

	while (next_seg(&path, &seg)) {
		if (is_unit_name(seg))
			found = seg;
	}
	if (found.len)
		memcpy(unit, found.s, found.len);
	unit[found.len] = '\0';
}

int pt_cgroup_parse(const char *path, struct pt_cgroup_info *out)
{
	int err;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!path)
		return -EINVAL;
	err = parse_kubepods(path, out);
	if (err)
		memset(out, 0, sizeof(*out)); /* never half a pod */
	if (out->scope == PT_SCOPE_HOST)
		find_unit(path, out->unit);
	return err;
}

const char *pt_qos_name(enum pt_qos qos)
{
	switch (qos) {
	case PT_QOS_GUARANTEED:
		return "Guaranteed";
	case PT_QOS_BURSTABLE:
		return "Burstable";
	case PT_QOS_BESTEFFORT:
		return "BestEffort";
	default:
		return "";
	}
}

const char *pt_runtime_name(enum pt_runtime runtime)
{
	switch (runtime) {
	case PT_RUNTIME_CONTAINERD:
		return "containerd";
	case PT_RUNTIME_CRIO:
		return "cri-o";
	case PT_RUNTIME_DOCKER:
		return "docker";
	default:
		return "";
	}
}

const char *pt_driver_name(enum pt_cgroup_driver driver)
{
	switch (driver) {
	case PT_DRIVER_CGROUPFS:
		return "cgroupfs";
	case PT_DRIVER_SYSTEMD:
		return "systemd";
	default:
		return "";
	}
}

const char *pt_scope_name(enum pt_cgroup_scope scope)
{
	switch (scope) {
	case PT_SCOPE_HOST:
		return "host";
	case PT_SCOPE_POD:
		return "pod";
	case PT_SCOPE_CONTAINER:
		return "container";
	case PT_SCOPE_RUNTIME_HELPER:
		return "runtime-helper";
	case PT_SCOPE_UNKNOWN:
		return "unknown";
	default:
		return "";
	}
}
