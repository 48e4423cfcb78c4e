// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup path -> pod and container. Every scenario asserts every field of
 * the result, and is also run spelled three other ways (no leading slash, a
 * trailing slash, every slash doubled), which must not change the answer.
 *
 * cgroup v1 and v2 name a container's cgroup alike (v1 repeats the same
 * path in each controller's hierarchy), so one table covers both; the
 * "v1"/"v2" scenarios are paths as /proc/<pid>/cgroup shows them on each.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cgroup_path.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define UID	   "3f1a9c2e-7b4d-4e8a-9c1f-0d2b6e5a7c84"
#define UID_	   "3f1a9c2e_7b4d_4e8a_9c1f_0d2b6e5a7c84" /* systemd spelling */
#define UID_UPPER  "3F1A9C2E-7B4D-4E8A-9C1F-0D2B6E5A7C84"
#define UID_UPPER_ "3F1A9C2E_7B4D_4E8A_9C1F_0D2B6E5A7C84"
#define STATIC_UID "a81259cef8e959c624df1d456e5d3297" /* kubelet's md5 uid of a static pod */
#define UID2	   "0c5b3a1d-9e8f-4b7a-8c6d-5e4f3a2b1c0d"
#define CID	   "5424626b932a2ff9d191f0982447a979fddd8b4be251e924370cb66900df018e"
#define CID_UPPER  "5424626B932A2FF9D191F0982447A979FDDD8B4BE251E924370CB66900DF018E"
#define CID2	   "f22968b3dfe02c9f8fd586db1df6c814ef7c7d2acb8cee91d62fc1ba8818dbdc"
#define CID63	   "5424626b932a2ff9d191f0982447a979fddd8b4be251e924370cb66900df018"
#define OUTER_ID   "560e3e12b1e0dafa161e62fb3327ad65c98b7cd53849b17c627e8d3e1d419d6a"

#define POD_CGROUPFS_BU "/kubepods/burstable/pod" UID
#define POD_SYSTEMD_BU                                                                             \
	"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice"
#define CONTAINERD_ON_RUNC "/system.slice/containerd.service/kubepods-burstable-pod" UID_ ".slice"

struct want {
	int ret;
	enum pt_cgroup_scope scope;
	enum pt_cgroup_driver driver;
	enum pt_qos qos;
	enum pt_runtime runtime;
	const char *pod_uid;	  /* NULL means "" */
	const char *container_id; /* NULL means "" */
	const char *unit;	  /* NULL means "" */
};

struct scenario {
	const char *name;
	const char *path;
	struct want want;
};

#define HOST(u)                                                                                    \
	{                                                                                          \
		.ret = 0, .scope = PT_SCOPE_HOST, .unit = u                                        \
	}
#define REJECTED(u)                                                                                \
	{                                                                                          \
		.ret = -EINVAL, .scope = PT_SCOPE_HOST, .unit = u                                  \
	}
#define KUBE_LEVEL(drv, q, u)                                                                      \
	{                                                                                          \
		.ret = 0, .scope = PT_SCOPE_HOST, .driver = drv, .qos = q, .unit = u               \
	}
#define POD(drv, q, uid)                                                                           \
	{                                                                                          \
		.ret = 0, .scope = PT_SCOPE_POD, .driver = drv, .qos = q, .pod_uid = uid           \
	}
#define IN(sc, drv, q, rt, uid, cid)                                                               \
	{                                                                                          \
		.ret = 0, .scope = sc, .driver = drv, .qos = q, .runtime = rt, .pod_uid = uid,     \
		.container_id = cid                                                                \
	}
#define CONTAINER(drv, q, rt, uid, cid) IN(PT_SCOPE_CONTAINER, drv, q, rt, uid, cid)

static const char *str(const char *s)
{
	return s ? s : "";
}

static bool same(const struct pt_cgroup_info *got, int ret, const struct want *w)
{
	return ret == w->ret && got->scope == w->scope && got->driver == w->driver &&
	       got->qos == w->qos && got->runtime == w->runtime &&
	       !strcmp(got->pod_uid, str(w->pod_uid)) &&
	       !strcmp(got->container_id, str(w->container_id)) && !strcmp(got->unit, str(w->unit));
}

static void expect(const char *path, const struct want *w)
{
	struct pt_cgroup_info got;
	int ret;

	memset(&got, 0x5a, sizeof(got)); /* the parser must overwrite all of it */
	ret = pt_cgroup_parse(path, &got);
	if (!same(&got, ret, w))
		print_error("path: \"%s\"\n", path ? path : "(null)");
	assert_int_equal(ret, w->ret);
	assert_string_equal(pt_scope_name(got.scope), pt_scope_name(w->scope));
	assert_string_equal(pt_driver_name(got.driver), pt_driver_name(w->driver));
	assert_string_equal(pt_qos_name(got.qos), pt_qos_name(w->qos));
	assert_string_equal(pt_runtime_name(got.runtime), pt_runtime_name(w->runtime));
	assert_int_equal(got.scope, w->scope);
	assert_int_equal(got.runtime, w->runtime);
	assert_string_equal(got.pod_uid, str(w->pod_uid));
	assert_string_equal(got.container_id, str(w->container_id));
	assert_string_equal(got.unit, str(w->unit));
}

enum spelling { AS_IS, NO_LEADING_SLASH, TRAILING_SLASH, DOUBLE_SLASHES, N_SPELLINGS };

/* Into a fixed buffer: a failed assertion longjmps past any free(). */
static void respell(char *out, size_t size, const char *path, enum spelling how)
{
	char *p = out;

	assert_true(2 * strlen(path) + 2 <= size);
	if (how == NO_LEADING_SLASH && *path == '/')
		path++;
	for (; *path; path++) {
		*p++ = *path;
		if (how == DOUBLE_SLASHES && *path == '/')
			*p++ = '/';
	}
	if (how == TRAILING_SLASH)
		*p++ = '/';
	*p = '\0';
}

static void test_scenario(void **state)
{
	const struct scenario *s = *state;
	char path[4096];

	for (enum spelling how = AS_IS; how < N_SPELLINGS; how++) {
		respell(path, sizeof(path), s->path, how);
		expect(path, &s->want);
	}
}

/* ---- every layout x QoS x runtime x driver, generated ---------------------- */

