/* fs.h - file-system helpers: paths, folders, atomic replace, bounded file reads */
#ifndef POLYCRATE_FS_H
#define POLYCRATE_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct buf;

/* mkdir -p with mode for the folders it creates. */
int fs_mkdirs(const char *path, mode_t mode, struct err *e);
/* rm -rf that never follows symlinks; a missing path is success. */
int fs_rmtree(const char *path, struct err *e);
/* Reads a whole file into b (appending); more than max bytes is ERR_FAIL naming the file
 * and the limit. A missing file is ERR_NOTFOUND. */
int fs_read_file(const char *path, struct buf *b, size_t max, struct err *e);
/* Writes p to path through a temp file and rename (fsync first). */
int fs_write_atomic(const char *path, const void *p, size_t n, mode_t mode, struct err *e);
/* 1 when path exists (lstat), 0 otherwise. */
int fs_exists(const char *path);
int fs_is_dir(const char *path);
/* a + "/" + b into out (at most n bytes); ERR_FAIL when it does not fit. */
int fs_join(char *out, size_t n, const char *a, const char *b);

#endif
