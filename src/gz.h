/* gz.h - gzip streams on zlib: deterministic writer, strict bounded reader */
#ifndef POLYCRATE_GZ_H
#define POLYCRATE_GZ_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct io_in;
struct io_out;

/* Memory per stage, fixed whatever the data: a writer about 300 KiB per deflate thread
 * plus 300 KiB per piece in flight (threads + 2 of them; one without threads), a reader
 * about 110 KiB (one buffer and the inflate window). */

#define GZ_DEFAULT_LEVEL 6 /* see bench/results-gzip.md for how it was chosen */
#define GZ_THREADS_MAX 4   /* deflate threads of one writer */

/* Deflate threads for writers made from now on: 0 = one per online CPU (at most
 * GZ_THREADS_MAX), 1 = none (all in the caller's thread). The output is the same. */
void gz_set_threads(int n);

/* Compresses into next with gzip framing: no name, mtime 0, OS byte 255, so equal input
 * and level give equal bytes (however the input is split into writes, and whatever the
 * number of threads: pieces of 128 KiB are deflated independently, each primed with the
 * 32 KiB before it, and may run in parallel). level 0..9.
 * Takes ownership of next (closing commits it, aborting aborts it); NULL next gives NULL;
 * a bad level is ERR_FAIL (next aborted, NULL returned). */
struct io_out *gz_out(struct io_out *next, int level, struct err *e);

/* Decompresses src. Concatenated members are accepted; corrupt or truncated data, a bad
 * CRC-32 or length, empty input, or garbage after the last member, is ERR_INTEGRITY; more
 * than max_out inflated bytes is ERR_INTEGRITY naming the limit (0: no limit). Takes
 * ownership of src. Closing before the end reads the rest (discarding it, max_out still
 * applies) so that the checks happen anyway, unless the stage or *e already holds an
 * error. */
struct io_in *gz_in(struct io_in *src, uint64_t max_out, struct err *e);

/* 1 when p starts with the gzip magic bytes. */
int gz_is_gzip(const void *p, size_t n);

/* Changes the level of a gz_out stage from here on (what was written before is deflated
 * at the old level first). The output stays a function of the bytes and of where the
 * level changes. 0 or the stage's error. */
int gz_out_level(struct io_out *gz, int level);

/* gzip's CRC-32 of p[0..n) continuing crc (0 to start), as zlib's crc32(); by PCLMULQDQ
 * folding where the CPU has it. gz_crc32_portable(1) forces zlib's (for tests). */
uint32_t gz_crc32(uint32_t crc, const void *p, size_t n);
void gz_crc32_portable(int on);

/* 1 when p[0..n) looks incompressible: deflate at level 1 saves less than 3 %. */
int gz_incompressible(const void *p, size_t n);

#endif
