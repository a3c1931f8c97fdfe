/* tsc-init: the `init: true` process of a container (pid 1), like
 * docker-init/tini. It runs the command given after `--` as its only child,
 * forwards the signals it gets to that child, reaps every zombie the
 * container's orphans leave behind, and exits with the child's status
 * (128 + signal number when the child was killed by a signal).
 *
 * Why: a program that is not written to be pid 1 gets no default signal
 * actions (SIGTERM does nothing to it) and never reaps adopted children.
 *
 *   tsc-init -- CMD [ARGS...]
 *
 * All signals are blocked in the parent and taken one at a time with
 * sigtimedwait, so there is no async handler and no race with waitpid. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Signals that belong to the init itself or cannot be forwarded. */
static int is_local(int sig)
{
	return sig == SIGCHLD || sig == SIGKILL || sig == SIGSTOP || sig == SIGTTIN || sig == SIGTTOU ||
	       sig == SIGTSTP || sig == SIGFPE || sig == SIGILL || sig == SIGSEGV || sig == SIGBUS ||
	       sig == SIGABRT || sig == SIGTRAP || sig == SIGSYS;
}

static pid_t spawn(char **argv, const sigset_t *parent_mask)
{
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "tsc-init: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sigset_t empty;
		sigemptyset(&empty);
		if (sigprocmask(SIG_SETMASK, &empty, NULL) < 0) _exit(126);
		(void)parent_mask;
		execvp(argv[0], argv);
		fprintf(stderr, "tsc-init: exec `%s`: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	return pid;
}

/* Reaps every exited child; returns 1 and sets *status when the main child is among them. */
static int reap(pid_t child, int *status)
{
	int found = 0;
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);
		if (p <= 0) {
			if (p < 0 && errno == EINTR) continue;
			break;
		}
		if (p == child) {
			*status = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
			found = 1;
		}
	}
	return found;
}

int main(int argc, char **argv)
{
	int first = 1;
	if (argc > 1 && strcmp(argv[1], "--") == 0) first = 2;
	if (first >= argc) {
		fprintf(stderr, "usage: tsc-init -- CMD [ARGS...]\n");
		return 2;
	}
	/* When not pid 1 (a nested init), become the reaper of our subtree anyway. */
	if (getpid() != 1) (void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

	sigset_t all, old;
	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, &old) < 0) {
		fprintf(stderr, "tsc-init: sigprocmask: %s\n", strerror(errno));
		return 1;
	}
	pid_t child = spawn(&argv[first], &old);
	if (child < 0) return 1;

	int status = 0;
	for (;;) {
		siginfo_t info;
		struct timespec tick = {1, 0};
		int sig = sigtimedwait(&all, &info, &tick);
		if (sig < 0 && errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "tsc-init: sigtimedwait: %s\n", strerror(errno));
			return 1;
		}
		if (sig > 0 && !is_local(sig)) {
			if (kill(child, sig) < 0 && errno != ESRCH)
				fprintf(stderr, "tsc-init: forward signal %d: %s\n", sig, strerror(errno));
		}
		if (reap(child, &status)) return status;
	}
}
