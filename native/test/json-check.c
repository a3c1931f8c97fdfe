/* Test driver for src/json.c (built by test/integration/tscrun/json.test.ts):
 *   json-check FILE            parse, print canonical JSON (exit 0) or the error (exit 1)
 *   json-check FILE PATH...    print json_path(root, PATH) for each PATH, one per line
 *   json-check -i FILE KEY...  print json_int(root, KEY, -4242) per KEY */
#include <stdio.h>
#include <string.h>
#include "json.h"

static void dump(const json_t *v) {
  if (!v) { fputs("<missing>", stdout); return; }
  switch (v->type) {
  case JSON_NULL: fputs("null", stdout); break;
  case JSON_BOOL: fputs(v->boolean ? "true" : "false", stdout); break;
  case JSON_NUMBER:
    if ((double)v->integer == v->number) printf("%lld", (long long)v->integer);
    else printf("%.17g", v->number);
    break;
  case JSON_STRING: json_write_string(stdout, v->string); break;
  case JSON_ARRAY:
    putchar('[');
    for (size_t i = 0; i < v->len; i++) { if (i) putchar(','); dump(v->items[i]); }
    putchar(']');
    break;
  case JSON_OBJECT:
    putchar('{');
    for (size_t i = 0; i < v->len; i++) {
      if (i) putchar(',');
      json_write_string(stdout, v->keys[i]);
      putchar(':');
      dump(v->items[i]);
    }
    putchar('}');
    break;
  }
}

int main(int argc, char **argv) {
  int ints = argc > 1 && strcmp(argv[1], "-i") == 0;
  if (argc < 2 + ints) { fputs("usage: json-check [-i] FILE [PATH...]\n", stderr); return 2; }
  tsc_err_t err = {0};
  json_t *root = json_parse_file(argv[1 + ints], &err);
  if (!root) {
    char buf[2048];
    printf("error: %s\n", tsc_error_text(&err, buf, sizeof buf));
    return 1;
  }
  if (argc == 2) { dump(root); putchar('\n'); }
  for (int i = 2 + ints; i < argc; i++) {
    if (ints) printf("%lld\n", (long long)json_int(root, argv[i], -4242));
    else { dump(json_path(root, argv[i])); putchar('\n'); }
  }
  json_free(root);
  return 0;
}
