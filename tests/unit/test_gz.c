/* test_gz.c - gzip writer determinism and round trips; the reader against hostile input */
#include "t.h"

#include "buf.h"
#include "err.h"
#include "gz.h"
#include "io.h"

#include <stdint.h>
#include <zlib.h>

/* Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
static void fill_random(unsigned char *p, size_t n, uint32_t seed)
{
	uint32_t x = seed ? seed : 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
}

/* Text-like bytes: words from a small vocabulary. */
static void fill_text(unsigned char *p, size_t n)
{
	static const char *const words[] = {
	    "block ",      "registry ", "version: ", "1.0.0\n", "name ",
	    "- script:\n", "push ",     "pull ",     "{}\t"};
	size_t o = 0, i = 0;
	while (o < n) {
		const char *w = words[(i * 7 + i / 3) % 9];
		size_t l = strlen(w);
		if (l > n - o)
			l = n - o;
		memcpy(p + o, w, l);
		o += l;
		i++;
	}
}

/* Compresses p in writes of chunk bytes (0: one write) into out. */
static int compress_to(struct buf *out, const void *p, size_t n, int level, size_t chunk)
{
	struct err e;
	struct io_out *o;
	const unsigned char *c = p;
	int rc = 0;
	err_init(&e);
	o = gz_out(io_out_buf(out, &e), level, &e);
	if (!o)
		return e.code;
	if (!chunk)
		chunk = n ? n : 1;
	for (size_t i = 0; i < n && rc == 0; i += chunk)
		rc = io_write(o, c + i, n - i < chunk ? n - i : chunk);
	if (rc < 0) {
		io_out_abort(o);
		return rc;
	}
	return io_out_close(o);
}

/* Inflates p[0..n) with reads of up to rd bytes; the result into out, the message in e. */
static int decompress_to(struct buf *out, const void *p, size_t n, uint64_t max, size_t rd,
                         struct err *e)
{
	unsigned char tmp[70000];
	struct io_in *in;
	ssize_t r;
	int rc;
	err_init(e);
	in = gz_in(io_in_mem(p, n, e), max, e);
	if (!in)
		return e->code;
	if (rd > sizeof tmp)
		rd = sizeof tmp;
	while ((r = io_read(in, tmp, rd)) > 0)
		if (buf_append(out, tmp, (size_t)r) < 0)
			return ERR_FAIL;
	rc = io_in_close(in);
	return r < 0 ? (int)r : rc;
}

static void test_round_trip_levels(void)
{
	size_t sizes[] = {0, 1, 100, 65535, 65536, 200001};
	unsigned char *data = malloc(200001);
	for (int kind = 0; kind < 2; kind++) {
		if (kind)
			fill_random(data, 200001, 7);
		else
			fill_text(data, 200001);
		for (int level = 0; level <= 9; level++)
			for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
				struct buf z, back;
				struct err e;
				size_t n = sizes[si];
				buf_init(&z, 0);
				buf_init(&back, 0);
				T_EQ_INT(compress_to(&z, data, n, level, 0), 0);
				T_CHECKF(decompress_to(&back, z.p, z.len, 0, 65536, &e) == 0,
				         "level %d size %zu: %s", level, n, e.msg);
				T_CHECKF(back.len == n && (n == 0 || memcmp(back.p, data, n) == 0),
				         "level %d size %zu: %zu bytes back", level, n, back.len);
				/* zlib's own gzip reader agrees (header, CRC, length) */
				{
					unsigned char *u = malloc(n + 1);
					z_stream zs;
					memset(&zs, 0, sizeof zs);
					inflateInit2(&zs, 16 + MAX_WBITS);
					zs.next_in = (Bytef *)z.p;
					zs.avail_in = (uInt)z.len;
					zs.next_out = u;
					zs.avail_out = (uInt)n + 1;
					T_EQ_INT(inflate(&zs, Z_FINISH), Z_STREAM_END);
					T_EQ_INT(zs.total_out, n);
					inflateEnd(&zs);
					free(u);
				}
				buf_free(&z);
				buf_free(&back);
			}
	}
	free(data);
}

