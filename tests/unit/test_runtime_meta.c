// SPDX-License-Identifier: GPL-2.0
/*
 * Runtime-metadata fallback, against temp directory trees laid out as
 * containerd, CRI-O and docker lay out theirs, holding the files they write.
 *
 * The JSON below is written with ' for " (write_json swaps them back) so that
 * it stays readable; none of it needs a literal apostrophe.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "k8s/runtime_meta.h"

#define POD_UID	    "5d3c7e1a-8f2b-4c6d-9e0a-1b2c3d4e5f60"
#define POD_UID_    "5d3c7e1a_8f2b_4c6d_9e0a_1b2c3d4e5f60" /* systemd slice spelling */
#define POD_NAME    "web-7d9f8b6c5d-x2x9q"
#define POD_NS	    "shop"
#define SANDBOX_ID  "9a1f0c3e5b7d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f13"
#define APP_ID	    "3b5e4a1c9d7f2e8a0b6c4d2e1f3a5b7c9d0e2f4a6b8c0d1e3f5a7b9c2d4e6f80"
#define OTHER_ID    "0000000000000000000000000000000000000000000000000000000000000001"
#define IMAGE_SHA   "sha256:a8758716bb6aa4d90071160d27028fe4eaee7ce8166221a97d30440c8eac2be6"
#define K8S_TASKS   "run/containerd/io.containerd.runtime.v2.task/k8s.io/"
#define CRIO_RUN    "run/containers/storage/overlay-containers/"
#define CRIO_LIB    "var/lib/containers/storage/overlay-containers/"
#define DOCKER_CTRS "var/lib/docker/containers/"

/* The parts of an OCI runtime spec that every container's config.json has. */
#define OCI_PROCESS(args, host)                                                                    \
	"'ociVersion':'1.1.0',"                                                                    \
	"'process':{'user':{'uid':0,'gid':0,'additionalGids':[0,1,2,3,4,6,10,11,20,26,27]},"       \
	"'args':" args                                                                             \
	",'env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',"             \
	"'HOSTNAME=" host "','KUBERNETES_SERVICE_HOST=10.96.0.1','KUBERNETES_SERVICE_PORT=443'],"  \
	"'cwd':'/','capabilities':{'bounding':['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID',"       \
	"'CAP_FOWNER','CAP_MKNOD','CAP_NET_RAW','CAP_SETGID','CAP_SETUID','CAP_SETFCAP',"          \
	"'CAP_SETPCAP','CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE'],"     \
	"'effective':['CAP_CHOWN','CAP_KILL'],'permitted':['CAP_CHOWN','CAP_KILL']},"              \
	"'noNewPrivileges':false,'oomScoreAdj':984},"                                              \
	"'root':{'path':'rootfs'},"
#define OCI_LINUX(cgpath)                                                                          \
	"'linux':{'resources':{'devices':[{'allow':false,'access':'rwm'}],"                        \
	"'memory':{'limit':20971520,'swap':20971520},'cpu':{'shares':102,'quota':50000,"           \
	"'period':100000}},'cgroupsPath':'" cgpath "','namespaces':[{'type':'pid'},"               \
	"{'type':'ipc','path':'/proc/4242/ns/ipc'},{'type':'uts','path':'/proc/4242/ns/uts'},"     \
	"{'type':'mount'},{'type':'network','path':'/proc/4242/ns/net'}],"                         \
	"'maskedPaths':['/proc/acpi','/proc/kcore','/proc/keys','/proc/latency_stats',"            \
	"'/proc/timer_list','/proc/timer_stats','/proc/sched_debug','/proc/scsi','/sys/"           \
	"firmware'],"                                                                              \
	"'readonlyPaths':['/proc/bus','/proc/fs','/proc/irq','/proc/sys','/proc/sysrq-trigger']}"

/* containerd 1.7 / 2.x CRI plugin, an application container. */
#define CONTAINERD_APP_ANNOTATIONS                                                                 \
	"'io.kubernetes.cri.container-name':'app',"                                                \
	"'io.kubernetes.cri.container-type':'container',"                                          \
	"'io.kubernetes.cri.image-name':'docker.io/library/nginx:1.25',"                           \
	"'io.kubernetes.cri.sandbox-id':'" SANDBOX_ID "',"                                         \
	"'io.kubernetes.cri.sandbox-name':'" POD_NAME "',"                                         \
	"'io.kubernetes.cri.sandbox-namespace':'" POD_NS "'"
static const char containerd_app[] = "{" OCI_PROCESS(
    "['/docker-entrypoint.sh','nginx','-g','daemon off;']",
    POD_NAME) "'hostname':'" POD_NAME "',"
	      "'mounts':[{'destination':'/proc','type':'proc','source':'proc',"
	      "'options':['nosuid','noexec','nodev']},"
	      "{'destination':'/etc/hosts','type':'bind','source':'/var/lib/kubelet/pods/" POD_UID
	      "/etc-hosts','options':['rbind','rprivate','rw']},"
	      "{'destination':'/dev/termination-log','type':'bind','source':'/var/lib/kubelet/"
	      "pods/" POD_UID "/containers/app/1a2b3c4d','options':['rbind','rprivate','rw']},"
	      "{'destination':'/etc/hostname','type':'bind','source':"
	      "'/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/" SANDBOX_ID "/hostname',"
	      "'options':['rbind','rprivate','rw']}],"
	      "'annotations':{" CONTAINERD_APP_ANNOTATIONS ","
	      "'io.kubernetes.cri.sandbox-uid':'" POD_UID "'}," OCI_LINUX(
		  "kubepods-burstable-pod" POD_UID_ ".slice:cri-containerd:" APP_ID) "}\n";

/* containerd 1.6 before the sandbox-uid annotation existed. */
static const char containerd_app_1_6[] = "{" OCI_PROCESS(
    "['/docker-entrypoint.sh','nginx']",
    POD_NAME) "'annotations':{" CONTAINERD_APP_ANNOTATIONS
	      "}," OCI_LINUX("kubepods-burstable-pod" POD_UID_ ".slice:cri-containerd:" APP_ID) "}";

