/* buf.h - growable byte buffers that carry their own size limit */
#ifndef POLYCRATE_BUF_H
#define POLYCRATE_BUF_H

#include <stddef.h>

/*
 * p always holds a NUL after len bytes (once anything was added), so text can be used as
 * a C string. Appending past max fails and leaves the buffer as it was. A zeroed struct is
 * an empty buffer with no limit.
 */
struct buf {
	char *p;
	size_t len, cap, max;
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);  /* releases p; the buffer is empty and reusable */
void buf_reset(struct buf *b); /* len = 0, memory kept */

/* 0, or ERR_FAIL when the limit would be exceeded or memory runs out (buffer unchanged). */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The text so far ("" for an empty buffer); valid until the next change. */
const char *buf_cstr(const struct buf *b);

/* Hands p to the caller (who frees it) and leaves the buffer empty. Never NULL. */
char *buf_steal(struct buf *b);

#endif
