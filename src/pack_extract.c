/* pack_extract.c - safe extraction of tar layers into a fresh folder (no escape, bounded) */
#include "pack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "tar.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"
#define OPEN_DIR (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define DIR_MISSING (-1000) /* open_dir: no such folder (apart from every ERR_ code) */

void pack_limits_default(struct pack_limits *l)
{
	l->max_entries = PACK_MAX_ENTRIES;
	l->max_bytes = PACK_MAX_BYTES;
	l->max_path = PACK_MAX_PATH;
}

/* "unsafe archive: entry '<name>': <rule>" */
static int refuse(struct pack_extract *x, const char *name, const char *rule)
{
	char q[TAR_QUOTE_MAX];
	x->failed = 1;
	err_set(x->e, ERR_INTEGRITY, "unsafe archive: entry '%s': %s",
	        name[0] ? tar_quote(name, q) : ".", rule);
	err_hint(x->e, "the archive was refused and nothing of it was installed");
	return ERR_INTEGRITY;
}

static int sys_fail(struct pack_extract *x, const char *name, const char *what, int errnum)
{
	char q[TAR_QUOTE_MAX];
	x->failed = 1;
	return err_sys(x->e, ERR_FAIL, errnum, "extract '%s': %s", tar_quote(name, q), what);
}

/* Removes name in folder at, whatever it is, never following a symlink. A missing name is
 * success. 0 or -errno. */
static int rm_at(int at, const char *name, int depth)
{
	struct stat st;
	int fd, rc = 0;
	DIR *d;
	struct dirent *de;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(at, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (depth > PACK_MAX_PATH / 2)
		return -ELOOP;
	fd = openat(at, name, OPEN_DIR);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((rc = rm_at(dirfd(d), de->d_name, depth + 1)) < 0)
			break;
	}
	closedir(d);
	if (rc == 0 && unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -errno;
	return rc;
}

/* Removes everything inside the folder fd (the folder stays). 0 or -errno. */
static int rm_contents(int fd)
{
	int dup_fd = openat(fd, ".", OPEN_DIR), rc = 0;
	DIR *d;
	struct dirent *de;
	if (dup_fd < 0)
		return -errno;
	d = fdopendir(dup_fd);
	if (!d) {
		rc = -errno;
		close(dup_fd);
		return rc;
	}
	/* removing while reading: restart until a pass finds nothing */
	for (int again = 1; again && rc == 0;) {
		again = 0;
		rewinddir(d);
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if ((rc = rm_at(fd, de->d_name, 0)) < 0)
				break;
			again = 1;
		}
	}
	closedir(d);
	return rc;
}

static void cache_drop(struct pack_extract *x)
{
	if (x->cache_fd >= 0)
		close(x->cache_fd);
	x->cache_fd = -1;
	free(x->cache);
	x->cache = NULL;
}

/* Drops the cached folder when it is dir/base or below it (base NULL: anything below
 * dir), i.e. about to be removed. The folder being worked in (dir) is never dropped. */
static void cache_drop_under(struct pack_extract *x, const char *dir, const char *base)
{
	size_t dl = strlen(dir), bl = base ? strlen(base) : 0;
	const char *c = x->cache, *rest;
	if (!c)
		return;
	if (dl) {
		if (strncmp(c, dir, dl) || c[dl] != '/')
			return;
		rest = c + dl + 1;
	} else {
		rest = c;
	}
	if (!base || (!strncmp(rest, base, bl) && (rest[bl] == 0 || rest[bl] == '/')))
		cache_drop(x);
}

int pack_extract_begin(struct pack_extract *x, const char *dir, const struct pack_limits *lim,
                       struct err *e)
{
	DIR *d = NULL;
	struct dirent *de;
	int fd = -1, rc = 0;

	memset(x, 0, sizeof *x);
	x->rootfd = x->cache_fd = -1;
	x->e = e;
	if (lim)
		x->lim = *lim;
	else
		pack_limits_default(&x->lim);
	/* 0 means the default; the path bound also sizes the scratch buffers */
	if (!x->lim.max_entries)
		x->lim.max_entries = PACK_MAX_ENTRIES;
	if (!x->lim.max_bytes)
		x->lim.max_bytes = PACK_MAX_BYTES;
	if (!x->lim.max_path || x->lim.max_path > PACK_MAX_PATH * 16)
		x->lim.max_path = PACK_MAX_PATH;
	x->rootfd = open(dir, OPEN_DIR);
	if (x->rootfd < 0) {
		rc = err_sys(e, ERR_FAIL, errno, "extract into '%s'", dir);
		goto out;
	}
	fd = openat(x->rootfd, ".", OPEN_DIR);
	if (fd < 0 || !(d = fdopendir(fd))) {
		rc = err_sys(e, ERR_FAIL, errno, "extract into '%s'", dir);
		goto out;
	}
	fd = -1;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			rc = err_set(e, ERR_FAIL, "extract into '%s': folder is not empty", dir);
			goto out;
		}
	}
	x->root = strdup(dir);
	x->path = malloc(x->lim.max_path + 1);
	x->link = malloc(x->lim.max_path + 1);
	x->data = malloc(IO_BUFSZ);
	if (!x->root || !x->path || !x->link || !x->data)
		rc = err_set(e, ERR_FAIL, "out of memory");
