// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include "event_loop.h"

struct watch {
	int fd;
	bool dead; /* removed during a batch: freed when the batch ends */
	pt_fd_handler fn;
	void *ctx;
	struct watch *next;
};

struct deadline {
	uint64_t due_ns; /* 0: not armed */
	pt_deadline_fn fn;
	void *ctx;
};

#define MAX_EVENTS 16

struct pt_loop {
	int epfd;
	bool stop;
	bool dispatching;
	/* The last wait's ready fds, and a time at or before the one it collected them. */
	int nr_ready;
	int ready_fds[MAX_EVENTS];
	uint64_t collected_after_ns;
	struct watch *watches;
	struct watch *graveyard; /* removed while dispatching */
	struct deadline deadlines[PT_LOOP_MAX_DEADLINES];
	int nr_deadlines;
};

int pt_loop_new(struct pt_loop **out)
{
	struct pt_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return -ENOMEM;
	loop->nr_ready = -1;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		int e = -errno;

		free(loop);
		return e;
	}
	*out = loop;
	return 0;
}

void pt_loop_free(struct pt_loop *loop)
{
	struct watch *w, *next;

	if (!loop)
		return;
	for (w = loop->watches; w; w = next) {
		next = w->next;
		free(w);
	}
	for (w = loop->graveyard; w; w = next) {
		next = w->next;
		free(w);
	}
	close(loop->epfd);
	free(loop);
}

static struct watch *find_watch(struct pt_loop *loop, int fd)
{
	for (struct watch *w = loop->watches; w; w = w->next)
		if (w->fd == fd)
			return w;
	return NULL;
}

int pt_loop_add(struct pt_loop *loop, int fd, uint32_t events, pt_fd_handler fn, void *ctx)
{
	struct watch *w = find_watch(loop, fd);
	struct epoll_event ev = { .events = events };
	int op = w ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w)
			return -ENOMEM;
		w->fd = fd;
		w->next = loop->watches;
		loop->watches = w;
	}
	w->fn = fn;
	w->ctx = ctx;
	ev.data.ptr = w;
	if (epoll_ctl(loop->epfd, op, fd, &ev) < 0) {
		int e = -errno;

		if (op == EPOLL_CTL_ADD)
			pt_loop_remove(loop, fd);
		return e;
	}
	return 0;
}

int pt_loop_remove(struct pt_loop *loop, int fd)
{
	struct watch **pp = &loop->watches;

	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->fd == fd) {
			struct watch *w = *pp;

			*pp = w->next;
			/* A later event of this batch may still point at it. */
			if (loop->dispatching) {
				w->dead = true;
				w->next = loop->graveyard;
				loop->graveyard = w;
			} else {
				free(w);
			}
			return 0;
		}
	}
	return -ENOENT;
}

int pt_loop_add_deadline(struct pt_loop *loop, pt_deadline_fn fn, void *ctx)
{
	if (loop->nr_deadlines >= PT_LOOP_MAX_DEADLINES)
		return -ENOSPC;
	loop->deadlines[loop->nr_deadlines] = (struct deadline){ 0, fn, ctx };
	return loop->nr_deadlines++;
}

void pt_loop_set_deadline(struct pt_loop *loop, int id, uint64_t due_ns)
{
	if (id >= 0 && id < loop->nr_deadlines)
		loop->deadlines[id].due_ns = due_ns;
}

/* @timeout_ms shortened to the earliest deadline, rounded up: never woken early. */
static int wait_ms(const struct pt_loop *loop, int timeout_ms, uint64_t now)
{
	uint64_t first = 0, ms;

	for (int i = 0; i < loop->nr_deadlines; i++)
		if (loop->deadlines[i].due_ns && (!first || loop->deadlines[i].due_ns < first))
			first = loop->deadlines[i].due_ns;
	if (!first)
		return timeout_ms;
	ms = first > now ? (first - now + 999999) / 1000000 : 0;
	if (timeout_ms >= 0 && (uint64_t)timeout_ms < ms)
		return timeout_ms;
	return ms > 3600000 ? 3600000 : (int)ms;
}

static void run_deadlines(struct pt_loop *loop)
{
	uint64_t now = 0;

	for (int i = 0; i < loop->nr_deadlines && !loop->stop; i++) {
		struct deadline *d = &loop->deadlines[i];

		if (!d->due_ns)
			continue;
		if (!now)
			now = pt_now_ns();
		if (d->due_ns > now)
			continue;
		d->due_ns = 0; /* the handler may arm it again */
		d->fn(d->ctx);
	}
}

int pt_loop_run_once(struct pt_loop *loop, int timeout_ms)
{
	struct epoll_event evs[MAX_EVENTS];
	uint64_t called_ns = pt_now_ns();
	int ms = wait_ms(loop, timeout_ms, called_ns);
	int n = epoll_wait(loop->epfd, evs, MAX_EVENTS, ms);

	loop->nr_ready = -1;
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	/*
	 * A full array may have left ready fds out; otherwise every fd not in
	 * it was not ready when the kernel looked, which was after the call
	 * and, when the wait timed out, after its timeout.
	 */
	if (n < MAX_EVENTS) {
		loop->nr_ready = n;
		loop->collected_after_ns =
		    called_ns + (n == 0 && ms > 0 ? (uint64_t)ms * 1000000 : 0);
		for (int i = 0; i < n; i++)
			loop->ready_fds[i] = ((struct watch *)evs[i].data.ptr)->fd;
	}
	loop->dispatching = true;
	for (int i = 0; i < n && !loop->stop; i++) {
		struct watch *w = evs[i].data.ptr;

		if (!w->dead)
			w->fn(w->ctx, w->fd, evs[i].events);
	}
	loop->dispatching = false;
	while (loop->graveyard) {
		struct watch *w = loop->graveyard;

		loop->graveyard = w->next;
		free(w);
	}
	run_deadlines(loop);
	return 0;
}

bool pt_loop_fd_was_idle(const struct pt_loop *loop, int fd, uint64_t *at_ns)
{
	if (loop->nr_ready < 0)
		return false;
	for (int i = 0; i < loop->nr_ready; i++)
		if (loop->ready_fds[i] == fd)
			return false;
	*at_ns = loop->collected_after_ns;
	return true;
}

int pt_loop_run(struct pt_loop *loop)
{
	while (!loop->stop) {
		int e = pt_loop_run_once(loop, -1);

		if (e)
			return e;
	}
	return 0;
}

void pt_loop_stop(struct pt_loop *loop)
{
	loop->stop = true;
}

void pt_loop_resume(struct pt_loop *loop)
{
	loop->stop = false;
}

int pt_timer_new(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int pt_loop_add_timer(struct pt_loop *loop, pt_fd_handler fn, void *ctx)
{
	int fd = pt_timer_new();
	int e;

	if (fd < 0)
		return fd;
	e = pt_loop_add(loop, fd, EPOLLIN, fn, ctx);
	if (e) {
		close(fd);
		return e;
	}
	return fd;
}

void pt_loop_close(struct pt_loop *loop, int fd)
{
	if (fd < 0)
		return;
	pt_loop_remove(loop, fd);
	close(fd);
}

int pt_timer_arm(int fd, uint64_t ns)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = (time_t)(ns / 1000000000ULL);
	its.it_value.tv_nsec = (long)(ns % 1000000000ULL);
	return timerfd_settime(fd, 0, &its, NULL) < 0 ? -errno : 0;
}

void pt_timer_ack(int fd)
{
	uint64_t expirations;

	/* One read returns every expiration so far. */
	if (read(fd, &expirations, sizeof(expirations)) < 0)
		return;
}

uint64_t pt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
