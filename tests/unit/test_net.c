/* test_net.c - TCP connections: loopback detection, connect over IPv4/IPv6, timeouts, EOF */
#include "t.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "net.h"

static void test_loopback(void)
{
	static const struct {
		const char *host;
		int want;
	} cases[] = {
	    {"localhost", 1},
	    {"LOCALHOST", 1},
	    {"localhost.", 1},
	    {"127.0.0.1", 1},
	    {"127.255.3.4", 1},
	    {"::1", 1},
	    {"[::1]", 1},
	    {"::ffff:127.0.0.1", 1},
	    {"[::ffff:127.1.2.3]", 1},
	    {"128.0.0.1", 0},
	    {"10.0.0.1", 0},
	    {"::2", 0},
	    {"localhost.evil", 0},
	    {"127.0.0.1.nip.io", 0},
	    {"", 0},
	    {"[::1", 0},
	    {"127.1", 0},
	    {"0x7f000001", 0},
	    {"my-registry.com", 0},
	    {"[]", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		T_CHECKF(net_is_loopback(cases[i].host) == cases[i].want, "net_is_loopback(%s)",
		         cases[i].host);
}

/* A listener on addr (127.0.0.1 or ::1), port 0: the fd, and the port in *port. -1 when the
 * family is unavailable. */
static int listen_on(const char *addr, int *port)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	int v6 = strchr(addr, ':') != NULL;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		sl = sizeof *s6;
		int one = 1;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &s4->sin_addr);
		sl = sizeof *s4;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 8) < 0) {
		close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                 : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static void roundtrip(const char *listen_addr, const char *connect_host)
{
	int port, lfd = listen_on(listen_addr, &port);
	struct conn *c = NULL;
	struct err e;
	char buf[16];
	if (lfd < 0) {
		t_skip("no such address family here");
		return;
	}
	err_init(&e);
	int rc = net_connect(connect_host, port, 2000, 2000, &c, &e);
	T_CHECKF(rc == 0, "connect %s:%d: %s", connect_host, port, e.msg);
	if (rc == 0) {
		int afd = accept(lfd, NULL, NULL);
		T_CHECK(afd >= 0);
		T_EQ_INT(conn_write(c, "ping", 4, &e), 0);
		T_EQ_INT(read(afd, buf, sizeof buf), 4);
		T_CHECK(write(afd, "pong!", 5) == 5);
		T_EQ_INT(conn_read(c, buf, sizeof buf, &e), 5);
		T_EQ_MEM(buf, "pong!", 5);
		close(afd);
		T_EQ_INT(conn_read(c, buf, sizeof buf, &e), 0); /* clean EOF */
	}
	conn_close(c);
	close(lfd);
}

static void test_connect_ipv4(void)
{
	roundtrip("127.0.0.1", "127.0.0.1");
	roundtrip("127.0.0.1", "localhost");
}

static int localhost_has_v6(void)
{
	struct addrinfo hints = {0}, *res, *ai;
	int v6 = 0;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo("localhost", "80", &hints, &res) != 0)
		return 0;
	for (ai = res; ai; ai = ai->ai_next)
		v6 |= ai->ai_family == AF_INET6;
	freeaddrinfo(res);
	return v6;
}

static void test_connect_ipv6(void)
{
	int port, fd = listen_on("::1", &port);
	if (fd < 0) {
		t_skip("no IPv6 loopback");
		return;
	}
	close(fd);
	roundtrip("::1", "::1");
	/* every address is tried: a server on one family only is still found via localhost */
	if (localhost_has_v6())
		roundtrip("::1", "localhost");
	else
		t_skip("localhost does not resolve to ::1 here");
}

static void test_refused(void)
{
	int port, lfd = listen_on("127.0.0.1", &port);
	struct conn *c = NULL;
	struct err e;
	char want[64];
	close(lfd); /* nobody listens there now */
	err_init(&e);
	T_EQ_INT(net_connect("127.0.0.1", port, 2000, 2000, &c, &e), ERR_NET);
	T_CHECK(c == NULL);
	snprintf(want, sizeof want, "127.0.0.1:%d", port);
	T_CHECKF(strstr(e.msg, want) && strstr(e.msg, "refused"), "message: %s", e.msg);
	err_init(&e);
	T_EQ_INT(net_connect("::1", port, 2000, 2000, &c, &e), ERR_NET);
	snprintf(want, sizeof want, "[::1]:%d", port);
	T_CHECKF(strstr(e.msg, want) != NULL, "message: %s", e.msg);
	err_init(&e);
	T_EQ_INT(net_connect("127.0.0.1", 0, 2000, 2000, &c, &e), ERR_USAGE);
	err_init(&e);
	T_EQ_INT(net_connect("127.0.0.1", 70000, 2000, 2000, &c, &e), ERR_USAGE);
}

static void test_timeouts_and_sigpipe(void)
{
	int sv[2];
	struct conn *c = NULL;
	struct err e;
	char buf[64];
	net_init();
	T_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	err_init(&e);
	T_EQ_INT(net_conn_fd(sv[0], "peer:1", 150, &c, &e), 0);
	int64_t t0 = log_now_ms();
	T_EQ_INT(conn_read(c, buf, sizeof buf, &e), ERR_NET);
	int64_t took = log_now_ms() - t0;
	T_CHECKF(took >= 140 && took < 2000, "read timeout took %lld ms", (long long)took);
	T_CHECKF(strstr(e.msg, "peer:1") && strstr(e.msg, "timed out"), "message: %s", e.msg);

	/* a write that cannot drain times out too */
	static char big[1 << 20];
	err_init(&e);
	int rc = 0;
	for (int i = 0; i < 64 && rc == 0; i++)
		rc = conn_write(c, big, sizeof big, &e);
	T_EQ_INT(rc, ERR_NET);
	T_CHECKF(strstr(e.msg, "timed out") != NULL, "message: %s", e.msg);

	/* the peer goes away: EPIPE as an error, not a signal */
	close(sv[1]);
	err_init(&e);
	T_EQ_INT(conn_write(c, "x", 1, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "write to peer:1") != NULL, "message: %s", e.msg);
	conn_close(c);
	conn_close(NULL);
}

T_MAIN(test_loopback, test_connect_ipv4, test_connect_ipv6, test_refused, test_timeouts_and_sigpipe)