/* Where kubelet's tree starts on the node (and as a prefix, what is above it). */
static const struct layout {
	const char *name;
	const char *cgroupfs_root; /* up to and including the kubepods directory */
	const char *systemd_above; /* what comes before the stem's slice */
	const char *stem;	   /* systemd slice stem */
} layouts[] = {
	{ "top", "/kubepods", "", "kubepods" },
	{ "in-docker", "/docker/" OUTER_ID "/kubepods", "/docker/" OUTER_ID, "kubepods" },
	{ "cgroup-root", "/kubelet/kubepods", "/kubelet.slice", "kubelet-kubepods" },
	{ "kind-seen-from-host", "/system.slice/docker-" OUTER_ID ".scope/kubelet/kubepods",
	  "/system.slice/docker-" OUTER_ID ".scope/kubelet.slice", "kubelet-kubepods" },
	{ "cgroupns", "/../../kubepods", "/../..", "kubepods" },
};

static const struct qos_case {
	const char *word; /* NULL: guaranteed pods sit under the root */
	enum pt_qos qos;
} qos_cases[] = {
	{ NULL, PT_QOS_GUARANTEED },
	{ "burstable", PT_QOS_BURSTABLE },
	{ "besteffort", PT_QOS_BESTEFFORT },
};

static const struct leaf {
	const char *name;
	enum pt_cgroup_driver driver;
	const char *prefix; /* NULL: the pod's own cgroup */
	const char *suffix;
	enum pt_cgroup_scope scope;
	enum pt_runtime runtime;
} leaves[] = {
	{ "pod", PT_DRIVER_CGROUPFS, NULL, "", PT_SCOPE_POD, PT_RUNTIME_UNKNOWN },
	{ "bare-id", PT_DRIVER_CGROUPFS, "", "", PT_SCOPE_CONTAINER, PT_RUNTIME_UNKNOWN },
	{ "containerd", PT_DRIVER_CGROUPFS, "cri-containerd-", "", PT_SCOPE_CONTAINER,
	  PT_RUNTIME_CONTAINERD },
	{ "crio", PT_DRIVER_CGROUPFS, "crio-", "", PT_SCOPE_CONTAINER, PT_RUNTIME_CRIO },
	{ "docker", PT_DRIVER_CGROUPFS, "docker-", "", PT_SCOPE_CONTAINER, PT_RUNTIME_DOCKER },
	{ "crio-conmon", PT_DRIVER_CGROUPFS, "crio-conmon-", "", PT_SCOPE_RUNTIME_HELPER,
	  PT_RUNTIME_CRIO },
	{ "pod", PT_DRIVER_SYSTEMD, NULL, "", PT_SCOPE_POD, PT_RUNTIME_UNKNOWN },
	{ "containerd", PT_DRIVER_SYSTEMD, "cri-containerd-", ".scope", PT_SCOPE_CONTAINER,
	  PT_RUNTIME_CONTAINERD },
	{ "crio", PT_DRIVER_SYSTEMD, "crio-", ".scope", PT_SCOPE_CONTAINER, PT_RUNTIME_CRIO },
	{ "docker", PT_DRIVER_SYSTEMD, "docker-", ".scope", PT_SCOPE_CONTAINER, PT_RUNTIME_DOCKER },
	{ "crio-conmon", PT_DRIVER_SYSTEMD, "crio-conmon-", ".scope", PT_SCOPE_RUNTIME_HELPER,
	  PT_RUNTIME_CRIO },
};

/* Below a container: the container's own sub-cgroups are still the container. */
static const char *const depths[] = { "", "/init.scope", "/sub/deeper" };

#define MAX_GENERATED                                                                              \
	(ARRAY_SIZE(layouts) * ARRAY_SIZE(qos_cases) * ARRAY_SIZE(leaves) * ARRAY_SIZE(depths))

static struct scenario generated[MAX_GENERATED];
static char generated_names[MAX_GENERATED][128];
static char generated_paths[MAX_GENERATED][512];

static void pod_path(char *buf, size_t size, const struct layout *l, const struct qos_case *q,
		     enum pt_cgroup_driver driver)
{
	const char *w = q->word ? q->word : "";
	const char *dash = q->word ? "-" : "";
	int n;

	if (driver == PT_DRIVER_CGROUPFS)
		n = snprintf(buf, size, "%s%s%s/pod%s", l->cgroupfs_root, dash[0] ? "/" : "", w,
			     UID);
	else if (q->word)
		n = snprintf(buf, size, "%s/%s.slice/%s-%s.slice/%s-%s-pod%s.slice",
			     l->systemd_above, l->stem, l->stem, w, l->stem, w, UID_);
	else
		n = snprintf(buf, size, "%s/%s.slice/%s-pod%s.slice", l->systemd_above, l->stem,
			     l->stem, UID_);
	assert_true(n > 0 && (size_t)n < size);
}

static size_t generate(void)
{
	size_t n = 0;

	for (size_t li = 0; li < ARRAY_SIZE(layouts); li++) {
		for (size_t qi = 0; qi < ARRAY_SIZE(qos_cases); qi++) {
			for (size_t fi = 0; fi < ARRAY_SIZE(leaves); fi++) {
				for (size_t di = 0; di < ARRAY_SIZE(depths); di++) {
					const struct layout *l = &layouts[li];
					const struct qos_case *q = &qos_cases[qi];
					const struct leaf *f = &leaves[fi];
					struct scenario *s = &generated[n];
					char *path = generated_paths[n];
					size_t len;

					if (!f->prefix && di) /* depth only below containers */
						continue;
					pod_path(path, sizeof(generated_paths[n]), l, q, f->driver);
					len = strlen(path);
					if (f->prefix)
						snprintf(path + len,
							 sizeof(generated_paths[n]) - len,
							 "/%s%s%s%s", f->prefix, CID, f->suffix,
							 depths[di]);
					snprintf(generated_names[n], sizeof(generated_names[n]),
						 "%s/%s/%s/%s%s", pt_driver_name(f->driver),
						 l->name, pt_qos_name(q->qos), f->name, depths[di]);
					s->name = generated_names[n];
					s->path = path;
					s->want = (struct want){
						.scope = f->scope,
						.driver = f->driver,
						.qos = q->qos,
						.runtime = f->runtime,
						.pod_uid = UID,
						.container_id = f->prefix ? CID : NULL,
					};
					n++;
				}
			}
		}
	}
	return n;
}

