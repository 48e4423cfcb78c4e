// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include "errmsg.h"
#include "runtime_state.h"

#define BUCKETS	       1024 /* a power of two; a node runs a few hundred containers */
#define MAX_CONTAINERS 16384
#define MAX_EXECS      4 /* exec'd processes remembered per container, newest kept */
#define MAX_ROOTS      8
#define EXPIRY_NS      (5ULL * 1000000000ULL) /* how often forgotten containers are freed */
#define CMD_RETRY_NS   (1000000ULL)	      /* an exec caught mid-execve: read it again */
#define CMD_RETRIES    20
#define INIT_PID_NS    0xEFFFFFFCu     /* the initial pid namespace's inode */
#define CRIO_CHECK_NS  (1000000000ULL) /* how often an absent CRI-O run root is looked for */

static const char *const containerd_namespaces[] = { PT_RUNTIME_K8S_NAMESPACE, "moby" };

struct exec_proc {
	uint32_t pid;
	uint8_t retries; /* command line reads left: it was still runc's init, or mid-execve */
	char command[PT_EXEC_COMMAND_MAX];
};

struct container {
	char id[PT_CONTAINER_ID_LEN + 1];
	int wd;	  /* inotify watch on its containerd bundle, -1 when none */
	int root; /* index of the root holding the bundle, -1 when none */
	uint32_t main_pid;
	uint64_t gone_ns; /* when its files went away (0: still there): forgotten after the grace */
	bool meta_read;
	int meta_err;
	struct pt_runtime_meta *meta; /* NULL until read, or when unreadable */
	struct exec_proc execs[MAX_EXECS];
	unsigned int next_exec;
	struct container *next_by_id, *next_by_wd;
};

/*
 * A containerd task namespace directory: <state>/io.containerd.runtime.v2.task/<ns>.
 * While it does not exist (containerd not started, no pod yet), its nearest
 * existing ancestor is watched for its creation.
 */
struct root {
	char path[PATH_MAX];
	int wd;	       /* -1 while the directory does not exist */
	int parent_wd; /* the watched ancestor while it does not, else -1 */
};

struct pt_runtime_state {
	struct pt_loop *loop;
	struct pt_runtime_dirs dirs;
	int inotify_fd;
	int timer_fd;
	uint64_t timer_due_ns;	 /* 0: disarmed */
	size_t nr_gone;		 /* containers waiting for their grace to end */
	size_t nr_retries;	 /* exec command lines to read again */
	bool host_pidns;	 /* /proc shows host pids: exec command lines can be read */
	uint64_t drained_ns;	 /* every inotify event queued before then has been handled */
	uint64_t crio_absent_ns; /* when CRI-O's run root was last found missing, 0: present */
	struct root roots[MAX_ROOTS];
	size_t nr_roots;
	struct container *by_id[BUCKETS];
	struct container *by_wd[BUCKETS];
	struct pt_runtime_state_stats stats;
};

