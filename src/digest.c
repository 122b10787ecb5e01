/* digest.c - SHA-256 (x86-64 SHA-NI when the CPU has it, portable C otherwise), digest stages */
#include "digest.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#define DIGEST_ALGO "sha256:"
#define DIGEST_ALGO_LEN 7
#define DIGEST_HEX_LEN 64
#define DIGEST_SHOW_MAX 80         /* how much of a bad digest string a message quotes */
#define DIGEST_DRAIN_MAX (1 << 20) /* what a verifier closed early still reads to the end */

static const uint32_t K[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* ---- portable compression ---- */

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define BSIG0(a) (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22))
#define BSIG1(e) (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25))
#define SSIG0(x) (ROR(x, 7) ^ ROR(x, 18) ^ ((x) >> 3))
#define SSIG1(x) (ROR(x, 17) ^ ROR(x, 19) ^ ((x) >> 10))
#define CH(e, f, g) ((g) ^ ((e) & ((f) ^ (g))))
#define MAJ(a, b, c) (((a) & (b)) | ((c) & ((a) | (b))))
/* One round with the variables renamed instead of moved (eight calls make a cycle). */
#define ROUND(a, b, c, d, e, f, g, h, i)                                                           \
	do {                                                                                       \
		uint32_t t1_ = (h) + BSIG1(e) + CH(e, f, g) + K[i] + w[i];                         \
		(d) += t1_;                                                                        \
		(h) = t1_ + BSIG0(a) + MAJ(a, b, c);                                               \
	} while (0)

static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void compress_portable(uint32_t hs[8], const uint8_t *p, size_t blocks)
{
	uint32_t w[64];
	for (; blocks; blocks--, p += 64) {
		uint32_t a = hs[0], b = hs[1], c = hs[2], d = hs[3];
		uint32_t e = hs[4], f = hs[5], g = hs[6], h = hs[7];
		for (size_t i = 0; i < 16; i++)
			w[i] = load_be32(p + 4 * i);
		for (int i = 16; i < 64; i++)
			w[i] = SSIG1(w[i - 2]) + w[i - 7] + SSIG0(w[i - 15]) + w[i - 16];
		for (int i = 0; i < 64; i += 8) {
			ROUND(a, b, c, d, e, f, g, h, i);
			ROUND(h, a, b, c, d, e, f, g, i + 1);
			ROUND(g, h, a, b, c, d, e, f, i + 2);
			ROUND(f, g, h, a, b, c, d, e, i + 3);
			ROUND(e, f, g, h, a, b, c, d, i + 4);
			ROUND(d, e, f, g, h, a, b, c, i + 5);
			ROUND(c, d, e, f, g, h, a, b, i + 6);
			ROUND(b, c, d, e, f, g, h, a, i + 7);
		}
		hs[0] += a;
		hs[1] += b;
		hs[2] += c;
		hs[3] += d;
		hs[4] += e;
		hs[5] += f;
		hs[6] += g;
		hs[7] += h;
	}
}

/* ---- SHA-NI compression (only this function is built for the sha extension) ---- */

#if defined(__x86_64__)
#define SHANI_ROUNDS4(msg, i)                                                                      \
	do {                                                                                       \
		t = _mm_add_epi32((msg), _mm_load_si128((const __m128i *)(K + 4 * (size_t)(i))));  \
		s1 = _mm_sha256rnds2_epu32(s1, s0, t);                                             \
		t = _mm_shuffle_epi32(t, 0x0E);                                                    \
		s0 = _mm_sha256rnds2_epu32(s0, s1, t);                                             \
	} while (0)
/* w0 = W[j] from W[j-4] (w0), W[j-3] (w1), W[j-2] (w2), W[j-1] (w3), four words each. */
#define SHANI_SCHED(w0, w1, w2, w3)                                                                \
	(w0) = _mm_sha256msg2_epu32(                                                               \
	    _mm_add_epi32(_mm_sha256msg1_epu32((w0), (w1)), _mm_alignr_epi8((w3), (w2), 4)), (w3))
#define SHANI_STEP(j, w0, w1, w2, w3)                                                              \
	do {                                                                                       \
		SHANI_SCHED(w0, w1, w2, w3);                                                       \
		SHANI_ROUNDS4(w0, j);                                                              \
	} while (0)

