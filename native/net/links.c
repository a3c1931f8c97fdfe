/* Link steps: bridge, veth, master, mtu, mac, up, rename, move, del. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/veth.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>

int net_ifindex(const char *name, tsc_err_t *err) {
  unsigned idx = if_nametoindex(name);
  if (idx == 0)
    return tsc_error(err, errno == 0 ? ENODEV : errno, "find link `%s`", name);
  return (int)idx;
}

static int parse_u32(const char *s, const char *what, uint32_t *out, tsc_err_t *err) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || *end || end == s || v > 0xffffffffUL)
    return tsc_error(err, EINVAL, "%s `%s` is not a number", what, s);
  *out = (uint32_t)v;
  return 0;
}

/* Options after the fixed arguments: `mtu N`, `netns PATH`, `may-exist`. */
typedef struct opts {
  uint32_t mtu;
  const char *netns;
  int may_exist;
} opts_t;

static int parse_opts(const step_t *s, int from, opts_t *o, tsc_err_t *err) {
  memset(o, 0, sizeof *o);
  for (int i = from; i < s->argc; i++) {
    if (strcmp(s->argv[i], "may-exist") == 0 || strcmp(s->argv[i], "missing-ok") == 0)
      o->may_exist = 1;
    else if (strcmp(s->argv[i], "mtu") == 0 && i + 1 < s->argc) {
      if (parse_u32(s->argv[++i], "mtu", &o->mtu, err) < 0)
        return -1;
    } else if (strcmp(s->argv[i], "netns") == 0 && i + 1 < s->argc)
      o->netns = s->argv[++i];
    else
      return tsc_error(err, EINVAL, "unknown option `%s`", s->argv[i]);
  }
  return 0;
}

