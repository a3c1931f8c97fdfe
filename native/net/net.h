/* tsc-net: one batch of network steps per process.
 *
 *   engine ──stdin: one step per line──▶ tsc-net ──stdout: one JSON object──▶ engine
 *
 * Steps run in order in the current network namespace (`netns PATH` switches,
 * `netns host` returns); the first failing step stops the batch and is named
 * in the answer with its line number, the object and strerror. See
 * native/net/README.md for the verbs. */
#ifndef TSC_NET_H
#define TSC_NET_H

#include <stdio.h>
#include "nl.h"

#define NET_MAX_ARGS 16

typedef struct net_ctx {
  nl_t nl;              /* socket in the current namespace */
  int host_ns;          /* fd of the namespace we started in */
  FILE *results;        /* JSON values, comma-separated, for list verbs */
  int nresults;
} net_ctx_t;

typedef struct step {
  int argc;
  char *argv[NET_MAX_ARGS];
} step_t;

typedef int (*step_fn)(net_ctx_t *ctx, const step_t *s, tsc_err_t *err);

typedef struct verb {
  const char *name;
  int min_args, max_args;   /* not counting the verb */
  step_fn fn;
  const char *usage;
} verb_t;

extern const verb_t net_verbs[];

/* Results: begin a JSON value in ctx->results (adds the separator). */
FILE *net_result(net_ctx_t *ctx);
void json_str_out(FILE *out, const char *s);

/* links.c */
int step_bridge(net_ctx_t *, const step_t *, tsc_err_t *);
int step_veth(net_ctx_t *, const step_t *, tsc_err_t *);
int step_master(net_ctx_t *, const step_t *, tsc_err_t *);
int step_mtu(net_ctx_t *, const step_t *, tsc_err_t *);
int step_mac(net_ctx_t *, const step_t *, tsc_err_t *);
int step_up(net_ctx_t *, const step_t *, tsc_err_t *);
int step_rename(net_ctx_t *, const step_t *, tsc_err_t *);
int step_move(net_ctx_t *, const step_t *, tsc_err_t *);
int step_del(net_ctx_t *, const step_t *, tsc_err_t *);
/* addrs.c */
int step_addr(net_ctx_t *, const step_t *, tsc_err_t *);
int step_route(net_ctx_t *, const step_t *, tsc_err_t *);
/* ns.c */
int step_netns(net_ctx_t *, const step_t *, tsc_err_t *);
int step_sysctl(net_ctx_t *, const step_t *, tsc_err_t *);
/* dump.c */
int step_links(net_ctx_t *, const step_t *, tsc_err_t *);
int step_addrs(net_ctx_t *, const step_t *, tsc_err_t *);
int step_routes(net_ctx_t *, const step_t *, tsc_err_t *);

/* Interface index by name in the current namespace, or error naming it. */
int net_ifindex(const char *name, tsc_err_t *err);

#endif