static bool is_container_id(const char *s, size_t len)
{
	if (len != PT_CONTAINER_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Ids are random hex: their first digits are a good hash. */
static size_t id_bucket(const char *id)
{
	size_t h = 0;

	for (int i = 0; i < 8; i++)
		h = h << 4 | (size_t)(id[i] <= '9' ? id[i] - '0' : id[i] - 'a' + 10);
	return h & (BUCKETS - 1);
}

static struct container *find(struct pt_runtime_state *s, const char *id)
{
	struct container *c;

	for (c = s->by_id[id_bucket(id)]; c; c = c->next_by_id)
		if (!strcmp(c->id, id))
			return c;
	return NULL;
}

static struct container *find_by_wd(struct pt_runtime_state *s, int wd)
{
	struct container *c;

	for (c = s->by_wd[(size_t)wd & (BUCKETS - 1)]; c; c = c->next_by_wd)
		if (c->wd == wd)
			return c;
	return NULL;
}

static struct container *find_or_add(struct pt_runtime_state *s, const char *id)
{
	struct container *c = find(s, id);
	size_t b;

	if (c)
		return c;
	if (s->stats.containers >= MAX_CONTAINERS) {
		s->stats.table_full++;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	memcpy(c->id, id, PT_CONTAINER_ID_LEN);
	c->wd = -1;
	c->root = -1;
	b = id_bucket(id);
	c->next_by_id = s->by_id[b];
	s->by_id[b] = c;
	s->stats.containers++;
	return c;
}

static void unlink_wd(struct pt_runtime_state *s, struct container *c)
{
	struct container **pp;

	if (c->wd < 0)
		return;
	for (pp = &s->by_wd[(size_t)c->wd & (BUCKETS - 1)]; *pp; pp = &(*pp)->next_by_wd) {
		if (*pp == c) {
			*pp = c->next_by_wd;
			break;
		}
	}
	c->wd = -1;
}

static void set_wd(struct pt_runtime_state *s, struct container *c, int wd)
{
	size_t b = (size_t)wd & (BUCKETS - 1);

	unlink_wd(s, c);
	c->wd = wd;
	c->next_by_wd = s->by_wd[b];
	s->by_wd[b] = c;
}

/* The timer fires for the earliest thing due: a command line to read again, or expiry. */
static void arm_timer(struct pt_runtime_state *s)
{
	uint64_t now = pt_now_ns(), due = 0;

	if (s->nr_retries)
		due = now + CMD_RETRY_NS;
	else if (s->nr_gone)
		due = now + EXPIRY_NS;
	if (!due || (s->timer_due_ns && s->timer_due_ns <= due))
		return;
	s->timer_due_ns = due;
	pt_timer_arm(s->timer_fd, due - now);
}

static void mark_gone(struct pt_runtime_state *s, struct container *c, uint64_t now)
{
	unlink_wd(s, c);
	if (!c->gone_ns) {
		c->gone_ns = now;
		s->nr_gone++;
		arm_timer(s);
	}
}

static void forget_retries(struct pt_runtime_state *s, struct container *c)
{
	for (int i = 0; i < MAX_EXECS; i++) {
		if (c->execs[i].retries)
			s->nr_retries--;
		c->execs[i].retries = 0;
	}
}

/* Forget containers whose files went away more than the grace period ago. */
static void expire(struct pt_runtime_state *s, uint64_t now)
{
	for (size_t b = 0; b < BUCKETS && s->nr_gone; b++) {
		struct container **pp = &s->by_id[b];

		while (*pp) {
			struct container *c = *pp;

			if (!c->gone_ns || now - c->gone_ns < PT_RUNTIME_STATE_GRACE_NS) {
				pp = &c->next_by_id;
				continue;
			}
			*pp = c->next_by_id;
			unlink_wd(s, c);
			forget_retries(s, c);
			free(c->meta);
			free(c);
			s->stats.containers--;
			s->nr_gone--;
		}
	}
}

/* A pid file: a decimal number and maybe a newline. 0 when unreadable. */
static uint32_t read_pid_file(struct pt_runtime_state *s, const char *path)
{
	char buf[32];
	unsigned long v;
	char *end;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			s->stats.read_errors++;
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		/* Empty: runc writes it whole with a rename, so this is someone else's file. */
		s->stats.read_errors++;
		return 0;
	}
	buf[n] = '\0';
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || v == 0 || v > 0x3fffffff) {
		s->stats.read_errors++;
		return 0;
	}
	return (uint32_t)v;
}

/* Whether host process @pid lives in container @id's cgroup: a pid is never trusted alone. */
static bool process_in_container(uint32_t pid, const char *id)
{
	char path[64], buf[2048];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, id) != NULL;
}

/*
 * argv joined by spaces, unprintable bytes as '?'; "" when it cannot be read.
 * False when it is worth reading again: the exec'd process may still be
 * runc's init, or in the middle of its execve (then it reads as empty).
 */
