// SPDX-License-Identifier: GPL-2.0
/* A pod sandbox process, like the kubelet's pause: sleep until told to stop. */
#include <signal.h>
#include <unistd.h>

static void stop(int sig)
{
	_exit(0);
}

int main(void)
{
	signal(SIGINT, stop);
	signal(SIGTERM, stop);
	for (;;)
		pause();
}
