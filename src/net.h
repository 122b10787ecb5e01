/* net.h - connections: TCP sockets with timeouts, and the transport interface TLS wraps */
#ifndef POLYCRATE_NET_H
#define POLYCRATE_NET_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/*
 * A byte transport. net.c makes plain TCP ones; tls.c wraps one in TLS and returns a new
 * conn that owns the one it wraps. http.c sees only this interface.
 */
struct conn;
struct conn_ops {
	/* Up to n bytes: count (> 0), 0 when the peer closed cleanly, or a negative ERR_
	 * code (ERR_NET on reset or timeout) with *e filled. */
	ssize_t (*read)(struct conn *c, void *p, size_t n, struct err *e);
	/* All n bytes or a negative ERR_ code. */
	int (*write)(struct conn *c, const void *p, size_t n, struct err *e);
	/* Closes the transport (and what it wraps) and frees c. */
	void (*close)(struct conn *c);
};
struct conn {
	const struct conn_ops *ops;
	int fd;         /* the socket underneath (for poll) */
	int timeout_ms; /* idle read/write timeout; 0: none */
};

#define NET_CONNECT_TIMEOUT_MS 30000
#define NET_IO_TIMEOUT_MS 60000

/* Resolves host (name, IPv4 or IPv6 literal, without brackets) and tries every address in
 * order with a non-blocking connect bounded by connect_ms each. On success *out is a new
 * conn the caller closes. Errors: ERR_NET naming the host, port and last cause. */
int net_connect(const char *host, int port, int connect_ms, int io_ms, struct conn **out,
                struct err *e);

/* Wraps an already connected stream socket (a socketpair end in tests, an accepted
 * socket) as a conn that owns fd; name ("host:port") is used in messages. The fd is made
 * non-blocking. On failure fd is left open and *out is NULL. */
int net_conn_fd(int fd, const char *name, int io_ms, struct conn **out, struct err *e);

ssize_t conn_read(struct conn *c, void *p, size_t n, struct err *e);
int conn_write(struct conn *c, const void *p, size_t n, struct err *e);
void conn_close(struct conn *c); /* NULL is fine */

/* 1 when host (as written, brackets allowed) is loopback: "localhost", 127.0.0.0/8, ::1. */
int net_is_loopback(const char *host);

/* Ignores SIGPIPE for the process (called once before the first connection). */
void net_init(void);

#endif
