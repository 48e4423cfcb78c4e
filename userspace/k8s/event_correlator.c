// SPDX-License-Identifier: GPL-2.0
/*
 * Event correlation after client-go's tools/record/events_cache.go: aggregate,
 * then dedup, then spam-filter, each step with its own bounded LRU cache.
 * Function names in comments are client-go's, for side-by-side reading.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defaults.h"
#include "k8s/event_correlator.h"
#include "k8s/lru.h"
#include "k8s/random_bytes.h"

#define NSEC_PER_SEC 1000000000LL

/* client-go's LRU size; its other defaults are options' (defaults.h). */
#define DEFAULT_LRU_ENTRIES   4096
#define DNS1123_SUBDOMAIN_MAX 253

/*
 * Cache keys: the fields client-go joins, each followed by a NUL so that no
 * two different field tuples give the same key (client-go joins with "", so
 * "ab"+"c" and "a"+"bc" collide there), and a leading tag so that aggregate
 * and per-event keys, which share the dedup cache, cannot collide either.
 * Every field adds at most its array size, so the whole event bounds a key.
 */
struct cache_key {
	size_t len;
	char buf[1 + sizeof(struct pt_k8s_event)];
};

#define KEY_ADD(k, ev, field) key_add((k), (ev)->field, sizeof((ev)->field))

/* EventAggregator's aggregateRecord; the set of messages is kept as hashes. */
struct agg_record {
	int64_t last_ns;
	uint32_t n;	 /* distinct messages in keys[], oldest first */
	uint64_t keys[]; /* aggregate_max_events of them */
};

/*
 * eventLogger's eventLog. The Event's name is kept short: names are made as
 * <involved name>.<hex stamp>, and the involved name is part of the key, so
 * the stamp is enough; a name of another form (a UUID where that one would
 * not be a valid name) fits in name_other. A whole name per entry was half of
 * this cache's memory.
 */
struct log_record {
	int64_t first_ns;
	int64_t name_stamp;
	uint32_t count;
	bool name_is_stamped;
	char name_other[40];
};

/* EventSourceObjectSpamFilter's spamRecord: golang.org/x/time/rate's state. */
struct spam_record {
	double tokens;
	int64_t last_ns;
};

struct pt_correlator {
	pt_clock_fn now_ns;
	void *clock_ctx;
	unsigned agg_max_events;
	int64_t agg_interval_ns;
	double spam_qps; /* rounded through float, as client-go's float32 qps is */
	unsigned spam_burst;
	bool spam_key_with_reason;
	struct pt_lru *agg_cache;  /* aggregate key -> agg_record */
	struct pt_lru *log_cache;  /* event or aggregate key -> log_record */
	struct pt_lru *spam_cache; /* spam key -> spam_record */
};

void pt_correlator_default_config(struct pt_correlator_config *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_lru_entries = DEFAULT_LRU_ENTRIES;
	cfg->aggregate_max_events = PT_DEFAULT_AGGREGATE_MAX;
	cfg->aggregate_interval_s = PT_DEFAULT_AGGREGATE_WINDOW_S;
	cfg->spam_qps = 1.0 / PT_DEFAULT_SPAM_REFILL_S;
	cfg->spam_burst = PT_DEFAULT_SPAM_BURST;
}

int pt_correlator_new(const struct pt_correlator_config *cfg, pt_clock_fn now_ns, void *clock_ctx,
		      struct pt_correlator **out)
{
	struct pt_correlator_config conf;
	struct pt_correlator *c;
	int err;

	if (!now_ns || !out)
		return -EINVAL;
	pt_correlator_default_config(&conf);
	if (cfg) {
		/* Zero means default, as in client-go's populateDefaults. */
		if (cfg->max_lru_entries)
			conf.max_lru_entries = cfg->max_lru_entries;
		if (cfg->aggregate_max_events)
			conf.aggregate_max_events = cfg->aggregate_max_events;
		if (cfg->aggregate_interval_s)
			conf.aggregate_interval_s = cfg->aggregate_interval_s;
		if (cfg->spam_qps != 0)
			conf.spam_qps = cfg->spam_qps;
		if (cfg->spam_burst)
			conf.spam_burst = cfg->spam_burst;
		conf.spam_key_with_reason = cfg->spam_key_with_reason;
	}
	if (conf.aggregate_max_events > PT_AGGREGATE_MAX_EVENTS_LIMIT || !(conf.spam_qps > 0))
		return -EINVAL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->now_ns = now_ns;
	c->clock_ctx = clock_ctx;
	c->agg_max_events = conf.aggregate_max_events;
	c->agg_interval_ns = (int64_t)conf.aggregate_interval_s * NSEC_PER_SEC;
	c->spam_qps = (double)(float)conf.spam_qps;
	c->spam_burst = conf.spam_burst;
	c->spam_key_with_reason = conf.spam_key_with_reason;