__attribute__((target("sha,sse4.1,ssse3"))) static void
compress_shani(uint32_t h[8], const uint8_t *p, size_t blocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i s0, s1, t, m0, m1, m2, m3, save0, save1;

	/* h[0..7] = A..H into the ABEF / CDGH lanes the instructions want. */
	t = _mm_loadu_si128((const __m128i *)&h[0]);
	s1 = _mm_loadu_si128((const __m128i *)&h[4]);
	t = _mm_shuffle_epi32(t, 0xB1);
	s1 = _mm_shuffle_epi32(s1, 0x1B);
	s0 = _mm_alignr_epi8(t, s1, 8);
	s1 = _mm_blend_epi16(s1, t, 0xF0);

	for (; blocks; blocks--, p += 64) {
		save0 = s0;
		save1 = s1;
		m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 0)), bswap);
		m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16)), bswap);
		m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 32)), bswap);
		m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 48)), bswap);
		SHANI_ROUNDS4(m0, 0);
		SHANI_ROUNDS4(m1, 1);
		SHANI_ROUNDS4(m2, 2);
		SHANI_ROUNDS4(m3, 3);
		for (int j = 4; j < 16; j += 4) {
			SHANI_STEP(j, m0, m1, m2, m3);
			SHANI_STEP(j + 1, m1, m2, m3, m0);
			SHANI_STEP(j + 2, m2, m3, m0, m1);
			SHANI_STEP(j + 3, m3, m0, m1, m2);
		}
		s0 = _mm_add_epi32(s0, save0);
		s1 = _mm_add_epi32(s1, save1);
	}

	t = _mm_shuffle_epi32(s0, 0x1B);
	s1 = _mm_shuffle_epi32(s1, 0xB1);
	s0 = _mm_blend_epi16(t, s1, 0xF0);
	s1 = _mm_alignr_epi8(s1, t, 8);
	_mm_storeu_si128((__m128i *)&h[0], s0);
	_mm_storeu_si128((__m128i *)&h[4], s1);
}

static int cpu_has_shani(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return 0;
	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	return (b >> 29) & 1;
}
#endif

static int force_portable;
/* -1: not asked yet. Threads may ask at once: the answer is the same, and atomic. */
static atomic_int have_shani = -1;

static int use_shani(void)
{
	if (force_portable)
		return 0;
#if defined(__x86_64__)
	int v = atomic_load_explicit(&have_shani, memory_order_relaxed);
	if (v < 0) {
		v = cpu_has_shani();
		atomic_store_explicit(&have_shani, v, memory_order_relaxed);
	}
	return v;
#else
	return 0;
#endif
}

static void compress(uint32_t h[8], const uint8_t *p, size_t blocks)
{
#if defined(__x86_64__)
	if (use_shani()) {
		compress_shani(h, p, blocks);
		return;
	}
#endif
	compress_portable(h, p, blocks);
}

const char *sha256_impl(void)
{
	return use_shani() ? "sha-ni" : "portable";
}

void sha256_force_portable(int on)
{
	force_portable = on != 0;
}

/* ---- the hash ---- */

void sha256_init(struct sha256 *c)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(c->h, iv, sizeof iv);
	c->count = 0;
}

void sha256_update(struct sha256 *c, const void *p, size_t n)
{
	const uint8_t *s = p;
	size_t used = (size_t)(c->count & 63);
	c->count += n;
	if (used) {
		size_t take = 64 - used < n ? 64 - used : n;
		memcpy(c->block + used, s, take);
		s += take;
		n -= take;
		if (used + take < 64)
			return;
		compress(c->h, c->block, 1);
	}
	if (n >= 64) {
		compress(c->h, s, n / 64);
		s += n & ~(size_t)63;
		n &= 63;
	}
	if (n)
		memcpy(c->block, s, n);
}

void sha256_final(struct sha256 *c, uint8_t out[32])
{
	uint64_t bits = c->count * 8;
	size_t used = (size_t)(c->count & 63);
	c->block[used++] = 0x80;
	if (used > 56) {
		memset(c->block + used, 0, 64 - used);
		compress(c->h, c->block, 1);
		used = 0;
	}
	memset(c->block + used, 0, 56 - used);
	for (int i = 0; i < 8; i++)
		c->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	compress(c->h, c->block, 1);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->h[i];
	}
}

void sha256_str(const void *p, size_t n, char out[DIGEST_STR_MAX])
{
	struct sha256 c;
	uint8_t raw[32];
	sha256_init(&c);
	sha256_update(&c, p, n);
	sha256_final(&c, raw);
	digest_format(raw, out);
}

