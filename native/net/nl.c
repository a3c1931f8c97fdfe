/* rtnetlink plumbing; see nl.h. */
#include "nl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int nl_open(nl_t *nl, tsc_err_t *err) {
  nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (nl->fd < 0)
    return tsc_error(err, errno, "socket(AF_NETLINK, NETLINK_ROUTE)");
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(nl->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int e = errno;
    close(nl->fd);
    nl->fd = -1;
    return tsc_error(err, e, "bind netlink socket");
  }
  int one = 1;
  /* Extended ACKs give the kernel's own reason text; not fatal if absent. */
  (void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  nl->seq = 1;
  return 0;
}

void nl_close(nl_t *nl) {
  if (nl->fd >= 0)
    close(nl->fd);
  nl->fd = -1;
}

void *nl_begin(nl_req_t *r, uint16_t type, uint16_t flags, size_t hdrlen) {
  memset(r, 0, sizeof *r);
  r->u.h.nlmsg_len = NLMSG_LENGTH(hdrlen);
  r->u.h.nlmsg_type = type;
  r->u.h.nlmsg_flags = NLM_F_REQUEST | flags;
  return NLMSG_DATA(&r->u.h);
}

static char *tail(nl_req_t *r) { return r->u.buf + NLMSG_ALIGN(r->u.h.nlmsg_len); }

int nl_attr(nl_req_t *r, uint16_t type, const void *data, size_t len) {
  size_t need = NLMSG_ALIGN(r->u.h.nlmsg_len) + RTA_SPACE(len);
  if (need > sizeof r->u.buf) {
    errno = E2BIG;
    return -1;
  }
  struct rtattr *rta = (struct rtattr *)tail(r);
  rta->rta_type = type;
  rta->rta_len = RTA_LENGTH(len);
  if (len)
    memcpy(RTA_DATA(rta), data, len);
  r->u.h.nlmsg_len = NLMSG_ALIGN(r->u.h.nlmsg_len) + RTA_ALIGN(rta->rta_len);
  return 0;
}

int nl_attr_str(nl_req_t *r, uint16_t type, const char *s) { return nl_attr(r, type, s, strlen(s) + 1); }

int nl_attr_u32(nl_req_t *r, uint16_t type, uint32_t v) { return nl_attr(r, type, &v, sizeof v); }

struct rtattr *nl_nest(nl_req_t *r, uint16_t type) {
  struct rtattr *nest = (struct rtattr *)tail(r);
  if (nl_attr(r, type, NULL, 0) < 0)
    return NULL;
  return nest;
}

void nl_nest_end(nl_req_t *r, struct rtattr *nest) {
  nest->rta_len = (unsigned short)(tail(r) - (char *)nest);
}

void *nl_reserve(nl_req_t *r, size_t len) {
  void *p = tail(r);
  memset(p, 0, NLMSG_ALIGN(len));
  r->u.h.nlmsg_len = NLMSG_ALIGN(r->u.h.nlmsg_len) + NLMSG_ALIGN(len);
  return p;
}

static int send_req(nl_t *nl, nl_req_t *r, tsc_err_t *err) {
  r->u.h.nlmsg_seq = ++nl->seq;
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  ssize_t n;
  do
    n = sendto(nl->fd, r->u.buf, r->u.h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return tsc_error(err, errno, "send netlink request");
  return 0;
}

static ssize_t recv_some(nl_t *nl, char *buf, size_t len, tsc_err_t *err) {
  ssize_t n;
  do
    n = recv(nl->fd, buf, len, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return tsc_error(err, errno, "receive netlink answer");
  return n;
}

char nl_ext_ack[256];

/* The kernel's own reason (NETLINK_EXT_ACK), e.g. "Invalid MTU", kept for
 * the answer: errno alone often says only "Invalid argument". */
static void save_ext_ack(const struct nlmsghdr *h) {
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
    return;
  const struct nlmsgerr *e = NLMSG_DATA(h);
  size_t off = sizeof *e;
  if (!(h->nlmsg_flags & NLM_F_CAPPED))
    off += e->msg.nlmsg_len - sizeof e->msg;
  int len = (int)h->nlmsg_len - (int)NLMSG_HDRLEN - (int)off;
  if (len <= 0)
    return;
  struct rtattr *tb[NLMSGERR_ATTR_MAX + 1];
  nl_parse(tb, NLMSGERR_ATTR_MAX, (struct rtattr *)((char *)e + off), len);
  if (tb[NLMSGERR_ATTR_MSG])
    snprintf(nl_ext_ack, sizeof nl_ext_ack, "%s", (const char *)RTA_DATA(tb[NLMSGERR_ATTR_MSG]));
}

int nl_call(nl_t *nl, nl_req_t *r, tsc_err_t *err) {
  nl_ext_ack[0] = 0;
  r->u.h.nlmsg_flags |= NLM_F_ACK;
  if (send_req(nl, r, err) < 0)
    return -2;
  char buf[NL_BUF];
  for (;;) {
    ssize_t n = recv_some(nl, buf, sizeof buf, err);
    if (n < 0)
      return -2;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != nl->seq)
        continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);
        if (e->error == 0)
          return 0;
        save_ext_ack(h);
        errno = -e->error;
        return -1;
      }
    }
  }
}

int nl_dump(nl_t *nl, nl_req_t *r, nl_dump_cb cb, void *ctx, tsc_err_t *err) {
  r->u.h.nlmsg_flags |= NLM_F_DUMP;
  if (send_req(nl, r, err) < 0)
    return -1;
  static char buf[32768];
  for (;;) {
    ssize_t n = recv_some(nl, buf, sizeof buf, err);
    if (n < 0)
      return -1;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != nl->seq)
        continue;
      if (h->nlmsg_type == NLMSG_DONE)
        return 0;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);
        return tsc_error(err, -e->error, "netlink dump");
      }
      if (cb(h, ctx) < 0)
        return tsc_error(err, errno, "netlink dump callback");
    }
  }
}

void nl_parse(struct rtattr **tb, int max, struct rtattr *rta, int len) {
  memset(tb, 0, sizeof(struct rtattr *) * (size_t)(max + 1));
  for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
    if (rta->rta_type <= max && !tb[rta->rta_type])
      tb[rta->rta_type] = rta;
}