/* ---- paths as they appear on real nodes -------------------------------------- */

static struct scenario real_world[] = {
	{ "v1 memory hierarchy, cgroupfs, containerd", "/kubepods/burstable/pod" UID "/" CID,
	  CONTAINER(PT_DRIVER_CGROUPFS, PT_QOS_BURSTABLE, PT_RUNTIME_UNKNOWN, UID, CID) },
	{ "v2 unified, cgroupfs, containerd", "/kubepods/burstable/pod" UID "/" CID,
	  CONTAINER(PT_DRIVER_CGROUPFS, PT_QOS_BURSTABLE, PT_RUNTIME_UNKNOWN, UID, CID) },
	{ "v1 memory hierarchy, systemd, containerd",
	  POD_SYSTEMD_BU "/cri-containerd-" CID ".scope",
	  CONTAINER(PT_DRIVER_SYSTEMD, PT_QOS_BURSTABLE, PT_RUNTIME_CONTAINERD, UID, CID) },
	{ "v2 unified, systemd, containerd", POD_SYSTEMD_BU "/cri-containerd-" CID ".scope",
	  CONTAINER(PT_DRIVER_SYSTEMD, PT_QOS_BURSTABLE, PT_RUNTIME_CONTAINERD, UID, CID) },
	{ "v1 hierarchy path with its /proc line prefix",
	  "11:memory:/kubepods/besteffort/pod" UID "/" CID,
	  CONTAINER(PT_DRIVER_CGROUPFS, PT_QOS_BESTEFFORT, PT_RUNTIME_UNKNOWN, UID, CID) },
	{ "v2 path with its /proc line prefix",
	  "0::/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" CID ".scope",
	  CONTAINER(PT_DRIVER_SYSTEMD, PT_QOS_GUARANTEED, PT_RUNTIME_CRIO, UID, CID) },
	{ "minikube: CRI-O, systemd, node in docker",
	  "/docker/" OUTER_ID
	  "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	  ".slice/crio-" CID ".scope",
	  CONTAINER(PT_DRIVER_SYSTEMD, PT_QOS_BESTEFFORT, PT_RUNTIME_CRIO, UID, CID) },
	{ "kind node seen from inside",
	  "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	  "kubelet-kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" CID ".scope",
	  CONTAINER(PT_DRIVER_SYSTEMD, PT_QOS_BESTEFFORT, PT_RUNTIME_CONTAINERD, UID, CID) },
	{ "kubelet systemd driver, runc cgroupfs driver", CONTAINERD_ON_RUNC ":cri-containerd:" CID,
	  CONTAINER(PT_DRIVER_SYSTEMD, PT_QOS_BURSTABLE, PT_RUNTIME_CONTAINERD, UID, CID) },
	{ "kubelet systemd driver, runc cgroupfs driver, sub-cgroup",
	  CONTAINERD_ON_RUNC ":cri-containerd:" CID "/init.scope",
	  CONTAINER(PT_DRIVER_SYSTEMD, PT_QOS_BURSTABLE, PT_RUNTIME_CONTAINERD, UID, CID) },
	{ "kubelet systemd driver, runc cgroupfs driver, guaranteed",
	  "/system.slice/containerd.service/kubepods-pod" UID_ ".slice:cri-containerd:" CID,
	  CONTAINER(PT_DRIVER_SYSTEMD, PT_QOS_GUARANTEED, PT_RUNTIME_CONTAINERD, UID, CID) },
	{ "kubelet systemd driver, runc cgroupfs driver, docker",
	  "/system.slice/docker.service/kubepods-besteffort-pod" UID_ ".slice:docker:" CID,
	  CONTAINER(PT_DRIVER_SYSTEMD, PT_QOS_BESTEFFORT, PT_RUNTIME_DOCKER, UID, CID) },
	{ "static pod uid, systemd",
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" STATIC_UID
	  ".slice/cri-containerd-" CID ".scope",
	  CONTAINER(PT_DRIVER_SYSTEMD, PT_QOS_BURSTABLE, PT_RUNTIME_CONTAINERD, STATIC_UID, CID) },
	{ "static pod uid, cgroupfs", "/kubepods/burstable/pod" STATIC_UID "/" CID,
	  CONTAINER(PT_DRIVER_CGROUPFS, PT_QOS_BURSTABLE, PT_RUNTIME_UNKNOWN, STATIC_UID, CID) },
	{ "static pod uid, pod level", "/kubepods/pod" STATIC_UID,
	  POD(PT_DRIVER_CGROUPFS, PT_QOS_GUARANTEED, STATIC_UID) },
	{ "upper-case uid is lower-cased, cgroupfs", "/kubepods/burstable/pod" UID_UPPER "/" CID,
	  CONTAINER(PT_DRIVER_CGROUPFS, PT_QOS_BURSTABLE, PT_RUNTIME_UNKNOWN, UID, CID) },
	{ "upper-case uid is lower-cased, systemd",
	  "/kubepods.slice/kubepods-pod" UID_UPPER_ ".slice/docker-" CID ".scope",
	  CONTAINER(PT_DRIVER_SYSTEMD, PT_QOS_GUARANTEED, PT_RUNTIME_DOCKER, UID, CID) },
	{ "upper-case container id is lower-cased", "/kubepods/besteffort/pod" UID "/" CID_UPPER,
	  CONTAINER(PT_DRIVER_CGROUPFS, PT_QOS_BESTEFFORT, PT_RUNTIME_UNKNOWN, UID, CID) },
	{ "only the innermost names: from the QoS slice",
	  "kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/crio-" CID ".scope",
	  CONTAINER(PT_DRIVER_SYSTEMD, PT_QOS_BURSTABLE, PT_RUNTIME_CRIO, UID, CID) },
	{ "only the innermost names: from the pod slice",
	  "kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" CID ".scope/init.scope",
	  CONTAINER(PT_DRIVER_SYSTEMD, PT_QOS_BESTEFFORT, PT_RUNTIME_CONTAINERD, UID, CID) },
	{ "systemd inside the container: its units are the container's",
	  POD_SYSTEMD_BU "/cri-containerd-" CID ".scope/system.slice/nginx.service",
	  CONTAINER(PT_DRIVER_SYSTEMD, PT_QOS_BURSTABLE, PT_RUNTIME_CONTAINERD, UID, CID) },
	{ "kubepods inside a container: the outer pod owns it",
	  POD_CGROUPFS_BU "/" CID "/kubepods/besteffort/pod" UID2 "/" CID2,
	  CONTAINER(PT_DRIVER_CGROUPFS, PT_QOS_BURSTABLE, PT_RUNTIME_UNKNOWN, UID, CID) },
	{ "kind in a pod: the outer pod owns it",
	  POD_SYSTEMD_BU "/cri-containerd-" CID ".scope/kubelet.slice/kubelet-kubepods.slice/"
			 "kubelet-kubepods-pod" UID_ ".slice/cri-containerd-" CID2 ".scope",
	  CONTAINER(PT_DRIVER_SYSTEMD, PT_QOS_BURSTABLE, PT_RUNTIME_CONTAINERD, UID, CID) },
	{ "malformed below a container is the container's business",
	  POD_CGROUPFS_BU "/" CID "/kubepods/guaranteed/pod",
	  CONTAINER(PT_DRIVER_CGROUPFS, PT_QOS_BURSTABLE, PT_RUNTIME_UNKNOWN, UID, CID) },
	{ "conmon sub-cgroup is still the helper", POD_SYSTEMD_BU "/crio-conmon-" CID ".scope/sub",
	  IN(PT_SCOPE_RUNTIME_HELPER, PT_DRIVER_SYSTEMD, PT_QOS_BURSTABLE, PT_RUNTIME_CRIO, UID,
	     CID) },
	{ "stem containing kubepods twice",
	  "/kubepods-kubepods.slice/kubepods-kubepods-pod" UID_ ".slice",
	  POD(PT_DRIVER_SYSTEMD, PT_QOS_GUARANTEED, UID) },
};