/* The pause container: no container-name, the sandbox's own id. */
static const char containerd_sandbox[] = "{" OCI_PROCESS(
    "['/pause']", POD_NAME) "'hostname':'" POD_NAME "',"
			    "'mounts':[{'destination':'/dev/shm','type':'bind','source':"
			    "'/run/containerd/io.containerd.grpc.v1.cri/sandboxes/" SANDBOX_ID
			    "/shm',"
			    "'options':['rbind','ro','nosuid','nodev','noexec']}],"
			    "'annotations':{'io.kubernetes.cri.container-type':'sandbox',"
			    "'io.kubernetes.cri.podsandbox.image-name':'registry.k8s.io/pause:3.9',"
			    "'io.kubernetes.cri.sandbox-cpu-period':'100000',"
			    "'io.kubernetes.cri.sandbox-cpu-quota':'50000',"
			    "'io.kubernetes.cri.sandbox-cpu-shares':'102',"
			    "'io.kubernetes.cri.sandbox-id':'" SANDBOX_ID "',"
			    "'io.kubernetes.cri.sandbox-log-directory':'/var/log/pods/" POD_NS
			    "_" POD_NAME "_" POD_UID "',"
			    "'io.kubernetes.cri.sandbox-memory':'20971520',"
			    "'io.kubernetes.cri.sandbox-name':'" POD_NAME "',"
			    "'io.kubernetes.cri.sandbox-namespace':'" POD_NS "',"
			    "'io.kubernetes.cri.sandbox-uid':'" POD_UID
			    "'}," OCI_LINUX("kubepods-burstable-pod" POD_UID_
					    ".slice:cri-containerd:" SANDBOX_ID) "}";

/* CRI-O: its own keys, the kubelet's annotations and labels copied in. */
static const char crio_app[] = "{" OCI_PROCESS(
    "['/docker-entrypoint.sh','nginx','-g','daemon off;']",
    POD_NAME) "'hostname':'" POD_NAME "',"
	      "'annotations':{'io.container.manager':'cri-o',"
	      "'io.kubernetes.container.hash':'6f4bd2f1',"
	      "'io.kubernetes.container.name':'app',"
	      "'io.kubernetes.container.restartCount':'0',"
	      "'io.kubernetes.container.terminationMessagePath':'/dev/termination-log',"
	      "'io.kubernetes.container.terminationMessagePolicy':'File',"
	      "'io.kubernetes.cri-o.Annotations':'{\\'io.kubernetes.container.hash\\':\\'"
	      "6f4bd2f1\\',"
	      "\\'io.kubernetes.container.restartCount\\':\\'0\\'}',"
	      "'io.kubernetes.cri-o.ContainerID':'" APP_ID "',"
	      "'io.kubernetes.cri-o.ContainerType':'container',"
	      "'io.kubernetes.cri-o.Created':'2024-06-01T10:00:01.123456789Z',"
	      "'io.kubernetes.cri-o.IP.0':'10.85.0.12',"
	      "'io.kubernetes.cri-o.Image':'docker.io/library/nginx:1.25',"
	      "'io.kubernetes.cri-o.ImageName':'docker.io/library/nginx:1.25',"
	      "'io.kubernetes.cri-o.ImageRef':'" IMAGE_SHA "',"
	      "'io.kubernetes.cri-o.Labels':'{\\'io.kubernetes.container.name\\':\\'app\\',"
	      "\\'io.kubernetes.pod.name\\':\\'" POD_NAME
	      "\\',\\'io.kubernetes.pod.namespace\\':\\'" POD_NS
	      "\\',\\'io.kubernetes.pod.uid\\':\\'" POD_UID "\\'}',"
	      "'io.kubernetes.cri-o.LogPath':'/var/log/pods/" POD_NS "_" POD_NAME "_" POD_UID
	      "/app/0.log',"
	      "'io.kubernetes.cri-o.Metadata':'{\\'name\\':\\'app\\'}',"
	      "'io.kubernetes.cri-o.MountPoint':'/var/lib/containers/storage/overlay/"
	      "4f1c0e2d9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d/merged',"
	      "'io.kubernetes.cri-o.Name':'k8s_app_" POD_NAME "_" POD_NS "_" POD_UID "_0',"
	      "'io.kubernetes.cri-o.ResolvPath':'/run/containers/storage/"
	      "overlay-containers/" SANDBOX_ID "/userdata/resolv.conf',"
	      "'io.kubernetes.cri-o.SandboxID':'" SANDBOX_ID "',"
	      "'io.kubernetes.cri-o.SandboxName':'k8s_" POD_NAME "_" POD_NS "_" POD_UID "_0',"
	      "'io.kubernetes.cri-o.SeccompProfilePath':'RuntimeDefault',"
	      "'io.kubernetes.cri-o.Stdin':'false','io.kubernetes.cri-o.StdinOnce':'false',"
	      "'io.kubernetes.cri-o.TTY':'false',"
	      "'io.kubernetes.pod.name':'" POD_NAME "',"
	      "'io.kubernetes.pod.namespace':'" POD_NS "',"
	      "'io.kubernetes.pod.terminationGracePeriod':'30',"
	      "'io.kubernetes.pod.uid':'" POD_UID "',"
	      "'org.systemd.property.After':'[\\'crio.service\\']',"
	      "'org.systemd.property.DefaultDependencies':'true',"
	      "'org.systemd.property.TimeoutStopUSec':'uint64 30000000'}," OCI_LINUX(
		  "kubepods-burstable-pod" POD_UID_ ".slice:crio:" APP_ID) "}";

