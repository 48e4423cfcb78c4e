/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PODTRAIL_VERSION_H
#define PODTRAIL_VERSION_H

#define PODTRAIL_VERSION "0.1.0"

#endif
