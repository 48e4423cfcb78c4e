// SPDX-License-Identifier: GPL-2.0
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "signals.h"

const char *pt_signal_name(int sig, char buf[16])
{
	const char *abbrev = sig > 0 && sig < SIGRTMIN ? sigabbrev_np(sig) : NULL;

	if (abbrev)
		snprintf(buf, 16, "SIG%s", abbrev);
	else
		snprintf(buf, 16, "SIG%d", sig);
	return buf;
}

uint64_t pt_fatal_signal_mask(void)
{
	/* Everything but the signals whose default action is ignore or stop. */
	static const int harmless[] = { SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP,
					SIGTTIN, SIGTTOU, SIGURG,  SIGWINCH };
	uint64_t mask = 0;

	for (int sig = 1; sig < 64; sig++)
		mask |= 1ULL << sig;
	for (size_t i = 0; i < sizeof(harmless) / sizeof(harmless[0]); i++)
		mask &= ~(1ULL << harmless[i]);
	return mask;
}

int pt_signal_is_crash(int sig)
{
	switch (sig) {
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGABRT:
	case SIGSYS:
		return 1;
	default:
		return 0;
	}
}
