// SPDX-License-Identifier: GPL-2.0
/* Defaults, then PODTRAIL_* variables, then flags, each value parsed as the option table says. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "option_table.h"
#include "options.h"

/* getopt_long's value for entry @i: its short letter, or past every char. */
#define LONG_ONLY_BASE 256

static int opt_val(size_t i)
{
	const struct pt_option *d = &pt_option_table[i];

	return d->short_name ? d->short_name : LONG_ONLY_BASE + (int)i;
}

static int has_arg(const struct pt_option *d)
{
	if (!d->arg)
		return no_argument;
	return d->bare ? optional_argument : required_argument;
}

static void store(struct pt_options *o, const struct pt_option *d, uint64_t v)
{
	char *field = (char *)o + d->offset;
	uint8_t v8 = (uint8_t)v;
	uint32_t v32 = (uint32_t)v;

	/* The table's FIELD() took the size from the field itself. */
	if (d->size == sizeof(v8))
		memcpy(field, &v8, sizeof(v8));
	else if (d->size == sizeof(v32))
		memcpy(field, &v32, sizeof(v32));
	else
		memcpy(field, &v, sizeof(v));
}

static int parse_number(const struct pt_option *d, const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s[0] || s[0] == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < d->min || v > d->max)
		return -EINVAL;
	*out = v * d->scale;
	return 0;
}

static int parse_value(struct pt_options *o, const struct pt_option *d, const char *s)
{
	const struct pt_opt_choice *c;
	uint64_t v;

	switch (d->kind) {
	case PT_OPT_CHOICE:
		for (c = d->choices; c->name; c++) {
			if (!strcmp(c->name, s)) {
				store(o, d, (uint64_t)c->value);
				return 0;
			}
		}
		return -EINVAL;
	case PT_OPT_NUMBER:
		if (parse_number(d, s, &v))
			return -EINVAL;
		store(o, d, v);
		return 0;
	case PT_OPT_TEXT:
		if (!s[0])
			s = NULL;
		memcpy((char *)o + d->offset, &s, sizeof(s));
		return 0;
	case PT_OPT_CUSTOM:
		return d->parse(s, o);
	}
	return -EINVAL;
}

/* @source names where the value came from: "--name", the variable, or the default. */
static int apply(struct pt_options *o, const struct pt_option *d, const char *value,
		 const char *source, FILE *err)
{
	if (!value)
		value = d->bare;
	if (!parse_value(o, d, value))
		return 0;
	fprintf(err, "podtrail: invalid value '%s' for %s: expected %s\n", value, source,
		d->arg ? d->arg : "yes or no");
	return -EINVAL;
}

static const char *env_lookup(char **envp, const char *name)
{
	size_t len = strlen(name);

	for (char **e = envp; e && *e; e++)
		if (!strncmp(*e, name, len) && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

static int apply_defaults_and_env(struct pt_options *o, char **envp, FILE *err)
{
	char source[80];

	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < pt_option_count; i++) {
		const struct pt_option *d = &pt_option_table[i];
		const char *val = d->env ? env_lookup(envp, d->env) : NULL;

		snprintf(source, sizeof(source), "the default of --%s", d->name);
		if (d->def && apply(o, d, d->def, source, err))
			return -EINVAL;
		if (val && apply(o, d, val, d->env, err))
			return -EINVAL;
	}
	if (!o->node_name)
		o->node_name = env_lookup(envp, "NODE_NAME");
	return 0;
}

/* getopt_long's tables from the option table: ":o:v:h::" and the long options. */
static void getopt_tables(struct option *longopts, char *shortopts, size_t len)
{
	size_t n = 0;

	shortopts[n++] = ':';
	for (size_t i = 0; i < pt_option_count; i++) {
		const struct pt_option *d = &pt_option_table[i];

		longopts[i] = (struct option){ d->name, has_arg(d), NULL, opt_val(i) };
		if (!d->short_name || n + 4 > len)
			continue;
		shortopts[n++] = d->short_name;
		if (has_arg(d) != no_argument)
			shortopts[n++] = ':';
		if (has_arg(d) == optional_argument)
			shortopts[n++] = ':';
	}
	shortopts[n] = '\0';
	memset(&longopts[pt_option_count], 0, sizeof(longopts[0]));
}

static const struct pt_option *find_by_val(int val)
{
	for (size_t i = 0; i < pt_option_count; i++)
		if (opt_val(i) == val)
			return &pt_option_table[i];
	return NULL;
}

int pt_options_parse(int argc, char **argv, char **envp, struct pt_options *o, FILE *err)
{
	struct option longopts[pt_option_count + 1];
	char shortopts[64], source[80];
	const struct pt_option *d;
	int c;

	if (apply_defaults_and_env(o, envp, err))
		return -EINVAL;
	getopt_tables(longopts, shortopts, sizeof(shortopts));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (c == '?') {
			if (optopt)
				fprintf(err, "podtrail: unknown option '-%c'\n", optopt);
			else
				fprintf(err, "podtrail: unknown option '%s'\n", argv[optind - 1]);
			return -EINVAL;
		}
		if (c == ':') {
			fprintf(err, "podtrail: option '%s' needs a value\n", argv[optind - 1]);
			return -EINVAL;
		}
		d = find_by_val(c);
		snprintf(source, sizeof(source), "--%s", d->name);
		if (apply(o, d, optarg, source, err))
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(err, "podtrail: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

void pt_options_runtime_dirs(const struct pt_options *o, struct pt_runtime_dirs *dirs)
{
	pt_runtime_dirs_default(dirs);
	if (o->containerd_state)
		dirs->containerd_state = o->containerd_state;
	if (o->crio_state)
		dirs->crio_state = o->crio_state;
	if (o->crio_storage)
		dirs->crio_storage = o->crio_storage;
	if (o->docker_root)
		dirs->docker_root = o->docker_root;
}