	err = pt_lru_new(conf.max_lru_entries,
			 sizeof(struct agg_record) + conf.aggregate_max_events * sizeof(uint64_t),
			 &c->agg_cache);
	if (!err)
		err = pt_lru_new(conf.max_lru_entries, sizeof(struct log_record), &c->log_cache);
	if (!err)
		err = pt_lru_new(conf.max_lru_entries, sizeof(struct spam_record), &c->spam_cache);
	if (err) {
		pt_correlator_free(c);
		return err;
	}
	*out = c;
	return 0;
}

void pt_correlator_free(struct pt_correlator *c)
{
	if (!c)
		return;
	pt_lru_free(c->agg_cache);
	pt_lru_free(c->log_cache);
	pt_lru_free(c->spam_cache);
	free(c);
}

static void key_init(struct cache_key *k, char tag)
{
	k->buf[0] = tag;
	k->len = 1;
}

static void key_add(struct cache_key *k, const char *field, size_t size)
{
	size_t n = strnlen(field, size);

	memcpy(k->buf + k->len, field, n);
	k->len += n;
	k->buf[k->len++] = '\0';
}

/* Source and object fields common to every key, without fieldPath. */
static void key_add_source_object(struct cache_key *k, const struct pt_k8s_event *ev)
{
	KEY_ADD(k, ev, source_component);
	KEY_ADD(k, ev, source_host);
	KEY_ADD(k, ev, involved.kind);
	KEY_ADD(k, ev, involved.namespace_);
	KEY_ADD(k, ev, involved.name);
}

/* getEventKey: what makes two events the same object to patch. */
static void event_key(struct cache_key *k, const struct pt_k8s_event *ev)
{
	key_init(k, 'e');
	key_add_source_object(k, ev);
	KEY_ADD(k, ev, involved.field_path);
	KEY_ADD(k, ev, involved.uid);
	KEY_ADD(k, ev, involved.api_version);
	KEY_ADD(k, ev, type);
	KEY_ADD(k, ev, reason);
	KEY_ADD(k, ev, message);
}

/* EventAggregatorByReasonFunc's aggregate key; its local key is the message. */
static void aggregate_key(struct cache_key *k, const struct pt_k8s_event *ev)
{
	key_init(k, 'a');
	key_add_source_object(k, ev);
	KEY_ADD(k, ev, involved.uid);
	KEY_ADD(k, ev, involved.api_version);
	KEY_ADD(k, ev, type);
	KEY_ADD(k, ev, reason);
	KEY_ADD(k, ev, reporting_controller);
	KEY_ADD(k, ev, reporting_instance);
}

/* getSpamKey (with Type since client-go 1.31), optionally with the reason. */
static void spam_key(struct cache_key *k, const struct pt_k8s_event *ev, bool with_reason)
{
	key_init(k, 's');
	key_add_source_object(k, ev);
	KEY_ADD(k, ev, involved.uid);
	KEY_ADD(k, ev, involved.api_version);
	KEY_ADD(k, ev, type);
	if (with_reason)
		KEY_ADD(k, ev, reason);
}