static bool read_command(const struct pt_runtime_state *s, uint32_t pid, const char *id, char *out,
			 size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	out[0] = '\0';
	if (!s->host_pidns)
		return true; /* /proc/<pid> would be another process */
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* gone */
	n = read(fd, out, len - 1);
	close(fd);
	if (n <= 0 || !strcmp(out, "runc") || !process_in_container(pid, id)) {
		out[0] = '\0';
		return n < 0;
	}
	while (n > 0 && out[n - 1] == '\0')
		n--;
	out[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (out[i] == '\0')
			out[i] = ' ';
		else if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
	return true;
}

static void read_meta(struct pt_runtime_state *s, struct container *c)
{
	struct pt_runtime_meta m;

	if (c->meta_read)
		return;
	c->meta_read = true;
	c->meta_err = pt_runtime_meta_lookup(&s->dirs, c->id, &m, NULL, 0);
	if (c->meta_err)
		return;
	c->meta = malloc(sizeof(*c->meta));
	if (!c->meta) {
		c->meta_err = -ENOMEM;
		return;
	}
	*c->meta = m;
}

static void learn_main_pid(struct pt_runtime_state *s, struct container *c, uint32_t pid)
{
	if (!pid || c->main_pid == pid)
		return;
	c->main_pid = pid;
	s->stats.main_pids++;
	/* The bundle is complete before the runtime starts the process: its spec is there. */
	read_meta(s, c);
}

static void learn_exec(struct pt_runtime_state *s, struct container *c, uint32_t pid)
{
	struct exec_proc *e;

	if (!pid || pid == c->main_pid)
		return;
	for (int i = 0; i < MAX_EXECS; i++)
		if (c->execs[i].pid == pid)
			return;
	e = &c->execs[c->next_exec++ % MAX_EXECS];
	if (e->retries)
		s->nr_retries--;
	e->pid = pid;
	e->retries = 0;
	if (!read_command(s, pid, c->id, e->command, sizeof(e->command))) {
		e->retries = CMD_RETRIES;
		s->nr_retries++;
		arm_timer(s);
	}
	s->stats.execs++;
}

/* Read again the command lines of execs caught before their execve was done. */
static void retry_commands(struct pt_runtime_state *s)
{
	for (size_t b = 0; b < BUCKETS && s->nr_retries; b++) {
		for (struct container *c = s->by_id[b]; c; c = c->next_by_id) {
			for (int i = 0; i < MAX_EXECS; i++) {
				struct exec_proc *e = &c->execs[i];

				if (!e->retries)
					continue;
				if (read_command(s, e->pid, c->id, e->command,
						 sizeof(e->command)) ||
				    --e->retries == 0) {
					e->retries = 0;
					s->nr_retries--;
				}
			}
		}
	}
}

/* "<64 hex>.pid": what containerd names an exec's pid file. */
static bool is_exec_pid_file(const char *name)
{
	size_t len = strlen(name);

	return len == PT_CONTAINER_ID_LEN + 4 && !strcmp(name + PT_CONTAINER_ID_LEN, ".pid") &&
	       is_container_id(name, PT_CONTAINER_ID_LEN);
}

/* A file of a watched bundle was written (or renamed into place). */
static void bundle_file(struct pt_runtime_state *s, struct container *c, const char *dir,
			const char *name)
{
	char path[PATH_MAX];

	if (strcmp(name, "init.pid") && !is_exec_pid_file(name))
		return;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return;
	if (!strcmp(name, "init.pid"))
		learn_main_pid(s, c, read_pid_file(s, path));
	else
		learn_exec(s, c, read_pid_file(s, path));
}

/* Read the pid files bundle @dir of container @c holds now. */
static void read_bundle(struct pt_runtime_state *s, struct container *c, const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	bundle_file(s, c, dir, "init.pid");
	while ((de = readdir(d)))
		if (is_exec_pid_file(de->d_name))
			bundle_file(s, c, dir, de->d_name);
	closedir(d);
}

/* Watch bundle @id of @root and read what it already holds (it may predate the watch). */
static void track_bundle(struct pt_runtime_state *s, const struct root *r, const char *id)
{
	char dir[PATH_MAX];
	struct container *c;
	int wd;

	if (snprintf(dir, sizeof(dir), "%s/%s", r->path, id) >= (int)sizeof(dir))
		return;
	c = find_or_add(s, id);
	if (!c)
		return;
	if (c->gone_ns) {
		c->gone_ns = 0;
		s->nr_gone--;
	}
	c->root = (int)(r - s->roots);
	wd = inotify_add_watch(s->inotify_fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR);
	if (wd < 0) {
		if (errno != ENOENT)
			s->stats.read_errors++;
		mark_gone(s, c, pt_now_ns());
		return;
	}
	set_wd(s, c, wd);
	read_bundle(s, c, dir);
}

/* Track every bundle @r holds now. */
static void scan_root(struct pt_runtime_state *s, struct root *r)
{
	struct dirent *de;
	DIR *d = opendir(r->path);

	if (!d)
		return;
	while ((de = readdir(d)))
		if (is_container_id(de->d_name, strlen(de->d_name)))
			track_bundle(s, r, de->d_name);
	closedir(d);
}

/*
 * Watch the nearest existing ancestor of missing root @r, to learn when it
 * appears. True when the path grew meanwhile (mkdir -p races us): try again.
 */
static bool await_root(struct pt_runtime_state *s, struct root *r)
{
	char dir[PATH_MAX];
	size_t len;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", r->path);
	while ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		r->parent_wd =
		    inotify_add_watch(s->inotify_fd, dir, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
		if (r->parent_wd >= 0) {
			/* The next component of the path, created before the watch began? */
			len = strlen(dir);
			*slash = '/';
			slash = strchr(dir + len + 1, '/');
			if (slash)
				*slash = '\0';
			return access(dir, F_OK) == 0;
		}
		if (errno != ENOENT)
			return false;
	}
	return false;
}

/* (Re)start watching a root and read the bundles it holds; or wait for it to appear. */
static void open_root(struct pt_runtime_state *s, struct root *r)
{
	for (int depth = 0; depth < 32; depth++) {
		int wd = inotify_add_watch(s->inotify_fd, r->path,
					   IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM |
					       IN_ONLYDIR | IN_DELETE_SELF | IN_MOVE_SELF);

		if (wd >= 0) {
			r->wd = wd;
			r->parent_wd = -1;
			scan_root(s, r);
			return;
		}
		if (!await_root(s, r))
			return;
	}
}

static struct root *root_by_wd(struct pt_runtime_state *s, int wd)
{
	for (size_t i = 0; i < s->nr_roots; i++)
		if (s->roots[i].wd == wd)
			return &s->roots[i];
	return NULL;
}

/* Something was created where a missing root will be: try the roots that wait there. */
static bool ancestor_event(struct pt_runtime_state *s, int wd)
{
	bool hit = false;

	for (size_t i = 0; i < s->nr_roots; i++) {
		struct root *r = &s->roots[i];

		if (r->wd >= 0 || r->parent_wd != wd)
			continue;
		hit = true;
		open_root(s, r);
	}
	return hit;
}

/* Events lost: every container may have changed. Mark all gone, then read the roots again:
 * those still there come back. */
static void rescan(struct pt_runtime_state *s)
{
	uint64_t now = pt_now_ns();

	s->stats.overflows++;
	for (size_t b = 0; b < BUCKETS; b++)
		for (struct container *c = s->by_id[b]; c; c = c->next_by_id)
			if (c->wd >= 0)
				mark_gone(s, c, now);
	for (size_t i = 0; i < s->nr_roots; i++) {
		if (s->roots[i].wd >= 0)
			scan_root(s, &s->roots[i]);
		else
			open_root(s, &s->roots[i]);
	}
}

static void root_event(struct pt_runtime_state *s, struct root *r, const struct inotify_event *ev)
{
	struct container *c;

	if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
		/* containerd's state went away (a restart cleans it): wait for it again. */
		if (ev->mask & IN_IGNORED) {
			r->wd = -1;
			open_root(s, r);
		}
		return;
	}
	if (!(ev->mask & IN_ISDIR) || !ev->len || !is_container_id(ev->name, strlen(ev->name)))
		return;
	if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
		track_bundle(s, r, ev->name);
	} else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
		c = find(s, ev->name);
		if (c)
			mark_gone(s, c, pt_now_ns());
	}
}

