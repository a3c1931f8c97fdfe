/*
 * tsc-probe: run as a container's process, it reports what the kernel really
 * set up, as one line of JSON on stdout, then performs the requested actions.
 *
 *   tsc-probe [REPORT...] [ACTION...]
 *
 * REPORT: all hostname ids caps mounts masked readonly cgroup rlimits seccomp
 *         pid tty cwd env umask oom ns fds devices | stat P | read P |
 *         mkdir P (reports the errno of mkdir(P), so that seccomp rules can
 *         be observed)
 * ACTION: exit N | kill-self SIG | memhog MB | forkbomb N | sleep S |
 *         trap S (handle TERM/INT/HUP/QUIT/USR1/USR2: print it, exit 128+N)
 *
 * Reports are printed first, in a fixed key order, so that two runtimes given
 * the same bundle print byte-identical lines up to what legitimately differs
 * (ns inodes, cgroup paths, pipe inodes), which the tests normalize.
 *
 * `tsc-probe consock PATH` is a second tool in the same binary (the Makefile
 * builds one program from probe/): it listens on the unix socket PATH, takes
 * the pty master a runtime sends with SCM_RIGHTS (--console-socket), and copies
 * the container's output from it to stdout until the pty closes.
 *
 * Static, libc only: it must run in a busybox rootfs with no loader.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int first_key = 1;

static void jstr(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void key(const char *k)
{
	if (!first_key)
		putchar(',');
	first_key = 0;
	jstr(k);
	putchar(':');
}

static const char *errname(int e)
{
	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EROFS: return "EROFS";
	case EEXIST: return "EEXIST";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EINVAL: return "EINVAL";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case ENOSYS: return "ENOSYS";
	case EIO: return "EIO";
	case EBADF: return "EBADF";
	case ENXIO: return "ENXIO";
	default: {
		static char buf[32];
		snprintf(buf, sizeof buf, "E%d", e);
		return buf;
	}
	}
}

/* Reads a small file into a static buffer; NULL (errno set) when unreadable. */
static char *slurp(const char *path, size_t *len)
{
	static char buf[1 << 18];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
		if (r < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return NULL;
		}
		if (r == 0 || n + (size_t)r >= sizeof buf - 1) {
			n += (size_t)(r > 0 ? r : 0);
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

/* The value after "Name:\t" in /proc/self/status, trimmed, or "". */
static const char *status_field(const char *name)
{
	static char out[256];
	char *s = slurp("/proc/self/status", NULL);
	out[0] = 0;
	if (!s)
		return out;
	size_t nl = strlen(name);
	for (char *line = s; line && *line;) {
		char *end = strchr(line, '\n');
		if (end)
			*end = 0;
		if (strncmp(line, name, nl) == 0 && line[nl] == ':') {
			const char *v = line + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(out, sizeof out, "%s", v);
			return out;
		}
		line = end ? end + 1 : NULL;
	}
	return out;
}

static void rep_hostname(void)
{
	struct utsname u;
	uname(&u);
	key("hostname");
	jstr(u.nodename);
	key("domainname");
	jstr(u.domainname);
}

static void rep_ids(void)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;
	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	key("uid");
	printf("[%u,%u,%u]", r, e, s);
	key("gid");
	printf("[%u,%u,%u]", gr, ge, gs);
	gid_t groups[256];
	int n = getgroups(256, groups);
	key("groups");
	putchar('[');
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", groups[i]);
	putchar(']');
}

static void rep_caps(void)
{
	static const char *sets[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
	key("caps");
	putchar('{');
	for (int i = 0; i < 5; i++) {
		printf("%s", i ? "," : "");
		jstr(sets[i]);
		putchar(':');
		jstr(status_field(sets[i]));
	}
	putchar('}');
}

/* Splits a comma list, drops per-mount noise, sorts, prints as a JSON array. */
static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void opt_array(char *list)
{
	char *items[64];
	int n = 0;
	for (char *tok = strtok(list, ","); tok && n < 64; tok = strtok(NULL, ",")) {
		/* Device numbers and inode-derived values differ from run to run. */
		if (strncmp(tok, "dev=", 4) == 0 || strncmp(tok, "ino=", 4) == 0)
			continue;
		items[n++] = tok;
	}
	qsort(items, (size_t)n, sizeof items[0], cmpstr);
	putchar('[');
	for (int i = 0; i < n; i++) {
		if (i)
			putchar(',');
		jstr(items[i]);
	}
	putchar(']');
}

/* mountinfo fields: id parent maj:min root mountpoint opts [optional...] - fstype source super */
static void rep_mounts(void)
{
	key("mounts");
	putchar('[');
	char *s = slurp("/proc/self/mountinfo", NULL);
	int first = 1;
	char *save = NULL;
	for (char *line = s ? strtok_r(s, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char *f[16];
		int nf = 0;
		char *sp = NULL;
		for (char *t = strtok_r(line, " ", &sp); t && nf < 16; t = strtok_r(NULL, " ", &sp))
			f[nf++] = t;
		int dash = -1;
		for (int i = 6; i < nf; i++)
			if (strcmp(f[i], "-") == 0) {
				dash = i;
				break;
			}
		if (dash < 0 || dash + 3 >= nf + 1 || dash + 2 >= nf)
			continue;
		printf("%s{", first ? "" : ",");
		first = 0;
		printf("\"target\":");
		jstr(f[4]);
		printf(",\"root\":");
		jstr(f[3]);
		printf(",\"fstype\":");
		jstr(f[dash + 1]);
		printf(",\"source\":");
		jstr(f[dash + 2]);
		printf(",\"opts\":");
		opt_array(f[5]);
		printf(",\"super\":");
		if (dash + 3 < nf)
			opt_array(f[dash + 3]);
		else
			printf("[]");
		/* Propagation: shared:N / master:N / unbindable, numbers dropped. */
		printf(",\"propagation\":[");
		int pf = 1;
		for (int i = 6; i < dash; i++) {
			char *colon = strchr(f[i], ':');
			if (colon)
				*colon = 0;
			printf("%s", pf ? "" : ",");
			pf = 0;
			jstr(f[i]);
		}
		printf("]}");
	}
	putchar(']');
}

/* What a process sees at a path: its type, whether it can be read and how
 * much, whether it can be written. Masked paths read as empty or EACCES. */
static void path_state(const char *p)
{
	struct stat st;
	if (stat(p, &st) < 0) {
		printf("{\"stat\":\"%s\"}", errname(errno));
		return;
	}
	const char *type = S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : S_ISCHR(st.st_mode) ? "chr" : "other";
	printf("{\"type\":\"%s\"", type);
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(p);
		if (!d) {
			printf(",\"read\":\"%s\"", errname(errno));
		} else {
			int n = 0;
			struct dirent *de;
			while ((de = readdir(d)))
				if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
					n++;
			closedir(d);
			printf(",\"read\":\"ok\",\"entries\":%s", n ? "\"some\"" : "0");
		}
	} else {
		int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			printf(",\"read\":\"%s\"", errname(errno));
		} else {
			char c;
			ssize_t r = read(fd, &c, 1);
			printf(",\"read\":\"%s\"", r < 0 ? errname(errno) : r == 0 ? "empty" : "data");
			close(fd);
		}
	}
	/* access(W_OK) reports EROFS for a read-only mount without writing. */
	printf(",\"write\":\"%s\"}", access(p, W_OK) == 0 ? "ok" : errname(errno));
}

static const char *masked_list[] = {
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/devices/virtual/powercap", NULL,
};
static const char *readonly_list[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static void rep_paths(const char *name, const char **list)
{
	key(name);
	putchar('{');
	for (int i = 0; list[i]; i++) {
		printf("%s", i ? "," : "");
		jstr(list[i]);
		putchar(':');
		path_state(list[i]);
	}
	putchar('}');
}

static void rep_cgroup(void)
{
	/* v1 controllers are mounted per controller, v2 files sit at the root;
	 * a runtime mounts either the container's own cgroup or a namespaced view
	 * at /sys/fs/cgroup, so these paths show its limits in both layouts. */
	static const char *files[] = {
		"memory/memory.limit_in_bytes", "memory/memory.memsw.limit_in_bytes",
		"memory/memory.soft_limit_in_bytes", "memory/memory.swappiness",
		"pids/pids.max", "cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us",
		"cpu/cpu.shares", "cpuset/cpuset.cpus", "cpuset/cpuset.mems",
		"memory.max", "memory.swap.max", "memory.low", "pids.max", "cpu.max",
		"cpu.weight", "cpuset.cpus", "cpuset.mems", NULL,
	};
	key("cgroup");
	char *s = slurp("/proc/self/cgroup", NULL);
	jstr(s ? s : errname(errno));
	key("cgroup_limits");
	putchar('{');
	int first = 1;
	for (int i = 0; files[i]; i++) {
		char path[256];
		snprintf(path, sizeof path, "/sys/fs/cgroup/%s", files[i]);
		char *v = slurp(path, NULL);
		if (!v)
			continue;
		size_t n = strlen(v);
		while (n && (v[n - 1] == '\n' || v[n - 1] == ' '))
			v[--n] = 0;
		printf("%s", first ? "" : ",");
		first = 0;
		jstr(files[i]);
		putchar(':');
		jstr(v);
	}
	putchar('}');
}

static void rep_rlimits(void)
{
	static const struct {
		const char *name;
		int res;
	} rl[] = {
		{ "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_CORE", RLIMIT_CORE },
		{ "RLIMIT_CPU", RLIMIT_CPU }, { "RLIMIT_DATA", RLIMIT_DATA },
		{ "RLIMIT_FSIZE", RLIMIT_FSIZE }, { "RLIMIT_LOCKS", RLIMIT_LOCKS },
		{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
		{ "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_NOFILE", RLIMIT_NOFILE },
		{ "RLIMIT_NPROC", RLIMIT_NPROC }, { "RLIMIT_RSS", RLIMIT_RSS },
		{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
		{ "RLIMIT_STACK", RLIMIT_STACK },
	};
	key("rlimits");
	putchar('{');
	for (size_t i = 0; i < sizeof rl / sizeof rl[0]; i++) {
		struct rlimit r;
		getrlimit(rl[i].res, &r);
		printf("%s\"%s\":[", i ? "," : "", rl[i].name);
		if (r.rlim_cur == RLIM_INFINITY)
			printf("-1,");
		else
			printf("%llu,", (unsigned long long)r.rlim_cur);
		if (r.rlim_max == RLIM_INFINITY)
			printf("-1]");
		else
			printf("%llu]", (unsigned long long)r.rlim_max);
	}
	putchar('}');
}

static void rep_seccomp(void)
{
	key("seccomp");
	jstr(status_field("Seccomp"));
	key("seccomp_filters");
	jstr(status_field("Seccomp_filters"));
	key("no_new_privs");
	jstr(status_field("NoNewPrivs"));
}

static void rep_pid(void)
{
	key("pid");
	printf("%d", (int)getpid());
	key("ppid");
	printf("%d", (int)getppid());
}

static void rep_tty(void)
{
	key("isatty");
	printf("[%s,%s,%s]", isatty(0) ? "true" : "false", isatty(1) ? "true" : "false",
	       isatty(2) ? "true" : "false");
}

static void rep_cwd(void)
{
	char buf[4096];
	key("cwd");
	jstr(getcwd(buf, sizeof buf) ? buf : errname(errno));
}

static void rep_env(void)
{
	int n = 0;
	while (environ && environ[n])
		n++;
	char **copy = calloc((size_t)n + 1, sizeof *copy);
	for (int i = 0; i < n; i++)
		copy[i] = environ[i];
	qsort(copy, (size_t)n, sizeof *copy, cmpstr);
	key("env");
	putchar('[');
	for (int i = 0; i < n; i++) {
		if (i)
			putchar(',');
		jstr(copy[i]);
	}
	putchar(']');
	free(copy);
}

static void rep_umask(void)
{
	mode_t m = umask(0);
	umask(m);
	key("umask");
	printf("\"%04o\"", (unsigned)m);
}

static void rep_oom(void)
{
	char *s = slurp("/proc/self/oom_score_adj", NULL);
	key("oom_score_adj");
	printf("%d", s ? atoi(s) : -9999);
}

static void rep_ns(void)
{
	static const char *ns[] = { "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "user", "uts", NULL };
	key("ns");
	putchar('{');
	int first = 1;
	for (int i = 0; ns[i]; i++) {
		char path[64], target[128];
		snprintf(path, sizeof path, "/proc/self/ns/%s", ns[i]);
		ssize_t n = readlink(path, target, sizeof target - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		printf("%s", first ? "" : ",");
		first = 0;
		jstr(ns[i]);
		putchar(':');
		jstr(target);
	}
	putchar('}');
}

/* Every fd open in the container's process: a runtime must leave only 0-2
 * and what it passed on purpose (CVE-2024-21626 leaked a host directory). */
static void rep_fds(void)
{
	key("fds");
	putchar('{');
	DIR *d = opendir("/proc/self/fd");
	int self = d ? dirfd(d) : -1;
	int first = 1;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == self)
			continue;
		char path[300], target[4096];
		snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
		ssize_t n = readlink(path, target, sizeof target - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		printf("%s", first ? "" : ",");
		first = 0;
		jstr(de->d_name);
		putchar(':');
		jstr(target);
	}
	if (d)
		closedir(d);
	putchar('}');
}

static void rep_mkdir(const char *p)
{
	int r = mkdir(p, 0755);
	int e = r < 0 ? errno : 0;
	if (r == 0)
		rmdir(p);
	key("mkdir");
	putchar('{');
	jstr(p);
	printf(":\"%s\"}", errname(e));
}

/* One path's type, mode, owner and device numbers, plus what access gives. */
static void stat_obj(const char *p)
{
	struct stat st;
	if (lstat(p, &st) < 0) {
		printf("{\"stat\":\"%s\"}", errname(errno));
		return;
	}
	if (S_ISLNK(st.st_mode)) {
		char t[4096];
		ssize_t n = readlink(p, t, sizeof t - 1);
		t[n < 0 ? 0 : n] = 0;
		printf("{\"type\":\"link\",\"target\":");
		jstr(t);
		putchar('}');
		return;
	}
	const char *type = S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : S_ISCHR(st.st_mode) ? "chr"
		: S_ISBLK(st.st_mode) ? "blk" : S_ISFIFO(st.st_mode) ? "fifo" : S_ISSOCK(st.st_mode) ? "sock" : "other";
	printf("{\"type\":\"%s\",\"mode\":\"%04o\",\"uid\":%u,\"gid\":%u", type, (unsigned)(st.st_mode & 07777),
	       (unsigned)st.st_uid, (unsigned)st.st_gid);
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		printf(",\"rdev\":\"%u:%u\"", major(st.st_rdev), minor(st.st_rdev));
	putchar('}');
}

static void rep_stat(const char *p)
{
	char k[4200];
	snprintf(k, sizeof k, "stat:%s", p);
	key(k);
	stat_obj(p);
}

static void rep_read(const char *p)
{
	char k[4200];
	snprintf(k, sizeof k, "read:%s", p);
	key(k);
	char *s = slurp(p, NULL);
	if (!s) {
		printf("{\"error\":\"%s\"}", errname(errno));
		return;
	}
	size_t n = strlen(s);
	while (n && s[n - 1] == '\n')
		s[--n] = 0;
	jstr(s);
}

static void rep_devices(void)
{
	key("devices");
	putchar('{');
	DIR *d = opendir("/dev");
	char *names[512];
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)) && n < 512)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			names[n++] = strdup(de->d_name);
	if (d)
		closedir(d);
	qsort(names, (size_t)n, sizeof names[0], cmpstr);
	for (int i = 0; i < n; i++) {
		char p[300];
		snprintf(p, sizeof p, "/dev/%s", names[i]);
		printf("%s", i ? "," : "");
		jstr(names[i]);
		putchar(':');
		stat_obj(p);
		free(names[i]);
	}
	putchar('}');
}

static void on_signal(int s)
{
	char buf[64];
	int n = snprintf(buf, sizeof buf, "{\"signal\":%d}\n", s);
	if (write(1, buf, (size_t)n) < 0)
		_exit(1);
	_exit(128 + s);
}

static void rep_all(void)
{
	rep_hostname();
	rep_ids();
	rep_caps();
	rep_mounts();
	rep_paths("masked", masked_list);
	rep_paths("readonly", readonly_list);
	rep_cgroup();
	rep_rlimits();
	rep_seccomp();
	rep_pid();
	rep_tty();
	rep_cwd();
	rep_env();
	rep_umask();
	rep_oom();
	rep_ns();
	rep_fds();
}

static int sig_by_name(const char *s)
{
	static const struct {
		const char *n;
		int s;
	} t[] = { { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
		  { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "SEGV", SIGSEGV },
		  { "ABRT", SIGABRT } };
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(s, t[i].n) == 0)
			return t[i].s;
	return atoi(s);
}

/* Allocates and touches MB mebibytes so that a memory limit must act. */
static void memhog(long mb)
{
	for (long i = 0; i < mb; i++) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			printf("{\"memhog\":{\"mb\":%ld,\"errno\":\"%s\"}}\n", i, errname(errno));
			fflush(stdout);
			exit(3);
		}
		for (int off = 0; off < (1 << 20); off += 4096)
			p[off] = 1;
	}
	printf("{\"memhog\":{\"mb\":%ld,\"errno\":\"ok\"}}\n", mb);
	fflush(stdout);
}

