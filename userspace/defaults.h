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
 * The ring buffer and its reader. 1 MiB holds 8,700 crash records of 120
 * bytes (more than 4 MiB held of the 1.3 KB records before exit records
 * named cgroups by id), and a smaller ring is warmer in the caches a crash
 * writes through.
 */
#define PT_DEFAULT_RINGBUF_SIZE	      "1M"
#define PT_DEFAULT_WAKEUP_INTERVAL_MS 5
#define PT_DEFAULT_SANDBOX_NAMES      "pause"
#define PT_DEFAULT_METRICS_ADDRESS    "127.0.0.1:9090"

#endif
