// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroup_walk.h"

/* Whether comma-separated @opts holds @word. */
static bool has_option(const char *opts, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = opts; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		if (!strncmp(p, word, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

static void set_mount(struct pt_cgroup_mount *m, uint32_t hierarchy_id, const char *root,
		      const char *dir)
{
	m->found = true;
	m->hierarchy_id = hierarchy_id;
	snprintf(m->root, sizeof(m->root), "%s", root);
	snprintf(m->dir, sizeof(m->dir), "%s", dir);
}

/*
 * One mountinfo line: "id parent maj:min root mountpoint opts [tags] - fstype
 * source superopts". The first mount of each kind wins; a mount of a
 * directory outside our cgroup namespace ("/..") cannot be walked usefully.
 */
static void parse_mount_line(char *line, struct pt_cgroup_mounts *out)
{
	char root[PATH_MAX], dir[PATH_MAX], fstype[64], superopts[1024];
	char *sep = strstr(line, " - ");

	if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", root, dir) != 2 ||
	    sscanf(sep + 3, "%63s %*s %1023s", fstype, superopts) != 2 || !strncmp(root, "/..", 3))
		return;
	if (!strcmp(fstype, "cgroup2") && !out->v2.found)
		set_mount(&out->v2, 0, root, dir);
	else if (!strcmp(fstype, "cgroup") && has_option(superopts, "memory") && !out->memory.found)
		set_mount(&out->memory, out->memory_hierarchy_id, root, dir);
}

/* The "memory" line of /proc/cgroups: "memory <hierarchy> <num_cgroups> <enabled>". */
static uint32_t memory_hierarchy(const char *proc_cgroups)
{
	FILE *f = fopen(proc_cgroups, "re");
	char name[64];
	unsigned int h, n, enabled;
	uint32_t found = UINT32_MAX;
	char line[256];

	if (!f)
		return UINT32_MAX;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %u %u %u", name, &h, &n, &enabled) == 4 &&
		    !strcmp(name, "memory") && enabled)
			found = h;
	}
	fclose(f);
	return found;
}

int pt_cgroup_mounts_find(const char *mountinfo, const char *proc_cgroups,
			  struct pt_cgroup_mounts *out, char *err, size_t errlen)
{
	char line[4096];
	FILE *f;

	memset(out, 0, sizeof(*out));
	out->memory_hierarchy_id = memory_hierarchy(proc_cgroups);
	f = fopen(mountinfo, "re");
	if (!f) {
		int e = -errno;

		snprintf(err, errlen, "cannot read %s: %s", mountinfo, strerror(-e));
		return e;
	}
	while (fgets(line, sizeof(line), f))
		parse_mount_line(line, out);
	fclose(f);
	/* On v2 (memory in hierarchy 0) a v1 memory mount cannot exist. */
	if (out->memory_hierarchy_id == 0 || out->memory_hierarchy_id == UINT32_MAX)
		out->memory.found = false;
	return 0;
}

/*
 * @path: the cgroup path of the directory open as @fd; @len its length.
 * *@whole is cleared when a directory is left out for another reason than
 * being gone.
 */
static int walk_dir(struct pt_cgroup_ids *t, uint32_t hierarchy, int fd, char *path, size_t len,
		    size_t cap, int depth, bool *whole)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int n = 0, e;

	if (fstat(fd, &st) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	e = pt_cgroup_ids_add(t, hierarchy, (uint64_t)st.st_ino, len ? path : "/");
	if (e) {
		close(fd);
		return e;
	}
	n++;
	d = fdopendir(fd);
	if (!d) {
		e = -errno;
		close(fd);
		return e;
	}
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		int sub, r;

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (len + 1 + nl >= cap || depth > 64) {
			*whole = false; /* beyond PATH_MAX: the kernel names it */
			continue;
		}
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub < 0) {
			/* Removed meanwhile: no process can exit in it any more. */
			if (errno != ENOENT)
				*whole = false;
			continue;
		}
		path[len] = '/';
		memcpy(path + len + 1, de->d_name, nl + 1);
		r = walk_dir(t, hierarchy, sub, path, len + 1 + nl, cap, depth + 1, whole);
		path[len] = '\0';
		if (r == -ENOMEM) {
			closedir(d);
			return r;
		}
		if (r < 0 && r != -ENOENT)
			*whole = false;
		n += r > 0 ? r : 0;
	}
	closedir(d);
	return n;
}

int pt_cgroup_walk(struct pt_cgroup_ids *t, const struct pt_cgroup_mount *m, bool *whole, char *err,
		   size_t errlen)
{
	char path[PATH_MAX];
	size_t len = strcmp(m->root, "/") ? strlen(m->root) : 0;
	int fd, n;

	if (len >= sizeof(path)) {
		snprintf(err, errlen, "cgroup mount root %s is too long", m->root);
		return -ENAMETOOLONG;
	}
	memcpy(path, m->root, len);
	path[len] = '\0';
	fd = open(m->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		n = -errno;
		snprintf(err, errlen, "cannot open %s: %s", m->dir, strerror(-n));
		return n;
	}
	*whole = len == 0;
	n = walk_dir(t, m->hierarchy_id, fd, path, len, sizeof(path), 0, whole);
	if (n < 0)
		*whole = false;
	if (n < 0)
		snprintf(err, errlen, "walking %s: %s", m->dir, strerror(-n));
	return n;
}

bool pt_cgroup_ns_is_initial(const char *ns_file)
{
	struct stat st;

	return stat(ns_file, &st) == 0 && st.st_ino == PT_CGROUP_NS_INIT_INO;
}