/* Forks up to N sleeping children; reports how many it got and why it
 * stopped (EAGAIN under a pids limit), then ends them all. */
static void forkbomb(long n)
{
	pid_t *kids = calloc((size_t)n, sizeof *kids);
	long got = 0;
	int err = 0;
	for (; got < n; got++) {
		pid_t p = fork();
		if (p < 0) {
			err = errno;
			break;
		}
		if (p == 0) {
			pause();
			_exit(0);
		}
		kids[got] = p;
	}
	for (long i = 0; i < got; i++)
		kill(kids[i], SIGKILL);
	for (long i = 0; i < got; i++)
		waitpid(kids[i], NULL, 0);
	printf("{\"forkbomb\":{\"forked\":%ld,\"errno\":\"%s\"}}\n", got, errname(err));
	fflush(stdout);
	free(kids);
}

static int consock(const char *path)
{
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "consock: socket path too long: %s\n", path);
		return 2;
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(ls, 1) < 0) {
		fprintf(stderr, "consock: listen on %s: %s\n", path, strerror(errno));
		return 2;
	}
	/* Tells the test the socket is ready before it starts the runtime. */
	printf("ready\n");
	fflush(stdout);
	int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0) {
		fprintf(stderr, "consock: accept: %s\n", strerror(errno));
		return 2;
	}
	char data[256];
	char ctrl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof data };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl };
	if (recvmsg(c, &mh, MSG_CMSG_CLOEXEC) < 0) {
		fprintf(stderr, "consock: recvmsg: %s\n", strerror(errno));
		return 2;
	}
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
		fprintf(stderr, "consock: no fd received (got %zd bytes of data only)\n", (ssize_t)mh.msg_iovlen);
		return 2;
	}
	int master;
	memcpy(&master, CMSG_DATA(cm), sizeof master);
	close(c);
	close(ls);
	unlink(path);
	char buf[4096];
	for (;;) {
		ssize_t n = read(master, buf, sizeof buf);
		if (n <= 0)
			break; /* EIO once the last slave fd closes */
		if (write(1, buf, (size_t)n) < 0)
			break;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "consock") == 0)
		return consock(argv[2]);
	if (argc < 2) {
		fprintf(stderr, "usage: tsc-probe [all|hostname|ids|caps|mounts|masked|readonly|cgroup|rlimits|"
				"seccomp|pid|tty|cwd|env|umask|oom|ns|fds|devices|mkdir P|stat P|read P]... "
				"[exit N|kill-self SIG|memhog MB|forkbomb N|sleep S|trap S]...\n"
				"       tsc-probe consock SOCKET\n");
		return 2;
	}
	int i = 1;
	putchar('{');
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "all")) rep_all();
		else if (!strcmp(a, "hostname")) rep_hostname();
		else if (!strcmp(a, "ids")) rep_ids();
		else if (!strcmp(a, "caps")) rep_caps();
		else if (!strcmp(a, "mounts")) rep_mounts();
		else if (!strcmp(a, "masked")) rep_paths("masked", masked_list);
		else if (!strcmp(a, "readonly")) rep_paths("readonly", readonly_list);
		else if (!strcmp(a, "cgroup")) rep_cgroup();
		else if (!strcmp(a, "rlimits")) rep_rlimits();
		else if (!strcmp(a, "seccomp")) rep_seccomp();
		else if (!strcmp(a, "pid")) rep_pid();
		else if (!strcmp(a, "tty")) rep_tty();
		else if (!strcmp(a, "cwd")) rep_cwd();
		else if (!strcmp(a, "env")) rep_env();
		else if (!strcmp(a, "umask")) rep_umask();
		else if (!strcmp(a, "oom")) rep_oom();
		else if (!strcmp(a, "ns")) rep_ns();
		else if (!strcmp(a, "fds")) rep_fds();
		else if (!strcmp(a, "devices")) rep_devices();
		else if (!strcmp(a, "mkdir") && i + 1 < argc) rep_mkdir(argv[++i]);
		else if (!strcmp(a, "stat") && i + 1 < argc) rep_stat(argv[++i]);
		else if (!strcmp(a, "read") && i + 1 < argc) rep_read(argv[++i]);
		else break;
	}
	printf("}\n");
	fflush(stdout);
	for (; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr, "tsc-probe: %s needs an argument or is unknown\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "exit")) {
			return atoi(v);
		} else if (!strcmp(a, "kill-self")) {
			int s = sig_by_name(v);
			signal(s, SIG_DFL);
			/* pid 1 ignores signals it has no handler for, even from
			 * itself; leave it to the caller (tests use a shell for that). */
			kill(getpid(), s);
			return 128 + s;
		} else if (!strcmp(a, "memhog")) {
			memhog(atol(v));
		} else if (!strcmp(a, "forkbomb")) {
			forkbomb(atol(v));
		} else if (!strcmp(a, "trap")) {
			/* A handler makes pid 1 killable by these signals: it reports
			 * the signal and exits 128+N, as a shell would. */
			int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 };
			for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++)
				signal(sigs[k], on_signal);
			printf("{\"trapping\":true}\n");
			fflush(stdout);
			for (int left = atoi(v); left > 0;)
				left = (int)sleep((unsigned)left);
		} else if (!strcmp(a, "sleep")) {
			sleep((unsigned)atoi(v));
		} else {
			fprintf(stderr, "tsc-probe: unknown report or action %s\n", a);
			return 2;
		}
	}
	return 0;
}