/* ---- host processes and kubelet's own non-pod levels -------------------------- */

#define HEX16 "0123456789abcdef"
#define UNIT_255                                                                                   \
	"u" HEX16 HEX16 HEX16 HEX16 HEX16 HEX16 HEX16 HEX16 HEX16 HEX16 HEX16 HEX16 HEX16 HEX16    \
	    HEX16 "012345.service"
_Static_assert(sizeof(UNIT_255) - 1 == 255, "longest unit name systemd allows");

static struct scenario host[] = {
	{ "empty string", "", HOST(NULL) },
	{ "root", "/", HOST(NULL) },
	{ "only slashes", "////", HOST(NULL) },
	{ "not systemd, not kubelet", "/mytest/foo", HOST(NULL) },
	{ "init.scope", "/init.scope", HOST("init.scope") },
	{ "service", "/system.slice/sshd.service", HOST("sshd.service") },
	{ "the runtime itself", "/system.slice/containerd.service", HOST("containerd.service") },
	{ "sub-cgroup of a delegated service", "/system.slice/foo.service/worker/1",
	  HOST("foo.service") },
	{ "session scope", "/user.slice/user-1000.slice/session-3.scope", HOST("session-3.scope") },
	{ "user manager's app scope",
	  "/user.slice/user-1000.slice/user@1000.service/app.slice/vte-spawn-1a2b.scope",
	  HOST("vte-spawn-1a2b.scope") },
	{ "template instance", "/system.slice/system-getty.slice/getty@tty1.service",
	  HOST("getty@tty1.service") },
	{ "escaped slice name", "/system.slice/system-systemd\\x2dfsck.slice",
	  HOST("system-systemd\\x2dfsck.slice") },
	{ "socket", "/system.slice/sshd.socket", HOST("sshd.socket") },
	{ "mount", "/system.slice/dev-hugepages.mount", HOST("dev-hugepages.mount") },
	{ "swap", "/system.slice/dev-sda2.swap", HOST("dev-sda2.swap") },
	{ "timer owns no cgroup", "/system.slice/foo.timer", HOST("system.slice") },
	{ "bare suffix is no unit", "/system.slice/.service", HOST("system.slice") },
	{ "space is no unit character", "/system.slice/my app.service", HOST("system.slice") },
	{ "255-byte unit name", "/system.slice/" UNIT_255, HOST(UNIT_255) },
	{ "256-byte name is no unit", "/system.slice/x" UNIT_255, HOST("system.slice") },
	{ "docker container, no kubelet", "/system.slice/docker-" CID ".scope",
	  HOST("docker-" CID ".scope") },
	{ "docker container, cgroupfs, no kubelet", "/docker/" CID, HOST(NULL) },
	{ "near miss: kubepodsx", "/kubepodsx/burstable/pod" UID "/" CID, HOST(NULL) },
	{ "near miss: no kubepods above", "/burstable/pod" UID "/" CID, HOST(NULL) },
	{ "near miss: pod dir alone", "/pod" UID "/" CID, HOST(NULL) },
	{ "near miss: mykubepods.slice", "/mykubepods.slice", HOST("mykubepods.slice") },
	{ "near miss: kubepods.service", "/system.slice/kubepods.service",
	  HOST("kubepods.service") },
	{ "near miss: kubepods inside a word", "/system.slice/notkubepods-pod" UID_ ".slice",
	  HOST("notkubepods-pod" UID_ ".slice") },
	{ "near miss: unit spec cut by a slash",
	  "/system.slice/containerd.service/kubepods-burstable-pod3f1a/9c2e_7b4d_4e8a_9c1f_"
	  "0d2b6e5a7c84.slice:cri-containerd:" CID,
	  HOST("containerd.service") },
	{ "near miss: colon but no kubelet slice", "/system.slice/a:b:" CID, HOST("system.slice") },
	{ "kubepods root, cgroupfs", "/kubepods",
	  KUBE_LEVEL(PT_DRIVER_CGROUPFS, PT_QOS_NONE, NULL) },
	{ "burstable level, cgroupfs", "/kubepods/burstable",
	  KUBE_LEVEL(PT_DRIVER_CGROUPFS, PT_QOS_BURSTABLE, NULL) },
	{ "besteffort level, cgroupfs", "/kubepods/besteffort",
	  KUBE_LEVEL(PT_DRIVER_CGROUPFS, PT_QOS_BESTEFFORT, NULL) },
	{ "kubepods root, systemd", "/kubepods.slice",
	  KUBE_LEVEL(PT_DRIVER_SYSTEMD, PT_QOS_NONE, "kubepods.slice") },
	{ "burstable level, systemd", "/kubepods.slice/kubepods-burstable.slice",
	  KUBE_LEVEL(PT_DRIVER_SYSTEMD, PT_QOS_BURSTABLE, "kubepods-burstable.slice") },
	{ "besteffort level, systemd, cgroup root",
	  "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice",
	  KUBE_LEVEL(PT_DRIVER_SYSTEMD, PT_QOS_BESTEFFORT, "kubelet-kubepods-besteffort.slice") },
};

