/* io.c - stream stages: sticky errors, fd/file/memory sources, fd/atomic/buffer sinks */
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

#define IO_NAME_MAX 4096 /* longest path a file stage remembers for its messages */

/* ---- calls through the tables ---- */

ssize_t io_read(struct io_in *in, void *p, size_t n)
{
	ssize_t r;
	if (in->err)
		return in->err;
	if (n == 0)
		return 0;
	r = in->ops->read(in, p, n);
	if (r < 0 && !in->err)
		in->err = (int)r;
	return r < 0 ? in->err : r;
}

ssize_t io_read_full(struct io_in *in, void *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = io_read(in, (char *)p + got, n - got);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int io_in_close(struct io_in *in)
{
	int first, rc;
	if (!in)
		return 0;
	first = in->err;
	rc = in->ops->close(in);
	return first ? first : rc;
}

int io_write(struct io_out *out, const void *p, size_t n)
{
	int rc;
	if (out->err)
		return out->err;
	if (n == 0)
		return 0;
	rc = out->ops->write(out, p, n);
	if (rc < 0 && !out->err)
		out->err = rc;
	return rc < 0 ? out->err : 0;
}

int io_out_close(struct io_out *out)
{
	int first, rc;
	if (!out)
		return 0;
	first = out->err;
	/* A stage that failed never commits: its close discards instead. */
	rc = out->ops->close(out, first != 0);
	return first ? first : rc;
}

void io_out_abort(struct io_out *out)
{
	if (out)
		out->ops->close(out, 1);
}

int64_t io_copy(struct io_in *in, struct io_out *out)
{
	int64_t total = 0;
	char *b = malloc(IO_BUFSZ);
	if (!b) {
		io_in_fail(in, ERR_FAIL, "out of memory");
		return ERR_FAIL;
	}
	for (;;) {
		ssize_t r = io_read(in, b, IO_BUFSZ);
		int w;
		if (r < 0) {
			total = r;
			break;
		}
		if (r == 0)
			break;
		w = io_write(out, b, (size_t)r);
		if (w < 0) {
			total = w;
			break;
		}
		total += r;
	}
	free(b);
	return total;
}

__attribute__((format(printf, 4, 0))) static int vfail(int *err, struct err *e, int code,
                                                       const char *fmt, va_list ap)
{
	char msg[ERR_MSG_MAX];
	if (*err)
		return *err;
	*err = code ? code : ERR_FAIL;
	vsnprintf(msg, sizeof msg, fmt, ap);
	err_set(e, *err, "%s", msg);
	return *err;
}

int io_in_fail(struct io_in *in, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;
	va_start(ap, fmt);
	rc = vfail(&in->err, in->e, code, fmt, ap);
	va_end(ap);
	return rc;
}

int io_out_fail(struct io_out *out, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;
	va_start(ap, fmt);
	rc = vfail(&out->err, out->e, code, fmt, ap);
	va_end(ap);
	return rc;
}

struct io_in *io_in_new(size_t size, const struct io_in_ops *ops, struct err *e)
{
	struct io_in *in = calloc(1, size);
	if (!in) {
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	in->ops = ops;
	in->e = e;
	return in;
}

struct io_out *io_out_new(size_t size, const struct io_out_ops *ops, struct err *e)
{
	struct io_out *out = calloc(1, size);
	if (!out) {
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	out->ops = ops;
	out->e = e;
	return out;
}

struct io_in *io_in_wrap(size_t size, const struct io_in_ops *ops, struct io_in *below,
                         struct err *e)
{
	struct io_in *in;
	if (!below)
		return NULL;
	if (!(in = io_in_new(size, ops, e)))
		io_in_close(below);
	return in;
}

struct io_out *io_out_wrap(size_t size, const struct io_out_ops *ops, struct io_out *below,
                           struct err *e)
{
	struct io_out *out;
	if (!below)
		return NULL;
	if (!(out = io_out_new(size, ops, e)))
		io_out_abort(below);
	return out;
}

/* A stage's own message names the file when it has one. */
static char *name_dup(const char *path)
{
	size_t n = strnlen(path, IO_NAME_MAX);
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, path, n);
		s[n] = 0;
	}
	return s;
}

/* ---- sources ---- */

struct in_fd {
	struct io_in in;
	int fd, own;
	char *name; /* NULL for a bare fd */
};

static ssize_t in_fd_read(struct io_in *in, void *p, size_t n)
{
	struct in_fd *s = (struct in_fd *)in;
	ssize_t r;
	do
		r = read(s->fd, p, n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		int en = errno;
		return io_in_fail(in, ERR_FAIL, "read %s: %s", s->name ? s->name : "input",
		                  strerror(en));
	}
	return r;
}

static int in_fd_close(struct io_in *in)
{
	struct in_fd *s = (struct in_fd *)in;
	int rc = in->err;
	if (s->own)
		close(s->fd); /* a read-only fd has nothing left to report */
	free(s->name);
	free(s);
	return rc;
}

static const struct io_in_ops in_fd_ops = {in_fd_read, in_fd_close};

struct io_in *io_in_fd(int fd, int own, struct err *e)
{
	struct in_fd *s = (struct in_fd *)io_in_new(sizeof *s, &in_fd_ops, e);
	if (!s) {
		if (own)
			close(fd);
		return NULL;
	}
	s->fd = fd;
	s->own = own;
	return &s->in;
}

struct io_in *io_in_file(const char *path, struct err *e)
{
	struct in_fd *s;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int en = errno;
		err_sys(e, en == ENOENT ? ERR_NOTFOUND : ERR_FAIL, en, "open %s", path);
		return NULL;
	}
	s = (struct in_fd *)io_in_fd(fd, 1, e);
	if (!s)
		return NULL;
	s->name = name_dup(path); /* NULL only makes messages vaguer */
	return &s->in;
}

