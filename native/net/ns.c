/* Namespace switching and sysctls. tsc-net is single-threaded, so setns()
 * moves the whole process; the netlink socket is reopened because a socket
 * stays in the namespace it was created in. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

int step_netns(net_ctx_t *ctx, const step_t *s, tsc_err_t *err) {
  const char *path = s->argv[1];
  int fd;
  if (strcmp(path, "host") == 0)
    fd = ctx->host_ns;
  else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
    return tsc_error(err, errno, "open network namespace `%s`", path);
  int rc = setns(fd, CLONE_NEWNET);
  int e = errno;
  if (fd != ctx->host_ns)
    close(fd);
  if (rc < 0)
    return tsc_error(err, e, "setns into network namespace `%s`", path);
  nl_close(&ctx->nl);
  if (nl_open(&ctx->nl, err) < 0)
    return tsc_error_wrap(err, "in network namespace `%s`", path);
  return 0;
}

/* sysctl net.ipv4.ip_forward 1 — in the current namespace (/proc/sys/net
 * shows the namespace of the task that opens it). Only net.* keys. */
int step_sysctl(net_ctx_t *ctx, const step_t *s, tsc_err_t *err) {
  (void)ctx;
  const char *key = s->argv[1];
  if (strncmp(key, "net.", 4) != 0 || strstr(key, "..") || strchr(key, '/'))
    return tsc_error(err, EINVAL, "sysctl `%s` is not a net.* key", key);
  char path[512] = "/proc/sys/";
  size_t n = strlen(path);
  for (const char *p = key; *p && n < sizeof path - 1; p++)
    path[n++] = *p == '.' ? '/' : *p;
  path[n] = 0;
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return tsc_error(err, errno, "open sysctl `%s`", path);
  size_t len = strlen(s->argv[2]);
  ssize_t w;
  do
    w = write(fd, s->argv[2], len);
  while (w < 0 && errno == EINTR);
  int e = errno;
  close(fd);
  if (w < 0 || (size_t)w != len)
    return tsc_error(err, w < 0 ? e : EIO, "write `%s` to sysctl `%s`", s->argv[2], key);
  return 0;
}