/* ---- malformed: -EINVAL, a host process, never a pod ------------------------- */

static struct scenario malformed[] = {
	/* cgroupfs: QoS level */
	{ "cgroupfs: guaranteed is not a directory", "/kubepods/guaranteed/pod" UID "/" CID,
	  REJECTED(NULL) },
	{ "cgroupfs: QoS in capitals", "/kubepods/Burstable/pod" UID, REJECTED(NULL) },
	{ "cgroupfs: QoS as kubectl spells it", "/kubepods/BestEffort/pod" UID, REJECTED(NULL) },
	{ "cgroupfs: two QoS levels", "/kubepods/burstable/besteffort/pod" UID, REJECTED(NULL) },
	{ "cgroupfs: QoS under QoS", "/kubepods/burstable/burstable", REJECTED(NULL) },
	{ "cgroupfs: unknown child of kubepods", "/kubepods/unexpected", REJECTED(NULL) },
	{ "cgroupfs: systemd slice under kubepods", "/kubepods/kubepods-burstable.slice",
	  REJECTED("kubepods-burstable.slice") },
	{ "cgroupfs: dot component", "/kubepods/./burstable/pod" UID, REJECTED(NULL) },
	/* cgroupfs: pod uid */
	{ "cgroupfs: pod without uid, guaranteed", "/kubepods/pod", REJECTED(NULL) },
	{ "cgroupfs: pod without uid, burstable", "/kubepods/burstable/pod", REJECTED(NULL) },
	{ "cgroupfs: pod without uid, with container", "/kubepods/burstable/pod/" CID,
	  REJECTED(NULL) },
	{ "cgroupfs: POD in capitals", "/kubepods/burstable/POD" UID "/" CID, REJECTED(NULL) },
	{ "cgroupfs: systemd uid spelling", "/kubepods/burstable/pod" UID_ "/" CID,
	  REJECTED(NULL) },
	{ "cgroupfs: mixed dash and underscore",
	  "/kubepods/burstable/pod3f1a9c2e-7b4d_4e8a-9c1f-0d2b6e5a7c84/" CID, REJECTED(NULL) },
	{ "cgroupfs: uid one short", "/kubepods/burstable/pod3f1a9c2e-7b4d-4e8a-9c1f-0d2b6e5a7c8",
	  REJECTED(NULL) },
	{ "cgroupfs: uid one long", "/kubepods/burstable/pod" UID "5", REJECTED(NULL) },
	{ "cgroupfs: uid not hex", "/kubepods/burstable/pod3f1a9c2e-7b4d-4e8a-9c1f-0d2b6e5a7c8g",
	  REJECTED(NULL) },
	{ "cgroupfs: uid dashes misplaced",
	  "/kubepods/burstable/pod3f1a9c2e7-b4d-4e8a-9c1f-0d2b6e5a7c84", REJECTED(NULL) },
	{ "cgroupfs: uid without dashes but 36 long",
	  "/kubepods/burstable/pod3f1a9c2e07b4d04e8a09c1f00d2b6e5a7c84", REJECTED(NULL) },
	{ "cgroupfs: uid in braces", "/kubepods/burstable/pod{" UID "}", REJECTED(NULL) },
	{ "cgroupfs: space before uid", "/kubepods/burstable/pod " UID, REJECTED(NULL) },
	{ "cgroupfs: junk after uid", "/kubepods/burstable/pod" UID "x/" CID, REJECTED(NULL) },
	{ "cgroupfs: static uid 31 hex", "/kubepods/podA81259cef8e959c624df1d456e5d329",
	  REJECTED(NULL) },
	{ "cgroupfs: static uid 33 hex", "/kubepods/pod" STATIC_UID "7", REJECTED(NULL) },
	/* cgroupfs: container directory */
	{ "cgroupfs: container id 63 hex", POD_CGROUPFS_BU "/" CID63, REJECTED(NULL) },
	{ "cgroupfs: container id 65 hex", POD_CGROUPFS_BU "/" CID "0", REJECTED(NULL) },
	{ "cgroupfs: container id not hex", POD_CGROUPFS_BU "/" CID63 "z", REJECTED(NULL) },
	{ "cgroupfs: container id with .scope", POD_CGROUPFS_BU "/" CID ".scope",
	  REJECTED(CID ".scope") },
	{ "cgroupfs: systemd container scope", POD_CGROUPFS_BU "/cri-containerd-" CID ".scope",
	  REJECTED("cri-containerd-" CID ".scope") },
	{ "cgroupfs: unknown runtime prefix", POD_CGROUPFS_BU "/runc-" CID, REJECTED(NULL) },
	{ "cgroupfs: containerd without cri-", POD_CGROUPFS_BU "/containerd-" CID, REJECTED(NULL) },
	{ "cgroupfs: prefix without id", POD_CGROUPFS_BU "/crio-", REJECTED(NULL) },
	{ "cgroupfs: conmon without id", POD_CGROUPFS_BU "/crio-conmon-", REJECTED(NULL) },
	{ "cgroupfs: docker with short id", POD_CGROUPFS_BU "/docker-" CID63, REJECTED(NULL) },
	{ "cgroupfs: dot as container", POD_CGROUPFS_BU "/.", REJECTED(NULL) },
	{ "cgroupfs: dot-dot as container", POD_CGROUPFS_BU "/../" CID, REJECTED(NULL) },
	/* systemd: slices */
	{ "systemd: pod without uid", "/kubepods.slice/kubepods-pod.slice",
	  REJECTED("kubepods-pod.slice") },
	{ "systemd: pod without uid, burstable",
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod.slice",
	  REJECTED("kubepods-burstable-pod.slice") },
	{ "systemd: guaranteed slice", "/kubepods.slice/kubepods-guaranteed.slice",
	  REJECTED("kubepods-guaranteed.slice") },
	{ "systemd: QoS in capitals", "/kubepods.slice/kubepods-Burstable.slice",
	  REJECTED("kubepods-Burstable.slice") },
	{ "systemd: QoS with trailing dash", "/kubepods.slice/kubepods-burstable-.slice",
	  REJECTED("kubepods-burstable-.slice") },
	{ "systemd: stem with trailing dash", "/kubepods.slice/kubepods-.slice",
	  REJECTED("kubepods-.slice") },
	{ "systemd: QoS glued to pod", "/kubepods.slice/kubepods-burstablepod" UID_ ".slice",
	  REJECTED("kubepods-burstablepod" UID_ ".slice") },
	{ "systemd: pod of another QoS",
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-besteffort-pod" UID_
	  ".slice/cri-containerd-" CID ".scope",
	  REJECTED("cri-containerd-" CID ".scope") },
	{ "systemd: burstable pod under the root",
	  "/kubepods.slice/kubepods-burstable-pod" UID_ ".slice",
	  REJECTED("kubepods-burstable-pod" UID_ ".slice") },
	{ "systemd: guaranteed pod under a QoS slice",
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-pod" UID_ ".slice",
	  REJECTED("kubepods-pod" UID_ ".slice") },
	{ "systemd: QoS under QoS",
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable.slice",
	  REJECTED("kubepods-burstable.slice") },
	{ "systemd: root under root", "/kubepods.slice/kubepods.slice",
	  REJECTED("kubepods.slice") },
	{ "systemd: pod under pod", POD_SYSTEMD_BU "/kubepods-burstable-pod" UID_ ".slice",
	  REJECTED("kubepods-burstable-pod" UID_ ".slice") },
	{ "systemd: cgroupfs names below the root", "/kubepods.slice/burstable/pod" UID "/" CID,
	  REJECTED("kubepods.slice") },
	{ "systemd: stem changes", "/kubepods.slice/kubelet-kubepods-burstable.slice",
	  REJECTED("kubelet-kubepods-burstable.slice") },
	{ "systemd: stem loses its root",
	  "/kubelet.slice/kubelet-kubepods.slice/kubepods-burstable.slice",
	  REJECTED("kubepods-burstable.slice") },
	{ "systemd: unknown word at the anchor", "/kubepods-foo.slice",
	  REJECTED("kubepods-foo.slice") },
	/* systemd: pod uid */
	{ "systemd: cgroupfs uid spelling",
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID ".slice",
	  REJECTED("kubepods-burstable-pod" UID ".slice") },
	{ "systemd: mixed underscore and dash",
	  "/kubepods.slice/kubepods-pod3f1a9c2e_7b4d-4e8a_9c1f_0d2b6e5a7c84.slice",
	  REJECTED("kubepods-pod3f1a9c2e_7b4d-4e8a_9c1f_0d2b6e5a7c84.slice") },
	{ "systemd: uid one short",
	  "/kubepods.slice/kubepods-pod3f1a9c2e_7b4d_4e8a_9c1f_0d2b6e5a7c8.slice",
	  REJECTED("kubepods-pod3f1a9c2e_7b4d_4e8a_9c1f_0d2b6e5a7c8.slice") },
	{ "systemd: uid one long", "/kubepods.slice/kubepods-pod" UID_ "0.slice",
	  REJECTED("kubepods-pod" UID_ "0.slice") },
	{ "systemd: uid not hex",
	  "/kubepods.slice/kubepods-pod3f1a9c2e_7b4d_4e8a_9c1f_0d2b6e5a7c8x.slice",
	  REJECTED("kubepods-pod3f1a9c2e_7b4d_4e8a_9c1f_0d2b6e5a7c8x.slice") },
	/* systemd: container scope */
	{ "systemd: bare id", POD_SYSTEMD_BU "/" CID,
	  REJECTED("kubepods-burstable-pod" UID_ ".slice") },
	{ "systemd: bare id scope", POD_SYSTEMD_BU "/" CID ".scope", REJECTED(CID ".scope") },
	{ "systemd: prefix without .scope", POD_SYSTEMD_BU "/cri-containerd-" CID,
	  REJECTED("kubepods-burstable-pod" UID_ ".slice") },
	{ "systemd: conmon without .scope", POD_SYSTEMD_BU "/crio-conmon-" CID,
	  REJECTED("kubepods-burstable-pod" UID_ ".slice") },
	{ "systemd: container as a slice", POD_SYSTEMD_BU "/cri-containerd-" CID ".slice",
	  REJECTED("cri-containerd-" CID ".slice") },
	{ "systemd: unknown runtime prefix", POD_SYSTEMD_BU "/containerd-" CID ".scope",
	  REJECTED("containerd-" CID ".scope") },
	{ "systemd: container id 63 hex", POD_SYSTEMD_BU "/cri-containerd-" CID63 ".scope",
	  REJECTED("cri-containerd-" CID63 ".scope") },
	{ "systemd: container id 65 hex", POD_SYSTEMD_BU "/docker-" CID "a.scope",
	  REJECTED("docker-" CID "a.scope") },
	{ "systemd: unit spec inside the kubelet tree",
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	  ".slice:cri-containerd:" CID,
	  REJECTED("kubepods-burstable.slice") },
	/* runc's literal unit spec */
	{ "unit spec: unknown runtime", CONTAINERD_ON_RUNC ":runc:" CID,
	  REJECTED("containerd.service") },
	{ "unit spec: runtime with its dash", CONTAINERD_ON_RUNC ":cri-containerd-:" CID,
	  REJECTED("containerd.service") },
	{ "unit spec: id 63 hex", CONTAINERD_ON_RUNC ":cri-containerd:" CID63,
	  REJECTED("containerd.service") },
	{ "unit spec: no id", CONTAINERD_ON_RUNC ":cri-containerd",
	  REJECTED("containerd.service") },
	{ "unit spec: empty id",
	  CONTAINERD_ON_RUNC ":cri-containerd:", REJECTED("containerd.service") },
	{ "unit spec: extra field", CONTAINERD_ON_RUNC ":cri-containerd:" CID ":x",
	  REJECTED("containerd.service") },
	{ "unit spec: uid cut by a colon",
	  "/system.slice/containerd.service/kubepods-burstable-pod3f1a:9c2e_7b4d_4e8a_9c1f_"
	  "0d2b6e5a7c84.slice:cri-containerd:" CID,
	  REJECTED("containerd.service") },
	{ "unit spec: root slice, not a pod",
	  "/system.slice/containerd.service/kubepods.slice:cri-containerd:" CID,
	  REJECTED("containerd.service") },
	{ "unit spec: QoS slice, not a pod",
	  "/system.slice/containerd.service/kubepods-burstable.slice:cri-containerd:" CID,
	  REJECTED("containerd.service") },
	{ "unit spec: cgroupfs uid spelling",
	  "/system.slice/containerd.service/kubepods-burstable-pod" UID
	  ".slice:cri-containerd:" CID,
	  REJECTED("containerd.service") },
};

