/* gz.c - gzip stream stages on zlib: deterministic deflate writer, strict bounded inflater */
#include "gz.h"
#include "io.h"

#include <limits.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#define GZ_HEADER_LEN 10
#define GZ_TRAILER_LEN 8
#define GZ_OS_UNKNOWN 255 /* the OS byte Go's compress/gzip writes too */
#define GZ_DRAIN_CHUNK 4096

/* ---- writer ---- */

/*
 * Input is staged into fixed IO_BUFSZ pieces before deflate sees it: zlib's stored blocks
 * (level 0) depend on how input arrives, so this keeps every level's output a function of
 * the bytes alone, and spares deflate the tar writer's many small writes.
 */
struct gz_out {
	struct io_out out;
	struct io_out *next;
	z_stream z;
	uint32_t crc, isize; /* isize: input length mod 2^32, as the trailer wants */
	size_t staged;
	unsigned char in[IO_BUFSZ];
	unsigned char buf[IO_BUFSZ];
};

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* Hands the filled part of buf to next and starts over. */
static int flush_buf(struct gz_out *s)
{
	size_t n = sizeof s->buf - s->z.avail_out;
	int rc = n ? io_write(s->next, s->buf, n) : 0;
	if (rc < 0)
		return rc; /* next's message is in *e already */
	s->z.next_out = s->buf;
	s->z.avail_out = sizeof s->buf;
	return 0;
}

/* Deflates the staged input: all of it with Z_NO_FLUSH, or to the end with Z_FINISH. */
static int deflate_staged(struct gz_out *s, int flush)
{
	int zr, rc;
	s->crc = (uint32_t)crc32(s->crc, s->in, (uInt)s->staged);
	s->isize += (uint32_t)s->staged;
	s->z.next_in = s->in;
	s->z.avail_in = (uInt)s->staged;
	s->staged = 0;
	for (;;) {
		if (!s->z.avail_out && (rc = flush_buf(s)) < 0)
			return rc;
		zr = deflate(&s->z, flush);
		if (zr == Z_STREAM_END || (flush == Z_NO_FLUSH && !s->z.avail_in))
			return 0;
		/* Z_BUF_ERROR with room left would mean no progress: never loop on it */
		if (zr != Z_OK && (zr != Z_BUF_ERROR || s->z.avail_out))
			return io_out_fail(&s->out, ERR_FAIL, "gzip: deflate failed (%d)", zr);
	}
}

static int gz_out_write(struct io_out *out, const void *p, size_t n)
{
	struct gz_out *s = (struct gz_out *)out;
	const unsigned char *c = p;
	int rc;
	while (n) {
		size_t k = sizeof s->in - s->staged;
		if (k > n)
			k = n;
		memcpy(s->in + s->staged, c, k);
		s->staged += k;
		c += k;
		n -= k;
		if (s->staged == sizeof s->in && (rc = deflate_staged(s, Z_NO_FLUSH)) < 0)
			return rc;
	}
	return 0;
}

static int gz_out_close(struct io_out *out, int abort)
{
	struct gz_out *s = (struct gz_out *)out;
	int rc = out->err;
	if (!abort && !rc)
		rc = deflate_staged(s, Z_FINISH);
	if (!abort && !rc && s->z.avail_out < GZ_TRAILER_LEN)
		rc = flush_buf(s);
	if (!abort && !rc) {
		put_le32(s->z.next_out, s->crc);
		put_le32(s->z.next_out + 4, s->isize);
		s->z.avail_out -= GZ_TRAILER_LEN;
		rc = flush_buf(s);
	}
	deflateEnd(&s->z);
	if (abort || rc)
		io_out_abort(s->next);
	else
		rc = io_out_close(s->next);
	free(s);
	return rc;
}

static const struct io_out_ops gz_out_ops = {gz_out_write, gz_out_close};