static void handle_event(struct pt_runtime_state *s, const struct inotify_event *ev)
{
	struct container *c;
	struct root *r;
	char dir[PATH_MAX];

	if (ev->mask & IN_Q_OVERFLOW) {
		rescan(s);
		return;
	}
	r = root_by_wd(s, ev->wd);
	if (r) {
		root_event(s, r, ev);
		return;
	}
	if (ancestor_event(s, ev->wd))
		return;
	c = find_by_wd(s, ev->wd);
	if (!c)
		return;
	if (ev->mask & IN_IGNORED) {
		/* The kernel dropped the watch: the bundle is gone. */
		mark_gone(s, c, pt_now_ns());
		return;
	}
	if (!ev->len || c->root < 0)
		return;
	snprintf(dir, sizeof(dir), "%s/%s", s->roots[c->root].path, c->id);
	bundle_file(s, c, dir, ev->name);
}

/* Handle every queued inotify event; returns at once when there is none. */
static void drain(struct pt_runtime_state *s)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		uint64_t before = pt_now_ns();
		ssize_t n = read(s->inotify_fd, buf, sizeof(buf));
		const struct inotify_event *ev;

		if (n < 0 && errno == EAGAIN)
			s->drained_ns = before; /* the queue was empty after then */
		if (n <= 0)
			return;
		for (char *p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			handle_event(s, ev);
		}
	}
}