/* ---- properties over many inputs --------------------------------------------- */

static void expect_rejected(const char *path)
{
	static const struct want rejected = { .ret = -EINVAL, .scope = PT_SCOPE_HOST };
	struct pt_cgroup_info got;
	int ret = pt_cgroup_parse(path, &got);

	if (ret != -EINVAL || got.scope != PT_SCOPE_HOST || got.pod_uid[0])
		print_error("path: \"%s\"\n", path);
	assert_int_equal(ret, rejected.ret);
	assert_int_equal(got.scope, rejected.scope);
	assert_int_equal(got.driver, PT_DRIVER_NONE);
	assert_int_equal(got.qos, PT_QOS_NONE);
	assert_int_equal(got.runtime, PT_RUNTIME_UNKNOWN);
	assert_string_equal(got.pod_uid, "");
	assert_string_equal(got.container_id, "");
}

static const char *const valid_paths[] = {
	POD_CGROUPFS_BU "/" CID,
	"/kubepods/pod" UID "/crio-conmon-" CID,
	POD_SYSTEMD_BU "/cri-containerd-" CID ".scope",
	"/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" CID ".scope",
	CONTAINERD_ON_RUNC ":cri-containerd:" CID,
};

/* Every byte of a uid or id, replaced by each character that breaks it. */
#define BREAKERS "gGzZ-_:. /\\x@"

