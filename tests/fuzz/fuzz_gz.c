/* fuzz_gz.c - libFuzzer target: any bytes through io_in_mem -> gz_in with a small output
 * limit must end in data or a clean error; any bytes must survive gz_out -> gz_in, written
 * in pieces and with level changes the input chooses, and give the same gzip bytes with
 * one deflate thread and with two */
#include "buf.h"
#include "err.h"
#include "gz.h"
#include "io.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_GZ_MAX_OUT (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int inflate_all(const void *p, size_t n, uint64_t max, size_t rd, struct buf *out,
                       struct err *e)
{
	unsigned char tmp[4096];
	struct io_in *in = gz_in(io_in_mem(p, n, e), max, e);
	ssize_t r;
	int rc;
	if (!in)
		return e->code;
	while ((r = io_read(in, tmp, rd)) > 0)
		if (buf_append(out, tmp, (size_t)r) < 0)
			abort();
	rc = io_in_close(in);
	if (r < 0 && rc != r)
		abort(); /* close must report the same first error */
	return r < 0 ? (int)r : rc;
}

/* Deflates data with writes and level changes the data itself chooses, on threads. */
static void deflate_planned(const uint8_t *data, size_t size, int threads, struct buf *z)
{
	struct err e;
	struct io_out *o;
	size_t at = 0;
	err_init(&e);
	gz_set_threads(threads);
	o = gz_out(io_out_buf(z, &e), size ? data[size - 1] % 10 : 6, &e);
	if (!o)
		abort();
	while (at < size) {
		uint8_t c = data[at];
		size_t step = 1 + (size_t)c * 1031 % 70000;
		if (step > size - at)
			step = size - at;
		if ((c & 3) == 1 && gz_out_level(o, c % 10) < 0)
			abort();
		if (io_write(o, data + at, step) < 0)
			abort();
		at += step;
	}
	if (io_out_close(o) < 0)
		abort();
	gz_set_threads(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out, z;
	struct err e;
	struct io_out *o;
	size_t rd = size ? (size_t)data[0] % 64 * 64 + 1 : 1;
	int rc;

	buf_init(&out, 0);
	err_init(&e);
	rc = inflate_all(data, size, FUZZ_GZ_MAX_OUT, rd, &out, &e);
	if (rc < 0 && (!e.msg[0] || (rc != ERR_INTEGRITY && rc != ERR_FAIL)))
		abort();
	if (rc == 0 && out.len > FUZZ_GZ_MAX_OUT)
		abort();
	buf_free(&out);

	/* round trip at a level chosen by the input */
	buf_init(&z, 0);
	buf_init(&out, 0);
	err_init(&e);
	o = gz_out(io_out_buf(&z, &e), size ? data[size - 1] % 10 : 6, &e);
	if (!o || io_write(o, data, size) < 0 || io_out_close(o) < 0)
		abort();
	if (!gz_is_gzip(z.p, z.len))
		abort();
	err_init(&e);
	if (inflate_all(z.p, z.len, size, rd, &out, &e) < 0 || out.len != size ||
	    (size && memcmp(out.p, data, size) != 0))
		abort();
	buf_free(&z);
	buf_free(&out);

	/* planned writes and level changes: one thread and two give the same bytes */
	struct buf z1, z2;
	buf_init(&z1, 0);
	buf_init(&z2, 0);
	deflate_planned(data, size, 1, &z1);
	deflate_planned(data, size, 2, &z2);
	if (z1.len != z2.len || memcmp(z1.p, z2.p, z1.len) != 0)
		abort();
	buf_init(&out, 0);
	err_init(&e);
	if (inflate_all(z1.p, z1.len, size, rd, &out, &e) < 0 || out.len != size ||
	    (size && memcmp(out.p, data, size) != 0))
		abort();
	buf_free(&z1);
	buf_free(&z2);
	buf_free(&out);
	return 0;
}
