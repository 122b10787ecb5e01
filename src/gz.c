/* gz.c - gzip stream stages on zlib: deterministic deflate writer, strict bounded inflater */
#include "gz.h"
#include "io.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define GZ_HEADER_LEN 10
#define GZ_TRAILER_LEN 8
#define GZ_OS_UNKNOWN 255 /* the OS byte Go's compress/gzip writes too */
#define GZ_DRAIN_CHUNK 4096

/* ---- CRC-32 ---- */

/*
 * gzip's CRC-32 as zlib's crc32() computes it, by carry-less multiplication where the CPU
 * has PCLMULQDQ: four 128-bit lanes fold 64 bytes at a time (by x^512 mod P), then fold
 * into one lane (by x^128 mod P). The lane left is a 16-byte message with the same
 * remainder as all that came before, so zlib finishes it, and the tail. The constants are
 * x^n mod P bit-reflected and shifted left once (n = 512±32, 128±32), for the reflected
 * polynomial 0xedb88320; gz_crc32 is checked against zlib in test_gz.
 */
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define CRC_K1 0x154442bd4ULL
#define CRC_K2 0x1c6e41596ULL
#define CRC_K3 0x1751997d0ULL
#define CRC_K4 0x0ccaa009eULL

__attribute__((target("pclmul,sse2"))) static inline __m128i fold(__m128i x, __m128i k,
                                                                  __m128i next)
{
	__m128i lo = _mm_clmulepi64_si128(x, k, 0x00), hi = _mm_clmulepi64_si128(x, k, 0x11);
	return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

__attribute__((target("pclmul,sse2"))) static uint32_t crc_clmul(uint32_t crc,
                                                                 const unsigned char *p, size_t n)
{
	const __m128i k12 = _mm_set_epi64x((long long)CRC_K2, (long long)CRC_K1);
	const __m128i k34 = _mm_set_epi64x((long long)CRC_K4, (long long)CRC_K3);
	unsigned char last[16];
	/* n >= 64: the register (~crc, as zlib keeps it) goes into the first four bytes */
	__m128i x0 = _mm_loadu_si128((const __m128i *)p);
	__m128i x1 = _mm_loadu_si128((const __m128i *)(p + 16));
	__m128i x2 = _mm_loadu_si128((const __m128i *)(p + 32));
	__m128i x3 = _mm_loadu_si128((const __m128i *)(p + 48));
	x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)~crc));
	p += 64;
	n -= 64;
	for (; n >= 64; p += 64, n -= 64) {
		x0 = fold(x0, k12, _mm_loadu_si128((const __m128i *)p));
		x1 = fold(x1, k12, _mm_loadu_si128((const __m128i *)(p + 16)));
		x2 = fold(x2, k12, _mm_loadu_si128((const __m128i *)(p + 32)));
		x3 = fold(x3, k12, _mm_loadu_si128((const __m128i *)(p + 48)));
	}
	x0 = fold(x0, k34, x1);
	x0 = fold(x0, k34, x2);
	x0 = fold(x0, k34, x3);
	for (; n >= 16; p += 16, n -= 16)
		x0 = fold(x0, k34, _mm_loadu_si128((const __m128i *)p));
	_mm_storeu_si128((__m128i *)last, x0);
	/* the lane as a message read with a register of 0: zlib's crc32 from ~0 */
	crc = (uint32_t)crc32(0xffffffffUL, last, sizeof last);
	return (uint32_t)crc32(crc, p, (uInt)n);
}

static int have_clmul(void)
{
	static atomic_int have = -1; /* the same answer for every thread */
	int v = atomic_load_explicit(&have, memory_order_relaxed);
	if (v < 0) {
		unsigned a, b, c, d;
		v = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_PCLMUL) && (d & bit_SSE2);
		atomic_store_explicit(&have, v, memory_order_relaxed);
	}
	return v;
}
#endif

static int crc_portable;

void gz_crc32_portable(int on)
{
	crc_portable = on != 0;
}

uint32_t gz_crc32(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *c = p;
#if defined(__x86_64__)
	if (n >= 64 && !crc_portable && have_clmul())
		return crc_clmul(crc, c, n);
#endif
	/* zlib takes at most UINT_MAX bytes a call */
	while (n > UINT_MAX) {
		crc = (uint32_t)crc32(crc, c, UINT_MAX);
		c += UINT_MAX;
		n -= UINT_MAX;
	}
	return (uint32_t)crc32(crc, c, (uInt)n);
}

/* ---- writer ---- */

