/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One epoll loop drives the daemon: every source of work (ring buffer,
 * timers, signals, sockets) registers a file descriptor and a handler.
 */
#ifndef PODTRAIL_EVENT_LOOP_H
#define PODTRAIL_EVENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct pt_loop;
/* Called with the epoll events that fired on @fd. */
typedef void (*pt_fd_handler)(void *ctx, int fd, uint32_t events);
/* Called once the loop has passed a deadline. */
typedef void (*pt_deadline_fn)(void *ctx);

int pt_loop_new(struct pt_loop **out);
void pt_loop_free(struct pt_loop *loop);
/* Watch @fd for @events (EPOLLIN, ...); re-adding an fd modifies it. */
int pt_loop_add(struct pt_loop *loop, int fd, uint32_t events, pt_fd_handler fn, void *ctx);
int pt_loop_remove(struct pt_loop *loop, int fd);
/* Wait up to @timeout_ms (-1: forever) and handle what fired; returns 0 or -errno. */
int pt_loop_run_once(struct pt_loop *loop, int timeout_ms);
/*
 * Whether the last wait found @fd not ready (level-triggered: nothing to
 * read), and a time at or before the moment it looked: @at_ns. False when
 * it cannot tell (no wait yet, a failed one, or one that filled its array).
 */
bool pt_loop_fd_was_idle(const struct pt_loop *loop, int fd, uint64_t *at_ns);
/* Run until pt_loop_stop(); returns 0 or -errno from epoll_wait. */
int pt_loop_run(struct pt_loop *loop);
void pt_loop_stop(struct pt_loop *loop);
/* Clear a previous stop so the loop can run again (e.g. to flush at shutdown). */
void pt_loop_resume(struct pt_loop *loop);

/*
 * A deadline kept by the loop itself: it bounds epoll_wait's timeout, so
 * firing costs no timerfd and no syscall besides the wait. For work that is
 * re-armed on every wake-up (the ring reader's polls). Returns its id (>= 0)
 * or -errno; a loop has at most PT_LOOP_MAX_DEADLINES.
 */
#define PT_LOOP_MAX_DEADLINES 4
int pt_loop_add_deadline(struct pt_loop *loop, pt_deadline_fn fn, void *ctx);
/* Run deadline @id's handler once CLOCK_MONOTONIC passes @due_ns; 0 cancels. */
void pt_loop_set_deadline(struct pt_loop *loop, int id, uint64_t due_ns);

/* A CLOCK_MONOTONIC timerfd: one-shot after @ns, 0 disarms. */
int pt_timer_new(void);
/* A timerfd handled by @fn in @loop (disarmed): its fd, or -errno. */
int pt_loop_add_timer(struct pt_loop *loop, pt_fd_handler fn, void *ctx);
/* Stop watching @fd and close it; nothing when @fd < 0. */
void pt_loop_close(struct pt_loop *loop, int fd);
int pt_timer_arm(int fd, uint64_t ns);
/* Drain the expiry count so a level-triggered loop does not spin. */
void pt_timer_ack(int fd);

uint64_t pt_now_ns(void); /* CLOCK_MONOTONIC */

#endif