/* CRI-O's infra container: pod labels and annotations copied in too. */
static const char crio_sandbox[] = "{" OCI_PROCESS(
    "['/pause']",
    POD_NAME) "'annotations':{'app':'web','pod-template-hash':'7d9f8b6c5d',"
	      "'io.container.manager':'cri-o',"
	      "'io.kubernetes.cri-o.Annotations':'{\\'kubernetes.io/config.source\\':\\'api\\'}',"
	      "'io.kubernetes.cri-o.ContainerID':'" SANDBOX_ID "',"
	      "'io.kubernetes.cri-o.ContainerName':'k8s_POD_" POD_NAME "_" POD_NS "_" POD_UID "_0',"
	      "'io.kubernetes.cri-o.ContainerType':'sandbox',"
	      "'io.kubernetes.cri-o.HostName':'" POD_NAME "',"
	      "'io.kubernetes.cri-o.HostNetwork':'false',"
	      "'io.kubernetes.cri-o.Image':'registry.k8s.io/pause:3.9',"
	      "'io.kubernetes.cri-o.KubeName':'" POD_NAME "',"
	      "'io.kubernetes.cri-o.Labels':'{\\'app\\':\\'web\\'}',"
	      "'io.kubernetes.cri-o.Metadata':'{\\'name\\':\\'" POD_NAME "\\',\\'uid\\':\\'" POD_UID
	      "\\',\\'namespace\\':\\'" POD_NS "\\'}',"
	      "'io.kubernetes.cri-o.Name':'k8s_" POD_NAME "_" POD_NS "_" POD_UID "_0',"
	      "'io.kubernetes.cri-o.Namespace':'" POD_NS "',"
	      "'io.kubernetes.cri-o.NamespaceOptions':'{\\'pid\\':1}',"
	      "'io.kubernetes.cri-o.PortMappings':'[]',"
	      "'io.kubernetes.cri-o.PrivilegedRuntime':'false',"
	      "'io.kubernetes.cri-o.SandboxID':'" SANDBOX_ID "',"
	      "'io.kubernetes.cri-o.SandboxName':'k8s_" POD_NAME "_" POD_NS "_" POD_UID "_0',"
	      "'io.kubernetes.cri-o.ShmPath':'/run/containers/storage/"
	      "overlay-containers/" SANDBOX_ID "/userdata/shm',"
	      "'io.kubernetes.pod.name':'" POD_NAME "',"
	      "'io.kubernetes.pod.namespace':'" POD_NS "',"
	      "'io.kubernetes.pod.uid':'" POD_UID "',"
	      "'kubernetes.io/config.seen':'2024-06-01T10:00:00.000000000Z',"
	      "'kubernetes.io/config.source':'api'}," OCI_LINUX("kubepods-burstable-pod" POD_UID_
								".slice:crio:" SANDBOX_ID) "}";

/* docker's config.v2.json for a container cri-dockerd created. */
#define DOCKER_HEAD(id, path)                                                                      \
	"{'StreamConfig':{},'State':{'Running':false,'Paused':false,'Restarting':false,"           \
	"'OOMKilled':false,'RemovalInProgress':false,'Dead':false,'Pid':0,'ExitCode':2,"           \
	"'Error':'','StartedAt':'2024-06-01T10:00:01.2Z','FinishedAt':'2024-06-01T10:00:01.25Z',"  \
	"'Health':null},'ID':'" id "','Created':'2024-06-01T10:00:00.9Z','Managed':false,"         \
	"'Path':'" path "','Args':[],"
#define DOCKER_TAIL(id, name)                                                                      \
	"'Image':'" IMAGE_SHA "','LogPath':'/var/lib/docker/containers/" id "/" id "-json.log',"   \
	"'Name':'/" name "','Driver':'overlay2','OS':'linux','RestartCount':0,"                    \
	"'HasBeenStartedBefore':true,'HasBeenManuallyStopped':false,"                              \
	"'MountPoints':{},'SecretReferences':null,'ConfigReferences':null,"                        \
	"'AppArmorProfile':'docker-default','HostnamePath':'/var/lib/docker/containers/" id        \
	"/hostname','HostsPath':'/var/lib/kubelet/pods/" POD_UID "/etc-hosts'}"
static const char docker_app[] = DOCKER_HEAD(
    APP_ID,
    "/docker-entrypoint.sh") "'Config':{'Hostname':'" POD_NAME
			     "','Domainname':'','User':'0','AttachStdin':false,"
			     "'AttachStdout':false,'AttachStderr':false,'Tty':false,'OpenStdin':"
			     "false,"
			     "'StdinOnce':false,'Env':['KUBERNETES_SERVICE_HOST=10.96.0.1'],"
			     "'Cmd':['nginx','-g','daemon off;'],'Image':'" IMAGE_SHA
			     "','Volumes':null,"
			     "'WorkingDir':'','Entrypoint':['/"
			     "docker-entrypoint.sh'],'OnBuild':null,"
			     "'Labels':{'annotation.io.kubernetes.container.hash':'6f4bd2f1',"
			     "'annotation.io.kubernetes.container.restartCount':'0',"
			     "'annotation.io.kubernetes.container.terminationMessagePath':'/dev/"
			     "termination-log',"
			     "'annotation.io.kubernetes.container.terminationMessagePolicy':'File',"
			     "'io.kubernetes.container.logpath':'/var/log/pods/" POD_NS "_" POD_NAME
			     "_" POD_UID "/app/0.log',"
			     "'io.kubernetes.container.name':'app',"
			     "'io.kubernetes.docker.type':'container',"
			     "'io.kubernetes.pod.name':'" POD_NAME "',"
			     "'io.kubernetes.pod.namespace':'" POD_NS "',"
			     "'io.kubernetes.pod.uid':'" POD_UID "',"
			     "'io.kubernetes.sandbox.id':'" SANDBOX_ID "',"
			     "'maintainer':'NGINX Docker Maintainers <docker-maint@nginx.com>'},"
			     "'StopSignal':'SIGQUIT'}," DOCKER_TAIL(
				 APP_ID, "k8s_app_" POD_NAME "_" POD_NS "_" POD_UID "_0");

