// SPDX-License-Identifier: GPL-2.0
/*
 * memhog MIB [exit]: allocate and touch MIB MiB (so the memory cgroup is
 * charged and its limit can OOM-kill us), then sleep until killed, or exit 0
 * with "exit". No signal handlers: as a container's PID 1 it ignores SIGTERM,
 * like most programs that do not expect to be PID 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t mib;
	char *p;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: memhog MIB [exit]\n");
		return 2;
	}
	mib = strtoul(argv[1], NULL, 10);
	p = malloc(mib << 20);
	if (!p) {
		perror("memhog: malloc");
		return 1;
	}
	memset(p, 0xa5, mib << 20);
	printf("memhog: touched %zu MiB\n", mib);
	fflush(stdout);
	if (argc == 3 && !strcmp(argv[2], "exit"))
		return 0;
	for (;;)
		pause();
}