/* Same input and level: the same bytes, however the writes are split. */
static void test_deterministic(void)
{
	size_t n = 300000;
	unsigned char *data = malloc(n);
	struct buf a, b, c;
	fill_text(data, n);
	fill_random(data + 100000, 50000, 3);
	for (int level = 0; level <= 9; level += level < 3 ? 1 : 3) {
		buf_init(&a, 0);
		buf_init(&b, 0);
		buf_init(&c, 0);
		T_EQ_INT(compress_to(&a, data, n, level, 0), 0);
		T_EQ_INT(compress_to(&b, data, n, level, 1), 0);
		T_EQ_INT(compress_to(&c, data, n, level, 4097), 0);
		T_CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
		T_CHECK(a.len == c.len && memcmp(a.p, c.p, a.len) == 0);
		/* the header: magic, deflate, no flags, mtime 0, XFL, OS 255 */
		unsigned char want[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
		want[8] = level == 9 ? 2 : level < 2 ? 4 : 0; /* zlib's rule */
		T_EQ_MEM(a.p, want, 10);
		/* trailer: CRC-32 and length, little-endian */
		uint32_t crc = (uint32_t)crc32(0, data, (uInt)n);
		unsigned char *t = (unsigned char *)a.p + a.len - 8;
		T_EQ_INT(t[0] | t[1] << 8 | t[2] << 16 | (uint32_t)t[3] << 24, crc);
		T_EQ_INT(t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24, n);
		buf_free(&a);
		buf_free(&b);
		buf_free(&c);
	}
	/* the empty stream is fixed bytes */
	buf_init(&a, 0);
	T_EQ_INT(compress_to(&a, "", 0, 6, 0), 0);
	T_EQ_INT(a.len, 20);
	T_EQ_MEM(a.p,
	         "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00",
	         20);
	buf_free(&a);
	free(data);
}

/* Builds a gzip member by hand with every optional header field set. */
static size_t member_with_fields(unsigned char *out, size_t cap, const char *text)
{
	static const unsigned char head[] = {
	    0x1f, 0x8b, 8, 0x1e /* FHCRC FEXTRA FNAME FCOMMENT */, 0x78, 0x56, 0x34, 0x12, 0, 3};
	z_stream zs;
	size_t o = 0;
	uint32_t crc, hcrc;
	memcpy(out, head, sizeof head);
	o = sizeof head;
	memcpy(out + o,
	       "\x04\x00"
	       "ab\x00\x00",
	       6); /* XLEN 4, one subfield */
	o += 6;
	memcpy(out + o, "file.tar", 9);
	o += 9;
	memcpy(out + o, "a comment", 10);
	o += 10;
	hcrc = (uint32_t)crc32(0, out, (uInt)o);
	out[o++] = (unsigned char)hcrc;
	out[o++] = (unsigned char)(hcrc >> 8);
	memset(&zs, 0, sizeof zs);
	deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (Bytef *)text;
	zs.avail_in = (uInt)strlen(text);
	zs.next_out = out + o;
	zs.avail_out = (uInt)(cap - o - 8);
	deflate(&zs, Z_FINISH);
	o += zs.total_out;
	deflateEnd(&zs);
	crc = (uint32_t)crc32(0, (const Bytef *)text, (uInt)strlen(text));
	for (int i = 0; i < 4; i++)
		out[o++] = (unsigned char)(crc >> (8 * i));
	for (int i = 0; i < 4; i++)
		out[o++] = (unsigned char)(strlen(text) >> (8 * i));
	return o;
}

static void test_members_and_headers(void)
{
	struct buf z, back;
	struct err e;
	unsigned char m[256];
	size_t mn;
	buf_init(&z, 0);
	buf_init(&back, 0);
	/* foreign header fields (name, comment, extra, header CRC) are skipped */
	mn = member_with_fields(m, sizeof m, "hello, fields\n");
	T_EQ_INT(decompress_to(&back, m, mn, 0, 100, &e), 0);
	T_EQ_STR(buf_cstr(&back), "hello, fields\n");
	/* concatenated members: ours, the hand-made one, an empty one, ours again */
	compress_to(&z, "first ", 6, 1, 0);
	buf_append(&z, m, mn);
	compress_to(&z, "", 0, 9, 0);
	compress_to(&z, "last", 4, 9, 0);
	buf_reset(&back);
	T_EQ_INT(decompress_to(&back, z.p, z.len, 0, 3, &e), 0);
	T_EQ_STR(buf_cstr(&back), "first hello, fields\nlast");
	/* a header CRC that does not match is corruption */
	m[33] ^= 1;
	buf_reset(&back);
	T_EQ_INT(decompress_to(&back, m, mn, 0, 100, &e), ERR_INTEGRITY);
	T_CHECK(strstr(e.msg, "gzip: corrupt data") != NULL);
	buf_free(&z);
	buf_free(&back);
}

static void test_hostile(void)
{
	struct buf z, back, bad;
	struct err e;
	unsigned char text[5000];
	fill_text(text, sizeof text);
	buf_init(&z, 0);
	buf_init(&back, 0);
	buf_init(&bad, 0);
	T_EQ_INT(compress_to(&z, text, sizeof text, 6, 0), 0);
	static const struct {
		const char *name;
		int op; /* 0 flip a byte at off (from the end when negative), 1 append */
		long off;
		const char *append;
		size_t append_len;
		const char *msg;
	} cases[] = {
	    {"corrupt body", 0, 20, NULL, 0, "gzip: corrupt data"},
	    {"bad crc", 0, -8, NULL, 0, "incorrect data check"},
	    {"bad isize", 0, -2, NULL, 0, "incorrect length check"},
	    {"bad method", 0, 2, NULL, 0, "unknown compression method"},
	    {"reserved flag", 0, 3, NULL, 0, "gzip: corrupt data"},
	    {"trailing zero", 1, 0, "\0", 1, "trailing garbage after the last member"},
	    {"trailing text", 1, 0, "x", 1, "trailing garbage"},
	    {"trailing newline", 1, 0, "\n", 1, "trailing garbage"},
	    {"trailing half magic", 1, 0, "\x1f", 1, "trailing garbage"},
	    {"trailing magic only", 1, 0, "\x1f\x8b", 2, "truncated input"},
	    {"trailing bad member", 1, 0, "\x1f\x8b\x08\x00\x00\x00", 6, "truncated input"},
	    {"trailing zlib", 1, 0, "\x78\x9c\x03\x00\x00\x00\x00\x01", 8, "trailing garbage"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf_reset(&bad);
		buf_append(&bad, z.p, z.len);
		if (cases[i].op == 0) {
			long off = cases[i].off < 0 ? (long)z.len + cases[i].off : cases[i].off;
			bad.p[off] ^= 0x55;
		} else {
			buf_append(&bad, cases[i].append, cases[i].append_len);
		}
		buf_reset(&back);
		int rc = decompress_to(&back, bad.p, bad.len, 0, 65536, &e);
		T_CHECKF(rc == ERR_INTEGRITY && strstr(e.msg, cases[i].msg), "%s: rc %d \"%s\"",
		         cases[i].name, rc, e.msg);
	}
	/* truncated at every length: always an error, never a silent short read */
	for (size_t cut = 0; cut < z.len; cut++) {
		buf_reset(&back);
		int rc = decompress_to(&back, z.p, cut, 0, 65536, &e);
		T_CHECKF(rc == ERR_INTEGRITY, "cut at %zu: rc %d \"%s\"", cut, rc, e.msg);
	}
	static const struct {
		const char *data;
		size_t n;
		const char *msg;
	} junk[] = {
	    {"", 0, "gzip: empty input"},
	    {"hello world", 11, "gzip: not gzip data (bad magic)"},
	    {"\x1f", 1, "gzip: not gzip data (bad magic)"},
	    {"\x78\x9c\x03\x00\x00\x00\x00\x01", 8, "gzip: not gzip data (bad magic)"},
	    {"\x1f\x8b", 2, "gzip: truncated input"},
	};
	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		buf_reset(&back);
		int rc = decompress_to(&back, junk[i].data, junk[i].n, 0, 100, &e);
		T_CHECKF(rc == ERR_INTEGRITY && strstr(e.msg, junk[i].msg), "junk %zu: \"%s\"", i,
		         e.msg);
	}
	buf_free(&z);
	buf_free(&back);
	buf_free(&bad);
}

/* 10 MB of zeros compress to about 10 KB; a 1 MB limit stops them. */
static void test_bomb(void)
{
	size_t n = 10 * 1024 * 1024;
	unsigned char *zeros = calloc(1, n);
	struct buf z, back;
	struct err e;
	buf_init(&z, 0);
	buf_init(&back, 0);
	T_EQ_INT(compress_to(&z, zeros, n, 9, 0), 0);
	T_CHECK(z.len < 20000);
	T_EQ_INT(decompress_to(&back, z.p, z.len, 1024 * 1024, 65536, &e), ERR_INTEGRITY);
	T_EQ_STR(e.msg, "gzip: data inflates to more than the limit of 1048576 bytes");
	T_CHECK(back.len <= 1024 * 1024);
	/* exactly at the limit is fine, one byte less is not */
	buf_reset(&back);
	T_EQ_INT(decompress_to(&back, z.p, z.len, n, 65536, &e), 0);
	T_EQ_INT(back.len, n);
	buf_reset(&back);
	T_EQ_INT(decompress_to(&back, z.p, z.len, n - 1, 7, &e), ERR_INTEGRITY);
	T_CHECK(strstr(e.msg, "limit of 10485759 bytes") != NULL);
	/* the limit counts all members together */
	buf_reset(&z);
	compress_to(&z, zeros, 600000, 1, 0);
	compress_to(&z, zeros, 600000, 1, 0);
	buf_reset(&back);
	T_EQ_INT(decompress_to(&back, z.p, z.len, 1200000, 65536, &e), 0);
	buf_reset(&back);
	T_EQ_INT(decompress_to(&back, z.p, z.len, 1024 * 1024, 65536, &e), ERR_INTEGRITY);
	buf_free(&z);
	buf_free(&back);
	free(zeros);
}

/* A source that hands out one byte per read: every boundary lands everywhere. */
struct trickle {
	struct io_in in;
	const unsigned char *p;
	size_t n, off;
};

static ssize_t trickle_read(struct io_in *in, void *p, size_t n)
{
	struct trickle *t = (struct trickle *)in;
	if (t->off == t->n)
		return 0;
	*(unsigned char *)p = t->p[t->off++];
	return 1;
}

static int trickle_close(struct io_in *in)
{
	int rc = in->err;
	free(in);
	return rc;
}

static const struct io_in_ops trickle_ops = {trickle_read, trickle_close};

static int trickle_inflate(const void *p, size_t n, struct buf *out, struct err *e)
{
	struct trickle *t = calloc(1, sizeof *t);
	struct io_in *in;
	unsigned char tmp[300];
	ssize_t r;
	int rc;
	err_init(e);
	t->in.ops = &trickle_ops;
	t->in.e = e;
	t->p = p;
	t->n = n;
	in = gz_in(&t->in, 0, e);
	while ((r = io_read(in, tmp, sizeof tmp)) > 0)
		buf_append(out, tmp, (size_t)r);
	rc = io_in_close(in);
	return r < 0 ? (int)r : rc;
}

static void test_trickle_source(void)
{
	struct buf z, back;
	struct err e;
	buf_init(&z, 0);
	buf_init(&back, 0);
	compress_to(&z, "alpha ", 6, 6, 0);
	compress_to(&z, "beta ", 5, 1, 0);
	compress_to(&z, "gamma", 5, 9, 0);
	T_EQ_INT(trickle_inflate(z.p, z.len, &back, &e), 0);
	T_EQ_STR(buf_cstr(&back), "alpha beta gamma");
	buf_append(&z, "\x1f", 1);
	buf_reset(&back);
	T_EQ_INT(trickle_inflate(z.p, z.len, &back, &e), ERR_INTEGRITY);
	T_CHECK(strstr(e.msg, "trailing garbage") != NULL);
	z.p[z.len - 1] = 0x1f;
	buf_append(&z, "\x8c", 1);
	buf_reset(&back);
	T_EQ_INT(trickle_inflate(z.p, z.len, &back, &e), ERR_INTEGRITY);
	T_CHECK(strstr(e.msg, "trailing garbage") != NULL);
	buf_free(&z);
	buf_free(&back);
}

/* Closing early still checks the rest (a tar reader stops at its end marker). */
static void test_close_early(void)
{
	unsigned char text[100000], tmp[10];
	struct buf z, bad;
	struct err e;
	struct io_in *in;
	fill_text(text, sizeof text);
	buf_init(&z, 0);
	buf_init(&bad, 0);
	compress_to(&z, text, sizeof text, 6, 0);
	for (int k = 0; k < 4; k++) {
		buf_reset(&bad);
		buf_append(&bad, z.p, z.len);
		if (k == 1)
			bad.p[bad.len - 6] ^= 1; /* CRC */
		if (k == 2)
			buf_append(&bad, "junk", 4);
		err_init(&e);
		in = gz_in(io_in_mem(bad.p, bad.len, &e), k == 3 ? 50000 : 0, &e);
		T_EQ_INT(io_read_full(in, tmp, sizeof tmp), 10);
		T_EQ_MEM(tmp, text, 10);
		int rc = io_in_close(in);
		T_CHECKF(rc == (k == 0 ? 0 : ERR_INTEGRITY), "k %d: rc %d \"%s\"", k, rc, e.msg);
	}
	/* but when the pipeline already failed, close does not read on */
	err_init(&e);
	err_set(&e, ERR_NET, "connection reset");
	in = gz_in(io_in_mem(bad.p, bad.len, &e), 0, &e);
	T_EQ_INT(io_read_full(in, tmp, sizeof tmp), 10);
	T_EQ_INT(io_in_close(in), 0);
	T_EQ_STR(e.msg, "connection reset");
	buf_free(&z);
	buf_free(&bad);
}

/* Compresses p with a level change to 0 over [a, b) and back, in writes of chunk bytes. */
static int compress_levels(struct buf *out, const unsigned char *p, size_t n, size_t a, size_t b,
                           size_t chunk)
{
	struct err e;
	struct io_out *o;
	int rc = 0;
	err_init(&e);
	o = gz_out(io_out_buf(out, &e), 6, &e);
	if (!o)
		return e.code;
	size_t cut[4] = {0, a < n ? a : n, b < n ? b : n, n};
	for (int seg = 0; seg < 3 && rc == 0; seg++) {
		if (seg > 0)
			rc = gz_out_level(o, seg == 1 ? 0 : 6);
		for (size_t i = cut[seg]; i < cut[seg + 1] && rc == 0; i += chunk) {
			size_t k = cut[seg + 1] - i < chunk ? cut[seg + 1] - i : chunk;
			rc = io_write(o, p + i, k);
		}
	}
	if (rc < 0) {
		io_out_abort(o);
		return rc;
	}
	return io_out_close(o);
}

/* The bytes do not depend on the number of deflate threads, level changes included, and
 * every piece boundary decodes (sizes around multiples of the 128 KiB piece). */
static void test_threads_same_bytes(void)
{
	size_t n = 3 * 1024 * 1024 + 777;
	unsigned char *data = malloc(n);
	fill_text(data, n);
	fill_random(data + 1024 * 1024, 512 * 1024, 5);
	size_t sizes[] = {0, 1, 131071, 131072, 131073, 262144, 1000000, n};
	for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
		struct buf ref, got, back;
		struct err e;
		buf_init(&ref, 0);
		gz_set_threads(1);
		T_EQ_INT(compress_levels(&ref, data, sizes[si], 1024 * 1024, 1536 * 1024, 65536),
		         0);
		for (int t = 2; t <= 4; t++) {
			buf_init(&got, 0);
			gz_set_threads(t);
			T_EQ_INT(compress_levels(&got, data, sizes[si], 1024 * 1024, 1536 * 1024,
			                         t == 3 ? 4097 : 65536),
			         0);
			T_CHECKF(got.len == ref.len &&
			             (!ref.len || memcmp(got.p, ref.p, ref.len) == 0),
			         "size %zu, %d threads: other bytes than one thread", sizes[si], t);
			buf_free(&got);
		}
		buf_init(&back, 0);
		T_EQ_INT(decompress_to(&back, ref.p, ref.len, 0, 70000, &e), 0);
		T_CHECKF(back.len == sizes[si] &&
		             (!back.len || memcmp(back.p, data, sizes[si]) == 0),
		         "size %zu: %zu bytes back (%s)", sizes[si], back.len, e.msg);
		buf_free(&back);
		buf_free(&ref);
	}
	/* the stored stretch really is stored: 512 KiB of random bytes cost about that */
	struct buf a;
	buf_init(&a, 0);
	gz_set_threads(2);
	T_EQ_INT(compress_levels(&a, data, 2 * 1024 * 1024, 1024 * 1024, 1536 * 1024, 65536), 0);
	T_CHECKF(a.len > 512 * 1024 && a.len < 512 * 1024 + 200 * 1024, "%zu bytes", a.len);
	buf_free(&a);
	gz_set_threads(0);
	free(data);
}