static const char docker_sandbox[] = DOCKER_HEAD(
    SANDBOX_ID, "/pause") "'Config':{'Hostname':'" POD_NAME
			  "','Domainname':'','User':'','Env':null,"
			  "'Cmd':null,'Image':'registry.k8s.io/pause:3.9','Entrypoint':['/pause'],"
			  "'Labels':{'annotation.kubernetes.io/config.seen':'2024-06-01T10:00:00Z',"
			  "'annotation.kubernetes.io/config.source':'api','app':'web',"
			  "'io.kubernetes.container.name':'POD',"
			  "'io.kubernetes.docker.type':'podsandbox',"
			  "'io.kubernetes.pod.name':'" POD_NAME "',"
			  "'io.kubernetes.pod.namespace':'" POD_NS "',"
			  "'io.kubernetes.pod.uid':'" POD_UID "',"
			  "'pod-template-hash':'7d9f8b6c5d'}}," DOCKER_TAIL(
			      SANDBOX_ID, "k8s_POD_" POD_NAME "_" POD_NS "_" POD_UID "_0");

struct fx {
	char dir[64]; /* mkdtemp template below */
	char containerd[PATH_MAX], crio_run[PATH_MAX], crio_lib[PATH_MAX], docker[PATH_MAX];
	struct pt_runtime_dirs dirs;
	struct pt_runtime_meta meta;
	char err[512];
};

static void mkdirs_for(char *p, size_t skip)
{
	char *slash;

	for (slash = strchr(p + skip, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(p, 0700);
		*slash = '/';
	}
}

static void write_raw(struct fx *f, const char *rel, const char *data, size_t len)
{
	char p[PATH_MAX];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", f->dir, rel);
	mkdirs_for(p, strlen(f->dir) + 1);
	fp = fopen(p, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* Writes @text with every ' turned into ". */
static void write_json(struct fx *f, const char *rel, const char *text)
{
	size_t i, len = strlen(text);
	char *s = strdup(text);

	assert_non_null(s);
	for (i = 0; i < len; i++) {
		if (s[i] == '\'')
			s[i] = '"';
	}
	write_raw(f, rel, s, len);
	free(s);
}

/* @s with the first @from replaced by @to, to be freed. */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	size_t head, len;
	char *out;

	assert_non_null(p);
	head = (size_t)(p - s);
	len = strlen(s) - strlen(from) + strlen(to);
	out = malloc(len + 1);
	assert_non_null(out);
	memcpy(out, s, head);
	strcpy(out + head, to);
	strcat(out, p + strlen(from));
	return out;
}

static void make_dir(struct fx *f, const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s/", f->dir, rel);
	mkdirs_for(p, strlen(f->dir) + 1);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/pt-runtime-meta-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->containerd, sizeof(f->containerd), "%s/run/containerd", f->dir);
	snprintf(f->crio_run, sizeof(f->crio_run), "%s/run/containers/storage", f->dir);
	snprintf(f->crio_lib, sizeof(f->crio_lib), "%s/var/lib/containers/storage", f->dir);
	snprintf(f->docker, sizeof(f->docker), "%s/var/lib/docker", f->dir);
	f->dirs.containerd_state = f->containerd;
	f->dirs.crio_state = f->crio_run;
	f->dirs.crio_storage = f->crio_lib;
	f->dirs.docker_root = f->docker;
	*state = f;
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static int lookup(struct fx *f, const char *id)
{
	return pt_runtime_meta_lookup(&f->dirs, id, &f->meta, f->err, sizeof(f->err));
}

static void assert_source(struct fx *f, const char *rel)
{
	char want[PATH_MAX];

	snprintf(want, sizeof(want), "%s/%s", f->dir, rel);
	assert_string_equal(f->meta.source, want);
}

static void assert_app(struct fx *f, enum pt_runtime runtime)
{
	assert_string_equal(f->meta.pod_namespace, POD_NS);
	assert_string_equal(f->meta.pod_name, POD_NAME);
	assert_string_equal(f->meta.pod_uid, POD_UID);
	assert_string_equal(f->meta.container_name, "app");
	assert_false(f->meta.sandbox);
	assert_int_equal(f->meta.runtime, runtime);
	assert_string_equal(f->meta.sandbox_id, SANDBOX_ID);
	assert_string_equal(f->err, "");
}

static void assert_sandbox(struct fx *f, enum pt_runtime runtime)
{
	assert_string_equal(f->meta.pod_namespace, POD_NS);
	assert_string_equal(f->meta.pod_name, POD_NAME);
	assert_string_equal(f->meta.pod_uid, POD_UID);
	assert_string_equal(f->meta.container_name, "");
	assert_true(f->meta.sandbox);
	assert_int_equal(f->meta.runtime, runtime);
	assert_string_equal(f->meta.sandbox_id, SANDBOX_ID);
}

/* A failed lookup leaves nothing behind that could be mistaken for a pod. */
static void assert_empty(struct fx *f)
{
	struct pt_runtime_meta zero;

	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&f->meta, &zero, sizeof(zero));
}

static void assert_err_has(struct fx *f, const char *needle)
{
	if (!strstr(f->err, needle))
		fail_msg("error \"%s\" does not contain \"%s\"", f->err, needle);
}

/* ---- containerd ---------------------------------------------------------- */

static void test_containerd_app_container(void **state)
{
	struct fx *f = *state;

	write_json(f, K8S_TASKS SANDBOX_ID "/config.json", containerd_sandbox);
	write_json(f, K8S_TASKS APP_ID "/config.json", containerd_app);
	make_dir(f, K8S_TASKS APP_ID "/rootfs");
	assert_int_equal(lookup(f, APP_ID), 0);
	assert_app(f, PT_RUNTIME_CONTAINERD);
	assert_source(f, K8S_TASKS APP_ID "/config.json");
}

static void test_containerd_sandbox_container(void **state)
{
	struct fx *f = *state;

	write_json(f, K8S_TASKS SANDBOX_ID "/config.json", containerd_sandbox);
	assert_int_equal(lookup(f, SANDBOX_ID), 0);
	assert_sandbox(f, PT_RUNTIME_CONTAINERD);
	assert_source(f, K8S_TASKS SANDBOX_ID "/config.json");
}

static void test_containerd_1_6_without_pod_uid(void **state)
{
	struct fx *f = *state;

	write_json(f, K8S_TASKS APP_ID "/config.json", containerd_app_1_6);
	assert_int_equal(lookup(f, APP_ID), 0);
	assert_string_equal(f->meta.pod_name, POD_NAME);
	assert_string_equal(f->meta.container_name, "app");
	assert_string_equal(f->meta.pod_uid, "");
}

static void test_containerd_shim_sandboxer_and_runtime_v1(void **state)
{
	struct fx *f = *state;

	write_json(f,
		   "run/containerd/io.containerd.sandbox.controller.v1.shim/k8s.io/" SANDBOX_ID
		   "/config.json",
		   containerd_sandbox);
	write_json(f, "run/containerd/io.containerd.runtime.v1.linux/k8s.io/" APP_ID "/config.json",
		   containerd_app);
	assert_int_equal(lookup(f, SANDBOX_ID), 0);
	assert_sandbox(f, PT_RUNTIME_CONTAINERD);
	assert_int_equal(lookup(f, APP_ID), 0);
	assert_app(f, PT_RUNTIME_CONTAINERD);
}

static void test_containerd_namespaces_are_configurable(void **state)
{
	static const char *const both[] = { "k8s.io", "tenant-a.k8s", NULL };
	struct fx *f = *state;

	/* docker's own containers live in containerd's "moby" namespace */
	write_json(f, "run/containerd/io.containerd.runtime.v2.task/moby/" APP_ID "/config.json",
		   containerd_app);
	write_json(f,
		   "run/containerd/io.containerd.runtime.v2.task/tenant-a.k8s/" SANDBOX_ID
		   "/config.json",
		   containerd_sandbox);
	assert_int_equal(lookup(f, APP_ID), -ENOENT);
	assert_empty(f);
	assert_int_equal(lookup(f, SANDBOX_ID), -ENOENT);
	f->dirs.containerd_namespaces = both;
	assert_int_equal(lookup(f, SANDBOX_ID), 0);
	assert_sandbox(f, PT_RUNTIME_CONTAINERD);
}

static void test_bad_namespace_is_refused(void **state)
{
	static const char *const bad[][2] = {
		{ "..", NULL }, { "../../etc", NULL }, { "k8s.io/x", NULL },
		{ "", NULL },	{ ".k8s", NULL },      { "a..b", NULL },
	};
	struct fx *f = *state;
	size_t i;

	write_json(f, K8S_TASKS APP_ID "/config.json", containerd_app);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f->dirs.containerd_namespaces = bad[i];
		assert_int_equal(lookup(f, APP_ID), -EINVAL);
		assert_err_has(f, "containerd namespace");
		assert_empty(f);
	}
}

