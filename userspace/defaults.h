/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The defaults of the options that configure modules, in one place: the
 * option table shows and applies them, and the modules' *_default_config()
 * (what the unit tests build on) start from them. Plain literals, so that
 * PT_STR() can turn them into the text --help shows.
 */
#ifndef PODTRAIL_DEFAULTS_H
#define PODTRAIL_DEFAULTS_H

#define PT_STR_(x) #x
#define PT_STR(x)  PT_STR_(x)

#define PT_NSEC_PER_MSEC 1000000ULL
#define PT_NSEC_PER_SEC	 1000000000ULL

/* The attributor's hold of events whose pod is not known yet. */
#define PT_DEFAULT_HOLD_TIME_MS 10000
#define PT_DEFAULT_HOLD_MAX	1000
/* A deleted pod is kept this long for its containers' late exits. */
#define PT_DEFAULT_POD_TOMBSTONE_S 120
/* The Event sink. */
#define PT_DEFAULT_QUEUE_SIZE	     1000
#define PT_DEFAULT_MAX_TRIES	     12
#define PT_DEFAULT_SHUTDOWN_GRACE_MS 5000
/* The correlator: client-go's tools/record defaults (events_cache.go). */
#define PT_DEFAULT_SPAM_BURST	      25
#define PT_DEFAULT_SPAM_REFILL_S      300
#define PT_DEFAULT_AGGREGATE_MAX      10
#define PT_DEFAULT_AGGREGATE_WINDOW_S 600
/*
 * The ring buffer and its reader. "auto" is 64 KiB for each possible CPU
 * (512 crash records of 128 bytes: a burst grows with the CPUs that make
 * it), at least 256 KiB and at most 16 MiB. A crash writes its record
 * through lines last touched a lap of the ring ago, so a ring that stays in
 * the caches costs less a record: on the 2-CPU development VM a crash cost
 * 1,224 ns of kernel time with 1 MiB and 1,145 with 256 KiB (medians).
 */
#define PT_DEFAULT_RINGBUF_SIZE	      "auto"
#define PT_RINGBUF_PER_CPU	      (64U * 1024)
#define PT_RINGBUF_AUTO_MIN	      (256U * 1024)
#define PT_RINGBUF_AUTO_MAX	      (16U * 1024 * 1024)
#define PT_DEFAULT_WAKEUP_INTERVAL_MS 5
#define PT_DEFAULT_SANDBOX_NAMES      "pause"
#define PT_DEFAULT_METRICS_ADDRESS    "127.0.0.1:9090"

#endif
