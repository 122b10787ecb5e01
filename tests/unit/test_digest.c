/* test_digest.c - SHA-256 vectors, SHA-NI vs portable vs BearSSL, digest strings and stages */
#include "t.h"

#include <bearssl_hash.h>

#include "buf.h"
#include "digest.h"
#include "err.h"
#include "io.h"

static const struct {
	const char *msg;
	size_t repeat;
	const char *hex;
} nist[] = {
    {"", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
     "lmnopqrsmnopqrstnopqrstu",
     1, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    {"a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
    /* 64 and 55/56 bytes: the padding edges */
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1,
     "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1,
     "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1,
     "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
};

static int have_shani(void)
{
	sha256_force_portable(0);
	return strcmp(sha256_impl(), "sha-ni") == 0;
}

/* Hashes the vector with updates of size step (0: one update per repeat). */
static void hash_vector(size_t i, size_t step, char out[DIGEST_STR_MAX])
{
	struct sha256 c;
	uint8_t raw[32];
	size_t len = strlen(nist[i].msg);
	sha256_init(&c);
	for (size_t r = 0; r < nist[i].repeat; r++) {
		if (!step) {
			sha256_update(&c, nist[i].msg, len);
			continue;
		}
		for (size_t off = 0; off < len; off += step)
			sha256_update(&c, nist[i].msg + off, len - off < step ? len - off : step);
	}
	sha256_final(&c, raw);
	digest_format(raw, out);
}

static void test_nist_vectors(void)
{
	static const size_t steps[] = {0, 1, 3, 63};
	int paths = have_shani() ? 2 : 1;
	if (paths == 1)
		t_skip("no SHA-NI on this CPU: portable path only");
	for (int portable = 0; portable < 2; portable++) {
		if (portable == 0 && paths == 1)
			continue;
		sha256_force_portable(portable);
		T_EQ_STR(sha256_impl(), portable ? "portable" : "sha-ni");
		for (size_t i = 0; i < sizeof nist / sizeof nist[0]; i++)
			for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
				char got[DIGEST_STR_MAX];
				if (nist[i].repeat > 1 && steps[s] > 1)
					continue;
				hash_vector(i, steps[s], got);
				T_CHECKF(strcmp(got + 7, nist[i].hex) == 0 &&
				             strncmp(got, "sha256:", 7) == 0,
				         "vector %zu step %zu portable %d: %s", i, steps[s],
				         portable, got);
			}
	}
	/* the one-shot helper */
	char s[DIGEST_STR_MAX];
	sha256_str("abc", 3, s);
	T_EQ_STR(s, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_force_portable(0);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* Our hash with random split points, under the chosen path. */
static void ours(const uint8_t *p, size_t n, int portable, int split, uint8_t out[32])
{
	struct sha256 c;
	sha256_force_portable(portable);
	sha256_init(&c);
	if (split) {
		size_t off = 0;
		while (off < n) {
			size_t k = rnd() % (rnd() % 2 ? 200 : 70000);
			if (k > n - off)
				k = n - off;
			sha256_update(&c, p + off, k);
			off += k;
		}
	} else {
		sha256_update(&c, p, n);
	}
	sha256_final(&c, out);
	sha256_force_portable(0);
}

static void bearssl(const uint8_t *p, size_t n, uint8_t out[32])
{
	br_sha256_context c;
	br_sha256_init(&c);
	br_sha256_update(&c, p, n);
	br_sha256_out(&c, out);
}

static void test_paths_agree(void)
{
	size_t max = 5 * 1024 * 1024 + 37;
	uint8_t *p = malloc(max);
	int shani = have_shani();
	int bad = 0, cases = 0;
	if (!shani)
		t_skip("no SHA-NI on this CPU: comparing portable with BearSSL only");
	for (size_t i = 0; i < max; i++)
		p[i] = (uint8_t)rnd();
	/* every length up to 300 bytes, then odd sizes up to several MB */
	for (size_t n = 0; n <= max; n = n < 300 ? n + 1 : n * 3 + 1 + rnd() % 64) {
		uint8_t want[32], a[32], b[32], c[32], d[32];
		bearssl(p, n, want);
		ours(p, n, 1, 0, a);
		ours(p, n, 1, 1, b);
		ours(p, n, 0, 0, c); /* CPUID decides: SHA-NI here when present */
		ours(p, n, 0, 1, d);
		cases++;
		if (memcmp(a, want, 32) || memcmp(b, want, 32) || memcmp(c, want, 32) ||
		    memcmp(d, want, 32)) {
			if (bad++ < 5)
				T_CHECKF(0, "length %zu: our hash differs from BearSSL", n);
		}
	}
	{
		uint8_t want[32], a[32];
		bearssl(p, max, want);
		ours(p, max, 0, 1, a);
		T_EQ_MEM(a, want, 32);
	}
	T_EQ_INT(bad, 0);
	T_CHECK(cases > 300);
	free(p);
}

static void test_digest_parse(void)
{
	static const char good[] =
	    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	static const struct {
		const char *s;
		const char *msg; /* part of the message; NULL: accepted */
	} cases[] = {
	    {good, NULL},
	    {"sha256:0000000000000000000000000000000000000000000000000000000000000000", NULL},
	    {"", "empty"},
	    {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "no algorithm"},
	    {"sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5"
	     "d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
	     "\"sha512\" is not supported"},
	    {"md5:d41d8cd98f00b204e9800998ecf8427e", "not supported"},
	    {"SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	     "not supported"},
	    {"sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
	     "uppercase"},
	    {"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
	     "63 hex digits"},
	    {"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
	     "65 hex digits"},
	    {"sha256:", "0 hex digits"},
	    {"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g",
	     "no hex digit at 64"},
	    {"sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
	     "no hex digit at 1"},
	    {"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
	     "no hex digit at 65"},
	    {"sha256:sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b785",
	     "no hex digit"},
	    {":e3b0", "not supported"},
	    {"sha256e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	     "no algorithm"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct err e;
		uint8_t raw[32];
		int rc;
		err_init(&e);
		rc = digest_parse(cases[i].s, raw, &e);
		if (!cases[i].msg) {
			char back[DIGEST_STR_MAX];
			T_CHECKF(rc == 0, "case %zu: %s", i, e.msg);
			digest_format(raw, back);
			T_EQ_STR(back, cases[i].s);
		} else {
			T_CHECKF(rc == ERR_USAGE && e.code == ERR_USAGE &&
			             strstr(e.msg, cases[i].msg) != NULL,
			         "case %zu: rc %d msg \"%s\" (want \"%s\")", i, rc, e.msg,
			         cases[i].msg);
		}
	}
	struct err e;
	err_init(&e);
	T_EQ_INT(digest_parse(good, NULL, &e), 0);
	T_EQ_INT(digest_parse(NULL, NULL, &e), ERR_USAGE);
	T_EQ_INT(digest_parse("x", NULL, NULL), ERR_USAGE);
	/* a long hostile string is quoted only in part */
	char longs[5000];
	memset(longs, 'a', sizeof longs - 1);
	longs[sizeof longs - 1] = 0;
	memcpy(longs, "sha256:", 7);
	err_init(&e);
	T_EQ_INT(digest_parse(longs, NULL, &e), ERR_USAGE);
	T_CHECK(strlen(e.msg) < 200);
	T_CHECKF(strstr(e.msg, "...\" has 4992 hex digits") != NULL, "%s", e.msg);
	longs[4000] = ':';
	memcpy(longs, "sha512", 6);
	err_init(&e);
	T_EQ_INT(digest_parse(longs, NULL, &e), ERR_USAGE);
	T_CHECKF(strlen(e.msg) < 200 && strstr(e.msg, "not supported"), "%s", e.msg);
	/* control characters never reach the message */
	err_init(&e);
	T_EQ_INT(digest_parse("sha\x1b[31m:00", NULL, &e), ERR_USAGE);
	T_CHECKF(strstr(e.msg, "\"sha?[31m\" is not supported") != NULL, "%s", e.msg);
	err_init(&e);
	T_EQ_INT(digest_parse("sha256:\r\x7f", NULL, &e), ERR_USAGE);
	T_CHECKF(strstr(e.msg, "\"sha256:??\" has a character") != NULL, "%s", e.msg);
}

/* A sink that fails on its first write or at commit. */
struct t_bad {
	struct io_out out;
	int fail_write, fail_close;
	int *closed;
};
static int t_bad_write(struct io_out *out, const void *p, size_t n)
{
	struct t_bad *s = (struct t_bad *)out;
	return s->fail_write ? io_out_fail(out, ERR_NET, "injected write error") : 0;
}
static int t_bad_close(struct io_out *out, int abort)
{
	struct t_bad *s = (struct t_bad *)out;
	int rc = out->err;
	if (!abort && !rc && s->fail_close)
		rc = io_out_fail(out, ERR_FAIL, "injected commit error");
	(*s->closed)++;
	free(s);
	return rc;
}
static const struct io_out_ops t_bad_ops = {t_bad_write, t_bad_close};
static struct io_out *t_bad_new(int fw, int fc, int *closed, struct err *e)
{
	struct t_bad *s = calloc(1, sizeof *s);
	s->out.ops = &t_bad_ops;
	s->out.e = e;
	s->fail_write = fw;
	s->fail_close = fc;
	s->closed = closed;
	return &s->out;
}

static void test_digest_out(void)
{
	static const char abc_hex[] =
	    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	struct err e;
	struct buf b;
	struct digest_result res;
	int closed = 0;
	err_init(&e);
	buf_init(&b, 0);
	struct io_out *out = digest_out(io_out_buf(&b, &e), &res, &e);
	T_EQ_STR(res.digest, "");
	T_EQ_INT(io_write(out, "a", 1), 0);
	T_EQ_INT(io_write(out, "b", 1), 0);
	T_EQ_INT(io_write(out, "c", 1), 0);
	T_EQ_INT(io_out_close(out), 0);
	T_EQ_STR(res.digest, abc_hex);
	T_EQ_INT(res.size, 3);
	T_CHECK(b.len == 3 && memcmp(b.p, "abc", 3) == 0);
	/* a pure hasher */
	out = digest_out(NULL, &res, &e);
	T_EQ_INT(io_out_close(out), 0);
	T_EQ_STR(res.digest,
	         "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	T_EQ_INT(res.size, 0);
	/* abort: no result, next aborted */
	out = digest_out(t_bad_new(0, 0, &closed, &e), &res, &e);
	T_EQ_INT(io_write(out, "abc", 3), 0);
	io_out_abort(out);
	T_EQ_STR(res.digest, "");
	T_EQ_INT(closed, 1);
	/* next fails on write: sticky, no result */
	out = digest_out(t_bad_new(1, 0, &closed, &e), &res, &e);
	T_EQ_INT(io_write(out, "abc", 3), ERR_NET);
	T_EQ_INT(io_write(out, "abc", 3), ERR_NET);
	T_EQ_INT(io_out_close(out), ERR_NET);
	T_EQ_STR(res.digest, "");
	T_EQ_STR(e.msg, "injected write error");
	T_EQ_INT(closed, 2);
	/* next fails at commit: the error comes back, no result */
	err_init(&e);
	out = digest_out(t_bad_new(0, 1, &closed, &e), &res, &e);
	T_EQ_INT(io_write(out, "abc", 3), 0);
	T_EQ_INT(io_out_close(out), ERR_FAIL);
	T_EQ_STR(res.digest, "");
	T_EQ_STR(e.msg, "injected commit error");
	buf_free(&b);
}

/* A source serving p in pieces of at most chunk bytes; fails at fail_at when >= 0. */
struct t_src {
	struct io_in in;
	const uint8_t *p;
	size_t n, off, chunk;
	long fail_at;
	int *closed;
};
static ssize_t t_src_read(struct io_in *in, void *p, size_t n)
{
	struct t_src *s = (struct t_src *)in;
	if (s->fail_at >= 0 && s->off >= (size_t)s->fail_at)
		return io_in_fail(in, ERR_NET, "injected read error");
	if (n > s->chunk)
		n = s->chunk;
	if (n > s->n - s->off)
		n = s->n - s->off;
	memcpy(p, s->p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}
static int t_src_close(struct io_in *in)
{
	struct t_src *s = (struct t_src *)in;
	int rc = in->err;
	if (s->closed)
		(*s->closed)++;
	free(s);
	return rc;
}
static const struct io_in_ops t_src_ops = {t_src_read, t_src_close};
static struct io_in *t_src_new(const void *p, size_t n, size_t chunk, long fail_at, int *closed,
                               struct err *e)
{
	struct t_src *s = calloc(1, sizeof *s);
	s->in.ops = &t_src_ops;
	s->in.e = e;
	s->p = p;
	s->n = n;
	s->chunk = chunk;
	s->fail_at = fail_at;
	s->closed = closed;
	return &s->in;
}

static uint8_t blob[300001];
static char blob_digest[DIGEST_STR_MAX];

static void make_blob(void)
{
	for (size_t i = 0; i < sizeof blob; i++)
		blob[i] = (uint8_t)rnd();
	sha256_str(blob, sizeof blob, blob_digest);
}

/* Reads all of in with reads of step bytes: the total, or the error. */
static ssize_t drain(struct io_in *in, size_t step)
{
	uint8_t tmp[8192];
	ssize_t total = 0;
	for (int guard = 0; guard < 1000000; guard++) {
		ssize_t r = io_read(in, tmp, step < sizeof tmp ? step : sizeof tmp);
		if (r <= 0)
			return r < 0 ? r : total;
		total += r;
	}
	return -100;
}

static void test_digest_in(void)
{
	static const size_t steps[] = {1, 7, 4096, 8192};
	struct err e;
	struct digest_result res;
	int closed = 0;
	make_blob();
	err_init(&e);
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct io_in *in =
		    digest_in(t_src_new(blob, sizeof blob, 5000, -1, &closed, &e), &res, &e);
		T_EQ_INT(drain(in, steps[i]), sizeof blob);
		T_EQ_STR(res.digest, blob_digest);
		T_EQ_INT(res.size, sizeof blob);
		T_EQ_INT(io_in_close(in), 0);
	}
	T_EQ_INT(closed, 4);
	/* closed early: no result */
	uint8_t tmp[10];
	struct io_in *in = digest_in(io_in_mem(blob, sizeof blob, &e), &res, &e);
	T_EQ_INT(io_read(in, tmp, sizeof tmp), 10);
	T_EQ_INT(io_in_close(in), 0);
	T_EQ_STR(res.digest, "");
	/* an error below passes up */
	in = digest_in(t_src_new(blob, sizeof blob, 100, 1000, &closed, &e), &res, &e);
	T_EQ_INT(drain(in, 64), ERR_NET);
	T_EQ_INT(io_in_close(in), ERR_NET);
	T_EQ_STR(res.digest, "");
	T_CHECK(digest_in(NULL, &res, &e) == NULL);
}

static void test_verify_in(void)
{
	static const char wrong[] =
	    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	static const struct {
		const char *expect; /* NULL: the right digest */
		int64_t size;
		size_t step, chunk;
		ssize_t want;    /* what drain returns */
		const char *msg; /* in the message when failing */
	} cases[] = {
	    {NULL, sizeof blob, 1, 1, sizeof blob, NULL},
	    {NULL, sizeof blob, 8192, 4093, sizeof blob, NULL},
	    {NULL, -1, 333, 10000, sizeof blob, NULL},
	    {wrong, sizeof blob, 7, 5000, ERR_INTEGRITY,
	     "digest mismatch: expected "
	     "sha256:e3b0"},
	    {wrong, -1, 8192, 8192, ERR_INTEGRITY, "digest mismatch"},
	    {NULL, sizeof blob - 1, 1000, 1000, ERR_INTEGRITY, "more than the expected 300000"},
	    {NULL, 0, 1, 1, ERR_INTEGRITY, "more than the expected 0 bytes"},
	    {NULL, sizeof blob + 1, 1000, 1000, ERR_INTEGRITY, "got 300001 bytes"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct err e;
		int closed = 0;
		err_init(&e);
		struct io_in *in = digest_verify_in(
		    t_src_new(blob, sizeof blob, cases[i].chunk, -1, &closed, &e),
		    cases[i].expect ? cases[i].expect : blob_digest, cases[i].size, &e);
		ssize_t r = drain(in, cases[i].step);
		int rc = io_in_close(in);
		T_CHECKF(r == cases[i].want, "case %zu: %zd", i, r);
		T_CHECKF(rc == (cases[i].msg ? ERR_INTEGRITY : 0), "case %zu: close %d", i, rc);
		T_EQ_INT(closed, 1);
		if (cases[i].msg)
			T_CHECKF(strstr(e.msg, cases[i].msg) != NULL, "case %zu: %s", i, e.msg);
		if (cases[i].msg && cases[i].expect)
			T_CHECKF(strstr(e.msg, blob_digest) != NULL, "case %zu: %s", i, e.msg);
	}
	/* too many bytes fail as they arrive, not at the end */
	struct err e;
	uint8_t tmp[100];
	err_init(&e);
	struct io_in *in = digest_verify_in(io_in_mem(blob, sizeof blob, &e), blob_digest, 150, &e);
	T_EQ_INT(io_read(in, tmp, 100), 100);
	T_EQ_INT(io_read(in, tmp, 100), ERR_INTEGRITY);
	T_EQ_INT(io_in_close(in), ERR_INTEGRITY);
	/* closed early: the rest is read and the verdict given at close */
	err_init(&e);
	in = digest_verify_in(io_in_mem(blob, sizeof blob, &e), wrong, -1, &e);
	T_EQ_INT(io_read(in, tmp, 100), 100);
	T_EQ_INT(io_in_close(in), ERR_INTEGRITY);
	T_CHECKF(strstr(e.msg, "digest mismatch") != NULL, "%s", e.msg);
	err_init(&e);
	in = digest_verify_in(io_in_mem(blob, sizeof blob, &e), blob_digest, sizeof blob, &e);
	T_EQ_INT(io_read(in, tmp, 100), 100);
	T_EQ_INT(io_in_close(in), 0);
	T_EQ_INT(e.code, 0);
	/* closed far from the end: not read to the end, and not taken as verified */
	{
		size_t bign = 3 << 20;
		uint8_t *big = calloc(1, bign);
		char bigd[DIGEST_STR_MAX];
		sha256_str(big, bign, bigd);
		err_init(&e);
		in = digest_verify_in(io_in_mem(big, bign, &e), bigd, (int64_t)bign, &e);
		T_EQ_INT(io_read(in, tmp, 100), 100);
		T_EQ_INT(io_in_close(in), ERR_INTEGRITY);
		T_CHECKF(strstr(e.msg, "not verified") && strstr(e.msg, bigd), "%s", e.msg);
		/* read to within 1 MiB of the end: the rest is read and verified */
		err_init(&e);
		in = digest_verify_in(io_in_mem(big, bign, &e), bigd, (int64_t)bign, &e);
		uint8_t *sink = malloc((2 << 20) + 5);
		T_EQ_INT(io_read_full(in, sink, (2 << 20) + 5), (2 << 20) + 5);
		free(sink);
		T_EQ_INT(io_in_close(in), 0);
		T_EQ_INT(e.code, 0);
		free(big);
	}
	/* a bad expected digest: refused up front, src closed */
	int closed = 0;
	in = digest_verify_in(t_src_new(blob, 10, 10, -1, &closed, &e), "sha512:00", 10, &e);
	T_CHECK(in == NULL);
	T_EQ_INT(e.code, ERR_USAGE);
	T_EQ_INT(closed, 1);
	/* an error below wins over the verdict */
	err_init(&e);
	in = digest_verify_in(t_src_new(blob, sizeof blob, 100, 500, &closed, &e), blob_digest,
	                      sizeof blob, &e);
	T_EQ_INT(drain(in, 64), ERR_NET);
	T_EQ_INT(io_in_close(in), ERR_NET);
	T_EQ_STR(e.msg, "injected read error");
	T_EQ_INT(closed, 2);
}

T_MAIN(test_nist_vectors, test_paths_agree, test_digest_parse, test_digest_out, test_digest_in,
       test_verify_in)
