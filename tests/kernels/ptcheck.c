// SPDX-License-Identifier: GPL-2.0
/*
 * ptcheck: assert the fields of one podtrail JSON event, inside a guest that
 * has no python. Waits for the first event in FILE (one JSON object a line,
 * as `podtrail --output json` writes) that satisfies every WHERE condition,
 * then checks every EXPECT condition against it.
 *
 *   ptcheck [-t SECONDS] [-n NAME] FILE WHERE... -- EXPECT...
 *
 * A condition is PATH=VALUE (equal), PATH~TEXT (contains) or PATH>NUMBER;
 * PATH is dotted (process.pid, exit.signal_name). Values compare as text:
 * strings as themselves, null (or a missing field) as "null", booleans as
 * "true"/"false", numbers in decimal.
 *
 * Exit status: 0 all held, 1 an expectation failed, 2 no event matched in
 * time, 3 usage. Failures are printed on stdout, one line each, prefixed
 * with NAME.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

struct cond {
	char path[128];
	char op;
	const char *value;
};

static const char *name = "ptcheck";

static int parse_cond(const char *s, struct cond *c)
{
	size_t n = strcspn(s, "=~>");

	if (!s[n] || n == 0 || n >= sizeof(c->path))
		return -EINVAL;
	memcpy(c->path, s, n);
	c->path[n] = '\0';
	c->op = s[n];
	c->value = s + n + 1;
	return 0;
}

/* The value at a dotted path, or NULL when missing or null. */
static struct json_object *lookup(struct json_object *o, const char *path)
{
	char buf[128], *save = NULL, *key;

	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, ".", &save); key && o; key = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
	return o;
}

static const char *render(struct json_object *v)
{
	if (!v)
		return "null";
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

static bool holds(struct json_object *ev, const struct cond *c)
{
	struct json_object *v = lookup(ev, c->path);
	const char *got = render(v);

	switch (c->op) {
	case '=':
		return !strcmp(got, c->value);
	case '~':
		return v && strstr(got, c->value);
	case '>':
		return v &&
		       (json_object_is_type(v, json_type_int) ||
			json_object_is_type(v, json_type_double)) &&
		       json_object_get_double(v) > strtod(c->value, NULL);
	}
	return false;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The first event of @file that satisfies all of @where, or NULL. */
static struct json_object *find(const char *file, const struct cond *where, int nwhere,
				struct json_object **last)
{
	struct json_object *found = NULL;
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen(file, "r");

	if (!f)
		return NULL;
	while (!found && getline(&line, &cap, f) > 0) {
		struct json_object *ev = json_tokener_parse(line);
		bool all = ev != NULL;

		for (int i = 0; all && i < nwhere; i++)
			all = holds(ev, &where[i]);
		if (all) {
			found = ev;
		} else if (ev) {
			json_object_put(*last);
			*last = ev;
		}
	}
	free(line);
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	struct cond where[32], expect[32];
	int nwhere = 0, nexpect = 0, failed = 0, opt;
	struct json_object *ev = NULL, *last = NULL;
	double timeout = 10, deadline;
	bool after = false;
	const char *file;

	while ((opt = getopt(argc, argv, "+t:n:")) != -1) {
		if (opt == 't')
			timeout = strtod(optarg, NULL);
		else if (opt == 'n')
			name = optarg;
		else
			return 3;
	}
	if (optind >= argc) {
		fprintf(stderr,
			"usage: ptcheck [-t SECONDS] [-n NAME] FILE WHERE... -- EXPECT...\n");
		return 3;
	}
	file = argv[optind++];
	for (; optind < argc; optind++) {
		struct cond *c;

		if (!strcmp(argv[optind], "--")) {
			after = true;
			continue;
		}
		if ((after ? nexpect : nwhere) >= 32)
			return 3;
		c = after ? &expect[nexpect++] : &where[nwhere++];
		if (parse_cond(argv[optind], c)) {
			fprintf(stderr, "ptcheck: bad condition '%s'\n", argv[optind]);
			return 3;
		}
	}

	deadline = now() + timeout;
	while (!(ev = find(file, where, nwhere, &last)) && now() < deadline)
		usleep(50 * 1000);
	if (!ev) {
		printf("%s: no event with", name);
		for (int i = 0; i < nwhere; i++)
			printf(" %s%c%s", where[i].path, where[i].op, where[i].value);
		printf(" within %gs; last event: %s\n", timeout, last ? render(last) : "none");
		return 2;
	}
	for (int i = 0; i < nexpect; i++) {
		if (holds(ev, &expect[i]))
			continue;
		printf("%s: %s: got '%s', want %s'%s'\n", name, expect[i].path,
		       render(lookup(ev, expect[i].path)),
		       expect[i].op == '='   ? ""
		       : expect[i].op == '~' ? "text containing "
					     : "> ",
		       expect[i].value);
		failed = 1;
	}
	if (failed)
		printf("%s: event: %s\n", name, render(ev));
	return failed;
}