/* gz_crc32 equals zlib's crc32 for every length, alignment and split, either path. */
static void test_crc32(void)
{
	size_t n = 5 * 1024 * 1024 + 7;
	unsigned char *data = malloc(n);
	fill_random(data, n, 77);
	for (int portable = 0; portable < 2; portable++) {
		gz_crc32_portable(portable);
		int bad = 0;
		for (size_t off = 0; off < 16; off++)
			for (size_t len = 0; len <= 1100; len += off ? 7 : 1) {
				uint32_t want = (uint32_t)crc32(0, data + off, (uInt)len);
				uint32_t got = gz_crc32(0, data + off, len);
				if (got != want && bad++ < 5)
					T_CHECKF(0, "portable %d off %zu len %zu: %08x, zlib %08x",
					         portable, off, len, got, want);
			}
		T_CHECKF(bad == 0, "portable %d: %d lengths differ", portable, bad);
		/* continued from a previous value, and the whole buffer in pieces */
		uint32_t want = (uint32_t)crc32(0, data, (uInt)n);
		T_EQ_INT(gz_crc32(0, data, n), want);
		uint32_t c = 0;
		for (size_t i = 0; i < n; i += 100003)
			c = gz_crc32(c, data + i, n - i < 100003 ? n - i : 100003);
		T_EQ_INT(c, want);
		T_EQ_INT(gz_crc32(0x12345678, data, 4096), (uint32_t)crc32(0x12345678, data, 4096));
		T_EQ_INT(gz_crc32(0, "123456789", 9), 0xcbf43926u); /* the check value */
	}
	gz_crc32_portable(0);
	free(data);
}