out:
	if (d)
		closedir(d);
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		x->failed = 1;
		free(x->root); /* the folder is the caller's: leave it */
		x->root = NULL;
	}
	return rc;
}

/*
 * Normalises an entry path into out (max_path + 1 bytes): "" and "." components dropped,
 * no leading or trailing '/'. Returns NULL when fine, else the rule it breaks.
 */
static const char *clean_path(const char *in, char *out, size_t max)
{
	size_t o = 0;
	if (in[0] == '/')
		return "absolute path";
	for (const char *p = in; *p;) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "'..' in the path";
		if (n > NAME_MAX)
			return "path component longer than 255 bytes";
		if (n && !(n == 1 && p[0] == '.')) {
			if (o + n + 1 > max)
				return "path longer than the limit";
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n + (end ? 1 : 0);
	}
	out[o] = 0;
	return NULL;
}

const char *pack_link_rule(const char *path, const char *target)
{
	int depth = 0, named = 0;
	if (!target[0])
		return "empty symlink target";
	if (target[0] == '/')
		return "absolute symlink target";
	for (const char *p = path; *p; p++)
		depth += *p == '/';
	for (const char *p = target; *p;) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (named)
				return "symlink target has '..' after a name";
			if (depth-- == 0)
				return "symlink target leaves the folder";
		} else if (n && !(n == 1 && p[0] == '.')) {
			named = 1;
		}
		p += n + (end ? 1 : 0);
	}
	return NULL;
}

/*
 * The fd of folder rel (normalised, "" for the root), walking from the root one
 * component at a time without following symlinks. create: missing folders are made.
 * Returns an fd the caller must not close (the cache owns it), DIR_MISSING when missing and
 * not created, or a negative error with *x->e set (a refusal or a system error).
 */
static int open_dir(struct pack_extract *x, const char *entry, const char *rel, int create)
{
	char comp[256];
	int fd, next;
	if (!rel[0])
		return x->rootfd;
	if (x->cache && !strcmp(x->cache, rel))
		return x->cache_fd;
	cache_drop(x);
	fd = x->rootfd;
	for (const char *p = rel; *p;) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n >= sizeof comp) {
			next = refuse(x, entry, "path component longer than 255 bytes");
			goto fail;
		}
		memcpy(comp, p, n);
		comp[n] = 0;
		next = openat(fd, comp, OPEN_DIR);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
				next = sys_fail(x, entry, "create folder", errno);
				goto fail;
			}
			next = openat(fd, comp, OPEN_DIR);
		}
		if (next < 0) {
			int en = errno;
			struct stat st;
			if (en == ENOENT && !create) {
				next = DIR_MISSING;
			} else if (en == ELOOP ||
			           (fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			            S_ISLNK(st.st_mode))) {
				next = refuse(x, entry, "entry below a symlink");
			} else if (en == ENOTDIR) {
				next = refuse(x, entry, "a parent is not a folder");
			} else {
				next = sys_fail(x, entry, "open folder", en);
			}
			goto fail;
		}
		if (fd != x->rootfd)
			close(fd);
		fd = next;
		p += n + (end ? 1 : 0);
	}
	x->cache = strdup(rel);
	if (!x->cache) {
		close(fd);
		x->failed = 1;
		return err_set(x->e, ERR_FAIL, "out of memory");
	}
	x->cache_fd = fd;
	return fd;
fail:
	if (fd != x->rootfd)
		close(fd);
	return next;
}

/* Splits a normalised path into folder (written into path, NUL at the last '/') and
 * base name. */
static const char *split(char *path)
{
	char *slash = strrchr(path, '/');
	if (!slash) {
		memmove(path + 1, path, strlen(path) + 1);
		path[0] = 0;
		return path + 1;
	}
	*slash = 0;
	return slash + 1;
}