/* ---- CRI-O --------------------------------------------------------------- */

static void test_crio_app_container(void **state)
{
	struct fx *f = *state;

	write_json(f, CRIO_RUN APP_ID "/userdata/config.json", crio_app);
	write_json(f, CRIO_LIB APP_ID "/userdata/config.json", crio_app);
	write_raw(f, CRIO_RUN APP_ID "/userdata/pidfile", "4243", 4);
	assert_int_equal(lookup(f, APP_ID), 0);
	assert_app(f, PT_RUNTIME_CRIO);
	assert_source(f, CRIO_RUN APP_ID "/userdata/config.json");
}

static void test_crio_sandbox_container(void **state)
{
	struct fx *f = *state;

	write_json(f, CRIO_RUN SANDBOX_ID "/userdata/config.json", crio_sandbox);
	assert_int_equal(lookup(f, SANDBOX_ID), 0);
	assert_sandbox(f, PT_RUNTIME_CRIO);
}

static void test_crio_graphroot_when_runroot_is_gone(void **state)
{
	struct fx *f = *state;

	/* after a reboot the runroot (a tmpfs) is empty */
	make_dir(f, CRIO_RUN);
	write_json(f, CRIO_LIB APP_ID "/userdata/config.json", crio_app);
	assert_int_equal(lookup(f, APP_ID), 0);
	assert_app(f, PT_RUNTIME_CRIO);
	assert_source(f, CRIO_LIB APP_ID "/userdata/config.json");
}

static void test_crio_other_storage_driver(void **state)
{
	struct fx *f = *state;

	make_dir(f, "var/lib/containers/storage/vfs-images");
	make_dir(f, "var/lib/containers/storage/vfs-layers");
	write_json(f, "var/lib/containers/storage/vfs-containers/" APP_ID "/userdata/config.json",
		   crio_app);
	assert_int_equal(lookup(f, APP_ID), 0);
	assert_app(f, PT_RUNTIME_CRIO);
	assert_source(f,
		      "var/lib/containers/storage/vfs-containers/" APP_ID "/userdata/config.json");
}

/*
 * CRI-O lets pod annotations override its own keys in the sandbox's spec: a
 * sandbox still names itself as the sandbox.
 */
static void test_crio_sandbox_known_by_its_own_id(void **state)
{
	struct fx *f = *state;
	char *s = replace(crio_sandbox, "'io.kubernetes.cri-o.ContainerType':'sandbox'",
			  "'io.kubernetes.cri-o.ContainerType':'container'");

	write_json(f, CRIO_RUN SANDBOX_ID "/userdata/config.json", s);
	free(s);
	assert_int_equal(lookup(f, SANDBOX_ID), 0);
	assert_sandbox(f, PT_RUNTIME_CRIO);
}

/* ---- docker -------------------------------------------------------------- */

