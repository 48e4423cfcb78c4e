/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The option table: every flag with its short form, environment variable,
 * default, help and how its value is parsed into struct pt_options. Parsing,
 * --help, the man page and README's table all walk it.
 */
#ifndef PODTRAIL_OPTION_TABLE_H
#define PODTRAIL_OPTION_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include "options.h"

enum pt_opt_kind {
	PT_OPT_CHOICE, /* one of choices[]: its value into the field (a switch: yes/no) */
	PT_OPT_NUMBER, /* decimal in [min, max], times scale, into the field */
	PT_OPT_TEXT,   /* the string itself; empty unsets it (NULL) */
	PT_OPT_CUSTOM, /* parse() checks and stores it */
};

struct pt_opt_choice {
	const char *name;
	int value;
};

struct pt_option {
	const char *name; /* the long flag, without "--" */
	char short_name;  /* 0: none */
	const char *env;  /* NULL: no environment variable */
	const char *arg;  /* what the value is, in --help; NULL: a bare flag */
	const char *def;  /* the default, parsed like any value; NULL: none */
	const char *bare; /* the value of the flag given without one (switches, --help) */
	const char *help; /* one sentence, no default in it: def is appended */
	enum pt_opt_kind kind;
	size_t offset;			     /* of the field in struct pt_options */
	size_t size;			     /* of that field */
	const struct pt_opt_choice *choices; /* PT_OPT_CHOICE: NULL-terminated */
	uint64_t min, max, scale;	     /* PT_OPT_NUMBER */
	int (*parse)(const char *value, struct pt_options *o); /* PT_OPT_CUSTOM: 0 or -EINVAL */
};

extern const struct pt_option pt_option_table[];
extern const size_t pt_option_count;

#endif
