// SPDX-License-Identifier: GPL-2.0
/*
 * The pod sandbox's pause, as registry.k8s.io/pause does it: as PID 1 of a pid
 * namespace a signal without a handler is ignored, so TERM and INT need one to
 * stop the sandbox; with shareProcessNamespace (pid=POD) it is the pod's init
 * and must reap orphans, or they stay zombies.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig)
{
	(void)sig;
	_exit(0);
}

static void reap(int sig)
{
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int main(void)
{
	struct sigaction stop_sa = { .sa_handler = stop };
	struct sigaction reap_sa = { .sa_handler = reap, .sa_flags = SA_NOCLDSTOP | SA_RESTART };

	sigaction(SIGINT, &stop_sa, NULL);
	sigaction(SIGTERM, &stop_sa, NULL);
	sigaction(SIGCHLD, &reap_sa, NULL);
	for (;;)
		pause();
}
