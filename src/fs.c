/* fs.c - file-system helpers: mkdir -p, rm -rf without following symlinks, bounded reads */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"

#define FS_PATH_MAX PATH_MAX  /* longest path fs_mkdirs and fs_rmtree take */
#define FS_TREE_DEPTH_MAX 512 /* folders fs_rmtree descends (one fd each) */
#define FS_RMTREE_PASSES 3    /* rereads of a folder whose entries changed under us */

int fs_mkdirs(const char *path, mode_t mode, struct err *e)
{
	char p[FS_PATH_MAX];
	size_t n = strlen(path);
	struct stat st;
	if (n == 0)
		return err_set(e, ERR_FAIL, "mkdir: empty path");
	if (n >= sizeof p)
		return err_set(e, ERR_FAIL, "mkdir: path longer than %d bytes", FS_PATH_MAX - 1);
	memcpy(p, path, n + 1);
	/* Each prefix ending before a '/', then the whole path. */
	for (size_t i = 1; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		if (i < n && p[i - 1] == '/')
			continue; /* "a//b" */
		p[i] = 0;
		/* An existing folder (or a symlink to one) is fine, whatever mkdir said:
		 * a read-only parent may say EACCES or EROFS about an existing child. */
		if (mkdir(p, mode) < 0) {
			int en = errno;
			int dir = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
			if (!dir && en == EEXIST)
				return err_set(e, ERR_FAIL, "mkdir %s: %s exists and is no folder",
				               path, p);
			if (!dir) /* p is the prefix that failed */
				return err_sys(e, ERR_FAIL, en, "mkdir %s", p);
		}
		if (i < n)
			p[i] = '/';
	}
	return 0;
}

/* Empties the folder open as dfd (which this closes) and everything below it. */
static int rm_contents(int dfd, const char *top, int depth, struct err *e)
{
	DIR *d;
	struct dirent *de;
	int rc = 0, pass;
	if (depth > FS_TREE_DEPTH_MAX) {
		close(dfd);
		return err_set(e, ERR_FAIL, "remove %s: more than %d nested folders", top,
		               FS_TREE_DEPTH_MAX);
	}
	d = fdopendir(dfd);
	if (!d) {
		int en = errno;
		close(dfd);
		return err_sys(e, ERR_FAIL, en, "remove %s", top);
	}
	/* Removing while reading may skip entries; read again until a pass finds nothing. */
	for (pass = 0; pass < FS_RMTREE_PASSES && rc == 0; pass++) {
		int removed = 0;
		rewinddir(d);
		while (rc == 0 && (errno = 0, de = readdir(d))) {
			const char *name = de->d_name;
			int cfd;
			if (!strcmp(name, ".") || !strcmp(name, ".."))
				continue;
			removed++;
			if (unlinkat(dirfd(d), name, 0) == 0 || errno == ENOENT)
				continue;
			if (errno != EISDIR && errno != EPERM) {
				rc = err_sys(e, ERR_FAIL, errno, "remove %s: %s", top, name);
				break;
			}
			/* A folder: O_NOFOLLOW|O_DIRECTORY refuses a symlink swapped in. */
			cfd =
			    openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0 && errno == EACCES &&
			    fchmodat(dirfd(d), name, 0700, AT_SYMLINK_NOFOLLOW) == 0)
				cfd = openat(dirfd(d), name,
				             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0) {
				rc = err_sys(e, ERR_FAIL, errno, "remove %s: %s", top, name);
				break;
			}
			/* A folder without write permission keeps its entries: open it up. */
			fchmod(cfd, 0700);
			rc = rm_contents(cfd, top, depth + 1, e);
			if (rc == 0 && unlinkat(dirfd(d), name, AT_REMOVEDIR) < 0 &&
			    errno != ENOENT)
				rc = err_sys(e, ERR_FAIL, errno, "remove %s: %s", top, name);
		}
		if (rc == 0 && errno && !de)
			rc = err_sys(e, ERR_FAIL, errno, "read folder %s", top);
		if (!removed)
			break;
	}
	closedir(d);
	return rc;
}

int fs_rmtree(const char *path, struct err *e)
{
	struct stat st;
	int fd, rc;
	if (!*path)
		return err_set(e, ERR_FAIL, "remove: empty path");
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return err_sys(e, ERR_FAIL, errno, "remove %s", path);
	}
	if (!S_ISDIR(st.st_mode)) {
		/* A file or a symlink (even one to a folder): remove the entry itself. */
		if (unlink(path) < 0 && errno != ENOENT)
			return err_sys(e, ERR_FAIL, errno, "remove %s", path);
		return 0;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == EACCES && chmod(path, 0700) == 0)
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, ERR_FAIL, errno, "remove %s", path);
	fchmod(fd, 0700); /* entries of a read-only folder cannot go otherwise; may fail */
	rc = rm_contents(fd, path, 1, e);
	if (rc < 0)
		return rc;
	if (rmdir(path) < 0 && errno != ENOENT)
		return err_sys(e, ERR_FAIL, errno, "remove %s", path);
	return 0;
}

int fs_read_file(const char *path, struct buf *b, size_t max, struct err *e)
{
	size_t start = b->len;
	int rc = 0;
	char *chunk = NULL;
	struct io_in *in = io_in_file(path, e);
	if (!in)
		return e && e->code ? e->code : ERR_FAIL;
	chunk = malloc(IO_BUFSZ);
	if (!chunk) {
		rc = err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	for (;;) {
		size_t want = IO_BUFSZ, room = max - (b->len - start);
		ssize_t r;
		/* One byte past max tells "exactly max" from "more". */
		if (want > room)
			want = room + 1; /* room < want, so this cannot wrap */
		r = io_read(in, chunk, want);
		if (r < 0) {
			rc = (int)r;
			goto out;
		}
		if (r == 0)
			break;
		if ((size_t)r > room) {
			rc = err_set(e, ERR_FAIL, "%s is larger than the limit of %zu bytes", path,
			             max);
			goto out;
		}
		if (buf_append(b, chunk, (size_t)r) < 0) {
			rc = err_set(e, ERR_FAIL, "%s does not fit in its buffer", path);
			goto out;
		}
	}
out:
	if (rc < 0) {
		b->len = start;
		if (b->p)
			b->p[start] = 0;
	}
	io_in_close(in);
	free(chunk);
	return rc;
}

int fs_write_atomic(const char *path, const void *p, size_t n, mode_t mode, struct err *e)
{
	struct io_out *out = io_out_atomic(path, mode, e);
	int rc;
	if (!out)
		return e && e->code ? e->code : ERR_FAIL;
	rc = io_write(out, p, n);
	if (rc < 0) {
		io_out_abort(out);
		return rc;
	}
	return io_out_close(out);
}

int fs_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int fs_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fs_join(char *out, size_t n, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int slash = la > 0 && a[la - 1] != '/';
	if (n == 0)
		return ERR_FAIL;
	if (la + (size_t)slash + lb + 1 > n) {
		out[0] = 0;
		return ERR_FAIL;
	}
	memmove(out, a, la); /* out may be a */
	if (slash)
		out[la] = '/';
	memcpy(out + la + (size_t)slash, b, lb + 1);
	return 0;
}