/* Makes room for a new non-folder (or folder: keep_dir) at base in dirfd. */
static int clear_slot(struct pack_extract *x, const char *entry, int dirfd, const char *dir,
                      const char *base, int keep_dir, int *is_dir)
{
	struct stat st;
	int rc;
	*is_dir = 0;
	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : sys_fail(x, entry, "stat", errno);
	if (S_ISDIR(st.st_mode) && keep_dir) {
		*is_dir = 1;
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		cache_drop_under(x, dir, base);
	rc = rm_at(dirfd, base, 0);
	return rc < 0 ? sys_fail(x, entry, "remove the old entry", -rc) : 0;
}

static int write_file(struct pack_extract *x, struct tar_reader *r, const char *entry, int dirfd,
                      const char *base, uint32_t mode)
{
	int fd =
	    openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
	int rc = 0;
	if (fd < 0)
		return sys_fail(x, entry, "create file", errno);
	for (;;) {
		ssize_t n = tar_read_data(r, x->data, IO_BUFSZ);
		if (n < 0) {
			rc = (int)n;
			x->failed = 1;
			break;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, x->data + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = sys_fail(x, entry, "write", errno);
				goto out;
			}
			off += w;
		}
	}
out:
	if (close(fd) < 0 && rc == 0)
		rc = sys_fail(x, entry, "close", errno);
	return rc;
}

static int do_whiteout(struct pack_extract *x, const char *entry, const char *dir, const char *base)
{
	int dirfd = open_dir(x, entry, dir, 0), rc;
	const char *name = base + strlen(WH_PREFIX);
	if (dirfd == DIR_MISSING)
		return 0; /* nothing below to hide */
	if (dirfd < 0)
		return dirfd;
	if (!strcmp(base, WH_OPAQUE)) {
		cache_drop_under(x, dir, NULL);
		rc = rm_contents(dirfd);
		return rc < 0 ? sys_fail(x, entry, "empty the opaque folder", -rc) : 0;
	}
	if (!name[0] || !strcmp(name, ".") || !strcmp(name, ".."))
		return refuse(x, entry, "bad whiteout name");
	cache_drop_under(x, dir, name);
	rc = rm_at(dirfd, name, 0);
	return rc < 0 ? sys_fail(x, entry, "apply the whiteout", -rc) : 0;
}

