// SPDX-License-Identifier: GPL-2.0
/*
 * Static test programs for the kernel matrix guests, one binary installed
 * under several names (the name is the comm podtrail records):
 *
 *   pause        sleep in pause() until killed (a pod sandbox process)
 *   segv         read address 0: a real SIGSEGV raised by the CPU
 *   hog MIB      allocate MIB mebibytes and touch every page (an OOM victim)
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int do_pause(void)
{
	for (;;)
		pause();
}

static int do_segv(void)
{
	/* The pointer is read from memory: the compiler cannot prove it NULL. */
	volatile int *volatile p = NULL;

	return *p;
}

static int do_hog(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	/* volatile: the compiler may not drop an allocation nobody reads. */
	volatile char *buf = malloc(mib << 20);

	if (!buf) {
		fprintf(stderr, "hog: cannot allocate %zu MiB\n", mib);
		return 1;
	}
	for (size_t i = 0; i < mib << 20; i += page)
		buf[i] = 1;
	fprintf(stderr, "hog: touched %zu MiB and was not killed\n", mib);
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = basename(argv[0]);

	if (!strcmp(name, "pause"))
		return do_pause();
	if (!strcmp(name, "segv"))
		return do_segv();
	if (!strcmp(name, "hog"))
		return do_hog(argc, argv);
	fprintf(stderr, "%s: run me as pause, segv or hog\n", name);
	return 2;
}