/*
 * The input is cut into GZ_BLOCK pieces (shorter only where the level changes, and at the
 * end). Each piece is deflated on its own as raw deflate, primed with the GZ_DICT bytes
 * before it as its dictionary and closed with a sync flush (the last one with the final
 * block), as pigz does; the pieces' outputs in order are one deflate stream. Pieces do not
 * depend on each other's output, so up to gz_threads of them are deflated at once, and
 * the bytes are a function of the input and of where the level changes alone: not of how
 * the input arrives, nor of how many threads ran. Each piece is deflated in one call with
 * room for its worst case, so zlib's stored blocks (level 0) never depend on buffer space.
 */
#define GZ_BLOCK (128 * 1024)
#define GZ_DICT (32 * 1024)
#define GZ_WORKER_STACK (256 * 1024)

enum { SLOT_FREE, SLOT_FILLING, SLOT_READY, SLOT_BUSY, SLOT_DONE };

struct gz_slot {
	int state;
	int level, last;
	size_t dict;       /* dictionary bytes, just before the input */
	size_t len;        /* input bytes at in + GZ_DICT */
	unsigned char *in; /* GZ_DICT + GZ_BLOCK */
	unsigned char *out;
	size_t cap, outlen;
	uint32_t crc; /* of the input */
	int rc;       /* 0, or ERR_FAIL when deflate failed */
};

struct gz_out {
	struct io_out out;
	struct io_out *next;
	int level;           /* for the input from here on */
	int level0;          /* the first level (workers start there; never changes) */
	uint32_t crc, isize; /* isize: input length mod 2^32, as the trailer wants */
	unsigned char header[GZ_HEADER_LEN];
	int header_sent;
	unsigned char hist[GZ_DICT]; /* the input's last hlen bytes */
	size_t hlen;
	struct gz_slot *slots; /* a ring: written in order from tail, filled at head */
	size_t nslots, head, tail;
	z_stream z; /* the deflater when no worker threads run */
	int zlevel, z_ok;
	int nthreads, started, quit;
	pthread_t *th;
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_done;
};

static int gz_threads_default;

void gz_set_threads(int n)
{
	gz_threads_default = n < 0 ? 0 : n > GZ_THREADS_MAX ? GZ_THREADS_MAX : n;
}

