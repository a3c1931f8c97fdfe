/* Address and route steps. IPv4 and IPv6 alike: the family comes from the text. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct inaddr {
  int family;
  unsigned char bytes[16];
  size_t len;
  int prefix;
} inaddr_t;

/* "10.1.2.3/24", "fd00::1/64", or without a prefix when allowed. */
static int parse_addr(const char *text, int need_prefix, inaddr_t *a, tsc_err_t *err) {
  char buf[INET6_ADDRSTRLEN + 8];
  if (strlen(text) >= sizeof buf)
    return tsc_error(err, EINVAL, "address `%s` is too long", text);
  strcpy(buf, text);
  char *slash = strchr(buf, '/');
  a->prefix = -1;
  if (slash) {
    *slash = 0;
    char *end;
    long p = strtol(slash + 1, &end, 10);
    if (*end || end == slash + 1 || p < 0 || p > 128)
      return tsc_error(err, EINVAL, "prefix length in `%s` is not a number from 0 to 128", text);
    a->prefix = (int)p;
  } else if (need_prefix)
    return tsc_error(err, EINVAL, "address `%s` needs a prefix length (like 10.0.0.1/24)", text);
  if (inet_pton(AF_INET, buf, a->bytes) == 1) {
    a->family = AF_INET;
    a->len = 4;
  } else if (inet_pton(AF_INET6, buf, a->bytes) == 1) {
    a->family = AF_INET6;
    a->len = 16;
  } else
    return tsc_error(err, EINVAL, "`%s` is not an IPv4 or IPv6 address", text);
  if (a->prefix > (int)a->len * 8)
    return tsc_error(err, EINVAL, "prefix length in `%s` is too long for its family", text);
  return 0;
}

/* addr IF CIDR [may-exist] [nodad] */
int step_addr(net_ctx_t *ctx, const step_t *s, tsc_err_t *err) {
  inaddr_t a;
  if (parse_addr(s->argv[2], 1, &a, err) < 0)
    return -1;
  int may_exist = 0, nodad = 0;
  for (int i = 3; i < s->argc; i++) {
    if (strcmp(s->argv[i], "may-exist") == 0)
      may_exist = 1;
    else if (strcmp(s->argv[i], "nodad") == 0)
      nodad = 1; /* IPv6: usable at once, no duplicate detection wait */
    else
      return tsc_error(err, EINVAL, "unknown option `%s`", s->argv[i]);
  }
  int idx = net_ifindex(s->argv[1], err);
  if (idx < 0)
    return -1;
  nl_req_t r;
  struct ifaddrmsg *ifa = nl_begin(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifa);
  ifa->ifa_family = (unsigned char)a.family;
  ifa->ifa_prefixlen = (unsigned char)a.prefix;
  ifa->ifa_index = (unsigned)idx;
  if (nodad)
    ifa->ifa_flags = IFA_F_NODAD;
  nl_attr(&r, IFA_LOCAL, a.bytes, a.len);
  nl_attr(&r, IFA_ADDRESS, a.bytes, a.len);
  if (a.family == AF_INET && a.prefix < 31) {
    unsigned char brd[4];
    uint32_t host = a.prefix == 0 ? 0xffffffffu : (0xffffffffu >> a.prefix);
    uint32_t v;
    memcpy(&v, a.bytes, 4);
    v = htonl(ntohl(v) | host);
    memcpy(brd, &v, 4);
    nl_attr(&r, IFA_BROADCAST, brd, 4);
  }
  int rc = nl_call(&ctx->nl, &r, err);
  if (rc == -1 && !(errno == EEXIST && may_exist))
    return tsc_error(err, errno, "add address %s to `%s`", s->argv[2], s->argv[1]);
  return rc == -2 ? -1 : 0;
}

/* route DST [via GW] [dev IF]   DST is `default` or a CIDR. Replaces an
 * existing route to the same destination. */
int step_route(net_ctx_t *ctx, const step_t *s, tsc_err_t *err) {
  inaddr_t dst = {0}, gw = {0};
  const char *via = NULL, *dev = NULL;
  for (int i = 2; i < s->argc; i++) {
    if (strcmp(s->argv[i], "via") == 0 && i + 1 < s->argc)
      via = s->argv[++i];
    else if (strcmp(s->argv[i], "dev") == 0 && i + 1 < s->argc)
      dev = s->argv[++i];
    else
      return tsc_error(err, EINVAL, "unknown option `%s` (route DST [via GW] [dev IF])", s->argv[i]);
  }
  if (!via && !dev)
    return tsc_error(err, EINVAL, "route %s needs `via GW` or `dev IF`", s->argv[1]);
  if (via && parse_addr(via, 0, &gw, err) < 0)
    return -1;
  int is_default = strcmp(s->argv[1], "default") == 0;
  if (!is_default && parse_addr(s->argv[1], 1, &dst, err) < 0)
    return -1;
  int family = is_default ? (via ? gw.family : AF_INET) : dst.family;
  if (via && gw.family != family)
    return tsc_error(err, EINVAL, "route %s via %s mixes address families", s->argv[1], via);
  nl_req_t r;
  struct rtmsg *rtm = nl_begin(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, sizeof *rtm);
  rtm->rtm_family = (unsigned char)family;
  rtm->rtm_dst_len = is_default ? 0 : (unsigned char)dst.prefix;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;
  rtm->rtm_scope = via ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rtm->rtm_type = RTN_UNICAST;
  if (!is_default)
    nl_attr(&r, RTA_DST, dst.bytes, dst.len);
  if (via)
    nl_attr(&r, RTA_GATEWAY, gw.bytes, gw.len);
  if (dev) {
    int idx = net_ifindex(dev, err);
    if (idx < 0)
      return -1;
    nl_attr_u32(&r, RTA_OIF, (uint32_t)idx);
  }
  int rc = nl_call(&ctx->nl, &r, err);
  if (rc == -1)
    return tsc_error(err, errno, "add route %s%s%s%s%s", s->argv[1], via ? " via " : "", via ? via : "", dev ? " dev " : "",
                     dev ? dev : "");
  return rc == -2 ? -1 : 0;
}
