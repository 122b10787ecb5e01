/* net.c - plain TCP connections: name resolution, connect and I/O bounded by timeouts */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define NET_NAME_MAX 300 /* "host:port" kept for messages; longer names are cut */

struct tcp {
	struct conn c;
	char name[NET_NAME_MAX];
};

static int64_t deadline_left(int64_t deadline)
{
	int64_t left = deadline - log_now_ms();
	return left > 0 ? left : 0;
}

/* Waits for ev on fd: 1 ready, 0 timed out, <0 -errno. timeout_ms 0: no limit. */
static int wait_fd(int fd, short ev, int timeout_ms)
{
	int64_t deadline = log_now_ms() + timeout_ms;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = ev};
		int t = timeout_ms > 0 ? (int)deadline_left(deadline) : -1;
		int r = poll(&p, 1, t);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

static ssize_t tcp_read(struct conn *c, void *p, size_t n, struct err *e)
{
	struct tcp *t = (struct tcp *)c;
	for (;;) {
		ssize_t r = recv(c->fd, p, n, 0);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return err_sys(e, ERR_NET, errno, "read from %s", t->name);
		int w = wait_fd(c->fd, POLLIN, c->timeout_ms);
		if (w == 0)
			return err_set(e, ERR_NET, "read from %s: timed out after %d ms", t->name,
			               c->timeout_ms);
		if (w < 0)
			return err_sys(e, ERR_NET, -w, "read from %s", t->name);
	}
}

static int tcp_write(struct conn *c, const void *p, size_t n, struct err *e)
{
	struct tcp *t = (struct tcp *)c;
	const char *s = p;
	while (n > 0) {
		ssize_t r = send(c->fd, s, n, MSG_NOSIGNAL);
		if (r > 0) {
			s += r;
			n -= (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return err_sys(e, ERR_NET, errno, "write to %s", t->name);
		int w = wait_fd(c->fd, POLLOUT, c->timeout_ms);
		if (w == 0)
			return err_set(e, ERR_NET, "write to %s: timed out after %d ms", t->name,
			               c->timeout_ms);
		if (w < 0)
			return err_sys(e, ERR_NET, -w, "write to %s", t->name);
	}
	return 0;
}

static void tcp_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static const struct conn_ops tcp_ops = {tcp_read, tcp_write, tcp_close};

static struct tcp *tcp_new(int fd, const char *name, int io_ms, struct err *e)
{
	struct tcp *t = calloc(1, sizeof *t);
	if (!t) {
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	t->c.ops = &tcp_ops;
	t->c.fd = fd;
	t->c.timeout_ms = io_ms;
	snprintf(t->name, sizeof t->name, "%s", name);
	return t;
}

int net_conn_fd(int fd, const char *name, int io_ms, struct conn **out, struct err *e)
{
	int fl = fcntl(fd, F_GETFL);
	struct tcp *t;
	*out = NULL;
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return err_sys(e, ERR_NET, errno, "%s: set non-blocking", name);
	t = tcp_new(fd, name, io_ms, e);
	if (!t)
		return ERR_FAIL;
	*out = &t->c;
	return 0;
}

/* One address: 0 and *fdp connected, or errno (>0) with *fdp = -1. */
static int try_connect(const struct addrinfo *ai, int connect_ms, int *fdp)
{
	int fd, r, soerr = 0;
	socklen_t sl = sizeof soerr;
	*fdp = -1;
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return errno;
	do
		r = connect(fd, ai->ai_addr, ai->ai_addrlen);
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno != EINPROGRESS && errno != EALREADY) {
		soerr = errno;
		goto fail;
	}
	if (r < 0) {
		int w = wait_fd(fd, POLLOUT, connect_ms);
		if (w == 0) {
			soerr = ETIMEDOUT;
			goto fail;
		}
		if (w < 0) {
			soerr = -w;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr)
			goto fail;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	*fdp = fd;
	return 0;
fail:
	close(fd);
	return soerr;
}

int net_connect(const char *host, int port, int connect_ms, int io_ms, struct conn **out,
                struct err *e)
{
	struct addrinfo hints = {0}, *res = NULL;
	char portstr[16], name[NET_NAME_MAX], addr[INET6_ADDRSTRLEN] = "";
	int rc, fd = -1, last = 0;
	struct tcp *t;

	*out = NULL;
	if (port <= 0 || port > 65535)
		return err_set(e, ERR_USAGE, "%s: bad port %d", host, port);
	snprintf(portstr, sizeof portstr, "%d", port);
	snprintf(name, sizeof name, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0) {
		if (rc == EAI_SYSTEM)
			return err_sys(e, ERR_NET, errno, "failed to resolve %s", name);
		return err_set(e, ERR_NET, "failed to resolve %s: %s", name, gai_strerror(rc));
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		last = try_connect(ai, connect_ms, &fd);
		if (fd >= 0)
			break;
		const void *a = ai->ai_family == AF_INET6
		                    ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
		                    : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		inet_ntop(ai->ai_family, a, addr, sizeof addr);
		log_trace("connect %s (%s): %s", name, addr, strerror(last));
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (last == ETIMEDOUT)
			return err_set(e, ERR_NET, "failed to connect to %s: timed out after %d ms",
			               name, connect_ms);
		return err_sys(e, ERR_NET, last ? last : ECONNREFUSED, "failed to connect to %s",
		               name);
	}
	t = tcp_new(fd, name, io_ms, e);
	if (!t) {
		close(fd);
		return ERR_FAIL;
	}
	*out = &t->c;
	return 0;
}

ssize_t conn_read(struct conn *c, void *p, size_t n, struct err *e)
{
	return c->ops->read(c, p, n, e);
}

int conn_write(struct conn *c, const void *p, size_t n, struct err *e)
{
	return c->ops->write(c, p, n, e);
}

void conn_close(struct conn *c)
{
	if (c)
		c->ops->close(c);
}

int net_is_loopback(const char *host)
{
	char h[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);
	struct in_addr a4;
	struct in6_addr a6;

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		if (n - 2 >= sizeof h)
			return 0;
		memcpy(h, host + 1, n - 2);
		h[n - 2] = 0;
	} else if (n < sizeof h) {
		memcpy(h, host, n + 1);
	} else {
		return strcasecmp(host, "localhost") == 0;
	}
	if (strcasecmp(h, "localhost") == 0 || strcasecmp(h, "localhost.") == 0)
		return 1;
	/* inet_pton takes dotted quads only, so "127.1" or "0x7f.1" are names, not loopback */
	if (inet_pton(AF_INET, h, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, h, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return 1;
		/* ::ffff:127.x.y.z */
		return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
	}
	return 0;
}

void net_init(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	signal(SIGPIPE, SIG_IGN);
}
