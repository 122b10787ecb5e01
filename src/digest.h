/* digest.h - SHA-256 (SHA-NI where the CPU has it, portable C otherwise) and digest stages */
#ifndef POLYCRATE_DIGEST_H
#define POLYCRATE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct io_in;
struct io_out;

#define DIGEST_STR_MAX 72 /* "sha256:" + 64 hex + NUL, rounded */

struct sha256 {
	uint32_t h[8];
	uint8_t block[64];
	uint64_t count; /* bytes hashed */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *p, size_t n);
void sha256_final(struct sha256 *c, uint8_t out[32]);
/* One-shot into "sha256:<hex>". */
void sha256_str(const void *p, size_t n, char out[DIGEST_STR_MAX]);
/* "sha-ni" or "portable": which compression function runs here. */
const char *sha256_impl(void);
/* Test hook: force the portable path (1) or let CPUID decide (0). */
void sha256_force_portable(int on);

/* "sha256:" + 64 lowercase hex. */
void digest_format(const uint8_t raw[32], char out[DIGEST_STR_MAX]);
/* 0 when s is "sha256:" + exactly 64 lowercase hex digits; ERR_USAGE otherwise (with *e
 * saying what is wrong). Other algorithms are refused. raw may be NULL. */
int digest_parse(const char *s, uint8_t raw[32], struct err *e);

struct digest_result {
	char digest[DIGEST_STR_MAX]; /* filled at close */
	uint64_t size;
};

/* Hashes and counts what passes through to next (next may be NULL: a pure hasher). The
 * result is written into *res when the stage and next commit; after an abort or error
 * res->digest stays "". On failure (NULL) next is aborted. */
struct io_out *digest_out(struct io_out *next, struct digest_result *res, struct err *e);

/* Hashes what is read from src into *res (filled when src reaches its end; closed before
 * that, res->digest stays ""). Owns src: a NULL src gives NULL, failure closes src. */
struct io_in *digest_in(struct io_in *src, struct digest_result *res, struct err *e);

/* Reads src and fails with ERR_INTEGRITY at its end when the bytes do not hash to expect
 * (or their count differs from expect_size, unless expect_size is -1): the message
 * names both digests. More bytes than expect_size fail as soon as they arrive. Bytes are
 * passed up before the verdict, so the caller trusts them only once the final read
 * returned 0 or the close returned 0; a close before the end reads the rest of src (up
 * to 1 MiB, DIGEST_DRAIN_MAX in digest.c; more left is ERR_INTEGRITY "not verified") so
 * that the verdict covers every byte. A bad expect string is ERR_USAGE (src closed). */
struct io_in *digest_verify_in(struct io_in *src, const char *expect, int64_t expect_size,
                               struct err *e);

#endif
