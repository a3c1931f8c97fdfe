/* Applying tar entries to the current root (tsc-unpack has chrooted into the
 * layer directory before any of this runs, so every path — `..`, absolute
 * symlinks, symlinks planted by earlier entries — resolves inside it). */
#ifndef TSC_UNPACK_EXTRACT_H
#define TSC_UNPACK_EXTRACT_H

#include <stdint.h>
#include <stdio.h>
#include "tar.h"

struct unpack_opts {
  int allow_devices;   /* mknod block/char devices (else skipped with a warning) */
  int is_root;         /* real root: ownership errors are errors, not ignored */
};

struct unpack_stats {
  uint64_t entries, files, dirs, symlinks, hardlinks, devices, fifos, whiteouts, opaques, skipped, warnings, bytes;
};

/* Error text of the last failure (without the entry name). */
extern char extract_errmsg[1024];

/* Lexically cleans an archive name into out: no leading '/', no '.', '..'
 * folded; "" is the root. -1 when '..' climbs above the root. */
int clean_path(const char *in, char *out, size_t outsz);

/* Applies one entry; reads its data from r. 0 ok, -1 error (extract_errmsg). */
int extract_entry(struct tar_reader *r, struct tar_entry *e, const struct unpack_opts *o, struct unpack_stats *st);
/* Applies directory mtimes recorded while extracting (after all entries). */
int extract_finish(struct unpack_stats *st);

void warnx_entry(struct unpack_stats *st, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void print_name(FILE *f, const char *name);

#endif