/* Each byte of @field inside @path, replaced by each character of @bad. */
static void corrupt_each_byte(const char *path, const char *field, const char *bad)
{
	const char *at = strstr(path, field);
	size_t off = (size_t)(at - path);
	char *buf = strdup(path);

	assert_non_null(at);
	assert_non_null(buf);
	for (size_t i = off; i < off + strlen(field); i++) {
		for (const char *b = bad; *b; b++) {
			if (*b == path[i])
				continue; /* the uid's own dash */
			buf[i] = *b;
			expect_rejected(buf);
		}
		buf[i] = path[i];
	}
	free(buf);
}

/* @field one byte shorter, or one byte longer, at every position. */
static void resize_each_byte(const char *path, const char *field)
{
	const char *at = strstr(path, field);
	size_t off = (size_t)(at - path), len = strlen(path);
	char *buf = malloc(len + 2);

	assert_non_null(at);
	assert_non_null(buf);
	for (size_t i = off; i < off + strlen(field); i++) {
		memcpy(buf, path, i);
		memcpy(buf + i, path + i + 1, len - i);
		expect_rejected(buf);
		memcpy(buf, path, i);
		buf[i] = 'a';
		memcpy(buf + i + 1, path + i, len - i + 1);
		expect_rejected(buf);
	}
	free(buf);
}

static void test_uid_corruption_is_rejected(void **state)
{
	corrupt_each_byte(POD_CGROUPFS_BU "/" CID, UID, BREAKERS);
	corrupt_each_byte(POD_SYSTEMD_BU "/cri-containerd-" CID ".scope", UID_, BREAKERS);
	/* A "/" would cut the unit spec in two names, neither claiming kubelet's tree. */
	corrupt_each_byte(CONTAINERD_ON_RUNC ":cri-containerd:" CID, UID_, "gGzZ-_:. \\x@");
	corrupt_each_byte("/kubepods/besteffort/pod" STATIC_UID "/" CID, STATIC_UID, BREAKERS);
}

static void test_container_id_corruption_is_rejected(void **state)
{
	corrupt_each_byte(POD_CGROUPFS_BU "/" CID, CID, BREAKERS);
	corrupt_each_byte(POD_CGROUPFS_BU "/crio-" CID, CID, BREAKERS);
	corrupt_each_byte(POD_SYSTEMD_BU "/cri-containerd-" CID ".scope", CID, BREAKERS);
	corrupt_each_byte(POD_SYSTEMD_BU "/crio-conmon-" CID ".scope", CID, BREAKERS);
	corrupt_each_byte(CONTAINERD_ON_RUNC ":cri-containerd:" CID, CID, BREAKERS);
}

static void test_uid_length_change_is_rejected(void **state)
{
	resize_each_byte(POD_CGROUPFS_BU "/" CID, UID);
	resize_each_byte(POD_SYSTEMD_BU "/docker-" CID ".scope", UID_);
	resize_each_byte("/kubepods/pod" STATIC_UID, STATIC_UID);
}

static void test_container_id_length_change_is_rejected(void **state)
{
	resize_each_byte(POD_CGROUPFS_BU "/" CID, CID);
	resize_each_byte(POD_SYSTEMD_BU "/crio-" CID ".scope", CID);
	resize_each_byte(CONTAINERD_ON_RUNC ":docker:" CID, CID);
}

/* Cut anywhere, a path yields its own pod and container or nothing: no other. */
static void test_truncation_never_misattributes(void **state)
{
	for (size_t p = 0; p < ARRAY_SIZE(valid_paths); p++) {
		size_t len = strlen(valid_paths[p]);

		for (size_t n = 0; n <= len; n++) {
			char *buf = strndup(valid_paths[p], n);
			struct pt_cgroup_info got;
			int ret;

			assert_non_null(buf);
			ret = pt_cgroup_parse(buf, &got);
			assert_true(ret == 0 || ret == -EINVAL);
			if (got.scope == PT_SCOPE_HOST) {
				assert_string_equal(got.pod_uid, "");
				assert_string_equal(got.container_id, "");
			} else {
				assert_int_equal(ret, 0);
				assert_string_equal(got.pod_uid, UID);
				if (got.scope == PT_SCOPE_POD)
					assert_string_equal(got.container_id, "");
				else
					assert_string_equal(got.container_id, CID);
			}
			free(buf);
		}
	}
}

static void test_null_path_is_host(void **state)
{
	static const struct want w = REJECTED(NULL);

	expect(NULL, &w);
}

