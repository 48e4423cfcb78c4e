/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capabilities: check at start-up that the agent holds what loading and
 * attaching BPF programs needs (naming what is missing and the manifest line
 * that grants it), and drop everything once the programs are attached.
 */
#ifndef PODTRAIL_CAPS_H
#define PODTRAIL_CAPS_H

#include <stddef.h>

/* 0 when loading can work; -EPERM with the missing capabilities explained in @err. */
int pt_caps_check(char *err, size_t errlen);
/*
 * Drop every capability (effective, permitted, inheritable, ambient) and set
 * no_new_privs. Keeps CAP_BPF only where the kernel needs it to read maps
 * (before 5.19 with unprivileged BPF disabled). Returns 0 or -errno.
 */
int pt_caps_drop(void);

#endif