static void on_inotify(void *ctx, int fd, uint32_t events)
{
	drain(ctx);
}

/* Command lines to read again, containers whose grace ran out; re-armed while needed. */
static void on_timer(void *ctx, int fd, uint32_t events)
{
	struct pt_runtime_state *s = ctx;
	uint64_t now = pt_now_ns();

	pt_timer_ack(fd);
	s->timer_due_ns = 0;
	retry_commands(s);
	expire(s, now);
	arm_timer(s);
}

/*
 * Whether CRI-O's run root may hold containers. Looked for at most once a
 * second while it is missing, as on every containerd node: not once per record.
 */
static bool crio_present(struct pt_runtime_state *s)
{
	uint64_t now;

	if (!s->dirs.crio_state || !s->dirs.crio_state[0])
		return false;
	now = pt_now_ns();
	if (s->crio_absent_ns && now - s->crio_absent_ns < CRIO_CHECK_NS)
		return false;
	s->crio_absent_ns = access(s->dirs.crio_state, F_OK) ? now : 0;
	return !s->crio_absent_ns;
}

/*
 * Read a container's files now: one the watches never saw, or a CRI-O one.
 * A root that is watched (or missing, and watched for) would have told of
 * a bundle it holds: an untracked container is not looked for there.
 */
static struct container *read_now(struct pt_runtime_state *s, struct container *c, const char *id,
				  enum pt_runtime rt)
{
	char path[PATH_MAX];

	if (rt != PT_RUNTIME_CRIO) {
		for (size_t i = 0; i < s->nr_roots; i++) {
			if (!c && (s->roots[i].wd >= 0 || s->roots[i].parent_wd >= 0))
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", s->roots[i].path, id) >=
				(int)sizeof(path) ||
			    access(path, F_OK))
				continue;
			c = find_or_add(s, id);
			if (!c)
				return NULL;
			read_bundle(s, c, path);
			goto found;
		}
	}
	if ((rt != PT_RUNTIME_CRIO && rt != PT_RUNTIME_UNKNOWN) || !crio_present(s) ||
	    snprintf(path, sizeof(path), "%s/overlay-containers/%s/userdata/pidfile",
		     s->dirs.crio_state, id) >= (int)sizeof(path) ||
	    access(path, F_OK))
		return NULL;
	c = find_or_add(s, id);
	if (!c)
		return NULL;
	learn_main_pid(s, c, read_pid_file(s, path));
found:
	/* Not watched: read again after the grace period if asked again. */
	if (c->wd < 0)
		mark_gone(s, c, pt_now_ns());
	return c->main_pid ? c : NULL;
}

void pt_runtime_state_ask(struct pt_runtime_state *s, const char *container_id,
			  enum pt_runtime runtime, uint32_t pid, uint64_t exit_ns,
			  struct pt_runtime_answer *out)
{
	struct container *c;

	memset(out, 0, sizeof(*out));
	if (!s || !container_id || !is_container_id(container_id, strlen(container_id)))
		return;
	/*
	 * The runtime wrote its files before the process could exit: take queued
	 * news first, unless none was queued when the last read found the queue
	 * empty, or when the loop's last wait found the inotify fd not ready (its
	 * events are read in the same batch when it was).
	 */
	if (exit_ns >= s->drained_ns) {
		uint64_t idle_ns;

		if (pt_loop_fd_was_idle(s->loop, s->inotify_fd, &idle_ns) &&
		    idle_ns > s->drained_ns)
			s->drained_ns = idle_ns;
	}
	if (exit_ns >= s->drained_ns)
		drain(s);
	c = find(s, container_id);
	if (!c || !c->main_pid) {
		struct container *now = read_now(s, c, container_id, runtime);

		c = now ? now : c;
	}
	if (!c)
		return;
	out->known = true;
	out->main_pid = c->main_pid;
	if (c->meta)
		out->kind = c->meta->sandbox ? PT_KIND_SANDBOX : PT_KIND_CONTAINER;
	for (int i = 0; i < MAX_EXECS; i++) {
		if (c->execs[i].pid == pid) {
			out->exec = true;
			memcpy(out->exec_command, c->execs[i].command, sizeof(out->exec_command));
			break;
		}
	}
}