static void test_null_out_is_einval(void **state)
{
	assert_int_equal(pt_cgroup_parse("/kubepods", NULL), -EINVAL);
	assert_int_equal(pt_cgroup_parse(NULL, NULL), -EINVAL);
}

static char *repeat(const char *piece, size_t times, const char *tail)
{
	size_t n = strlen(piece), t = strlen(tail);
	char *buf = malloc(n * times + t + 1);

	assert_non_null(buf);
	for (size_t i = 0; i < times; i++)
		memcpy(buf + i * n, piece, n);
	memcpy(buf + n * times, tail, t + 1);
	return buf;
}

static void test_deep_prefix_before_kubepods(void **state)
{
	static const struct want w =
	    CONTAINER(PT_DRIVER_CGROUPFS, PT_QOS_BESTEFFORT, PT_RUNTIME_UNKNOWN, UID, CID);
	char *path = repeat("/x", 1 << 19, "/kubepods/besteffort/pod" UID "/" CID);

	expect(path, &w);
	free(path);
}

static void test_deep_sub_cgroups_below_container(void **state)
{
	static const struct want w =
	    CONTAINER(PT_DRIVER_SYSTEMD, PT_QOS_BURSTABLE, PT_RUNTIME_CONTAINERD, UID, CID);
	char *path = repeat(POD_SYSTEMD_BU "/cri-containerd-" CID ".scope", 1, "");
	char *deep = repeat("/sub.slice", 1 << 16, "");
	char *full = malloc(strlen(path) + strlen(deep) + 1);

	assert_non_null(full);
	strcpy(full, path);
	strcat(full, deep);
	expect(full, &w);
	free(full);
	free(deep);
	free(path);
}

static void test_deep_host_path_finds_innermost_unit(void **state)
{
	static const struct want w = HOST("last.scope");
	char *path = repeat("/a.service", 1 << 16, "/last.scope/x/y");

	expect(path, &w);
	free(path);
}

static void test_huge_component(void **state)
{
	static const struct want host_none = HOST(NULL);
	static const struct want rejected = REJECTED(NULL);
	char *path = repeat("k", 1 << 20, ".service");
	char *pod = repeat("/kubepods/pod", 1, "");
	char *huge_uid = repeat("a", 1 << 20, "");
	char *full = malloc(strlen(pod) + strlen(huge_uid) + 1);

	expect(path, &host_none); /* too long to be a unit name */
	assert_non_null(full);
	strcpy(full, pod);
	strcat(full, huge_uid);
	expect(full, &rejected);
	free(full);
	free(huge_uid);
	free(pod);
	free(path);
}

static void test_many_slashes(void **state)
{
	static const struct want w = POD(PT_DRIVER_CGROUPFS, PT_QOS_GUARANTEED, UID);
	char *path = repeat("/", 1 << 20, "kubepods////pod" UID "//////");

	expect(path, &w);
	free(path);
}

static void test_names(void **state)
{
	assert_string_equal(pt_qos_name(PT_QOS_GUARANTEED), "Guaranteed");
	assert_string_equal(pt_qos_name(PT_QOS_BURSTABLE), "Burstable");
	assert_string_equal(pt_qos_name(PT_QOS_BESTEFFORT), "BestEffort");
	assert_string_equal(pt_qos_name(PT_QOS_NONE), "");
	assert_string_equal(pt_qos_name((enum pt_qos)99), "");
	assert_string_equal(pt_runtime_name(PT_RUNTIME_CONTAINERD), "containerd");
	assert_string_equal(pt_runtime_name(PT_RUNTIME_CRIO), "cri-o");
	assert_string_equal(pt_runtime_name(PT_RUNTIME_DOCKER), "docker");
	assert_string_equal(pt_runtime_name(PT_RUNTIME_UNKNOWN), "");
	assert_string_equal(pt_runtime_name((enum pt_runtime)99), "");
	assert_string_equal(pt_driver_name(PT_DRIVER_CGROUPFS), "cgroupfs");
	assert_string_equal(pt_driver_name(PT_DRIVER_SYSTEMD), "systemd");
	assert_string_equal(pt_driver_name(PT_DRIVER_NONE), "");
	assert_string_equal(pt_driver_name((enum pt_cgroup_driver)99), "");
	assert_string_equal(pt_scope_name(PT_SCOPE_HOST), "host");
	assert_string_equal(pt_scope_name(PT_SCOPE_POD), "pod");
	assert_string_equal(pt_scope_name(PT_SCOPE_CONTAINER), "container");
	assert_string_equal(pt_scope_name(PT_SCOPE_RUNTIME_HELPER), "runtime-helper");
	assert_string_equal(pt_scope_name((enum pt_cgroup_scope)99), "");
}

static int run_scenarios(const char *group, struct scenario *s, size_t n)
{
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	int failed;

	assert_non_null(tests);
	for (size_t i = 0; i < n; i++) {
		tests[i].name = s[i].name;
		tests[i].test_func = test_scenario;
		tests[i].initial_state = &s[i];
	}
	failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
	free(tests);
	return failed;
}

int main(void)
{
	const struct CMUnitTest properties[] = {
		cmocka_unit_test(test_uid_corruption_is_rejected),
		cmocka_unit_test(test_container_id_corruption_is_rejected),
		cmocka_unit_test(test_uid_length_change_is_rejected),
		cmocka_unit_test(test_container_id_length_change_is_rejected),
		cmocka_unit_test(test_truncation_never_misattributes),
		cmocka_unit_test(test_null_path_is_host),
		cmocka_unit_test(test_null_out_is_einval),
		cmocka_unit_test(test_deep_prefix_before_kubepods),
		cmocka_unit_test(test_deep_sub_cgroups_below_container),
		cmocka_unit_test(test_deep_host_path_finds_innermost_unit),
		cmocka_unit_test(test_huge_component),
		cmocka_unit_test(test_many_slashes),
		cmocka_unit_test(test_names),
	};
	int failed = 0;

	failed += run_scenarios("layouts", generated, generate());
	failed += run_scenarios("real-world", real_world, ARRAY_SIZE(real_world));
	failed += run_scenarios("host", host, ARRAY_SIZE(host));
	failed += run_scenarios("malformed", malformed, ARRAY_SIZE(malformed));
	failed += cmocka_run_group_tests_name("properties", properties, NULL, NULL);
	return failed ? 1 : 0;
}