static void test_writer_errors(void)
{
	struct buf small;
	struct err e;
	struct io_out *o;
	unsigned char data[200000];
	fill_random(data, sizeof data, 11);
	/* the next stage's limit: the error comes back from write or close, and is its own */
	buf_init(&small, 1000);
	err_init(&e);
	o = gz_out(io_out_buf(&small, &e), 1, &e);
	/* pieces deflated by other threads reach next later: the error shows at a later
	 * write, at the latest at close */
	int rc = 0;
	for (int i = 0; i < 20 && rc == 0; i++)
		rc = io_write(o, data, sizeof data);
	if (rc == 0) {
		T_EQ_INT(io_out_close(o), ERR_FAIL);
	} else {
		T_EQ_INT(rc, ERR_FAIL);
		T_EQ_INT(io_write(o, data, 1), ERR_FAIL); /* sticky */
		T_EQ_INT(io_out_close(o), ERR_FAIL);
	}
	T_EQ_STR(e.msg, "output larger than the limit of 1000 bytes");
	T_EQ_INT(small.len, 0); /* the buffer stage discarded its part */
	buf_free(&small);
	/* failing only at close (the final flush) */
	buf_init(&small, 100);
	err_init(&e);
	o = gz_out(io_out_buf(&small, &e), 1, &e);
	T_EQ_INT(io_write(o, data, 1000), 0);
	T_EQ_INT(io_out_close(o), ERR_FAIL);
	T_EQ_STR(e.msg, "output larger than the limit of 100 bytes");
	buf_free(&small);
	/* abort discards */
	buf_init(&small, 0);
	err_init(&e);
	o = gz_out(io_out_buf(&small, &e), 6, &e);
	T_EQ_INT(io_write(o, data, 70000), 0);
	io_out_abort(o);
	T_EQ_INT(small.len, 0);
	T_EQ_INT(e.code, 0);
	/* bad level, NULL next */
	err_init(&e);
	T_CHECK(gz_out(io_out_buf(&small, &e), 10, &e) == NULL);
	T_EQ_STR(e.msg, "gzip level 10 out of range 0..9");
	T_CHECK(gz_out(io_out_buf(&small, &e), -1, &e) == NULL);
	T_CHECK(gz_out(NULL, 6, &e) == NULL);
	T_CHECK(gz_in(NULL, 0, &e) == NULL);
	buf_free(&small);
}

static void test_is_gzip(void)
{
	T_EQ_INT(gz_is_gzip("\x1f\x8b\x08", 3), 1);
	T_EQ_INT(gz_is_gzip("\x1f\x8b", 2), 1);
	T_EQ_INT(gz_is_gzip("\x1f", 1), 0);
	T_EQ_INT(gz_is_gzip("", 0), 0);
	T_EQ_INT(gz_is_gzip("\x8b\x1f", 2), 0);
	T_EQ_INT(gz_is_gzip("ustar", 5), 0);
}

T_MAIN(test_round_trip_levels, test_deterministic, test_threads_same_bytes, test_crc32,
       test_members_and_headers, test_hostile, test_bomb, test_trickle_source, test_close_early,
       test_writer_errors, test_is_gzip)