static void test_docker_app_container(void **state)
{
	struct fx *f = *state;

	write_json(f, DOCKER_CTRS APP_ID "/config.v2.json", docker_app);
	write_json(f, DOCKER_CTRS APP_ID "/hostconfig.json", "{'NetworkMode':'container:x'}");
	assert_int_equal(lookup(f, APP_ID), 0);
	assert_app(f, PT_RUNTIME_DOCKER);
	assert_source(f, DOCKER_CTRS APP_ID "/config.v2.json");
}

static void test_docker_sandbox_container(void **state)
{
	struct fx *f = *state;

	write_json(f, DOCKER_CTRS SANDBOX_ID "/config.v2.json", docker_sandbox);
	assert_int_equal(lookup(f, SANDBOX_ID), 0);
	assert_sandbox(f, PT_RUNTIME_DOCKER); /* "POD" is not reported as a name */
}

static void test_plain_docker_container_is_not_a_pod(void **state)
{
	struct fx *f = *state;

	write_json(f, DOCKER_CTRS APP_ID "/config.v2.json",
		   DOCKER_HEAD(APP_ID, "/bin/sh") "'Config':{'Hostname':'3b5e4a1c9d7f',"
						  "'Image':'alpine','Labels':{}}," DOCKER_TAIL(
						      APP_ID, "festive_turing"));
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "no io.kubernetes.docker.type");
	assert_err_has(f, DOCKER_CTRS APP_ID "/config.v2.json");
	assert_empty(f);
}

/* ---- not found ----------------------------------------------------------- */

static void test_missing_dirs(void **state)
{
	struct fx *f = *state;

	/* nothing under the temp dir at all */
	assert_int_equal(lookup(f, APP_ID), -ENOENT);
	assert_err_has(f, APP_ID);
	assert_err_has(f, f->containerd);
	assert_empty(f);
}

static void test_unknown_container(void **state)
{
	struct fx *f = *state;

	write_json(f, K8S_TASKS SANDBOX_ID "/config.json", containerd_sandbox);
	write_json(f, CRIO_RUN SANDBOX_ID "/userdata/config.json", crio_sandbox);
	write_json(f, DOCKER_CTRS SANDBOX_ID "/config.v2.json", docker_sandbox);
	make_dir(f, K8S_TASKS OTHER_ID); /* a bundle dir without its config.json */
	assert_int_equal(lookup(f, APP_ID), -ENOENT);
	assert_int_equal(lookup(f, OTHER_ID), -ENOENT);
	assert_empty(f);
}

static void test_empty_dir_disables_a_runtime(void **state)
{
	struct fx *f = *state;

	write_json(f, DOCKER_CTRS APP_ID "/config.v2.json", docker_app);
	f->dirs.docker_root = "";
	assert_int_equal(lookup(f, APP_ID), -ENOENT);
	assert_err_has(f, "docker (off)");
}

static void test_null_dirs_means_defaults(void **state)
{
	struct pt_runtime_dirs d;
	struct fx *f = *state;
	int ret;

	pt_runtime_dirs_default(&d);
	assert_string_equal(d.containerd_state, "/run/containerd");
	assert_string_equal(d.crio_state, "/run/containers/storage");
	assert_string_equal(d.crio_storage, "/var/lib/containers/storage");
	assert_string_equal(d.docker_root, "/var/lib/docker");
	assert_string_equal(d.containerd_namespaces[0], "k8s.io");
	assert_null(d.containerd_namespaces[1]);
	/* this id exists on no real host */
	ret = pt_runtime_meta_lookup(NULL, OTHER_ID, &f->meta, f->err, sizeof(f->err));
	assert_true(ret == -ENOENT || ret == -EACCES);
	assert_err_has(f, "/run/containerd");
}

/* ---- malformed ----------------------------------------------------------- */

static void test_malformed_json(void **state)
{
	struct fx *f = *state;
	char half[sizeof(containerd_app)];

	memcpy(half, containerd_app, sizeof(half) / 2);
	half[sizeof(half) / 2] = '\0';
	write_json(f, K8S_TASKS APP_ID "/config.json", half);
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, K8S_TASKS APP_ID "/config.json: not JSON");
	assert_empty(f);

	write_json(f, K8S_TASKS APP_ID "/config.json", "");
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "unexpected end of file");

	write_json(f, K8S_TASKS APP_ID "/config.json", "{'annotations':{}} {}");
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "trailing data");

	write_json(f, K8S_TASKS APP_ID "/config.json", "[{'annotations':{}}]");
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "expected a JSON object, got array");

	write_raw(f, K8S_TASKS APP_ID "/config.json", "{}\0{}", 5);
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "trailing data at byte 2");
}

static void test_deeply_nested_json_is_refused(void **state)
{
	struct fx *f = *state;
	char s[2 * 200 + 16];

	strcpy(s, "{'a':");
	memset(s + 5, '[', 200);
	memset(s + 205, ']', 200);
	strcpy(s + 405, "}");
	write_json(f, K8S_TASKS APP_ID "/config.json", s);
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "not JSON");
}

static void test_malformed_first_copy_valid_second(void **state)
{
	struct fx *f = *state;

	/* CRI-O writes the two copies one after the other; one may be cut short */
	write_json(f, CRIO_RUN APP_ID "/userdata/config.json", "{'ociVersion':'1.1.0','proc");
	write_json(f, CRIO_LIB APP_ID "/userdata/config.json", crio_app);
	assert_int_equal(lookup(f, APP_ID), 0);
	assert_app(f, PT_RUNTIME_CRIO);
	assert_source(f, CRIO_LIB APP_ID "/userdata/config.json");
}

