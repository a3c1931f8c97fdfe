/* tsc-net: a batch of rtnetlink steps from stdin, one JSON answer on stdout.
 * Exit 0 when every step ran, 1 when one failed (named in the answer),
 * 2 when the request itself is malformed (nothing was run). */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const verb_t net_verbs[] = {
    {"netns", 1, 1, step_netns, "netns PATH|host"},
    {"bridge", 1, 4, step_bridge, "bridge NAME [mtu N] [may-exist]"},
    {"veth", 2, 7, step_veth, "veth HOST PEER [netns PATH] [mtu N]"},
    {"master", 2, 2, step_master, "master IF BRIDGE"},
    {"mtu", 2, 2, step_mtu, "mtu IF N"},
    {"mac", 2, 2, step_mac, "mac IF aa:bb:cc:dd:ee:ff"},
    {"up", 1, 1, step_up, "up IF"},
    {"rename", 2, 2, step_rename, "rename IF NEWNAME"},
    {"move", 2, 2, step_move, "move IF NETNS_PATH"},
    {"del", 1, 2, step_del, "del IF [missing-ok]"},
    {"addr", 2, 4, step_addr, "addr IF CIDR [may-exist] [nodad]"},
    {"route", 3, 5, step_route, "route DST|default [via GW] [dev IF]"},
    {"sysctl", 2, 2, step_sysctl, "sysctl net.KEY VALUE"},
    {"links", 0, 0, step_links, "links"},
    {"addrs", 0, 0, step_addrs, "addrs"},
    {"routes", 0, 0, step_routes, "routes"},
    {NULL, 0, 0, NULL, NULL},
};

static net_ctx_t *g_ctx;
static char *g_results_buf;
static size_t g_results_len;

void json_str_out(FILE *out, const char *s) {
  static const char hex[] = "0123456789abcdef";
  putc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') {
      putc('\\', out);
      putc(*p, out);
    } else if (*p < 0x20) {
      fputs("\\u00", out);
      putc(hex[*p >> 4], out);
      putc(hex[*p & 15], out);
    } else
      putc(*p, out);
  }
  putc('"', out);
}

FILE *net_result(net_ctx_t *ctx) {
  if (ctx->nresults++ > 0)
    fputc(',', ctx->results);
  return ctx->results;
}

static char *read_all(int fd, size_t *len) {
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (!buf)
      return NULL;
    if (n + 1 >= cap) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb) {
        free(buf);
        return NULL;
      }
      buf = nb;
    }
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      free(buf);
      return NULL;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  buf[n] = 0;
  *len = n;
  return buf;
}

static const verb_t *find_verb(const char *name) {
  for (const verb_t *v = net_verbs; v->name; v++)
    if (strcmp(v->name, name) == 0)
      return v;
  return NULL;
}

static void answer(int ok, int stepno, const char *line, const tsc_err_t *err) {
  fflush(g_ctx->results);
  printf("{\"ok\":%s", ok ? "true" : "false");
  if (!ok) {
    char text[TSC_ERR_MSG_MAX + 128];
    printf(",\"step\":%d,\"line\":", stepno);
    json_str_out(stdout, line ? line : "");
    fputs(",\"error\":", stdout);
    json_str_out(stdout, tsc_error_text(err, text, sizeof text));
    printf(",\"errno\":%d", err->errnum);
  }
  printf(",\"results\":[%.*s]}\n", (int)g_results_len, g_results_buf ? g_results_buf : "");
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc > 1) {
    fprintf(stderr, "usage: tsc-net < steps\n\none step per line, run in order; verbs:\n");
    for (const verb_t *v = net_verbs; v->name; v++)
      fprintf(stderr, "  %s\n", v->usage);
    return strcmp(argv[1], "--help") == 0 ? 0 : 2;
  }
  net_ctx_t ctx = {.nl = {.fd = -1}, .host_ns = -1};
  g_ctx = &ctx;
  ctx.results = open_memstream(&g_results_buf, &g_results_len);
  tsc_err_t err = {0};
  size_t len;
  char *text = read_all(0, &len);
  if (!text || !ctx.results) {
    tsc_error(&err, errno, "read the request from stdin");
    answer(0, 0, NULL, &err);
    return 2;
  }
  /* A request cut short (its writer died mid-write) must not run a partial
   * last step ("del tscb1a2" cut to "del tsc"): the text must end in '\n'. */
  if (len > 0 && text[len - 1] != '\n') {
    tsc_error(&err, EINVAL, "the request does not end with a newline (cut short?); nothing was run");
    answer(0, 0, NULL, &err);
    return 2;
  }
  /* Parse every line first: a malformed request runs nothing. */
  size_t cap = 64, nsteps = 0;
  step_t *steps = calloc(cap, sizeof *steps);
  char **lines = calloc(cap, sizeof *lines);
  int *lineno = calloc(cap, sizeof *lineno);
  int no = 0;
  /* Lines split by hand (strtok would merge blank lines and shift the numbers). */
  for (char *l = text, *next; l && *l; l = next) {
    next = strchr(l, '\n');
    if (next)
      *next++ = 0;
    no++;
    while (*l == ' ' || *l == '\t')
      l++;
    if (!*l || *l == '#')
      continue;
    if (nsteps == cap) {
      cap *= 2;
      steps = realloc(steps, cap * sizeof *steps);
      lines = realloc(lines, cap * sizeof *lines);
      lineno = realloc(lineno, cap * sizeof *lineno);
      if (!steps || !lines || !lineno)
        return 2;
    }
    lines[nsteps] = strdup(l);
    lineno[nsteps] = no;
    step_t *s = &steps[nsteps];
    s->argc = 0;
    for (char *sv = NULL, *t = strtok_r(l, " \t\r", &sv); t; t = strtok_r(NULL, " \t\r", &sv)) {
      if (s->argc == NET_MAX_ARGS) {
        tsc_error(&err, E2BIG, "line %d: too many words", no);
        answer(0, no, lines[nsteps], &err);
        return 2;
      }
      s->argv[s->argc++] = t;
    }
    const verb_t *v = find_verb(s->argv[0]);
    if (!v) {
      tsc_error(&err, EINVAL, "line %d: unknown step `%s`", no, s->argv[0]);
      answer(0, no, lines[nsteps], &err);
      return 2;
    }
    if (s->argc - 1 < v->min_args || s->argc - 1 > v->max_args) {
      tsc_error(&err, EINVAL, "line %d: usage: %s", no, v->usage);
      answer(0, no, lines[nsteps], &err);
      return 2;
    }
    nsteps++;
  }
  ctx.host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (ctx.host_ns < 0 || nl_open(&ctx.nl, &err) < 0) {
    if (ctx.host_ns < 0)
      tsc_error(&err, errno, "open /proc/self/ns/net");
    answer(0, 0, NULL, &err);
    return 1;
  }
  for (size_t i = 0; i < nsteps; i++) {
    memset(&err, 0, sizeof err);
    nl_ext_ack[0] = 0;
    if (find_verb(steps[i].argv[0])->fn(&ctx, &steps[i], &err) < 0) {
      if (nl_ext_ack[0]) {
        size_t n = strnlen(err.msg, sizeof err.msg);
        snprintf(err.msg + n, sizeof err.msg - n, " (kernel: %s)", nl_ext_ack);
      }
      tsc_error_wrap(&err, "line %d", lineno[i]);
      answer(0, lineno[i], lines[i], &err);
      return 1;
    }
  }
  answer(1, 0, NULL, &err);
  return 0;
}
