/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The node the decode seeds describe: the cgroups their records name by id,
 * with their paths. gen_records.c writes the ids into the records; the
 * decode harness fills its id -> path table with them, as the daemon's walk
 * at start would, so that seeds reach attribution and classification.
 */
#ifndef PODTRAIL_FUZZ_SEED_CGROUPS_H
#define PODTRAIL_FUZZ_SEED_CGROUPS_H

#define SEED_CID1  "8b0bf8b0926b6e7e4c1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f"
#define SEED_CID2  "3f2a1b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70"
#define SEED_UID1  "1b4c3a2e-5f6d-4e7c-8b9a-0c1d2e3f4a5b"
#define SEED_UID1_ "1b4c3a2e_5f6d_4e7c_8b9a_0c1d2e3f4a5b"

/* v1 memory hierarchy's id on the seeds' node (v2 is 0). */
#define SEED_V1_MEMORY 4

enum seed_cgroup_id {
	SEED_CG_CGROUPFS = 8812,
	SEED_CG_SYSTEMD = 8813,
	SEED_CG_CGROUPFS_POD2 = 8814,
	SEED_CG_CRIO = 8815,
	SEED_CG_CONMON = 8816,
	SEED_CG_HOST = 77,
	SEED_CG_KIND = 99102,
	SEED_CG_V1 = 501,
	SEED_CG_SESSION = 4001,
	SEED_CG_INIT = 4002,
	SEED_CG_OTHER_CONTAINER = 4003,
	SEED_CG_ROOT = 1,
};

static const struct seed_cgroup {
	unsigned int hierarchy;
	unsigned long long id;
	const char *path;
} seed_cgroups[] = {
	{ 0, SEED_CG_CGROUPFS, "/kubepods/burstable/pod" SEED_UID1 "/" SEED_CID1 },
	{ 0, SEED_CG_SYSTEMD,
	  "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" SEED_UID1_
	  ".slice/cri-containerd-" SEED_CID1 ".scope" },
	{ 0, SEED_CG_CGROUPFS_POD2, "/kubepods/burstable/pod" SEED_UID1 "/" SEED_CID2 },
	{ 0, SEED_CG_CRIO,
	  "/kubepods.slice/kubepods-pod" SEED_UID1_ ".slice/crio-" SEED_CID2 ".scope" },
	{ 0, SEED_CG_CONMON,
	  "/kubepods.slice/kubepods-pod" SEED_UID1_ ".slice/crio-conmon-" SEED_CID2 ".scope" },
	{ 0, SEED_CG_HOST, "/system.slice/containerd.service" },
	/* kind: kubelet's tree inside the node container's own, deeper than six names. */
	{ 0, SEED_CG_KIND,
	  "/system.slice/docker-" SEED_CID2 ".scope/kubelet.slice/kubelet-kubepods.slice/"
	  "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" SEED_UID1_
	  ".slice/cri-containerd-" SEED_CID1 ".scope" },
	{ SEED_V1_MEMORY, SEED_CG_V1, "/kubepods/pod" SEED_UID1 "/" SEED_CID2 },
	{ 0, SEED_CG_SESSION, "/user.slice/user-0.slice/session-3.scope" },
	{ 0, SEED_CG_INIT, "/init.scope" },
	{ 0, SEED_CG_OTHER_CONTAINER,
	  "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" SEED_UID1_
	  ".slice/cri-containerd-" SEED_CID2 ".scope" },
	{ 0, SEED_CG_ROOT, "/" },
};

#endif