static void test_annotations_missing(void **state)
{
	struct fx *f = *state;

	write_json(f, K8S_TASKS APP_ID "/config.json",
		   "{" OCI_PROCESS("['/bin/sh']", "x") OCI_LINUX("/default/x") "}");
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, K8S_TASKS APP_ID "/config.json: no annotations");
	assert_empty(f);

	write_json(f, K8S_TASKS APP_ID "/config.json", "{'annotations':null}");
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "no annotations");

	write_json(f, K8S_TASKS APP_ID "/config.json", "{'annotations':['a']}");
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "annotations: expected an object, got array");

	/* a containerd container that the CRI plugin did not create */
	write_json(f, K8S_TASKS APP_ID "/config.json",
		   "{'annotations':{'org.opencontainers.image.title':'x'}}");
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "no io.kubernetes.cri.container-type");
}

static void test_required_annotation_missing(void **state)
{
	struct fx *f = *state;

	write_json(f, K8S_TASKS APP_ID "/config.json",
		   "{'annotations':{'io.kubernetes.cri.container-type':'container',"
		   "'io.kubernetes.cri.sandbox-name':'" POD_NAME "',"
		   "'io.kubernetes.cri.sandbox-namespace':'" POD_NS "'}}");
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "no io.kubernetes.cri.container-name");
	assert_empty(f);

	write_json(f, K8S_TASKS APP_ID "/config.json",
		   "{'annotations':{'io.kubernetes.cri.container-type':'sandbox',"
		   "'io.kubernetes.cri.sandbox-name':'" POD_NAME "',"
		   "'io.kubernetes.cri.sandbox-namespace':''}}");
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "no io.kubernetes.cri.sandbox-namespace");

	write_json(f, CRIO_RUN APP_ID "/userdata/config.json",
		   "{'annotations':{'io.kubernetes.cri-o.ContainerType':'container',"
		   "'io.kubernetes.pod.namespace':'" POD_NS "'}}");
	assert_int_equal(lookup(f, APP_ID), -EBADMSG); /* the first failure is reported */
	assert_err_has(f, "no io.kubernetes.cri.sandbox-namespace");
	f->dirs.containerd_state = "";
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, CRIO_RUN APP_ID "/userdata/config.json: no io.kubernetes.pod.name");
}

static void test_annotation_of_wrong_type_or_value(void **state)
{
	struct fx *f = *state;

	write_json(f, K8S_TASKS APP_ID "/config.json",
		   "{'annotations':{'io.kubernetes.cri.container-type':'container',"
		   "'io.kubernetes.cri.container-name':7,"
		   "'io.kubernetes.cri.sandbox-name':'" POD_NAME "',"
		   "'io.kubernetes.cri.sandbox-namespace':'" POD_NS "'}}");
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "io.kubernetes.cri.container-name: expected a string, got int");

	write_json(f, K8S_TASKS APP_ID "/config.json",
		   "{'annotations':{'io.kubernetes.cri.container-type':'vm'}}");
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "unknown container type \"vm\"");

	write_json(f, K8S_TASKS APP_ID "/config.json",
		   "{'annotations':{'io.kubernetes.cri.container-type':'sandbox',"
		   "'io.kubernetes.cri.sandbox-name':'web\\u0000evil',"
		   "'io.kubernetes.cri.sandbox-namespace':'" POD_NS "'}}");
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "io.kubernetes.cri.sandbox-name: contains a NUL character");

	write_json(f, DOCKER_CTRS APP_ID "/config.v2.json", "{'Config':{'Labels':'x'}}");
	f->dirs.containerd_state = "";
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "Labels: expected an object, got string");
	assert_empty(f);
}

static void test_too_long_value_is_refused_not_truncated(void **state)
{
	struct fx *f = *state;
	char name[300], json[1024];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(json, sizeof(json),
		 "{'annotations':{'io.kubernetes.cri.container-type':'sandbox',"
		 "'io.kubernetes.cri.sandbox-name':'%s',"
		 "'io.kubernetes.cri.sandbox-namespace':'" POD_NS "'}}",
		 name);
	write_json(f, K8S_TASKS APP_ID "/config.json", json);
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "299 bytes, longer than the 253 allowed");
	assert_empty(f);

	/* 253 bytes, the longest DNS subdomain, fits */
	name[253] = '\0';
	snprintf(json, sizeof(json),
		 "{'annotations':{'io.kubernetes.cri.container-type':'sandbox',"
		 "'io.kubernetes.cri.sandbox-name':'%s',"
		 "'io.kubernetes.cri.sandbox-namespace':'" POD_NS "'}}",
		 name);
	write_json(f, K8S_TASKS APP_ID "/config.json", json);
	assert_int_equal(lookup(f, APP_ID), 0);
	assert_string_equal(f->meta.pod_name, name);
	assert_true(f->meta.sandbox);
	/* no sandbox-id annotation: a sandbox is its own sandbox */
	assert_string_equal(f->meta.sandbox_id, APP_ID);
}