int gz_out_level(struct io_out *out, int level)
{
	struct gz_out *s = (struct gz_out *)out;
	int rc, zr;
	if (out->err)
		return out->err;
	if (level < 0 || level > 9)
		return io_out_fail(out, ERR_FAIL, "gzip level %d out of range 0..9", level);
	if (s->staged && (rc = deflate_staged(s, Z_NO_FLUSH)) < 0)
		return rc;
	for (int i = 0; i < 1024; i++) {
		if (!s->z.avail_out && (rc = flush_buf(s)) < 0)
			return rc;
		zr = deflateParams(&s->z, level, Z_DEFAULT_STRATEGY);
		if (zr == Z_OK)
			return 0;
		if (zr != Z_BUF_ERROR)
			break;
		if ((rc = flush_buf(s)) < 0)
			return rc;
	}
	return io_out_fail(out, ERR_FAIL, "gzip: changing the level failed");
}

int gz_incompressible(const void *p, size_t n)
{
	static _Thread_local unsigned char scratch[IO_BUFSZ + 1024];
	z_stream z;
	int zr;
	if (n < 4096 || n > IO_BUFSZ)
		return 0;
	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 1, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (unsigned char *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = scratch;
	z.avail_out = sizeof scratch;
	zr = deflate(&z, Z_FINISH);
	size_t out = sizeof scratch - z.avail_out;
	deflateEnd(&z);
	return zr == Z_STREAM_END ? out * 100 >= n * 97 : 1;
}

struct io_out *gz_out(struct io_out *next, int level, struct err *e)
{
	struct gz_out *s;
	unsigned char *h;
	if (!next)
		return NULL;
	if (level < 0 || level > 9) {
		io_out_abort(next);
		err_set(e, ERR_FAIL, "gzip level %d out of range 0..9", level);
		return NULL;
	}
	s = calloc(1, sizeof *s);
	/* Raw deflate (negative window bits) and our own framing: the header is fixed bytes. */
	if (!s ||
	    deflateInit2(&s->z, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(s);
		io_out_abort(next);
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	s->out.ops = &gz_out_ops;
	s->out.e = e;
	s->next = next;
	s->crc = (uint32_t)crc32(0, Z_NULL, 0);
	h = s->buf;
	h[0] = 0x1f;
	h[1] = 0x8b;
	h[2] = Z_DEFLATED;
	memset(h + 3, 0, 5);                       /* flags: no name, comment or extra; mtime 0 */
	h[8] = level == 9 ? 2 : level < 2 ? 4 : 0; /* XFL as zlib and gzip set it */
	h[9] = GZ_OS_UNKNOWN;
	s->z.next_out = s->buf + GZ_HEADER_LEN;
	s->z.avail_out = sizeof s->buf - GZ_HEADER_LEN;
	return &s->out;
}

/* ---- reader ---- */

enum { GZ_MEMBER, GZ_BETWEEN, GZ_DONE };

struct gz_in {
	struct io_in in;
	struct io_in *src;
	z_stream z;
	int state, src_eof;
	unsigned members;
	uint64_t max_out, total, in_done; /* in_done: compressed bytes of finished members */
	unsigned char buf[IO_BUFSZ];
};

static uint64_t in_offset(const struct gz_in *s)
{
	return s->in_done + s->z.total_in;
}

/* More compressed bytes from src when none are left; at the end sets src_eof. */
static int fill(struct gz_in *s)
{
	ssize_t r;
	if (s->z.avail_in || s->src_eof)
		return 0;
	r = io_read(s->src, s->buf, sizeof s->buf);
	if (r < 0)
		return (int)r;
	if (r == 0)
		s->src_eof = 1;
	s->z.next_in = s->buf;
	s->z.avail_in = (uInt)r;
	return 0;
}

/* Between members: the end, or the magic of another member (anything else is garbage). */
static int next_member(struct gz_in *s)
{
	int rc;
	if ((rc = fill(s)) < 0)
		return rc;
	if (!s->z.avail_in) {
		if (!s->members)
			return io_in_fail(&s->in, ERR_INTEGRITY, "gzip: empty input");
		s->state = GZ_DONE;
		return 0;
	}
	if (s->z.avail_in == 1 && !s->src_eof) {
		/* the magic may straddle two reads */
		ssize_t r;
		s->buf[0] = s->z.next_in[0];
		r = io_read(s->src, s->buf + 1, sizeof s->buf - 1);
		if (r < 0)
			return (int)r;
		if (r == 0)
			s->src_eof = 1;
		s->z.next_in = s->buf;
		s->z.avail_in = 1 + (uInt)r;
	}
	if (s->z.avail_in < 2 || !gz_is_gzip(s->z.next_in, s->z.avail_in)) {
		if (!s->members)
			return io_in_fail(&s->in, ERR_INTEGRITY, "gzip: not gzip data (bad magic)");
		return io_in_fail(&s->in, ERR_INTEGRITY,
		                  "gzip: trailing garbage after the last member (at byte %llu)",
		                  (unsigned long long)in_offset(s));
	}
	s->in_done += s->z.total_in;
	if (inflateReset(&s->z) != Z_OK)
		return io_in_fail(&s->in, ERR_FAIL, "gzip: inflateReset failed");
	s->state = GZ_MEMBER;
	s->members++;
	return 0;
}

static ssize_t gz_in_read(struct io_in *in, void *p, size_t n)
{
	struct gz_in *s = (struct gz_in *)in;
	size_t got;
	int rc, zr;
	if (n > UINT_MAX)
		n = UINT_MAX;
	/* One byte past the limit, so that "exactly max_out" and "more" differ. */
	if (s->max_out && n - 1 >= s->max_out - s->total)
		n = (size_t)(s->max_out - s->total) + 1;
	s->z.next_out = p;
	s->z.avail_out = (uInt)n;
	while (s->state != GZ_DONE) {
		if (s->state == GZ_BETWEEN) {
			if ((rc = next_member(s)) < 0)
				return rc;
			continue;
		}
		if ((rc = fill(s)) < 0)
			return rc;
		zr = inflate(&s->z, Z_NO_FLUSH);
		got = n - s->z.avail_out;
		if (zr == Z_STREAM_END) {
			s->state = GZ_BETWEEN;
		} else if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT) {
			return io_in_fail(in, ERR_INTEGRITY, "gzip: corrupt data at byte %llu: %s",
			                  (unsigned long long)in_offset(s),
			                  s->z.msg ? s->z.msg : "bad stream");
		} else if (zr == Z_MEM_ERROR) {
			return io_in_fail(in, ERR_FAIL, "gzip: out of memory");
		} else if (zr == Z_BUF_ERROR && !got && !s->z.avail_in && s->src_eof) {
			return io_in_fail(
			    in, ERR_INTEGRITY,
			    "gzip: truncated input (ends inside a member at byte %llu)",
			    (unsigned long long)in_offset(s));
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			return io_in_fail(in, ERR_FAIL, "gzip: inflate failed (%d)", zr);
		}
		if (got) {
			s->total += got;
			if (s->max_out && s->total > s->max_out)
				return io_in_fail(in, ERR_INTEGRITY,
				                  "gzip: data inflates to more than the limit of "
				                  "%llu bytes",
				                  (unsigned long long)s->max_out);
			return (ssize_t)got;
		}
	}
	return 0;
}

static int gz_in_close(struct io_in *in)
{
	struct gz_in *s = (struct gz_in *)in;
	int rc, src_rc;
	/* A reader that stopped early (a tar reader at its end marker) still gets the CRC,
	 * length and trailing-garbage checks, unless the pipeline already failed. */
	if (!in->err && s->state != GZ_DONE && (!in->e || !in->e->code)) {
		char tmp[GZ_DRAIN_CHUNK];
		while (io_read(in, tmp, sizeof tmp) > 0)
			;
	}
	rc = in->err;
	inflateEnd(&s->z);
	src_rc = io_in_close(s->src);
	free(s);
	return rc ? rc : src_rc;
}

static const struct io_in_ops gz_in_ops = {gz_in_read, gz_in_close};

struct io_in *gz_in(struct io_in *src, uint64_t max_out, struct err *e)
{
	struct gz_in *s;
	if (!src)
		return NULL;
	s = calloc(1, sizeof *s);
	/* 16 + window bits: zlib parses the gzip header and checks CRC-32 and ISIZE. */
	if (!s || inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) {
		free(s);
		io_in_close(src);
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	s->in.ops = &gz_in_ops;
	s->in.e = e;
	s->src = src;
	s->max_out = max_out;
	s->state = GZ_BETWEEN;
	return &s->in;
}

int gz_is_gzip(const void *p, size_t n)
{
	const unsigned char *c = p;
	return n >= 2 && c[0] == 0x1f && c[1] == 0x8b;
}
