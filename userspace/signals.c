// SPDX-License-Identifier: GPL-2.0
#include <signal.h>
#include "message.h"
#include "signals.h"

/*
 * Named by this architecture's numbers, as glibc's sigabbrev_np names them.
 * A table, not snprintf: every crash's message names its signal, and
 * printf's machinery is pages of code that a reader woken for a few
 * records would fetch cold each time.
 */
static const char *const signal_names[] = {
	[SIGHUP] = "SIGHUP",	   [SIGINT] = "SIGINT",	  [SIGQUIT] = "SIGQUIT",
	[SIGILL] = "SIGILL",	   [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
	[SIGBUS] = "SIGBUS",	   [SIGFPE] = "SIGFPE",	  [SIGKILL] = "SIGKILL",
	[SIGUSR1] = "SIGUSR1",	   [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE",	   [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
	[SIGCHLD] = "SIGCHLD",	   [SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP",
	[SIGTSTP] = "SIGTSTP",	   [SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU",
	[SIGURG] = "SIGURG",	   [SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ",
	[SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF", [SIGWINCH] = "SIGWINCH",
	[SIGPOLL] = "SIGPOLL",	   [SIGSYS] = "SIGSYS",
#ifdef SIGSTKFLT
	[SIGSTKFLT] = "SIGSTKFLT",
#endif
#ifdef SIGPWR
	[SIGPWR] = "SIGPWR",
#endif
#ifdef SIGEMT
	[SIGEMT] = "SIGEMT",
#endif
};

const char *pt_signal_name(int sig, char buf[16])
{
	struct pt_msg m = { buf, 0, 16 };

	if (sig > 0 && (size_t)sig < sizeof(signal_names) / sizeof(signal_names[0]) &&
	    signal_names[sig])
		return signal_names[sig];
	pt_msg_add(&m, "SIG%d", sig); /* real-time or unknown: "SIG35"; %d needs no printf */
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