static int threads_wanted(void)
{
	long n = gz_threads_default;
	if (n == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		if (n > GZ_THREADS_MAX)
			n = GZ_THREADS_MAX;
	}
	return n < 1 ? 1 : (int)n;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* Deflates one piece with z (reset first; *zlevel is the level z is at). */
static void deflate_slot(z_stream *z, int *zlevel, struct gz_slot *sl)
{
	int flush = sl->last ? Z_FINISH : Z_SYNC_FLUSH, zr;
	sl->rc = ERR_FAIL;
	sl->crc = gz_crc32(0, sl->in + GZ_DICT, sl->len);
	if (deflateReset(z) != Z_OK)
		return;
	if (*zlevel != sl->level) {
		if (deflateParams(z, sl->level, Z_DEFAULT_STRATEGY) != Z_OK)
			return;
		*zlevel = sl->level;
	}
	/* stored pieces (level 0) copy their input whatever came before: no dictionary */
	if (sl->dict && sl->level > 0 &&
	    deflateSetDictionary(z, sl->in + GZ_DICT - sl->dict, (uInt)sl->dict) != Z_OK)
		return;
	z->next_in = sl->in + GZ_DICT;
	z->avail_in = (uInt)sl->len;
	z->next_out = sl->out;
	z->avail_out = (uInt)sl->cap;
	zr = deflate(z, flush);
	/* the worst case fits, so one call finishes: anything else is a failure */
	if (sl->last ? zr != Z_STREAM_END : zr != Z_OK || z->avail_in || !z->avail_out)
		return;
	sl->outlen = sl->cap - z->avail_out;
	sl->rc = 0;
}

static void *worker(void *arg)
{
	struct gz_out *s = arg;
	z_stream z;
	int zlevel = s->level0, ok;
	memset(&z, 0, sizeof z);
	ok = deflateInit2(&z, zlevel, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		struct gz_slot *sl = NULL;
		/* the oldest piece waiting, so output leaves in order as soon as it can */
		for (size_t i = 0, k = s->tail; i < s->nslots; i++, k = (k + 1) % s->nslots)
			if (s->slots[k].state == SLOT_READY) {
				sl = &s->slots[k];
				break;
			}
		if (!sl) {
			if (s->quit)
				break;
			pthread_cond_wait(&s->cv_work, &s->mu);
			continue;
		}
		sl->state = SLOT_BUSY;
		pthread_mutex_unlock(&s->mu);
		if (ok)
			deflate_slot(&z, &zlevel, sl);
		else
			sl->rc = ERR_FAIL;
		pthread_mutex_lock(&s->mu);
		sl->state = SLOT_DONE;
		pthread_cond_broadcast(&s->cv_done);
	}
	pthread_mutex_unlock(&s->mu);
	if (ok)
		deflateEnd(&z);
	return NULL;
}

static void stop_workers(struct gz_out *s)
{
	if (!s->started)
		return;
	pthread_mutex_lock(&s->mu);
	s->quit = 1;
	pthread_cond_broadcast(&s->cv_work);
	pthread_mutex_unlock(&s->mu);
	for (int i = 0; i < s->started; i++)
		pthread_join(s->th[i], NULL);
	s->started = 0;
}

/* Hands a finished piece to next (the header first, once). */
static int emit(struct gz_out *s, struct gz_slot *sl)
{
	int rc;
	if (sl->rc)
		return io_out_fail(&s->out, ERR_FAIL, "gzip: deflate failed");
	if (!s->header_sent) {
		if ((rc = io_write(s->next, s->header, GZ_HEADER_LEN)) < 0)
			return rc; /* next's message is in *e already */
		s->header_sent = 1;
	}
	s->crc = (uint32_t)crc32_combine(s->crc, sl->crc, (z_off_t)sl->len);
	s->isize += (uint32_t)sl->len;
	return sl->outlen ? io_write(s->next, sl->out, sl->outlen) : 0;
}

/* The written piece at tail is free again. */
static void retire(struct gz_out *s, struct gz_slot *sl)
{
	pthread_mutex_lock(&s->mu);
	sl->state = SLOT_FREE;
	s->tail = (s->tail + 1) % s->nslots;
	pthread_mutex_unlock(&s->mu);
}

/* Writes finished pieces in order: all that are in flight (wait), or those done now. */
static int drain(struct gz_out *s, int wait)
{
	while (s->tail != s->head) {
		struct gz_slot *sl = &s->slots[s->tail];
		pthread_mutex_lock(&s->mu);
		while (sl->state != SLOT_DONE && wait)
			pthread_cond_wait(&s->cv_done, &s->mu);
		int done = sl->state == SLOT_DONE;
		pthread_mutex_unlock(&s->mu);
		if (!done)
			return 0;
		int rc = emit(s, sl);
		retire(s, sl);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Closes the piece at head (primed with the history) and hands it on; the next slot is
 * made ready for filling. */
static int submit(struct gz_out *s, int last)
{
	struct gz_slot *sl = &s->slots[s->head];
	const unsigned char *data = sl->in + GZ_DICT;
	int rc;

	sl->level = s->level;
	sl->last = last;
	sl->dict = s->hlen;
	memcpy(sl->in + GZ_DICT - s->hlen, s->hist, s->hlen);
	if (sl->len >= GZ_DICT) {
		memcpy(s->hist, data + sl->len - GZ_DICT, GZ_DICT);
		s->hlen = GZ_DICT;
	} else {
		size_t keep = s->hlen < GZ_DICT - sl->len ? s->hlen : GZ_DICT - sl->len;
		memmove(s->hist, s->hist + s->hlen - keep, keep);
		memcpy(s->hist + keep, data, sl->len);
		s->hlen = keep + sl->len;
	}
	/* no threads, or the last piece with nothing in flight (a small stream): here */
	if (s->nthreads <= 1 || (last && s->tail == s->head)) {
		deflate_slot(&s->z, &s->zlevel, sl);
		rc = emit(s, sl);
		pthread_mutex_lock(&s->mu); /* workers may be looking at the states */
		sl->state = SLOT_FILLING;
		sl->len = 0;
		pthread_mutex_unlock(&s->mu);
		return rc;
	}
	pthread_mutex_lock(&s->mu);
	sl->state = SLOT_READY;
	if (s->started < s->nthreads) {
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, GZ_WORKER_STACK);
		if (pthread_create(&s->th[s->started], &attr, worker, s) == 0)
			s->started++;
		pthread_attr_destroy(&attr);
	}
	int started = s->started;
	pthread_cond_signal(&s->cv_work);
	pthread_mutex_unlock(&s->mu);
	if (!started) {
		/* no thread could be made: deflate it here, as with one thread */
		if (!s->z_ok)
			return io_out_fail(&s->out, ERR_FAIL, "gzip: no thread for deflate");
		pthread_mutex_lock(&s->mu);
		sl->state = SLOT_BUSY;
		pthread_mutex_unlock(&s->mu);
		deflate_slot(&s->z, &s->zlevel, sl);
		pthread_mutex_lock(&s->mu);
		sl->state = SLOT_DONE;
		pthread_mutex_unlock(&s->mu);
	}
	s->head = (s->head + 1) % s->nslots;
	/* the slot to fill next is the oldest in flight when the ring is full */
	if (s->head == s->tail) {
		struct gz_slot *old = &s->slots[s->tail];
		pthread_mutex_lock(&s->mu);
		while (old->state != SLOT_DONE)
			pthread_cond_wait(&s->cv_done, &s->mu);
		pthread_mutex_unlock(&s->mu);
		rc = emit(s, old);
		retire(s, old);
		if (rc < 0)
			return rc;
	}
	if ((rc = drain(s, 0)) < 0)
		return rc;
	pthread_mutex_lock(&s->mu);
	s->slots[s->head].state = SLOT_FILLING;
	s->slots[s->head].len = 0;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static int gz_out_write(struct io_out *out, const void *p, size_t n)
{
	struct gz_out *s = (struct gz_out *)out;
	const unsigned char *c = p;
	int rc;
	if (out->err)
		return out->err;
	while (n) {
		struct gz_slot *sl = &s->slots[s->head];
		size_t k = GZ_BLOCK - sl->len;
		if (k > n)
			k = n;
		memcpy(sl->in + GZ_DICT + sl->len, c, k);
		sl->len += k;
		c += k;
		n -= k;
		if (sl->len == GZ_BLOCK && (rc = submit(s, 0)) < 0)
			return rc;
	}
	return 0;
}

static void gz_free(struct gz_out *s)
{
	stop_workers(s);
	if (s->z_ok)
		deflateEnd(&s->z);
	if (s->slots)
		for (size_t i = 0; i < s->nslots; i++) {
			free(s->slots[i].in);
			free(s->slots[i].out);
		}
	free(s->slots);
	free(s->th);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv_work);
	pthread_cond_destroy(&s->cv_done);
	free(s);
}

static int gz_out_close(struct io_out *out, int abort)
{
	struct gz_out *s = (struct gz_out *)out;
	int rc = out->err;
	if (!abort && !rc)
		rc = submit(s, 1);
	if (!abort && !rc)
		rc = drain(s, 1);
	if (!abort && !rc) {
		unsigned char t[GZ_TRAILER_LEN];
		put_le32(t, s->crc);
		put_le32(t + 4, s->isize);
		rc = io_write(s->next, t, sizeof t);
	}
	stop_workers(s);
	if (abort || rc)
		io_out_abort(s->next);
	else
		rc = io_out_close(s->next);
	gz_free(s);
	return rc;
}

static const struct io_out_ops gz_out_ops = {gz_out_write, gz_out_close};

int gz_out_level(struct io_out *out, int level)
{
	struct gz_out *s = (struct gz_out *)out;
	int rc;
	if (out->err)
		return out->err;
	if (level < 0 || level > 9)
		return io_out_fail(out, ERR_FAIL, "gzip level %d out of range 0..9", level);
	if (level == s->level)
		return 0;
	/* what came before is one piece at the old level */
	if (s->slots[s->head].len && (rc = submit(s, 0)) < 0)
		return rc;
	s->level = level;
	return 0;
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
	if (!s)
		goto nomem;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv_work, NULL);
	pthread_cond_init(&s->cv_done, NULL);
	s->out.ops = &gz_out_ops;
	s->out.e = e;
	s->next = next;
	s->level = s->zlevel = s->level0 = level;
	s->crc = (uint32_t)crc32(0, Z_NULL, 0);
	/* Raw deflate (negative window bits) and our own framing: the header is fixed bytes. */
	s->z_ok = deflateInit2(&s->z, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK;
	if (!s->z_ok)
		goto nomem_s;
	s->nthreads = threads_wanted();
	s->nslots = s->nthreads <= 1 ? 1 : (size_t)s->nthreads + 2;
	s->slots = calloc(s->nslots, sizeof *s->slots);
	s->th = calloc((size_t)s->nthreads, sizeof *s->th);
	if (!s->slots || !s->th)
		goto nomem_s;
	size_t cap = deflateBound(&s->z, GZ_BLOCK) + 64; /* + the sync flush marker */
	for (size_t i = 0; i < s->nslots; i++) {
		s->slots[i].in = malloc(GZ_DICT + GZ_BLOCK);
		s->slots[i].out = malloc(cap);
		s->slots[i].cap = cap;
		if (!s->slots[i].in || !s->slots[i].out)
			goto nomem_s;
	}
	s->slots[0].state = SLOT_FILLING;
	h = s->header;
	h[0] = 0x1f;
	h[1] = 0x8b;
	h[2] = Z_DEFLATED;
	memset(h + 3, 0, 5);                       /* flags: no name, comment or extra; mtime 0 */
	h[8] = level == 9 ? 2 : level < 2 ? 4 : 0; /* XFL as zlib and gzip set it */
	h[9] = GZ_OS_UNKNOWN;
	return &s->out;
nomem_s:
	gz_free(s);
nomem:
	io_out_abort(next);
	err_set(e, ERR_FAIL, "out of memory");
	return NULL;
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
	struct gz_in *s = (struct gz_in *)io_in_wrap(sizeof *s, &gz_in_ops, src, e);
	if (!s)
		return NULL;
	/* 16 + window bits: zlib parses the gzip header and checks CRC-32 and ISIZE. */
	if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) {
		free(s);
		io_in_close(src);
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
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