static int do_entry(struct pack_extract *x, struct tar_reader *r, const struct tar_entry *ent)
{
	const char *why, *base;
	char *dir;
	int dirfd, is_dir, rc;

	if (++x->entries > x->lim.max_entries) {
		char msg[96];
		snprintf(msg, sizeof msg, "more than %" PRIu64 " entries (the limit)",
		         x->lim.max_entries);
		err_hint(x->e, "if the block is meant to be that large, raise the limit with "
		               "--max-entries");
		return refuse(x, ent->path, msg);
	}
	if (strlen(ent->path) > x->lim.max_path)
		return refuse(x, ent->path, "path longer than the limit");
	if ((why = clean_path(ent->path, x->path, x->lim.max_path)))
		return refuse(x, ent->path, why);
	if (!x->path[0]) {
		if (ent->type == TAR_DIR)
			return 0; /* the "." root entry Go-based tools write */
		return refuse(x, ent->path, "root entry is not a folder");
	}
	dir = x->path;
	base = split(x->path); /* x->path now holds the folder, base the name */
	if (!strncmp(base, WH_PREFIX, strlen(WH_PREFIX)))
		return do_whiteout(x, ent->path, dir, base);

	switch (ent->type) {
	case TAR_FILE:
		if (ent->size > x->lim.max_bytes - x->bytes) {
			char msg[128];
			snprintf(msg, sizeof msg,
			         "archive holds more than %" PRIu64 " bytes of files (the limit)",
			         x->lim.max_bytes);
			err_hint(x->e, "if the block is meant to be that large, raise the limit "
			               "with --max-bytes");
			return refuse(x, ent->path, msg);
		}
		x->bytes += ent->size;
		break;
	case TAR_DIR:
		break;
	case TAR_SYMLINK:
		if (strlen(ent->link) > x->lim.max_path)
			return refuse(x, ent->path, "symlink target longer than the limit");
		{
			/* the rule reads the entry's normalised full path */
			char *full = x->link;
			if (dir[0])
				snprintf(full, x->lim.max_path + 1, "%s/%s", dir, base);
			else
				snprintf(full, x->lim.max_path + 1, "%s", base);
			if ((why = pack_link_rule(full, ent->link)))
				return refuse(x, ent->path, why);
		}
		break;
	case TAR_HARDLINK:
		break;
	case TAR_CHAR:
	case TAR_BLOCKDEV:
		return refuse(x, ent->path, "device entries are not allowed");
	case TAR_FIFO:
		return refuse(x, ent->path, "fifo entries are not allowed");
	default:
		return refuse(x, ent->path, "unsupported entry type");
	}

	if (ent->type == TAR_HARDLINK) {
		/* resolve the target first: it must be a regular file extracted before */
		char *tdir = x->link;
		const char *tbase;
		struct stat st;
		int tfd;
		if ((why = clean_path(ent->link, tdir, x->lim.max_path))) {
			if (!strcmp(why, "absolute path"))
				why = "hardlink to an absolute path";
			else if (!strcmp(why, "'..' in the path"))
				why = "hardlink target leaves the folder";
			return refuse(x, ent->path, why);
		}
		if (!tdir[0])
			return refuse(x, ent->path, "hardlink to the root");
		tbase = split(tdir);
		if (!strcmp(tdir, dir) && !strcmp(tbase, base))
			return refuse(x, ent->path, "hardlink to itself");
		tfd = open_dir(x, ent->path, tdir, 0);
		if (tfd == DIR_MISSING)
			return refuse(x, ent->path, "hardlink to an entry not extracted before");
		if (tfd < 0)
			return tfd;
		tfd = dup(tfd); /* the cache moves on when the entry's folder is opened */
		if (tfd < 0)
			return sys_fail(x, ent->path, "dup", errno);
		if (fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
			close(tfd);
			return refuse(x, ent->path,
			              "hardlink to an entry not extracted before (or not a file)");
		}
		dirfd = open_dir(x, ent->path, dir, 1);
		if (dirfd < 0) {
			close(tfd);
			return dirfd;
		}
		rc = clear_slot(x, ent->path, dirfd, dir, base, 0, &is_dir);
		if (rc == 0 && linkat(tfd, tbase, dirfd, base, 0) < 0)
			rc = sys_fail(x, ent->path, "hardlink", errno);
		close(tfd);
		return rc;
	}

	dirfd = open_dir(x, ent->path, dir, 1);
	if (dirfd < 0)
		return dirfd;
	if ((rc = clear_slot(x, ent->path, dirfd, dir, base, ent->type == TAR_DIR, &is_dir)) < 0)
		return rc;
	switch (ent->type) {
	case TAR_DIR:
		/* owner rwx always, so later entries can be written inside */
		if (!is_dir && mkdirat(dirfd, base, (ent->mode & 0777) | 0700) < 0)
			return sys_fail(x, ent->path, "create folder", errno);
		return 0;
	case TAR_SYMLINK:
		if (symlinkat(ent->link, dirfd, base) < 0)
			return sys_fail(x, ent->path, "create symlink", errno);
		return 0;
	default:
		return write_file(x, r, ent->path, dirfd, base, ent->mode);
	}
}

int pack_extract_layer(struct pack_extract *x, struct io_in *tar)
{
	struct tar_reader r;
	const struct tar_entry *ent;
	int rc;
	if (x->failed)
		return x->e && x->e->code ? x->e->code : ERR_FAIL;
	tar_reader_init(&r, tar, x->e);
	while ((rc = tar_next(&r, &ent)) == 1) {
		if ((rc = do_entry(x, &r, ent)) < 0)
			break;
	}
	tar_reader_free(&r);
	cache_drop(x);
	if (rc < 0) {
		x->failed = 1;
		if (x->root && x->rootfd >= 0) {
			rm_contents(x->rootfd);
			if (rmdir(x->root) == 0) {
				free(x->root);
				x->root = NULL;
			}
		}
	}
	return rc;
}

int pack_extract_end(struct pack_extract *x, int ok)
{
	int rc = 0;
	cache_drop(x);
	if ((!ok || x->failed) && x->root && x->rootfd >= 0) {
		int r1 = rm_contents(x->rootfd);
		if (r1 < 0 || rmdir(x->root) < 0)
			rc = err_sys(x->e, ERR_FAIL, r1 < 0 ? -r1 : errno, "remove '%s'", x->root);
	}
	if (x->rootfd >= 0)
		close(x->rootfd);
	free(x->root);
	free(x->path);
	free(x->link);
	free(x->data);
	memset(x, 0, sizeof *x);
	x->rootfd = x->cache_fd = -1;
	return rc;
}

int pack_unpack(struct io_in *tar, const char *dir, const struct pack_limits *lim, struct err *e)
{
	struct pack_extract x;
	int rc = pack_extract_begin(&x, dir, lim, e);
	if (rc == 0)
		rc = pack_extract_layer(&x, tar);
	{
		int r2 = pack_extract_end(&x, rc == 0);
		if (rc == 0)
			rc = r2;
	}
	return rc;
}
