/* onexit: cleanups for the paths that end the process; see onexit.h. */
#include "config.h"
#include "onexit.h"

#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static struct onexit *newest;
static pid_t owner;  /* the process that pushed; 0: none yet */
static int ran;

void onexit_push(struct onexit *node, void (*fn)(void *arg), void *arg)
{
	if (node->linked)
		return;
	node->fn = fn;
	node->arg = arg;
	node->older = newest;
	node->linked = 1;
	owner = getpid();
	/* a signal handler walking the list sees it either with or without
	 * the node, never half-linked */
	__atomic_store_n(&newest, node, __ATOMIC_SEQ_CST);
}

void onexit_remove(struct onexit *node)
{
	struct onexit **p;
	if (!node->linked)
		return;
	for (p = &newest; *p; p = &(*p)->older)
		if (*p == node) {
			__atomic_store_n(p, node->older, __ATOMIC_SEQ_CST);
			break;
		}
	node->linked = 0;
}

void onexit_run(void)
{
	/* a forked child has the parent's list, not its terminal */
	if (!owner || getpid() != owner)
		return;
	if (__atomic_exchange_n(&ran, 1, __ATOMIC_SEQ_CST))
		return;
	for (struct onexit *n = __atomic_load_n(&newest, __ATOMIC_SEQ_CST); n; n = n->older)
		n->fn(n->arg);
}

static const int fatal_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGABRT, SIGBUS, SIGFPE, SIGSEGV,
	SIGPIPE, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGXCPU, SIGXFSZ, SIGSYS
};
#define N_FATAL (sizeof fatal_signals / sizeof *fatal_signals)
static struct sigaction before[N_FATAL];

static void on_fatal(int sig, siginfo_t *info, void *uctx)
{
	size_t i;
	(void)uctx;
	onexit_run();
	for (i = 0; i < N_FATAL && fatal_signals[i] != sig; i++)
		;
	if (i < N_FATAL)
		sigaction(sig, &before[i], NULL);
	/* A fault the kernel raised comes again when the instruction is
	 * re-run on return; anything else is raised again (delivered once
	 * this handler returns, with the action it had before). */
	if ((sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL) && info && info->si_code > 0)
		return;
	raise(sig);
}

void onexit_catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fatal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_FATAL; i++) {
		struct sigaction old;
		if (sigaction(fatal_signals[i], NULL, &old) < 0 || old.sa_handler == SIG_IGN ||
		    ((old.sa_flags & SA_SIGINFO) && old.sa_sigaction == on_fatal))
			continue;
		before[i] = old;
		sigaction(fatal_signals[i], &sa, NULL);
	}
}
