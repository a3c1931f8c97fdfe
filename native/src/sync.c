/* Messages of the sync protocol drawn in sync.h. */
#include "sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

static const char *type_name(uint32_t t) {
  switch (t) {
  case SYNC_HELLO: return "hello";
  case SYNC_GO: return "go";
  case SYNC_PID: return "pid";
  case SYNC_CGROUP: return "cgroup";
  case SYNC_READY: return "ready";
  case SYNC_ERROR: return "error";
  default: return "unknown";
  }
}

int sync_send(int fd, enum sync_type type, int64_t value, tsc_err_t *err) {
  struct sync_msg m;
  memset(&m, 0, sizeof m);
  m.type = type;
  m.value = value;
  ssize_t n;
  do
    n = send(fd, &m, sizeof m, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n != (ssize_t)sizeof m)
    return tsc_error(err, n < 0 ? errno : EPIPE, "send `%s` on the sync socket", type_name(type));
  return 0;
}

void sync_send_error(int fd, const tsc_err_t *err) {
  struct sync_msg m;
  memset(&m, 0, sizeof m);
  m.type = SYNC_ERROR;
  m.errnum = err ? err->errnum : 0;
  if (err)
    memcpy(m.msg, err->msg, sizeof m.msg);
  m.msg[sizeof m.msg - 1] = '\0';
  ssize_t n;
  do
    n = send(fd, &m, sizeof m, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
}

int sync_expect(int fd, enum sync_type want, int64_t *value, const char *what, tsc_err_t *err) {
  struct sync_msg m;
  ssize_t n;
  do
    n = recv(fd, &m, sizeof m, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return tsc_error(err, errno, "read the sync socket (waiting for `%s` from %s)",
                     type_name(want), what);
  if (n == 0)
    return tsc_error(err, 0, "%s exited before it sent `%s` (see its stderr)", what,
                     type_name(want));
  if (n != (ssize_t)sizeof m)
    return tsc_error(err, EPROTO, "short message on the sync socket from %s", what);
  if (m.type == SYNC_ERROR) {
    m.msg[sizeof m.msg - 1] = '\0';
    err->errnum = m.errnum;
    memcpy(err->msg, m.msg, sizeof m.msg);
    return -1;
  }
  if (m.type != (uint32_t)want)
    return tsc_error(err, EPROTO, "sync socket: %s sent `%s`, expected `%s`", what,
                     type_name(m.type), type_name(want));
  if (value)
    *value = m.value;
  return 0;
}

int sync_wait_exec(int fd, tsc_err_t *err) {
  struct sync_msg m;
  ssize_t n;
  do
    n = recv(fd, &m, sizeof m, 0);
  while (n < 0 && errno == EINTR);
  if (n == 0)
    return 0; /* the socket closed on exec: success */
  if (n < 0)
    return tsc_error(err, errno, "read the sync socket");
  if (n == (ssize_t)sizeof m && m.type == SYNC_ERROR) {
    m.msg[sizeof m.msg - 1] = '\0';
    err->errnum = m.errnum;
    memcpy(err->msg, m.msg, sizeof m.msg);
    return -1;
  }
  return tsc_error(err, EPROTO, "unexpected `%s` on the sync socket", type_name(m.type));
}