struct in_mem {
	struct io_in in;
	const unsigned char *p;
	size_t n, off;
};

static ssize_t in_mem_read(struct io_in *in, void *p, size_t n)
{
	struct in_mem *s = (struct in_mem *)in;
	size_t left = s->n - s->off;
	if (n > left)
		n = left;
	if (n)
		memcpy(p, s->p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static int in_mem_close(struct io_in *in)
{
	int rc = in->err;
	free(in);
	return rc;
}

static const struct io_in_ops in_mem_ops = {in_mem_read, in_mem_close};

struct io_in *io_in_mem(const void *p, size_t n, struct err *e)
{
	struct in_mem *s = (struct in_mem *)io_in_new(sizeof *s, &in_mem_ops, e);
	if (!s)
		return NULL;
	s->p = p;
	s->n = n;
	return &s->in;
}

struct in_limit {
	struct io_in in;
	struct io_in *src;
	uint64_t max, got;
};

static ssize_t in_limit_read(struct io_in *in, void *p, size_t n)
{
	struct in_limit *s = (struct in_limit *)in;
	uint64_t room = s->max - s->got;
	ssize_t r;
	/* Ask for one byte past the limit so that "exactly max" and "more" differ. */
	if ((uint64_t)n > room)
		n = (size_t)room + 1; /* room < n, so this cannot wrap */
	r = io_read(s->src, p, n);
	if (r < 0)
		return r; /* io_read makes it sticky here; the message is src's */
	if ((uint64_t)r > room)
		return io_in_fail(in, ERR_FAIL, "input larger than the limit of %llu bytes",
		                  (unsigned long long)s->max);
	s->got += (uint64_t)r;
	return r;
}

static int in_limit_close(struct io_in *in)
{
	struct in_limit *s = (struct in_limit *)in;
	int rc = io_in_close(s->src);
	free(s);
	return rc;
}

static const struct io_in_ops in_limit_ops = {in_limit_read, in_limit_close};

struct io_in *io_in_limit(struct io_in *src, uint64_t max, struct err *e)
{
	struct in_limit *s = (struct in_limit *)io_in_wrap(sizeof *s, &in_limit_ops, src, e);
	if (!s)
		return NULL;
	s->src = src;
	s->max = max;
	return &s->in;
}

/* ---- sinks ---- */

struct out_fd {
	struct io_out out;
	int fd, own;
	char *name;   /* the target path (atomic) or NULL */
	char *tmp;    /* atomic only: the temp file beside name */
	int fsync_on; /* atomic only */
};

static int write_all(struct io_out *out, int fd, const char *name, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int en = errno;
			return io_out_fail(out, ERR_FAIL, "write %s: %s", name ? name : "output",
			                   strerror(en));
		}
		if (w == 0)
			return io_out_fail(out, ERR_FAIL, "write %s: no progress",
			                   name ? name : "output");
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int out_fd_write(struct io_out *out, const void *p, size_t n)
{
	struct out_fd *s = (struct out_fd *)out;
	return write_all(out, s->fd, s->name, p, n);
}

static int out_fd_close(struct io_out *out, int abort)
{
	struct out_fd *s = (struct out_fd *)out;
	int rc = out->err;
	(void)abort;
	/* close() can report a deferred write error (NFS, quota): only owned fds. */
	if (s->own && close(s->fd) < 0 && errno != EINTR && !rc)
		rc = io_out_fail(out, ERR_FAIL, "close output: %s", strerror(errno));
	free(s->name);
	free(s);
	return rc;
}

static const struct io_out_ops out_fd_ops = {out_fd_write, out_fd_close};

struct io_out *io_out_fd(int fd, int own, struct err *e)
{
	struct out_fd *s = (struct out_fd *)io_out_new(sizeof *s, &out_fd_ops, e);
	if (!s) {
		if (own)
			close(fd);
		return NULL;
	}
	s->fd = fd;
	s->own = own;
	return &s->out;
}

/* fsync the folder holding path so that the rename survives a crash. */
static void sync_parent(const char *path)
{
	char dir[IO_NAME_MAX + 1];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd;
	if (!slash) {
		strcpy(dir, ".");
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n > IO_NAME_MAX)
			return;
		memcpy(dir, path, n);
		dir[n] = 0;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	fsync(fd); /* best effort: some file systems refuse fsync on folders */
	close(fd);
}

static int out_atomic_close(struct io_out *out, int abort)
{
	struct out_fd *s = (struct out_fd *)out;
	int rc = out->err;
	if (!abort && !rc && s->fsync_on && fsync(s->fd) < 0)
		rc = io_out_fail(out, ERR_FAIL, "fsync %s: %s", s->tmp, strerror(errno));
	if (close(s->fd) < 0 && errno != EINTR && !abort && !rc)
		rc = io_out_fail(out, ERR_FAIL, "close %s: %s", s->tmp, strerror(errno));
	if (!abort && !rc) {
		if (rename(s->tmp, s->name) < 0)
			rc = io_out_fail(out, ERR_FAIL, "rename %s to %s: %s", s->tmp, s->name,
			                 strerror(errno));
		else if (s->fsync_on)
			sync_parent(s->name);
	}
	if (abort || rc)
		unlink(s->tmp);
	free(s->name);
	free(s->tmp);
	free(s);
	return rc;
}

static const struct io_out_ops out_atomic_ops = {out_fd_write, out_atomic_close};

struct io_out *io_out_atomic(const char *path, mode_t mode, struct err *e)
{
	static const char suffix[] = ".tmp-XXXXXX";
	struct out_fd *s = NULL;
	size_t n = strlen(path);
	int fd = -1;
	if (n == 0 || n > IO_NAME_MAX) {
		err_set(e, ERR_FAIL, "bad output path (%zu bytes)", n);
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (!s || !(s->name = name_dup(path)) || !(s->tmp = malloc(n + sizeof suffix))) {
		err_set(e, ERR_FAIL, "out of memory");
		goto fail;
	}
	memcpy(s->tmp, path, n);
	memcpy(s->tmp + n, suffix, sizeof suffix);
	fd = mkostemp(s->tmp, O_CLOEXEC);
	if (fd < 0) {
		err_sys(e, errno == ENOENT ? ERR_NOTFOUND : ERR_FAIL, errno, "create %s", s->tmp);
		goto fail;
	}
	/* mkostemp makes 0600; the caller's mode is applied exactly (no umask). */
	if (fchmod(fd, mode & 07777) < 0) {
		err_sys(e, ERR_FAIL, errno, "chmod %s", s->tmp);
		goto fail;
	}
	s->out.ops = &out_atomic_ops;
	s->out.e = e;
	s->fd = fd;
	s->own = 1;
	s->fsync_on = 1;
	return &s->out;
fail:
	if (fd >= 0) {
		close(fd);
		unlink(s->tmp);
	}
	if (s) {
		free(s->name);
		free(s->tmp);
		free(s);
	}
	return NULL;
}

struct out_buf {
	struct io_out out;
	struct buf *b;
	size_t start; /* b->len when the stage began: abort truncates back to it */
};

static int out_buf_write(struct io_out *out, const void *p, size_t n)
{
	struct out_buf *s = (struct out_buf *)out;
	if (buf_append(s->b, p, n) < 0) {
		if (s->b->max)
			return io_out_fail(out, ERR_FAIL,
			                   "output larger than the limit of %zu bytes", s->b->max);
		return io_out_fail(out, ERR_FAIL, "out of memory");
	}
	return 0;
}

static int out_buf_close(struct io_out *out, int abort)
{
	struct out_buf *s = (struct out_buf *)out;
	int rc = out->err;
	if (abort || rc) {
		s->b->len = s->start;
		if (s->b->p)
			s->b->p[s->start] = 0;
	}
	free(s);
	return rc;
}

static const struct io_out_ops out_buf_ops = {out_buf_write, out_buf_close};

struct io_out *io_out_buf(struct buf *b, struct err *e)
{
	struct out_buf *s = (struct out_buf *)io_out_new(sizeof *s, &out_buf_ops, e);
	if (!s)
		return NULL;
	s->b = b;
	s->start = b->len;
	return &s->out;
}

static int out_null_write(struct io_out *out, const void *p, size_t n)
{
	return 0;
}

static int out_null_close(struct io_out *out, int abort)
{
	int rc = out->err;
	free(out);
	return rc;
}

static const struct io_out_ops out_null_ops = {out_null_write, out_null_close};

struct io_out *io_out_null(struct err *e)
{
	return io_out_new(sizeof(struct io_out), &out_null_ops, e);
}

struct in_count {
	struct io_in in;
	struct io_in *src;
	uint64_t *count;
};

static ssize_t in_count_read(struct io_in *in, void *p, size_t n)
{
	struct in_count *s = (struct in_count *)in;
	ssize_t r = io_read(s->src, p, n);
	if (r > 0)
		*s->count += (uint64_t)r;
	return r;
}

static int in_count_close(struct io_in *in)
{
	struct in_count *s = (struct in_count *)in;
	int rc = io_in_close(s->src);
	free(s);
	return rc;
}

static const struct io_in_ops in_count_ops = {in_count_read, in_count_close};

struct io_in *io_in_count(struct io_in *src, uint64_t *count, struct err *e)
{
	struct in_count *s = (struct in_count *)io_in_wrap(sizeof *s, &in_count_ops, src, e);
	if (!s)
		return NULL;
	s->src = src;
	s->count = count;
	*count = 0;
	return &s->in;
}

struct out_count {
	struct io_out out;
	struct io_out *next;
	uint64_t *count;
};

static int out_count_write(struct io_out *out, const void *p, size_t n)
{
	struct out_count *s = (struct out_count *)out;
	if (s->next) {
		int rc = io_write(s->next, p, n);
		if (rc < 0)
			return rc;
	}
	*s->count += n;
	return 0;
}

static int out_count_close(struct io_out *out, int abort)
{
	struct out_count *s = (struct out_count *)out;
	int rc = out->err;
	int nrc = 0;
	if (abort || rc)
		io_out_abort(s->next);
	else
		nrc = io_out_close(s->next);
	free(s);
	return rc ? rc : nrc;
}

static const struct io_out_ops out_count_ops = {out_count_write, out_count_close};

struct io_out *io_out_count(struct io_out *next, uint64_t *count, struct err *e)
{
	/* next may be NULL here (counting alone), so not io_out_wrap */
	struct out_count *s = (struct out_count *)io_out_new(sizeof *s, &out_count_ops, e);
	if (!s) {
		io_out_abort(next);
		return NULL;
	}
	s->next = next;
	s->count = count;
	*count = 0;
	return &s->out;
}
