/* io.h - byte streams that stack into pipelines (file -> gunzip -> digest -> tar ...) */
#ifndef POLYCRATE_IO_H
#define POLYCRATE_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct buf;

#define IO_BUFSZ (64 * 1024) /* the fixed buffer a stage uses when it needs one */

/*
 * A reader stage. Stages that read from another stage own it: closing the outermost
 * closes the chain. A stage keeps its first error (in err, with the message in *e, the
 * pipeline's shared message buffer) and returns it from every later call.
 */
struct io_in;
struct io_in_ops {
	/* Up to n bytes into p: the count (> 0), 0 at the end, or a negative ERR_ code. */
	ssize_t (*read)(struct io_in *in, void *p, size_t n);
	/* Releases the stage and the stage it reads from; returns the first error seen,
	 * including one found only now (a digest mismatch, trailing garbage). */
	int (*close)(struct io_in *in);
};
struct io_in {
	const struct io_in_ops *ops;
	int err;
	struct err *e;
};

/* A writer stage: writes all bytes or fails; closing commits, aborting discards. */
struct io_out;
struct io_out_ops {
	/* All n bytes, or a negative ERR_ code. */
	int (*write)(struct io_out *out, const void *p, size_t n);
	/* abort == 0: flush, commit (rename an atomic file), close the next stage.
	 * abort != 0: discard what was written (remove a temp file), close the next stage
	 * the same way. Releases the stage. Returns the first error. */
	int (*close)(struct io_out *out, int abort);
};
struct io_out {
	const struct io_out_ops *ops;
	int err;
	struct err *e;
};

/* Calls through the table, keeping the first error sticky: a stage that passes on a
 * negative code from the stage below (return r;) thus records it without a message of its
 * own (the message is already in *e). */
ssize_t io_read(struct io_in *in, void *p, size_t n);
/* Reads until n bytes or the end: the count (< n only at the end) or an error. */
ssize_t io_read_full(struct io_in *in, void *p, size_t n);
int io_in_close(struct io_in *in); /* NULL is fine; returns the chain's first error */
int io_write(struct io_out *out, const void *p, size_t n);
int io_out_close(struct io_out *out);  /* commit; NULL is fine */
void io_out_abort(struct io_out *out); /* discard; NULL is fine */

/* Copies in to out until the end of in: bytes copied, or an error. Closes neither. */
int64_t io_copy(struct io_in *in, struct io_out *out);

/* For stage implementations: record err on the stage (first wins) and return it. */
int io_in_fail(struct io_in *in, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int io_out_fail(struct io_out *out, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* For stage implementations: a zeroed stage of size bytes (its struct io_in or io_out
 * first) with ops and e set, or NULL with *e "out of memory". The wrap forms make a stage
 * over another: a NULL below gives NULL (below's error stands), and out of memory closes
 * (aborts) below, which the new stage owns otherwise. */
struct io_in *io_in_new(size_t size, const struct io_in_ops *ops, struct err *e);
struct io_out *io_out_new(size_t size, const struct io_out_ops *ops, struct err *e);
struct io_in *io_in_wrap(size_t size, const struct io_in_ops *ops, struct io_in *below,
                         struct err *e);
struct io_out *io_out_wrap(size_t size, const struct io_out_ops *ops, struct io_out *below,
                           struct err *e);

/*
 * Constructors return NULL on failure with *e saying why. A stage built on another (src or
 * next) takes ownership of it at once: on failure it closes src / aborts next, and a NULL
 * src is passed through as NULL (its error already in *e), so chains can be written as
 * in = io_in_limit(io_in_file(path, e), max, e) with one check and nothing to leak.
 */

/* Sources. NULL only when memory runs out (then *e says so). */
/* own: close(fd) on close (also when the stage cannot be made). EINTR is retried. */
struct io_in *io_in_fd(int fd, int own, struct err *e);
/* NULL on open failure: ERR_NOTFOUND for a missing file, ERR_FAIL otherwise. */
struct io_in *io_in_file(const char *path, struct err *e);
struct io_in *io_in_mem(const void *p, size_t n, struct err *e); /* p must outlive it */
/* At most max bytes of src; more is ERR_FAIL "input larger than the limit of N bytes"
 * (not a silent cut), raised before any byte past the limit is passed up. */
struct io_in *io_in_limit(struct io_in *src, uint64_t max, struct err *e);
/* Passes src through, counting the bytes read into *count (set to 0 here). NULL src gives
 * NULL (the error is src's). */
struct io_in *io_in_count(struct io_in *src, uint64_t *count, struct err *e);

/* Sinks. */
/* Writes everything (short writes and EINTR handled); own: close(fd) on close. */
struct io_out *io_out_fd(int fd, int own, struct err *e);
/* Writes path.tmp-XXXXXX beside path (mode applied exactly, no umask), fsyncs and renames
 * over path on commit (then fsyncs the folder), removes the temp file on abort or error.
 * A symlink at path is replaced, not followed. NULL on failure to create (ERR_NOTFOUND
 * when the folder is missing). */
struct io_out *io_out_atomic(const char *path, mode_t mode, struct err *e);
/* Appends to b (b's limit applies: exceeding it is ERR_FAIL naming it); abort or error
 * truncates b back to its length when the stage was made. b must outlive the stage. */
struct io_out *io_out_buf(struct buf *b, struct err *e);
struct io_out *io_out_null(struct err *e); /* counts nothing, keeps nothing */
/* Passes bytes to next and counts them into *count (set to 0 here; next may be NULL). */
struct io_out *io_out_count(struct io_out *next, uint64_t *count, struct err *e);

#endif