/* ---- digest strings ---- */

void digest_format(const uint8_t raw[32], char out[DIGEST_STR_MAX])
{
	static const char hex[] = "0123456789abcdef";
	memcpy(out, DIGEST_ALGO, DIGEST_ALGO_LEN);
	for (int i = 0; i < 32; i++) {
		out[DIGEST_ALGO_LEN + 2 * i] = hex[raw[i] >> 4];
		out[DIGEST_ALGO_LEN + 2 * i + 1] = hex[raw[i] & 15];
	}
	out[DIGEST_ALGO_LEN + DIGEST_HEX_LEN] = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The start of s for a message: at most DIGEST_SHOW_MAX bytes (or up to len), anything but
 * printable ASCII as '?', so hostile input cannot reach a terminal raw. */
static const char *quote(const char *s, size_t len, char out[DIGEST_SHOW_MAX + 4])
{
	size_t i;
	for (i = 0; i < len && s[i] && i < DIGEST_SHOW_MAX; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (i == DIGEST_SHOW_MAX && s[i] && i < len) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = 0;
	return out;
}

int digest_parse(const char *s, uint8_t raw[32], struct err *e)
{
	char q[DIGEST_SHOW_MAX + 4];
	const char *colon, *hex;
	size_t n;
	if (!s || !*s)
		return err_set(e, ERR_USAGE, "empty digest (expected sha256:<64 hex digits>)");
	colon = strchr(s, ':');
	if (!colon)
		return err_set(e, ERR_USAGE,
		               "digest \"%s\" has no algorithm (expected sha256:<64 hex digits>)",
		               quote(s, (size_t)-1, q));
	if ((size_t)(colon - s) != DIGEST_ALGO_LEN - 1 || strncmp(s, DIGEST_ALGO, DIGEST_ALGO_LEN))
		return err_set(e, ERR_USAGE,
		               "digest algorithm \"%s\" is not supported (only sha256)",
		               quote(s, (size_t)(colon - s), q));
	hex = colon + 1;
	n = strlen(hex);
	for (size_t i = 0; i < n; i++) {
		if (hexval(hex[i]) >= 0)
			continue;
		if (hex[i] >= 'A' && hex[i] <= 'F')
			return err_set(e, ERR_USAGE,
			               "digest \"%s\" has an uppercase hex digit at %zu (digests "
			               "are lowercase)",
			               quote(s, (size_t)-1, q), i + 1);
		return err_set(e, ERR_USAGE,
		               "digest \"%s\" has a character that is no hex digit at %zu",
		               quote(s, (size_t)-1, q), i + 1);
	}
	if (n != DIGEST_HEX_LEN)
		return err_set(e, ERR_USAGE, "digest \"%s\" has %zu hex digits, not 64",
		               quote(s, (size_t)-1, q), n);
	if (raw)
		for (int i = 0; i < 32; i++)
			raw[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
	return 0;
}

/* ---- stages ---- */

struct dig_out {
	struct io_out out;
	struct io_out *next;
	struct digest_result *res;
	struct sha256 c;
};

static int dig_out_write(struct io_out *out, const void *p, size_t n)
{
	struct dig_out *s = (struct dig_out *)out;
	sha256_update(&s->c, p, n);
	return s->next ? io_write(s->next, p, n) : 0;
}

static int dig_out_close(struct io_out *out, int abort)
{
	struct dig_out *s = (struct dig_out *)out;
	int rc = out->err;
	if (abort || rc) {
		io_out_abort(s->next);
	} else {
		uint8_t raw[32];
		/* Only a chain that committed gets a result: a failed one leaves it empty. */
		sha256_final(&s->c, raw);
		rc = io_out_close(s->next);
		if (rc == 0) {
			digest_format(raw, s->res->digest);
			s->res->size = s->c.count;
		}
	}
	free(s);
	return rc;
}

static const struct io_out_ops dig_out_ops = {dig_out_write, dig_out_close};

struct io_out *digest_out(struct io_out *next, struct digest_result *res, struct err *e)
{
	struct dig_out *s = (struct dig_out *)io_out_new(sizeof *s, &dig_out_ops, e);
	res->digest[0] = 0;
	res->size = 0;
	if (!s) {
		io_out_abort(next);
		return NULL;
	}
	s->next = next;
	s->res = res;
	sha256_init(&s->c);
	return &s->out;
}

/* digest_in and digest_verify_in: one reader, verify when expect is set. */
struct dig_in {
	struct io_in in;
	struct io_in *src;
	struct digest_result *res; /* digest_in */
	struct sha256 c;
	int verify, done;
	uint8_t expect[32];
	int64_t expect_size;
};

static int dig_in_finish(struct dig_in *s)
{
	uint8_t raw[32];
	char got[DIGEST_STR_MAX], want[DIGEST_STR_MAX];
	s->done = 1;
	sha256_final(&s->c, raw);
	if (!s->verify) {
		digest_format(raw, s->res->digest);
		s->res->size = s->c.count;
		return 0;
	}
	digest_format(raw, got);
	digest_format(s->expect, want);
	if (s->expect_size >= 0 && s->c.count != (uint64_t)s->expect_size)
		return io_in_fail(&s->in, ERR_INTEGRITY,
		                  "size mismatch: expected %lld bytes (%s), got %llu bytes (%s)",
		                  (long long)s->expect_size, want, (unsigned long long)s->c.count,
		                  got);
	if (memcmp(raw, s->expect, 32))
		return io_in_fail(&s->in, ERR_INTEGRITY, "digest mismatch: expected %s, got %s",
		                  want, got);
	return 0;
}

static ssize_t dig_in_read(struct io_in *in, void *p, size_t n)
{
	struct dig_in *s = (struct dig_in *)in;
	ssize_t r;
	if (s->done)
		return 0;
	r = io_read(s->src, p, n);
	if (r < 0)
		return r;
	if (r == 0) {
		int rc = dig_in_finish(s);
		return rc < 0 ? rc : 0;
	}
	if (s->verify && s->expect_size >= 0 &&
	    s->c.count + (uint64_t)r > (uint64_t)s->expect_size) {
		char want[DIGEST_STR_MAX];
		digest_format(s->expect, want);
		return io_in_fail(in, ERR_INTEGRITY,
		                  "size mismatch: more than the expected %lld bytes (%s)",
		                  (long long)s->expect_size, want);
	}
	sha256_update(&s->c, p, (size_t)r);
	return r;
}

static int dig_in_close(struct io_in *in)
{
	struct dig_in *s = (struct dig_in *)in;
	int rc;
	/* A verifier closed early reads the rest (a tar reader leaves its padding), so the
	 * verdict covers every byte; but only up to DIGEST_DRAIN_MAX: a consumer that stopped
	 * far from the end gets "not verified" instead of a long wait. */
	if (s->verify && !s->done && !in->err) {
		char *b = malloc(IO_BUFSZ);
		uint64_t drained = 0;
		ssize_t r = 1;
		if (!b)
			io_in_fail(in, ERR_FAIL, "out of memory");
		while (b && drained <= DIGEST_DRAIN_MAX && (r = io_read(in, b, IO_BUFSZ)) > 0)
			drained += (uint64_t)r;
		if (b && r > 0) {
			char want[DIGEST_STR_MAX];
			digest_format(s->expect, want);
			io_in_fail(in, ERR_INTEGRITY,
			           "%s: reading stopped more than %d bytes before the end, so the "
			           "data was not verified",
			           want, DIGEST_DRAIN_MAX);
		}
		free(b);
	}
	rc = io_in_close(s->src);
	if (in->err)
		rc = in->err;
	free(s);
	return rc;
}

static const struct io_in_ops dig_in_ops = {dig_in_read, dig_in_close};

static struct dig_in *dig_in_new(struct io_in *src, struct err *e)
{
	struct dig_in *s = (struct dig_in *)io_in_wrap(sizeof *s, &dig_in_ops, src, e);
	if (!s)
		return NULL;
	s->src = src;
	sha256_init(&s->c);
	return s;
}

struct io_in *digest_in(struct io_in *src, struct digest_result *res, struct err *e)
{
	struct dig_in *s;
	res->digest[0] = 0;
	res->size = 0;
	s = dig_in_new(src, e);
	if (!s)
		return NULL;
	s->res = res;
	return &s->in;
}

struct io_in *digest_verify_in(struct io_in *src, const char *expect, int64_t expect_size,
                               struct err *e)
{
	struct dig_in *s;
	uint8_t raw[32];
	if (digest_parse(expect, raw, e) < 0) {
		io_in_close(src);
		return NULL;
	}
	s = dig_in_new(src, e);
	if (!s)
		return NULL;
	s->verify = 1;
	memcpy(s->expect, raw, 32);
	s->expect_size = expect_size < 0 ? -1 : expect_size;
	return &s->in;
}