int step_bridge(net_ctx_t *ctx, const step_t *s, tsc_err_t *err) {
  opts_t o;
  if (parse_opts(s, 2, &o, err) < 0)
    return -1;
  nl_req_t r;
  struct ifinfomsg *ifi = nl_begin(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  nl_attr_str(&r, IFLA_IFNAME, s->argv[1]);
  if (o.mtu)
    nl_attr_u32(&r, IFLA_MTU, o.mtu);
  struct rtattr *li = nl_nest(&r, IFLA_LINKINFO);
  nl_attr_str(&r, IFLA_INFO_KIND, "bridge");
  nl_nest_end(&r, li);
  int rc = nl_call(&ctx->nl, &r, err);
  if (rc == -1 && !(errno == EEXIST && o.may_exist))
    return tsc_error(err, errno, "create bridge `%s`", s->argv[1]);
  return rc == -2 ? -1 : 0;
}

static int open_netns(const char *path, tsc_err_t *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return tsc_error(err, errno, "open network namespace `%s`", path);
  return fd;
}

/* veth HOST PEER [netns PATH] [mtu N]: the peer is created directly inside
 * the target namespace, so its name (eth0) never clashes with the host's. */
int step_veth(net_ctx_t *ctx, const step_t *s, tsc_err_t *err) {
  opts_t o;
  if (parse_opts(s, 3, &o, err) < 0)
    return -1;
  int nsfd = -1;
  if (o.netns && (nsfd = open_netns(o.netns, err)) < 0)
    return -1;
  nl_req_t r;
  struct ifinfomsg *ifi = nl_begin(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  nl_attr_str(&r, IFLA_IFNAME, s->argv[1]);
  if (o.mtu)
    nl_attr_u32(&r, IFLA_MTU, o.mtu);
  struct rtattr *li = nl_nest(&r, IFLA_LINKINFO);
  nl_attr_str(&r, IFLA_INFO_KIND, "veth");
  struct rtattr *data = nl_nest(&r, IFLA_INFO_DATA);
  struct rtattr *peer = nl_nest(&r, VETH_INFO_PEER);
  struct ifinfomsg *pifi = nl_reserve(&r, sizeof *pifi);
  pifi->ifi_family = AF_UNSPEC;
  nl_attr_str(&r, IFLA_IFNAME, s->argv[2]);
  if (o.mtu)
    nl_attr_u32(&r, IFLA_MTU, o.mtu);
  if (nsfd >= 0)
    nl_attr_u32(&r, IFLA_NET_NS_FD, (uint32_t)nsfd);
  nl_nest_end(&r, peer);
  nl_nest_end(&r, data);
  nl_nest_end(&r, li);
  int rc = nl_call(&ctx->nl, &r, err);
  int e = errno;
  if (nsfd >= 0)
    close(nsfd);
  if (rc == -1)
    return tsc_error(err, e, "create veth pair `%s` / `%s`%s%s", s->argv[1], s->argv[2], o.netns ? " in " : "", o.netns ? o.netns : "");
  return rc == -2 ? -1 : 0;
}

/* One RTM_NEWLINK on an existing link; `fill` adds the attributes. */
static int set_link(net_ctx_t *ctx, const char *name, unsigned flags, unsigned change, nl_req_t *r, struct ifinfomsg **pifi,
                    tsc_err_t *err) {
  int idx = net_ifindex(name, err);
  if (idx < 0)
    return -1;
  struct ifinfomsg *ifi = nl_begin(r, RTM_NEWLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = idx;
  ifi->ifi_flags = flags;
  ifi->ifi_change = change;
  if (pifi)
    *pifi = ifi;
  (void)ctx;
  return 0;
}

int step_master(net_ctx_t *ctx, const step_t *s, tsc_err_t *err) {
  nl_req_t r;
  int br = net_ifindex(s->argv[2], err);
  if (br < 0 || set_link(ctx, s->argv[1], 0, 0, &r, NULL, err) < 0)
    return -1;
  nl_attr_u32(&r, IFLA_MASTER, (uint32_t)br);
  int rc = nl_call(&ctx->nl, &r, err);
  if (rc == -1)
    return tsc_error(err, errno, "attach `%s` to bridge `%s`", s->argv[1], s->argv[2]);
  return rc == -2 ? -1 : 0;
}

int step_mtu(net_ctx_t *ctx, const step_t *s, tsc_err_t *err) {
  uint32_t mtu;
  nl_req_t r;
  if (parse_u32(s->argv[2], "mtu", &mtu, err) < 0 || set_link(ctx, s->argv[1], 0, 0, &r, NULL, err) < 0)
    return -1;
  nl_attr_u32(&r, IFLA_MTU, mtu);
  int rc = nl_call(&ctx->nl, &r, err);
  if (rc == -1)
    return tsc_error(err, errno, "set mtu %u on `%s`", mtu, s->argv[1]);
  return rc == -2 ? -1 : 0;
}

int step_mac(net_ctx_t *ctx, const step_t *s, tsc_err_t *err) {
  unsigned char mac[6];
  unsigned v[6];
  char extra;
  if (sscanf(s->argv[2], "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &extra) != 6)
    return tsc_error(err, EINVAL, "mac address `%s` is not of the form aa:bb:cc:dd:ee:ff", s->argv[2]);
  for (int i = 0; i < 6; i++) {
    if (v[i] > 255)
      return tsc_error(err, EINVAL, "mac address `%s` has a byte over ff", s->argv[2]);
    mac[i] = (unsigned char)v[i];
  }
  nl_req_t r;
  if (set_link(ctx, s->argv[1], 0, 0, &r, NULL, err) < 0)
    return -1;
  nl_attr(&r, IFLA_ADDRESS, mac, sizeof mac);
  int rc = nl_call(&ctx->nl, &r, err);
  if (rc == -1)
    return tsc_error(err, errno, "set mac %s on `%s`", s->argv[2], s->argv[1]);
  return rc == -2 ? -1 : 0;
}

int step_up(net_ctx_t *ctx, const step_t *s, tsc_err_t *err) {
  nl_req_t r;
  if (set_link(ctx, s->argv[1], IFF_UP, IFF_UP, &r, NULL, err) < 0)
    return -1;
  int rc = nl_call(&ctx->nl, &r, err);
  if (rc == -1)
    return tsc_error(err, errno, "bring up `%s`", s->argv[1]);
  return rc == -2 ? -1 : 0;
}

int step_rename(net_ctx_t *ctx, const step_t *s, tsc_err_t *err) {
  nl_req_t r;
  if (set_link(ctx, s->argv[1], 0, 0, &r, NULL, err) < 0)
    return -1;
  nl_attr_str(&r, IFLA_IFNAME, s->argv[2]);
  int rc = nl_call(&ctx->nl, &r, err);
  if (rc == -1)
    return tsc_error(err, errno, "rename `%s` to `%s`", s->argv[1], s->argv[2]);
  return rc == -2 ? -1 : 0;
}

int step_move(net_ctx_t *ctx, const step_t *s, tsc_err_t *err) {
  nl_req_t r;
  if (set_link(ctx, s->argv[1], 0, 0, &r, NULL, err) < 0)
    return -1;
  int nsfd = open_netns(s->argv[2], err);
  if (nsfd < 0)
    return -1;
  nl_attr_u32(&r, IFLA_NET_NS_FD, (uint32_t)nsfd);
  int rc = nl_call(&ctx->nl, &r, err);
  int e = errno;
  close(nsfd);
  if (rc == -1)
    return tsc_error(err, e, "move `%s` into `%s`", s->argv[1], s->argv[2]);
  return rc == -2 ? -1 : 0;
}

/* del NAME [missing-ok]: deleting one end of a veth removes both. */
int step_del(net_ctx_t *ctx, const step_t *s, tsc_err_t *err) {
  opts_t o;
  if (parse_opts(s, 2, &o, err) < 0)
    return -1;
  unsigned idx = if_nametoindex(s->argv[1]);
  if (idx == 0) {
    if (o.may_exist)
      return 0;
    return tsc_error(err, ENODEV, "delete link `%s`", s->argv[1]);
  }
  nl_req_t r;
  struct ifinfomsg *ifi = nl_begin(&r, RTM_DELLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = (int)idx;
  int rc = nl_call(&ctx->nl, &r, err);
  if (rc == -1 && !(o.may_exist && errno == ENODEV))
    return tsc_error(err, errno, "delete link `%s`", s->argv[1]);
  return rc == -2 ? -1 : 0;
}
