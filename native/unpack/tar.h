/* Streaming tar reader for tsc-unpack: ustar, GNU (long names/links,
 * base-256 numbers) and PAX (path, linkpath, size, uid, gid, mtime, atime,
 * SCHILY.xattr.*). Reads stdin through one large buffer; entry data is handed
 * out in chunks so regular files are written without an extra copy. */
#ifndef TSC_UNPACK_TAR_H
#define TSC_UNPACK_TAR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TAR_MAX_XATTRS 64

struct tar_xattr {
  char *name;
  char *value;
  size_t len;
};

struct tar_entry {
  char *name;            /* as in the archive (malloc'd) */
  char *linkname;        /* malloc'd, "" when none */
  char type;             /* '0' file, '1' hardlink, '2' symlink, '3' chr, '4' blk, '5' dir, '6' fifo */
  mode_t mode;           /* permission + setuid/setgid/sticky bits */
  uid_t uid;
  gid_t gid;
  uint64_t size;         /* bytes of data following the header */
  int64_t mtime_sec;
  long mtime_nsec;
  int64_t atime_sec;
  long atime_nsec;
  int has_atime;
  unsigned devmajor, devminor;
  int nxattrs;
  struct tar_xattr xattrs[TAR_MAX_XATTRS];
};

struct tar_reader {
  int fd;
  unsigned char *buf;
  size_t cap, pos, len;
  int eof;
  uint64_t consumed;     /* bytes of the tar stream read so far */
  uint64_t remaining;    /* data bytes of the current entry not yet read */
  uint64_t padding;      /* padding bytes after the current entry's data */
  /* global PAX values apply to every later entry */
  char *g_path_unused;
};

/* Message of the last error (entry-specific context is added by the caller). */
extern char tar_errmsg[512];

int tar_reader_init(struct tar_reader *r, int fd, size_t cap);
void tar_reader_free(struct tar_reader *r);
/* 1: an entry was read into *e; 0: end of archive; -1: error (tar_errmsg). */
int tar_next(struct tar_reader *r, struct tar_entry *e);
/* Next chunk of the current entry's data: returns its length (0 at the end of
 * the data), sets *p; -1 on error. */
ssize_t tar_data(struct tar_reader *r, const unsigned char **p);
/* Skips the rest of the current entry's data. */
int tar_skip(struct tar_reader *r);
/* Reads stdin to EOF so the writer never sees EPIPE. Returns bytes drained. */
uint64_t tar_drain(struct tar_reader *r);
void tar_entry_free(struct tar_entry *e);

#endif