int pt_runtime_state_meta(struct pt_runtime_state *s, const char *container_id,
			  struct pt_runtime_meta *out, char *err, size_t errlen)
{
	struct container *c = find(s, container_id);

	if (!c || !c->meta_read)
		return pt_runtime_meta_lookup(&s->dirs, container_id, out, err, errlen);
	if (c->meta) {
		*out = *c->meta;
		return 0;
	}
	/* Read once and failed: say why again, from the files as they are now. */
	return pt_runtime_meta_lookup(&s->dirs, container_id, out, err, errlen);
}

int pt_runtime_state_container_of(struct pt_runtime_state *s, uint32_t pid,
				  char id[PT_CONTAINER_ID_LEN + 1])
{
	if (!s || !pid)
		return -ENOENT;
	drain(s);
	for (size_t b = 0; b < BUCKETS; b++) {
		for (struct container *c = s->by_id[b]; c; c = c->next_by_id) {
			if (c->main_pid == pid) {
				memcpy(id, c->id, PT_CONTAINER_ID_LEN + 1);
				return 0;
			}
		}
	}
	return -ENOENT;
}

const struct pt_runtime_state_stats *pt_runtime_state_stats(const struct pt_runtime_state *s)
{
	return &s->stats;
}

static bool in_host_pidns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == INIT_PID_NS;
}

static void add_roots(struct pt_runtime_state *s)
{
	const char *state = s->dirs.containerd_state;

	if (!state || !*state)
		return;
	for (size_t i = 0; i < sizeof(containerd_namespaces) / sizeof(containerd_namespaces[0]);
	     i++) {
		struct root *r = &s->roots[s->nr_roots];

		if (snprintf(r->path, sizeof(r->path), "%s/io.containerd.runtime.v2.task/%s", state,
			     containerd_namespaces[i]) >= (int)sizeof(r->path))
			continue;
		r->wd = -1;
		r->parent_wd = -1;
		s->nr_roots++;
	}
}

int pt_runtime_state_new(struct pt_loop *loop, const struct pt_runtime_dirs *dirs,
			 struct pt_runtime_state **out, char *err, size_t errlen)
{
	struct pt_runtime_state *s = calloc(1, sizeof(*s));
	int e;

	if (!s) {
		pt_seterr(err, errlen, "runtime state: out of memory");
		return -ENOMEM;
	}
	s->loop = loop;
	if (dirs)
		s->dirs = *dirs;
	else
		pt_runtime_dirs_default(&s->dirs);
	s->host_pidns = in_host_pidns();
	s->timer_fd = -1;
	s->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->inotify_fd < 0) {
		e = -errno;
		pt_seterr(err, errlen, "inotify_init1: %s", strerror(errno));
		free(s);
		return e;
	}
	s->timer_fd = pt_loop_add_timer(loop, on_timer, s);
	e = s->timer_fd < 0 ? s->timer_fd : 0;
	if (!e)
		e = pt_loop_add(loop, s->inotify_fd, EPOLLIN, on_inotify, s);
	if (e) {
		pt_seterr(err, errlen, "runtime state: cannot watch: %s", strerror(-e));
		pt_runtime_state_free(s);
		return e;
	}
	add_roots(s);
	for (size_t i = 0; i < s->nr_roots; i++)
		open_root(s, &s->roots[i]);
	*out = s;
	return 0;
}

void pt_runtime_state_free(struct pt_runtime_state *s)
{
	if (!s)
		return;
	for (size_t b = 0; b < BUCKETS; b++) {
		struct container *c, *next;

		for (c = s->by_id[b]; c; c = next) {
			next = c->next_by_id;
			free(c->meta);
			free(c);
		}
	}
	pt_loop_close(s->loop, s->inotify_fd);
	pt_loop_close(s->loop, s->timer_fd);
	free(s);
}
