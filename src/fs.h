/* fs.h - file-system helpers: paths, folders, atomic replace, bounded file reads */
#ifndef POLYCRATE_FS_H
#define POLYCRATE_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct buf;

/* mkdir -p with mode (less the umask) for the folders it creates. An existing folder, or
 * a symlink to one, is fine; anything else in the way is ERR_FAIL naming it. */
int fs_mkdirs(const char *path, mode_t mode, struct err *e);
/* rm -rf that never follows symlinks (a symlink is removed, not what it points to); works
 * with openat/unlinkat from the top folder down, opens up folders without write
 * permission, and refuses trees nested deeper than FS_TREE_DEPTH_MAX (fs.c). A missing
 * path is success. On error part of the tree may be gone. */
int fs_rmtree(const char *path, struct err *e);
/* Reads a whole file into b (appending); more than max bytes is ERR_FAIL naming the file
 * and the limit. A missing file is ERR_NOTFOUND. On error b is as it was. */
int fs_read_file(const char *path, struct buf *b, size_t max, struct err *e);
/* Writes p to path through a temp file beside it and rename (fsync first); the file gets
 * exactly mode. On error path is untouched and no temp file is left. */
int fs_write_atomic(const char *path, const void *p, size_t n, mode_t mode, struct err *e);
/* 1 when path exists (lstat: a dangling symlink exists), 0 otherwise. */
int fs_exists(const char *path);
/* 1 when path is a folder or a symlink to one (stat), 0 otherwise. */
int fs_is_dir(const char *path);
/* a + "/" + b into out (at most n bytes with the NUL); no second '/' when a ends in one,
 * none at all when a is "". out may be a (not b). ERR_FAIL when it does not fit (out is
 * then ""). */
int fs_join(char *out, size_t n, const char *a, const char *b);

#endif