static uint64_t message_hash(const char *s, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (size_t i = 0; i < size && s[i]; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* apimachinery's IsDNS1123Subdomain: dot-separated labels of [a-z0-9-], alnum at both ends. */
static bool is_dns1123_subdomain(const char *s)
{
	size_t len = strlen(s);
	char prev = '.';

	if (len == 0 || len > DNS1123_SUBDOMAIN_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');

		if (!alnum && ch != '-' && ch != '.')
			return false;
		/* A label may neither start nor end with '-' or '.'. */
		if (!alnum && (prev == '.' || (ch == '.' && prev == '-')))
			return false;
		prev = ch;
	}
	return prev != '.' && prev != '-';
}

static int format_uuid4(char *buf, size_t size)
{
	unsigned char b[16];
	int err;

	if (size < 37)
		return -ENOBUFS;
	err = pt_random_bytes(b, sizeof(b));
	if (err)
		return err;
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(buf, size, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}

int pt_k8s_event_name(char *buf, size_t size, const char *ref_name, int64_t unix_ns)
{
	char name[DNS1123_SUBDOMAIN_MAX + 1];
	uint64_t mag = unix_ns < 0 ? -(uint64_t)unix_ns : (uint64_t)unix_ns;
	int n;

	if (!buf || !size || !ref_name)
		return -EINVAL;
	/* Go's %x of a negative integer is its magnitude after a '-'. */
	n = snprintf(name, sizeof(name), "%s.%s%" PRIx64, ref_name, unix_ns < 0 ? "-" : "", mag);
	if (n < 0 || (size_t)n >= sizeof(name) || !is_dns1123_subdomain(name))
		return format_uuid4(buf, size);
	if ((size_t)n >= size)
		return -ENOBUFS;
	memcpy(buf, name, (size_t)n + 1);
	return 0;
}

#define TERMINATE(ev, field) ((ev)->field[sizeof((ev)->field) - 1] = '\0')

static void terminate_strings(struct pt_k8s_event *ev)
{
	TERMINATE(ev, namespace_);
	TERMINATE(ev, name);
	TERMINATE(ev, involved.kind);
	TERMINATE(ev, involved.api_version);
	TERMINATE(ev, involved.namespace_);
	TERMINATE(ev, involved.name);
	TERMINATE(ev, involved.uid);
	TERMINATE(ev, involved.field_path);
	TERMINATE(ev, source_component);
	TERMINATE(ev, source_host);
	TERMINATE(ev, reporting_controller);
	TERMINATE(ev, reporting_instance);
	TERMINATE(ev, type);
	TERMINATE(ev, reason);
	TERMINATE(ev, message);
}

/* What client-go's generateEvent (ValidateEventType) and makeEvent do. */
static int event_prepare(struct pt_k8s_event *ev, int64_t now)
{
	terminate_strings(ev);
	if (strcmp(ev->type, "Normal") != 0 && strcmp(ev->type, "Warning") != 0)
		return -EINVAL;
	if (ev->first_ns == 0)
		ev->first_ns = now;
	if (ev->last_ns == 0)
		ev->last_ns = ev->first_ns;
	if (ev->count <= 0)
		ev->count = 1;
	if (!ev->namespace_[0])
		snprintf(ev->namespace_, sizeof(ev->namespace_), "%s",
			 ev->involved.namespace_[0] ? ev->involved.namespace_ : "default");
	if (!ev->name[0])
		return pt_k8s_event_name(ev->name, sizeof(ev->name), ev->involved.name,
					 ev->first_ns);
	return 0;
}

/* prefix + message, cut to the API's length without splitting a UTF-8 sequence. */
static void aggregate_message(char *dst, size_t size, const char *msg)
{
	size_t plen = sizeof(PT_AGGREGATE_MSG_PREFIX) - 1;
	size_t mlen = strlen(msg);
	size_t room;

	if (size <= plen) {
		if (size)
			dst[0] = '\0';
		return;
	}
	room = size - 1 - plen;
	if (mlen > room) {
		/* msg[mlen] is the first byte left out: back off to its lead byte. */
		mlen = room;
		while (mlen > 0 && ((unsigned char)msg[mlen] & 0xc0) == 0x80)
			mlen--;
	}
	memcpy(dst, PT_AGGREGATE_MSG_PREFIX, plen);
	memcpy(dst + plen, msg, mlen);
	dst[plen + mlen] = '\0';
}

static bool agg_record_insert(struct agg_record *rec, uint64_t local)
{
	for (uint32_t i = 0; i < rec->n; i++)
		if (rec->keys[i] == local)
			return false;
	rec->keys[rec->n++] = local;
	return true;
}

/*
 * EventAggregate: count the distinct messages seen for the aggregate key
 * within the window; at the threshold, turn ev into the aggregate event and
 * return the aggregate key as the dedup key, else the event's own key.
 */
static int aggregate(struct pt_correlator *c, struct pt_k8s_event *ev, int64_t now,
		     struct cache_key *ckey)
{
	struct agg_record *rec;
	struct pt_k8s_event agg;
	bool found;
	void *v;
	int err;

	aggregate_key(ckey, ev);
	err = pt_lru_upsert(c->agg_cache, ckey->buf, ckey->len, &v, &found);
	if (err)
		return err;
	rec = v;
	/* A gap longer than the window starts a fresh set (strictly longer, as client-go). */
	if (!found || now - rec->last_ns > c->agg_interval_ns)
		rec->n = 0;
	agg_record_insert(rec, message_hash(ev->message, sizeof(ev->message)));
	rec->last_ns = now;

	if (rec->n < c->agg_max_events) {
		event_key(ckey, ev);
		return 0;
	}

	/*
	 * Keep the set below the threshold so every further distinct message
	 * aggregates again. client-go pops an arbitrary member (PopAny on a Go
	 * map); dropping the oldest makes the choice deterministic.
	 */
	memmove(&rec->keys[0], &rec->keys[1], (rec->n - 1) * sizeof(rec->keys[0]));
	rec->n--;

	memset(&agg, 0, sizeof(agg));
	memcpy(agg.namespace_, ev->namespace_, sizeof(agg.namespace_));
	err = pt_k8s_event_name(agg.name, sizeof(agg.name), ev->involved.name, now);
	if (err)
		return err;
	memcpy(&agg.involved, &ev->involved, sizeof(agg.involved));
	memcpy(agg.source_component, ev->source_component, sizeof(agg.source_component));
	memcpy(agg.source_host, ev->source_host, sizeof(agg.source_host));
	memcpy(agg.reporting_controller, ev->reporting_controller,
	       sizeof(agg.reporting_controller));
	memcpy(agg.reporting_instance, ev->reporting_instance, sizeof(agg.reporting_instance));
	memcpy(agg.type, ev->type, sizeof(agg.type));
	memcpy(agg.reason, ev->reason, sizeof(agg.reason));
	aggregate_message(agg.message, sizeof(agg.message), ev->message);
	agg.first_ns = agg.last_ns = now;
	agg.count = 1;
	*ev = agg;
	/* ckey still holds the aggregate key: the aggregate event is patched in place. */
	return 0;
}

/* The stamp of @name if it is <@ref_name>.<hex stamp> as pt_k8s_event_name() makes it. */
static bool name_stamp_of(const char *name, const char *ref_name, int64_t *stamp)
{
	size_t ref_len = strlen(ref_name);
	const char *hex = name + ref_len + 1;
	char again[PT_EVENT_NAME_MAX + 1];
	bool negative;
	uint64_t mag;
	char *end;

	if (strncmp(name, ref_name, ref_len) || name[ref_len] != '.')
		return false;
	negative = *hex == '-';
	if (!isxdigit((unsigned char)hex[negative]))
		return false;
	errno = 0;
	mag = strtoull(hex + negative, &end, 16);
	if (errno || *end || mag > (uint64_t)INT64_MAX)
		return false;
	*stamp = negative ? -(int64_t)mag : (int64_t)mag;
	/* Only the exact spelling: no leading zeros, no capitals. */
	return !pt_k8s_event_name(again, sizeof(again), ref_name, *stamp) && !strcmp(again, name);
}

/* Remembers @ev as written; a name neither form can hold is not remembered. */
static void log_record_set(struct log_record *rec, const struct pt_k8s_event *ev)
{
	size_t len = strlen(ev->name);

	rec->count = ev->count > 0 ? (uint32_t)ev->count : 0;
	rec->first_ns = ev->first_ns;
	rec->name_is_stamped = name_stamp_of(ev->name, ev->involved.name, &rec->name_stamp);
	if (rec->name_is_stamped)
		return;
	if (len >= sizeof(rec->name_other)) {
		rec->count = 0; /* the next such event is created anew */
		return;
	}
	memcpy(rec->name_other, ev->name, len + 1);
}

static int log_record_name(const struct log_record *rec, struct pt_k8s_event *ev)
{
	if (!rec->name_is_stamped) {
		memcpy(ev->name, rec->name_other, sizeof(rec->name_other));
		return 0;
	}
	return pt_k8s_event_name(ev->name, sizeof(ev->name), ev->involved.name, rec->name_stamp);
}

/* eventObserve: an event already written under this key becomes a patch of it. */
static int observe(struct pt_correlator *c, struct pt_k8s_event *ev, const struct cache_key *key)
{
	struct log_record *rec;
	bool found;
	void *v;
	int err;

	err = pt_lru_upsert(c->log_cache, key->buf, key->len, &v, &found);
	if (err)
		return err;
	rec = v;
	if (found && rec->count > 0) {
		err = log_record_name(rec, ev);
		if (err)
			return err;
		ev->first_ns = rec->first_ns;
		ev->count = rec->count >= INT32_MAX ? INT32_MAX : (int32_t)rec->count + 1;
	}
	log_record_set(rec, ev);
	return 0;
}

/* Go's time.Duration.Seconds(), so the token arithmetic rounds the same way. */
static double duration_seconds(int64_t ns)
{
	return (double)(ns / NSEC_PER_SEC) + (double)(ns % NSEC_PER_SEC) / 1e9;
}

/*
 * golang.org/x/time/rate Limiter.AllowN(now, 1), as client-go's token bucket
 * uses it: refill since the last accepted event, capped at the burst; take a
 * token if the wait for it rounds to zero nanoseconds. A refused call leaves
 * the state as it was.
 */
static bool token_bucket_allow(struct spam_record *rec, int64_t now, double qps, unsigned burst)
{
	int64_t last = now < rec->last_ns ? now : rec->last_ns;
	double tokens = rec->tokens + duration_seconds(now - last) * qps;

	if (tokens > burst)
		tokens = burst;
	tokens -= 1;
	/* The wait, in ns, truncates to zero below one (no int cast: it may overflow). */
	if (tokens < 0 && 1e9 * (-tokens / qps) >= 1.0)
		return false;
	if (burst < 1)
		return false;
	rec->tokens = tokens;
	rec->last_ns = now;
	return true;
}

/* EventSourceObjectSpamFilter.Filter: true if the event must be dropped. */
static int spam_filter(struct pt_correlator *c, const struct pt_k8s_event *ev, int64_t now,
		       bool *skip)
{
	struct cache_key key;
	struct spam_record *rec;
	bool found;
	void *v;
	int err;

	spam_key(&key, ev, c->spam_key_with_reason);
	err = pt_lru_upsert(c->spam_cache, key.buf, key.len, &v, &found);
	if (err)
		return err;
	rec = v;
	if (!found) {
		/* A new limiter starts full. */
		rec->tokens = c->spam_burst;
		rec->last_ns = now;
	}
	*skip = !token_bucket_allow(rec, now, c->spam_qps, c->spam_burst);
	return 0;
}

/*
 * EventCorrelate. The order is client-go's: aggregate, observe (dedup), then
 * filter; so a dropped event still counts toward aggregation and toward the
 * count of the next patch.
 */
int pt_correlator_correlate(struct pt_correlator *c, const struct pt_k8s_event *in,
			    struct pt_correlate_result *out)
{
	struct cache_key key;
	int64_t now;
	bool skip;
	int err;

	if (!c || !in || !out)
		return -EINVAL;
	now = (int64_t)c->now_ns(c->clock_ctx);
	out->event = *in;
	err = event_prepare(&out->event, now);
	if (err)
		return err;
	err = aggregate(c, &out->event, now, &key);
	if (err)
		return err;
	err = observe(c, &out->event, &key);
	if (err)
		return err;
	err = spam_filter(c, &out->event, now, &skip);
	if (err)
		return err;
	/* recordToSink patches when the count says the object exists. */
	if (skip)
		out->action = PT_CORRELATE_SKIP;
	else if (out->event.count > 1)
		out->action = PT_CORRELATE_PATCH;
	else
		out->action = PT_CORRELATE_CREATE;
	return 0;
}

/* UpdateState: keyed by the written event's own key, as client-go's updateState. */
int pt_correlator_update_state(struct pt_correlator *c, const struct pt_k8s_event *written)
{
	struct pt_k8s_event ev;
	struct cache_key key;
	bool found;
	void *v;
	int err;

	if (!c || !written)
		return -EINVAL;
	ev = *written;
	terminate_strings(&ev);
	event_key(&key, &ev);
	err = pt_lru_upsert(c->log_cache, key.buf, key.len, &v, &found);
	if (err)
		return err;
	log_record_set(v, &ev);
	return 0;
}
