// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>
#include "classify.h"
#include "k8s/event_build.h"

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

void pt_k8s_event_build(const struct pt_emitted *e, struct pt_k8s_event *out)
{
	memset(out, 0, sizeof(*out));
	if (e->pod) {
		copy(out->namespace_, sizeof(out->namespace_), e->pod->namespace_);
		copy(out->involved.kind, sizeof(out->involved.kind), "Pod");
		copy(out->involved.namespace_, sizeof(out->involved.namespace_),
		     e->pod->namespace_);
		copy(out->involved.name, sizeof(out->involved.name), e->pod->name);
		copy(out->involved.uid, sizeof(out->involved.uid), e->pod->uid);
		copy(out->involved.field_path, sizeof(out->involved.field_path),
		     e->pod->field_path);
	} else {
		/* The kubelet's node reference: cluster-scoped, uid = name. */
		copy(out->namespace_, sizeof(out->namespace_), "default");
		copy(out->involved.kind, sizeof(out->involved.kind), "Node");
		copy(out->involved.name, sizeof(out->involved.name), e->node);
		copy(out->involved.uid, sizeof(out->involved.uid), e->node);
	}
	copy(out->involved.api_version, sizeof(out->involved.api_version), "v1");
	copy(out->source_component, sizeof(out->source_component), PT_COMPONENT);
	copy(out->source_host, sizeof(out->source_host), e->node);
	copy(out->reporting_controller, sizeof(out->reporting_controller), PT_COMPONENT);
	copy(out->reporting_instance, sizeof(out->reporting_instance), e->node);
	copy(out->type, sizeof(out->type), e->report->warning ? "Warning" : "Normal");
	copy(out->reason, sizeof(out->reason), pt_reason_name(e->report->reason));
	copy(out->message, sizeof(out->message), e->report->message);
	out->first_ns = e->wall_ns;
	out->last_ns = e->wall_ns;
	out->count = 1;
}

void pt_k8s_time(int64_t wall_ns, char *buf, size_t len)
{
	time_t secs = (time_t)(wall_ns / 1000000000LL);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void pt_k8s_micro_time(int64_t wall_ns, char *buf, size_t len)
{
	time_t secs = (time_t)(wall_ns / 1000000000LL);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06lldZ", (long long)(wall_ns % 1000000000LL / 1000));
}

static void put_str(struct json_object *o, const char *key, const char *val)
{
	if (val && val[0])
		json_object_object_add(o, key, json_object_new_string(val));
}

static void put_time(struct json_object *o, const char *key, int64_t ns, bool micro)
{
	char buf[64];

	if (micro)
		pt_k8s_micro_time(ns, buf, sizeof(buf));
	else
		pt_k8s_time(ns, buf, sizeof(buf));
	json_object_object_add(o, key, json_object_new_string(buf));
}

static struct json_object *object_ref(const struct pt_k8s_event *ev)
{
	struct json_object *ref = json_object_new_object();

	put_str(ref, "kind", ev->involved.kind);
	put_str(ref, "namespace", ev->involved.namespace_);
	put_str(ref, "name", ev->involved.name);
	put_str(ref, "uid", ev->involved.uid);
	put_str(ref, "apiVersion", ev->involved.api_version);
	put_str(ref, "fieldPath", ev->involved.field_path);
	return ref;
}

static struct json_object *metadata(const struct pt_k8s_event *ev)
{
	struct json_object *md = json_object_new_object();

	put_str(md, "name", ev->name);
	put_str(md, "namespace", ev->namespace_);
	return md;
}

static char *to_string(struct json_object *o)
{
	char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

	json_object_put(o);
	return s;
}

static struct json_object *core_v1(const struct pt_k8s_event *ev)
{
	struct json_object *o = json_object_new_object();
	struct json_object *src = json_object_new_object();

	put_str(o, "apiVersion", "v1");
	put_str(o, "kind", "Event");
	json_object_object_add(o, "metadata", metadata(ev));
	json_object_object_add(o, "involvedObject", object_ref(ev));
	put_str(o, "reason", ev->reason);
	put_str(o, "message", ev->message);
	put_str(src, "component", ev->source_component);
	put_str(src, "host", ev->source_host);
	json_object_object_add(o, "source", src);
	put_time(o, "firstTimestamp", ev->first_ns, false);
	put_time(o, "lastTimestamp", ev->last_ns, false);
	json_object_object_add(o, "count", json_object_new_int(ev->count));
	put_str(o, "type", ev->type);
	put_str(o, "reportingComponent", ev->reporting_controller);
	put_str(o, "reportingInstance", ev->reporting_instance);
	return o;
}

static struct json_object *series(const struct pt_k8s_event *ev)
{
	struct json_object *s = json_object_new_object();

	json_object_object_add(s, "count", json_object_new_int(ev->count));
	put_time(s, "lastObservedTime", ev->last_ns, true);
	return s;
}

static struct json_object *events_v1(const struct pt_k8s_event *ev)
{
	struct json_object *o = json_object_new_object();

	put_str(o, "apiVersion", "events.k8s.io/v1");
	put_str(o, "kind", "Event");
	json_object_object_add(o, "metadata", metadata(ev));
	put_time(o, "eventTime", ev->first_ns, true);
	put_str(o, "reportingController", ev->reporting_controller);
	put_str(o, "reportingInstance", ev->reporting_instance);
	/* action: what the reporter observed; the reason says it best. */
	put_str(o, "action", ev->reason);
	put_str(o, "reason", ev->reason);
	json_object_object_add(o, "regarding", object_ref(ev));
	put_str(o, "note", ev->message);
	put_str(o, "type", ev->type);
	if (ev->count > 1)
		json_object_object_add(o, "series", series(ev));
	return o;
}

char *pt_k8s_event_create_body(const struct pt_k8s_event *ev, enum pt_events_api api)
{
	return to_string(api == PT_EVENTS_V1 ? events_v1(ev) : core_v1(ev));
}

char *pt_k8s_event_patch_body(const struct pt_k8s_event *ev, enum pt_events_api api)
{
	struct json_object *o = json_object_new_object();

	if (api == PT_EVENTS_V1) {
		json_object_object_add(o, "series", series(ev));
	} else {
		json_object_object_add(o, "count", json_object_new_int(ev->count));
		put_time(o, "lastTimestamp", ev->last_ns, false);
		put_str(o, "message", ev->message);
	}
	return to_string(o);
}

int pt_k8s_event_path(enum pt_events_api api, const char *namespace_, const char *name, char *buf,
		      size_t len)
{
	const char *prefix = api == PT_EVENTS_V1 ? "/apis/events.k8s.io/v1" : "/api/v1";
	int n;

	if (name)
		n = snprintf(buf, len, "%s/namespaces/%s/events/%s", prefix, namespace_, name);
	else
		n = snprintf(buf, len, "%s/namespaces/%s/events", prefix, namespace_);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
