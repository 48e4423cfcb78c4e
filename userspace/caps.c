// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/capability.h>
#include "caps.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int get_caps(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };

	memset(data, 0, 2 * sizeof(*data));
	return syscall(SYS_capget, &hdr, data) < 0 ? -errno : 0;
}

static int set_caps(struct __user_cap_data_struct data[2])
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

static int has_cap(const struct __user_cap_data_struct data[2], int cap)
{
	return !!(data[cap / 32].effective & (1u << (cap % 32)));
}

/* Kernel version as major * 1000 + minor, e.g. 6018. */
static int kernel_version(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) == 0)
		sscanf(u.release, "%d.%d", &major, &minor);
	return major * 1000 + minor;
}

int pt_caps_check(char *err, size_t errlen)
{
	struct __user_cap_data_struct data[2];
	char missing[128] = "", add[128] = "";
	int kv = kernel_version(), e = get_caps(data);

	if (e) {
		snprintf(err, errlen, "cannot read this process's capabilities: %s", strerror(-e));
		return e;
	}
	/* CAP_SYS_ADMIN covers everything, and is the only way before 5.8. */
	if (has_cap(data, CAP_SYS_ADMIN))
		return 0;
	if (kv < 5008) {
		snprintf(err, errlen,
			 "missing capability CAP_SYS_ADMIN: kernels before 5.8 have no "
			 "CAP_BPF; add \"SYS_ADMIN\" to the DaemonSet's "
			 "securityContext.capabilities.add");
		return -EPERM;
	}
	if (!has_cap(data, CAP_BPF)) {
		strcat(missing, " CAP_BPF");
		strcat(add, " \"BPF\"");
	}
	if (!has_cap(data, CAP_PERFMON)) {
		strcat(missing, " CAP_PERFMON");
		strcat(add, " \"PERFMON\"");
	}
	/* Before 5.11, BPF memory is charged to RLIMIT_MEMLOCK, which libbpf raises. */
	if (kv < 5011 && !has_cap(data, CAP_SYS_RESOURCE)) {
		strcat(missing, " CAP_SYS_RESOURCE");
		strcat(add, " \"SYS_RESOURCE\"");
	}
	if (!missing[0])
		return 0;
	snprintf(err, errlen,
		 "missing capabilities:%s (loading and attaching BPF programs needs them); run as "
		 "root, or add%s to the container's securityContext.capabilities.add",
		 missing, add);
	return -EPERM;
}

/* Reading maps needs CAP_BPF when unprivileged bpf() is disabled, before 5.19. */
static int must_keep_bpf(void)
{
	FILE *f = fopen("/proc/sys/kernel/unprivileged_bpf_disabled", "r");
	int v = 0;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 1;
		fclose(f);
	}
	return kernel_version() < 5019 && v != 0;
}

int pt_caps_drop(void)
{
	struct __user_cap_data_struct data[2];
	int keep = must_keep_bpf(), e;

	memset(data, 0, sizeof(data));
	if (keep) {
		data[CAP_BPF / 32].effective = 1u << (CAP_BPF % 32);
		data[CAP_BPF / 32].permitted = 1u << (CAP_BPF % 32);
	}
	/* Ambient capabilities would survive an exec: clear them (no-op if unsupported). */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	e = set_caps(data);
	if (e)
		return e;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
}
