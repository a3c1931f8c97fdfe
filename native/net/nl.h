/* Minimal rtnetlink client (NETLINK_ROUTE), libc only.
 *
 * A request is built in one buffer: nlmsghdr, the family header, then
 * attributes (nestable). nl_call() sends it with NLM_F_ACK and turns the
 * kernel's NLMSG_ERROR into errno; nl_dump() walks a multipart answer.
 * The socket belongs to the network namespace it was opened in, so the
 * caller reopens it after setns(). */
#ifndef TSC_NET_NL_H
#define TSC_NET_NL_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdint.h>
#include "../src/error.h"

#define NL_BUF 8192

typedef struct nl {
  int fd;
  uint32_t seq;
} nl_t;

typedef struct nl_req {
  union {
    struct nlmsghdr h;
    char buf[NL_BUF];
  } u;
} nl_req_t;

int nl_open(nl_t *nl, tsc_err_t *err);
void nl_close(nl_t *nl);

/* Start a request: type, flags (NLM_F_REQUEST is added), family header. */
void *nl_begin(nl_req_t *r, uint16_t type, uint16_t flags, size_t hdrlen);
int nl_attr(nl_req_t *r, uint16_t type, const void *data, size_t len);
int nl_attr_str(nl_req_t *r, uint16_t type, const char *s);
int nl_attr_u32(nl_req_t *r, uint16_t type, uint32_t v);
struct rtattr *nl_nest(nl_req_t *r, uint16_t type);
void nl_nest_end(nl_req_t *r, struct rtattr *nest);
/* Reserve room for a raw header inside a nest (veth peer's ifinfomsg). */
void *nl_reserve(nl_req_t *r, size_t len);

/* The kernel's extended-ACK text of the last failed nl_call, or "". */
extern char nl_ext_ack[256];

/* Send and wait for the ACK. Returns 0, or -1 with errno set to the
 * kernel's answer (EEXIST, ENODEV...). Sets err only for socket failures. */
int nl_call(nl_t *nl, nl_req_t *r, tsc_err_t *err);

typedef int (*nl_dump_cb)(const struct nlmsghdr *h, void *ctx);
int nl_dump(nl_t *nl, nl_req_t *r, nl_dump_cb cb, void *ctx, tsc_err_t *err);

/* Parse attributes after a family header into tb[0..max]. */
void nl_parse(struct rtattr **tb, int max, struct rtattr *rta, int len);

#endif