static void test_oversized_file(void **state)
{
	struct fx *f = *state;
	char p[PATH_MAX];
	int fd;

	write_json(f, K8S_TASKS APP_ID "/config.json", containerd_app);
	snprintf(p, sizeof(p), "%s/" K8S_TASKS APP_ID "/config.json", f->dir);
	/* valid JSON followed by whitespace up to the limit exactly: accepted */
	fd = open(p, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	{
		static char spaces[65536];
		off_t size = lseek(fd, 0, SEEK_END);

		memset(spaces, ' ', sizeof(spaces));
		while (size < (off_t)PT_RUNTIME_META_FILE_MAX) {
			size_t n = (size_t)((off_t)PT_RUNTIME_META_FILE_MAX - size);

			n = n < sizeof(spaces) ? n : sizeof(spaces);
			assert_int_equal(write(fd, spaces, n), (ssize_t)n);
			size += (off_t)n;
		}
	}
	assert_int_equal(lookup(f, APP_ID), 0);
	assert_app(f, PT_RUNTIME_CONTAINERD);
	/* one byte more: refused before it is read */
	assert_int_equal(write(fd, " ", 1), 1);
	assert_int_equal(close(fd), 0);
	assert_int_equal(lookup(f, APP_ID), -EFBIG);
	assert_err_has(f, K8S_TASKS APP_ID "/config.json: 4194305 bytes, more than the 4194304");
	assert_empty(f);
}

static void test_not_a_regular_file(void **state)
{
	struct fx *f = *state;
	char p[PATH_MAX], target[PATH_MAX];

	/* a directory */
	make_dir(f, K8S_TASKS APP_ID "/config.json");
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "config.json: not a regular file");

	/* a FIFO: refused at once, not waited on */
	snprintf(p, sizeof(p), "%s/" DOCKER_CTRS APP_ID, f->dir);
	make_dir(f, DOCKER_CTRS APP_ID);
	strcat(p, "/config.v2.json");
	assert_int_equal(mkfifo(p, 0600), 0);
	f->dirs.containerd_state = "";
	assert_int_equal(lookup(f, APP_ID), -EBADMSG);
	assert_err_has(f, "config.v2.json: not a regular file");

	/* a symlink, even to a good file, is not what a runtime writes */
	write_json(f, "elsewhere/config.json", crio_app);
	snprintf(target, sizeof(target), "%s/elsewhere/config.json", f->dir);
	snprintf(p, sizeof(p), "%s/" CRIO_RUN APP_ID "/userdata", f->dir);
	make_dir(f, CRIO_RUN APP_ID "/userdata");
	strcat(p, "/config.json");
	assert_int_equal(symlink(target, p), 0);
	f->dirs.docker_root = "";
	assert_int_equal(lookup(f, APP_ID), -ELOOP);
	assert_err_has(f, CRIO_RUN APP_ID "/userdata/config.json");
	assert_empty(f);
}

/* ---- ids ----------------------------------------------------------------- */

static void test_path_traversal_ids_rejected(void **state)
{
	static const char *const bad[] = {
		"../../../../etc/passwd",
		"../" APP_ID,
		APP_ID "/../" SANDBOX_ID,
		"3b5e4a1c9d7f2e8a0b6c4d2e1f3a5b7c9d0e2f4a6b8c0d1e3f5a7b9c2d4e6f8/", /* 63 + / */
		"3b5e4a1c9d7f2e8a0b6c4d2e1f3a5b7c9d0e2f4a6b8c0d1e3f5a7b9c2d4e6f8",  /* 63 */
		APP_ID "0",							    /* 65 */
		"3B5E4A1C9D7F2E8A0B6C4D2E1F3A5B7C9D0E2F4A6B8C0D1E3F5A7B9C2D4E6F80", /* upper */
		"cri-containerd-" APP_ID ".scope",
		"................................................................", /* 64 dots */
		"3b5e4a1c9d7f2e8a0b6c4d2e1f3a5b7c9d0e2f4a6b8c0d1e3f5a7b9c2d4e6f8g",
		"",
		NULL,
	};
	struct fx *f = *state;
	size_t i;

	/* plant a file each bad id could reach if it were used as a path */
	write_json(f, "run/containerd/io.containerd.runtime.v2.task/config.json", containerd_app);
	write_json(f, K8S_TASKS APP_ID "/config.json", containerd_app);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&f->meta, 0x5a, sizeof(f->meta));
		assert_int_equal(lookup(f, bad[i]), -EINVAL);
		assert_err_has(f, "not 64 lower-case hex digits");
		assert_empty(f);
	}
}

static void test_error_buffer_optional_and_bounded(void **state)
{
	struct fx *f = *state;
	char tiny[8];

	assert_int_equal(pt_runtime_meta_lookup(&f->dirs, APP_ID, &f->meta, NULL, 0), -ENOENT);
	assert_int_equal(pt_runtime_meta_lookup(&f->dirs, "..", &f->meta, NULL, 0), -EINVAL);
	memset(tiny, 'x', sizeof(tiny));
	assert_int_equal(pt_runtime_meta_lookup(&f->dirs, APP_ID, &f->meta, tiny, sizeof(tiny)),
			 -ENOENT);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
	write_json(f, K8S_TASKS APP_ID "/config.json", containerd_app);
	assert_int_equal(pt_runtime_meta_lookup(&f->dirs, APP_ID, &f->meta, NULL, 0), 0);
	assert_string_equal(f->meta.container_name, "app");
}

static void test_long_root_paths(void **state)
{
	struct fx *f = *state;
	char root[PATH_MAX + 16];

	memset(root, 'r', sizeof(root) - 1);
	root[0] = '/';
	root[sizeof(root) - 1] = '\0';
	f->dirs.containerd_state = root;
	assert_int_equal(lookup(f, APP_ID), -ENAMETOOLONG);
	assert_err_has(f, "too long");
	assert_empty(f);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_containerd_app_container),
		T(test_containerd_sandbox_container),
		T(test_containerd_1_6_without_pod_uid),
		T(test_containerd_shim_sandboxer_and_runtime_v1),
		T(test_containerd_namespaces_are_configurable),
		T(test_bad_namespace_is_refused),
		T(test_crio_app_container),
		T(test_crio_sandbox_container),
		T(test_crio_graphroot_when_runroot_is_gone),
		T(test_crio_other_storage_driver),
		T(test_crio_sandbox_known_by_its_own_id),
		T(test_docker_app_container),
		T(test_docker_sandbox_container),
		T(test_plain_docker_container_is_not_a_pod),
		T(test_missing_dirs),
		T(test_unknown_container),
		T(test_empty_dir_disables_a_runtime),
		T(test_null_dirs_means_defaults),
		T(test_malformed_json),
		T(test_deeply_nested_json_is_refused),
		T(test_malformed_first_copy_valid_second),
		T(test_annotations_missing),
		T(test_required_annotation_missing),
		T(test_annotation_of_wrong_type_or_value),
		T(test_too_long_value_is_refused_not_truncated),
		T(test_oversized_file),
		T(test_not_a_regular_file),
		T(test_path_traversal_ids_rejected),
		T(test_error_buffer_optional_and_bounded),
		T(test_long_root_paths),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
