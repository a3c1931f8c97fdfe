/* List verbs: links, addrs, routes — JSON values into the batch results. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

static void ifname_of(int idx, char *buf) {
  if (!if_indextoname((unsigned)idx, buf))
    snprintf(buf, IF_NAMESIZE, "#%d", idx);
}

static int link_cb(const struct nlmsghdr *h, void *vctx) {
  net_ctx_t *ctx = vctx;
  if (h->nlmsg_type != RTM_NEWLINK)
    return 0;
  struct ifinfomsg *ifi = NLMSG_DATA(h);
  struct rtattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
  nl_parse(tb, IFLA_MAX, IFLA_RTA(ifi), (int)IFLA_PAYLOAD(h));
  FILE *o = net_result(ctx);
  fprintf(o, "{\"type\":\"link\",\"index\":%d,\"name\":", ifi->ifi_index);
  json_str_out(o, tb[IFLA_IFNAME] ? (const char *)RTA_DATA(tb[IFLA_IFNAME]) : "");
  fprintf(o, ",\"up\":%s", (ifi->ifi_flags & IFF_UP) ? "true" : "false");
  if (tb[IFLA_MTU])
    fprintf(o, ",\"mtu\":%u", *(uint32_t *)RTA_DATA(tb[IFLA_MTU]));
  if (tb[IFLA_MASTER]) {
    char name[IF_NAMESIZE];
    ifname_of((int)*(uint32_t *)RTA_DATA(tb[IFLA_MASTER]), name);
    fputs(",\"master\":", o);
    json_str_out(o, name);
  }
  if (tb[IFLA_ADDRESS] && RTA_PAYLOAD(tb[IFLA_ADDRESS]) == 6) {
    const unsigned char *m = RTA_DATA(tb[IFLA_ADDRESS]);
    fprintf(o, ",\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\"", m[0], m[1], m[2], m[3], m[4], m[5]);
  }
  if (tb[IFLA_LINKINFO]) {
    nl_parse(li, IFLA_INFO_MAX, RTA_DATA(tb[IFLA_LINKINFO]), (int)RTA_PAYLOAD(tb[IFLA_LINKINFO]));
    if (li[IFLA_INFO_KIND]) {
      fputs(",\"kind\":", o);
      json_str_out(o, RTA_DATA(li[IFLA_INFO_KIND]));
    }
  }
  fputc('}', o);
  return 0;
}

int step_links(net_ctx_t *ctx, const step_t *s, tsc_err_t *err) {
  (void)s;
  nl_req_t r;
  struct ifinfomsg *ifi = nl_begin(&r, RTM_GETLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  return nl_dump(&ctx->nl, &r, link_cb, ctx, err) < 0 ? tsc_error_wrap(err, "list links") : 0;
}

static int addr_cb(const struct nlmsghdr *h, void *vctx) {
  net_ctx_t *ctx = vctx;
  if (h->nlmsg_type != RTM_NEWADDR)
    return 0;
  struct ifaddrmsg *ifa = NLMSG_DATA(h);
  struct rtattr *tb[IFA_MAX + 1];
  nl_parse(tb, IFA_MAX, IFA_RTA(ifa), (int)IFA_PAYLOAD(h));
  struct rtattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
  if (!a)
    return 0;
  char text[INET6_ADDRSTRLEN], name[IF_NAMESIZE];
  if (!inet_ntop(ifa->ifa_family, RTA_DATA(a), text, sizeof text))
    return 0;
  ifname_of((int)ifa->ifa_index, name);
  FILE *o = net_result(ctx);
  fprintf(o, "{\"type\":\"addr\",\"family\":%d,\"address\":\"%s\",\"prefixlen\":%d,\"ifname\":", ifa->ifa_family == AF_INET ? 4 : 6,
          text, ifa->ifa_prefixlen);
  json_str_out(o, name);
  fputc('}', o);
  return 0;
}

int step_addrs(net_ctx_t *ctx, const step_t *s, tsc_err_t *err) {
  (void)s;
  nl_req_t r;
  struct ifaddrmsg *ifa = nl_begin(&r, RTM_GETADDR, 0, sizeof *ifa);
  ifa->ifa_family = AF_UNSPEC;
  return nl_dump(&ctx->nl, &r, addr_cb, ctx, err) < 0 ? tsc_error_wrap(err, "list addresses") : 0;
}

static int route_cb(const struct nlmsghdr *h, void *vctx) {
  net_ctx_t *ctx = vctx;
  if (h->nlmsg_type != RTM_NEWROUTE)
    return 0;
  struct rtmsg *rtm = NLMSG_DATA(h);
  struct rtattr *tb[RTA_MAX + 1];
  nl_parse(tb, RTA_MAX, RTM_RTA(rtm), (int)RTM_PAYLOAD(h));
  uint32_t table = tb[RTA_TABLE] ? *(uint32_t *)RTA_DATA(tb[RTA_TABLE]) : rtm->rtm_table;
  /* The local and broadcast tables only mirror addresses (listed by addrs). */
  if (table == RT_TABLE_LOCAL || rtm->rtm_type != RTN_UNICAST)
    return 0;
  char dst[INET6_ADDRSTRLEN] = "", gw[INET6_ADDRSTRLEN] = "", name[IF_NAMESIZE] = "";
  if (tb[RTA_DST])
    inet_ntop(rtm->rtm_family, RTA_DATA(tb[RTA_DST]), dst, sizeof dst);
  else
    strcpy(dst, rtm->rtm_family == AF_INET ? "0.0.0.0" : "::");
  if (tb[RTA_GATEWAY])
    inet_ntop(rtm->rtm_family, RTA_DATA(tb[RTA_GATEWAY]), gw, sizeof gw);
  if (tb[RTA_OIF])
    ifname_of((int)*(uint32_t *)RTA_DATA(tb[RTA_OIF]), name);
  FILE *o = net_result(ctx);
  fprintf(o, "{\"type\":\"route\",\"family\":%d,\"dst\":\"%s\",\"prefixlen\":%d,\"table\":%u", rtm->rtm_family == AF_INET ? 4 : 6,
          dst, rtm->rtm_dst_len, table);
  if (*gw)
    fprintf(o, ",\"gateway\":\"%s\"", gw);
  if (*name) {
    fputs(",\"ifname\":", o);
    json_str_out(o, name);
  }
  fputc('}', o);
  return 0;
}

int step_routes(net_ctx_t *ctx, const step_t *s, tsc_err_t *err) {
  (void)s;
  nl_req_t r;
  struct rtmsg *rtm = nl_begin(&r, RTM_GETROUTE, 0, sizeof *rtm);
  rtm->rtm_family = AF_UNSPEC;
  return nl_dump(&ctx->nl, &r, route_cb, ctx, err) < 0 ? tsc_error_wrap(err, "list routes") : 0;
}
