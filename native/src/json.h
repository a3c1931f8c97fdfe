/* A small JSON DOM for config.json and state files (libc only).
 * Parse once, walk read-only. All nodes live in one arena freed by json_free. */
#ifndef TSC_JSON_H
#define TSC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "error.h"

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type_t;

typedef struct json json_t;
struct json {
  json_type_t type;
  bool boolean;
  double number;          /* JSON_NUMBER (also exact int64 in `integer` when integral) */
  int64_t integer;
  char *string;           /* JSON_STRING: NUL-terminated, unescaped (UTF-8) */
  size_t len;             /* string length, or number of children */
  json_t **items;         /* JSON_ARRAY children; JSON_OBJECT values */
  char **keys;            /* JSON_OBJECT keys, parallel to items */
};

/* Parse text (len bytes). NULL on error with err set: "config.json:12:5: expected ','". */
json_t *json_parse(const char *text, size_t len, const char *name, tsc_err_t *err);
/* Read and parse a whole file. */
json_t *json_parse_file(const char *path, tsc_err_t *err);
void json_free(json_t *root);

/* Lookups: NULL when missing or when node is not an object / index out of range. */
const json_t *json_get(const json_t *obj, const char *key);
const json_t *json_at(const json_t *arr, size_t i);
/* Dotted path lookup: json_path(root, "linux.resources.memory"). */
const json_t *json_path(const json_t *root, const char *dotted);
/* Typed getters with a default when missing or of another type. */
const char *json_str(const json_t *obj, const char *key, const char *dflt);
int64_t json_int(const json_t *obj, const char *key, int64_t dflt);
bool json_bool(const json_t *obj, const char *key, bool dflt);

/* Writing: escape a string into a FILE* as a JSON string literal (with quotes). */
void json_write_string(FILE *out, const char *s);

#endif
