/* process.terminal: a pty made inside the container (its own devpts), the
 * master handed to whoever listens on --console-socket (SCM_RIGHTS, as
 * runc does), the slave our stdio and controlling terminal. */
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>
#include "utils.h"

int console_socket_connect(const char *path, tsc_err_t *err) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path)
    return tsc_error(err, ENAMETOOLONG, "console socket `%s`", path);
  strcpy(sa.sun_path, path);
  cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return tsc_error(err, errno, "socket for console socket `%s`", path);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
    return tsc_error(err, errno, "connect to console socket `%s`", path);
  return get_and_reset(&fd);
}

static int open_pty(int *master, char *name, size_t len, tsc_err_t *err) {
  *master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*master < 0)
    return tsc_error(err, errno, "open /dev/ptmx (is devpts mounted at /dev/pts?)");
  if (grantpt(*master) < 0 || unlockpt(*master) < 0 || ptsname_r(*master, name, len) != 0)
    return tsc_error(err, errno, "unlock the pty");
  return 0;
}

int terminal_setup(int console_sock, const spec_process_t *p, bool bind_console,
                   tsc_err_t *err) {
  cleanup_close int master = -1;
  char name[64];
  if (open_pty(&master, name, sizeof name, err) < 0)
    return -1;
  cleanup_close int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return tsc_error(err, errno, "open pty `%s`", name);
  /* The group stays devpts' gid=5 (tty), as with runc. */
  if (fchown(slave, p->uid, (gid_t)-1) < 0)
    return tsc_error(err, errno, "chown pty `%s` to uid %u", name, p->uid);
  if (p->console_height || p->console_width) {
    struct winsize ws = {.ws_row = (unsigned short)p->console_height,
                         .ws_col = (unsigned short)p->console_width};
    ioctl(master, TIOCSWINSZ, &ws);
  }
  if (bind_console && mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0)
    return tsc_error(err, errno, "bind mount `%s` on /dev/console", name);
  if (send_fd(console_sock, master, err) < 0)
    return tsc_error_wrap(err, "hand the pty master to the console socket");
  if (setsid() < 0)
    return tsc_error(err, errno, "setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0)
    return tsc_error(err, errno, "make `%s` the controlling terminal", name);
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0)
      return tsc_error(err, errno, "dup2 pty to fd %d", fd);
  return 0;
}

/* `tscrun run` with a terminal and no --console-socket (like runc): we own
 * the pty master and copy between it and our stdio until the container's
 * init exits; signals are forwarded, window size changes copied. */
static void copy_winsize(int master) {
  struct winsize ws;
  if (ioctl(0, TIOCGWINSZ, &ws) == 0)
    ioctl(master, TIOCSWINSZ, &ws);
}

static bool pump(int from, int to) {
  char buf[8192];
  ssize_t n = read(from, buf, sizeof buf);
  if (n <= 0)
    return false;
  return write_full(to, buf, (size_t)n) == n;
}

int terminal_proxy_wait(pid_t pid, int master) {
  struct termios saved, raw;
  bool restore = isatty(0) && tcgetattr(0, &saved) == 0;
  if (restore) {
    raw = saved;
    cfmakeraw(&raw);
    tcsetattr(0, TCSANOW, &raw);
    copy_winsize(master);
  }
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, NULL);
  cleanup_close int sfd = signalfd(-1, &all, SFD_CLOEXEC);
  bool in_open = true, out_open = true;
  int status = 0;
  for (;;) {
    pid_t w;
    while ((w = waitpid(-1, &status, WNOHANG)) > 0)
      if (w == pid)
        goto done;
    struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
                          {.fd = out_open ? master : -1, .events = POLLIN},
                          {.fd = in_open ? 0 : -1, .events = POLLIN}};
    if (poll(p, 3, -1) < 0)
      continue;
    if (p[1].revents)
      out_open = pump(master, 1);
    if (p[2].revents)
      in_open = pump(0, master);
    struct signalfd_siginfo si;
    if (p[0].revents && read(sfd, &si, sizeof si) == sizeof si) {
      if (si.ssi_signo == SIGWINCH)
        copy_winsize(master);
      else if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGURG)
        kill(pid, (int)si.ssi_signo);
    }
  }
done:
  while (out_open && (out_open = pump(master, 1)))
    ; /* what the process wrote just before exiting */
  if (restore)
    tcsetattr(0, TCSANOW, &saved);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
