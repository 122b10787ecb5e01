/* test_tls_net.c - TLS handshakes against openssl s_server on loopback: names, IP SANs,
 * trust (bundle, certs.d, self-signed), client certificates, errors, plain HTTP, CONNECT */
#include "t.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "tls.h"

#define IO_MS 10000
#define MAX_REPLY (256 * 1024)

static char dir[128];  /* the certificates (tests/tls_mkcerts.sh) */
static char top[1024]; /* the source tree */
static int closes;     /* raw conns closed: tls_connect must close them on failure too */

/* ---- a minimal blocking transport (the tests' own, so they need no net.c) ---- */

static int wait_fd(int fd, short ev)
{
	struct pollfd p = {fd, ev, 0};
	int r;
	do
		r = poll(&p, 1, IO_MS);
	while (r < 0 && errno == EINTR);
	return r;
}

static ssize_t tc_read(struct conn *c, void *p, size_t n, struct err *e)
{
	ssize_t k;
	if (wait_fd(c->fd, POLLIN) <= 0)
		return err_set(e, ERR_NET, "test conn: read timeout");
	k = read(c->fd, p, n);
	if (k < 0)
		return err_sys(e, ERR_NET, errno, "test conn: read");
	return k;
}

static int tc_write(struct conn *c, const void *p, size_t n, struct err *e)
{
	const char *s = p;
	while (n) {
		ssize_t k;
		if (wait_fd(c->fd, POLLOUT) <= 0)
			return err_set(e, ERR_NET, "test conn: write timeout");
		k = send(c->fd, s, n, MSG_NOSIGNAL);
		if (k < 0)
			return err_sys(e, ERR_NET, errno, "test conn: write");
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

static void tc_close(struct conn *c)
{
	close(c->fd);
	free(c);
	closes++;
}

static const struct conn_ops tc_ops = {tc_read, tc_write, tc_close};

static struct conn *tc_dial(const char *ip, int port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct conn *c;
	int fd;

	memset(&ss, 0, sizeof ss);
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, ip, &a->sin6_addr);
		sl = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, ip, &a->sin_addr);
		sl = sizeof *a;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		close(fd);
		return NULL;
	}
	c = calloc(1, sizeof *c);
	c->ops = &tc_ops;
	c->fd = fd;
	c->timeout_ms = IO_MS;
	return c;
}

static int free_port(int v6)
{
	struct sockaddr_in6 a6 = {0};
	struct sockaddr_in a4 = {0};
	socklen_t sl;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0), port = -1;
	if (fd < 0)
		return -1;
	if (v6) {
		a6.sin6_family = AF_INET6;
		a6.sin6_addr = in6addr_loopback;
		sl = sizeof a6;
		if (bind(fd, (struct sockaddr *)&a6, sl) == 0 &&
		    getsockname(fd, (struct sockaddr *)&a6, &sl) == 0)
			port = ntohs(a6.sin6_port);
	} else {
		a4.sin_family = AF_INET;
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof a4;
		if (bind(fd, (struct sockaddr *)&a4, sl) == 0 &&
		    getsockname(fd, (struct sockaddr *)&a4, &sl) == 0)
			port = ntohs(a4.sin_port);
	}
	close(fd);
	return port;
}

static int wait_port(const char *ip, int port)
{
	for (int i = 0; i < 200; i++) { /* at most ~10 s */
		struct conn *c = tc_dial(ip, port);
		if (c) {
			close(c->fd);
			free(c);
			return 0;
		}
		usleep(50000);
	}
	return -1;
}

/* Starts argv[0] with output into log; the pid, or -1. */
static pid_t spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY),
		    out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

/* openssl s_server -www on ip:port with cert/key from dir and extra args. */
static pid_t s_server(const char *ip, int port, const char *cert, const char *key,
                      const char *extra)
{
	char acc[80], cp[256], kp[256], log[256], ex[512], *argv[32];
	int n = 0;
	pid_t pid;

	snprintf(acc, sizeof acc, strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip, port);
	snprintf(cp, sizeof cp, "%s/%s", dir, cert);
	snprintf(kp, sizeof kp, "%s/%s", dir, key);
	snprintf(log, sizeof log, "%s/s_server.log", dir);
	argv[n++] = "openssl";
	argv[n++] = "s_server";
	argv[n++] = "-accept";
	argv[n++] = acc;
	argv[n++] = "-cert";
	argv[n++] = cp;
	argv[n++] = "-key";
	argv[n++] = kp;
	argv[n++] = "-www";
	snprintf(ex, sizeof ex, "%s", extra ? extra : "");
	for (char *save = NULL, *t = strtok_r(ex, " ", &save); t && n < 30;
	     t = strtok_r(NULL, " ", &save)) {
		if (t[0] == '@') { /* @file: a file in dir */
			static char paths[4][256];
			static int k;
			snprintf(paths[k & 3], sizeof paths[0], "%s/%s", dir, t + 1);
			t = paths[k++ & 3];
		}
		argv[n++] = t;
	}
	argv[n] = NULL;
	pid = spawn(argv, log);
	if (pid > 0 && wait_port(ip, port) < 0) {
		stop(pid);
		return -1;
	}
	return pid;
}

static void copy_file(const char *from, const char *to)
{
	char cmd[2100];
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
	if (system(cmd) != 0)
		fprintf(stderr, "copy %s failed\n", from);
}

/* A GET over TLS: 0 and the reply's first line in *line, or the tls_connect error. */
static int tls_get(const char *ip, int port, const char *host, struct err *e, char *line, size_t ln,
                   struct tls_info *info)
{
	struct tls_opts o = {.port = port};
	struct conn *raw = tc_dial(ip, port), *c = NULL;
	static char reply[MAX_REPLY];
	size_t got = 0;
	int rc;

	line[0] = 0;
	if (!raw)
		return err_set(e, ERR_NET, "test: cannot connect to %s:%d", ip, port);
	rc = tls_connect(raw, host, &o, &c, e);
	if (rc < 0)
		return rc;
	if (info)
		tls_conn_info(c, info);
	rc = c->ops->write(c, "GET / HTTP/1.0\r\n\r\n", 18, e);
	while (rc == 0 && got < sizeof reply - 1) {
		ssize_t k = c->ops->read(c, reply + got, sizeof reply - 1 - got, e);
		if (k < 0)
			rc = (int)k;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	reply[got] = 0;
	snprintf(line, ln, "%.*s", (int)strcspn(reply, "\r\n"), reply);
	c->ops->close(c);
	return rc;
}

/* certs.d/<name>/ under a fresh root with the files "src=dst" from dir. */
static void certs_d(const char *root, const char *name, const char *const *files)
{
	char d[512], cmd[1024], src[512], dst[1024];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return;
	snprintf(d, sizeof d, "%s/%s", root, name);
	snprintf(cmd, sizeof cmd, "mkdir -p '%s'", d);
	if (system(cmd) != 0)
		return;
	for (; files && *files; files++) {
		const char *eq = strchr(*files, '=');
		if (!eq)
			continue;
		snprintf(src, sizeof src, "%s/%.*s", dir, (int)(eq - *files), *files);
		snprintf(dst, sizeof dst, "%s/%s", d, eq + 1);
		copy_file(src, dst);
	}
}

static int have_v6(void)
{
	return free_port(1) > 0;
}

struct tcase {
	const char *name;
	const char *cert, *key, *srv; /* server */
	const char *ip, *host;        /* where we connect, the name we verify */
	const char *bundle;           /* SSL_CERT_FILE, a file in dir ("" = an empty one) */
	const char *certs_d[4];       /* files into certs.d/<host:port>/ ("src=dst") */
	const char *want;             /* NULL: a 200 reply; else a piece of the message */
	const char *want_hint;
};

static const struct tcase cases[] = {
    /* SNI: s_server answers with cert2 only when the client names its -servername */
    {"SNI sent for a name",
     "wrongname.crt",
     "wrongname.key",
     "-servername localhost -cert2 @good.crt -key2 @good.key",
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {NULL},
     NULL,
     NULL},
    {"no SNI for an IP",
     "dnsonly.crt",
     "dnsonly.key",
     "-servername 127.0.0.1 -cert2 @good.crt -key2 @good.key",
     "127.0.0.1",
     "127.0.0.1",
     "ca.crt",
     {NULL},
     "not valid for IP address 127.0.0.1 (it is for: localhost)",
     NULL},
    {"by name",
     "good.crt",
     "good.key",
     NULL,
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {NULL},
     NULL,
     NULL},
    {"by IPv4 SAN",
     "good.crt",
     "good.key",
     NULL,
     "127.0.0.1",
     "127.0.0.1",
     "ca.crt",
     {NULL},
     NULL,
     NULL},
    {"by IPv6 SAN", "good.crt", "good.key", NULL, "::1", "::1", "ca.crt", {NULL}, NULL, NULL},
    {"by [IPv6] SAN", "ipv6.crt", "ipv6.key", NULL, "::1", "[::1]", "ca.crt", {NULL}, NULL, NULL},
    {"EC server, IP only",
     "ipv4.crt",
     "ipv4.key",
     NULL,
     "127.0.0.1",
     "127.0.0.1",
     "ca.crt",
     {NULL},
     NULL,
     NULL},
    {"IP not in SAN",
     "dnsonly.crt",
     "dnsonly.key",
     NULL,
     "127.0.0.1",
     "127.0.0.1",
     "ca.crt",
     {NULL},
     "not valid for IP address 127.0.0.1 (it is for: localhost)",
     "IP:127.0.0.1"},
    {"other IP in SAN",
     "ipv6.crt",
     "ipv6.key",
     NULL,
     "127.0.0.1",
     "127.0.0.1",
     "ca.crt",
     {NULL},
     "not valid for IP address 127.0.0.1 (it is for: ::1)",
     NULL},
    {"wrong name",
     "wrongname.crt",
     "wrongname.key",
     NULL,
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {NULL},
     "not valid for name localhost (it is for: other.example, 10.9.8.7)",
     "DNS:localhost"},
    {"unknown CA",
     "unknown.crt",
     "unknown.key",
     NULL,
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {NULL},
     "certificate signed by unknown authority",
     "certs.d/localhost:"},
    {"no bundle at all",
     "good.crt",
     "good.key",
     NULL,
     "127.0.0.1",
     "localhost",
     "",
     {NULL},
     "certificate signed by unknown authority",
     "SSL_CERT_FILE"},
    {"expired",
     "expired.crt",
     "expired.key",
     NULL,
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {NULL},
     "certificate has expired on 2020-02-01 00:00:00 UTC",
     "clock"},
    {"not yet valid",
     "future.crt",
     "future.key",
     NULL,
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {NULL},
     "certificate is not valid before 2099-01-01 00:00:00 UTC",
     NULL},
    {"RSA-PSS",
     "pss.crt",
     "pss.key",
     NULL,
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {NULL},
     "RSA-PSS, which BearSSL 0.6 does not support",
     NULL},
    {"nameConstraints",
     "nc.crt",
     "nc.key",
     "-cert_chain @nc-ca.crt",
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {NULL},
     "critical nameConstraints extension",
     NULL},
    {"TLS 1.3 only",
     "good.crt",
     "good.key",
     "-tls1_3",
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {NULL},
     "requires TLS 1.3",
     NULL},
    {"certs.d CA",
     "good.crt",
     "good.key",
     NULL,
     "127.0.0.1",
     "localhost",
     "",
     {"ca.crt=ca.crt"},
     NULL,
     NULL},
    {"certs.d other CA",
     "unknown.crt",
     "unknown.key",
     NULL,
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {"other-ca.crt=registry-ca.crt"},
     NULL,
     NULL},
    {"certs.d self-signed",
     "self.crt",
     "self.key",
     NULL,
     "127.0.0.1",
     "localhost",
     "",
     {"self.crt=server.crt"},
     NULL,
     NULL},
    {"certs.d self-signed by IP",
     "self.crt",
     "self.key",
     NULL,
     "127.0.0.1",
     "127.0.0.1",
     "",
     {"self.crt=server.crt"},
     NULL,
     NULL},
    {"self-signed, not trusted",
     "self.crt",
     "self.key",
     NULL,
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {NULL},
     "unknown authority",
     NULL},
    {"client cert missing",
     "good.crt",
     "good.key",
     "-verify_return_error -Verify 1 -CAfile @ca.crt",
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {NULL},
     "TLS handshake failed",
     "client.cert"},
    {"client cert PKCS#8 RSA",
     "good.crt",
     "good.key",
     "-verify_return_error -Verify 1 -CAfile @ca.crt",
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {"client.crt=client.cert", "client.key=client.key"},
     NULL,
     NULL},
    {"client cert PKCS#1 RSA",
     "good-ec.crt",
     "good-ec.key",
     "-verify_return_error -Verify 1 -CAfile @ca.crt",
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {"client.crt=client.cert", "client-pkcs1.key=client.key"},
     NULL,
     NULL},
    {"client cert SEC1 EC",
     "good.crt",
     "good.key",
     "-verify_return_error -Verify 1 -CAfile @ca.crt",
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {"client-ec.crt=client.cert", "client-ec.key=client.key"},
     NULL,
     NULL},
    {"client cert other CA",
     "good.crt",
     "good.key",
     "-verify_return_error -Verify 1 -CAfile @other-ca.crt",
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {"client.crt=client.cert", "client.key=client.key"},
     "TLS handshake failed",
     NULL},
    {"client key encrypted",
     "good.crt",
     "good.key",
     NULL,
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {"client.crt=client.cert", "client-enc.key=client.key"},
     "BearSSL cannot read encrypted private keys",
     "openssl pkey"},
    {"client key legacy encrypted",
     "good.crt",
     "good.key",
     NULL,
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {"client.crt=client.cert", "client-legacy-enc.key=client.key"},
     "BearSSL cannot read encrypted private keys",
     NULL},
    {"client key missing",
     "good.crt",
     "good.key",
     NULL,
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {"client.crt=client.cert"},
     "client.key",
     "needs its key"},
    {"client key not a key",
     "good.crt",
     "good.key",
     NULL,
     "127.0.0.1",
     "localhost",
     "ca.crt",
     {"client.crt=client.cert", "ca.crt=client.key"},
     "no private key",
     NULL},
};

static void test_handshakes(void)
{
	char root[256], name[128], line[256], bundle[256];
	int v6 = have_v6();

	snprintf(root, sizeof root, "%s/certs.d", dir);
	setenv("POLYCRATE_CERTS_D_ROOT", root, 1);
	unsetenv("SSL_CERT_DIR");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct tcase *c = &cases[i];
		struct err e;
		struct tls_info info;
		int port, rc, before;
		pid_t pid;

		t_name_ = c->name;
		if (strchr(c->ip, ':') && !v6) {
			t_skip("no IPv6 loopback");
			continue;
		}
		port = free_port(strchr(c->ip, ':') != NULL);
		pid = s_server(c->ip, port, c->cert, c->key, c->srv);
		if (pid < 0) {
			T_CHECKF(0, "s_server did not start (see %s/s_server.log)", dir);
			continue;
		}
		snprintf(bundle, sizeof bundle, "%s/%s", dir,
		         c->bundle[0] ? c->bundle : "empty.pem");
		setenv("SSL_CERT_FILE", bundle, 1);
		tls_trust_reset();
		snprintf(name, sizeof name,
		         strchr(c->host, ':') && c->host[0] != '[' ? "[%s]:%d" : "%s:%d", c->host,
		         port);
		certs_d(root, name, c->certs_d);
		err_init(&e);
		before = closes;
		rc = tls_get(c->ip, port, c->host, &e, line, sizeof line, &info);
		if (getenv("T_VERBOSE"))
			fprintf(stderr, "[%s] rc %d: %s\n    hint: %s\n", c->name, rc, e.msg,
			        e.hint);
		if (!c->want) {
			T_CHECKF(rc == 0, "%s: %s", c->name, e.msg);
			T_CHECKF(strncmp(line, "HTTP/1.0 200", 12) == 0, "%s: reply '%s'", c->name,
			         line);
			if (i == 0)
				fprintf(stderr, "TLS %s %s, AES %s, GHASH %s\n", info.version,
				        info.suite, info.aes, info.ghash);
		} else {
			T_CHECKF(rc == ERR_NET, "%s: rc %d", c->name, rc);
			T_CHECKF(strstr(e.msg, c->want) != NULL, "%s: message '%s'", c->name,
			         e.msg);
			if (c->want_hint)
				T_CHECKF(strstr(e.hint, c->want_hint) != NULL, "%s: hint '%s'",
				         c->name, e.hint);
			T_CHECKF(!tls_err_plain_http(&e), "%s: not plain HTTP", c->name);
		}
		T_CHECKF(closes == before + 1, "%s: raw conn closed once (%d)", c->name,
		         closes - before);
		stop(pid);
	}
	t_name_ = "test_handshakes";
	unsetenv("POLYCRATE_CERTS_D_ROOT");
}

/* The suite and implementations BearSSL picked (report, and AES-NI where the CPU has it). */
static void test_suite_choice(void)
{
	char line[256], bundle[256];
	struct tls_info info;
	struct err e;
	int port = free_port(0);
	pid_t pid = s_server("127.0.0.1", port, "good-ec.crt", "good-ec.key", NULL);

	snprintf(bundle, sizeof bundle, "%s/ca.crt", dir);
	setenv("SSL_CERT_FILE", bundle, 1);
	tls_trust_reset();
	err_init(&e);
	T_EQ_INT(tls_get("127.0.0.1", port, "localhost", &e, line, sizeof line, &info), 0);
	T_EQ_STR(info.version, "1.2");
	T_EQ_STR(info.suite, "ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
	fprintf(stderr, "TLS %s %s, AES %s, GHASH %s\n", info.version, info.suite, info.aes,
	        info.ghash);
#if defined(__x86_64__)
	if (__builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul")) {
		T_EQ_STR(info.aes, "x86ni");
		T_EQ_STR(info.ghash, "pclmul");
	} else {
		t_skip("no AES-NI/PCLMUL on this CPU");
	}
#endif
	T_EQ_INT(tls_conn_info(NULL, &info), ERR_FAIL);
	stop(pid);
}

/* tls_opts: an extra CA file for one connection, and certs.d switched off. */
static void test_opts(void)
{
	char bundle[256], ca[256], root[256], name[64];
	static const char *const files[] = {"ca.crt=ca.crt", NULL};
	struct tls_opts o;
	struct conn *raw, *c = NULL;
	struct err e;
	int port = free_port(0);
	pid_t pid = s_server("127.0.0.1", port, "good.crt", "good.key", NULL);

	snprintf(bundle, sizeof bundle, "%s/empty.pem", dir);
	snprintf(ca, sizeof ca, "%s/ca.crt", dir);
	setenv("SSL_CERT_FILE", bundle, 1);
	tls_trust_reset();
	memset(&o, 0, sizeof o);
	o.port = port;
	o.ca_file = ca;
	err_init(&e);
	raw = tc_dial("127.0.0.1", port);
	T_EQ_INT(tls_connect(raw, "localhost", &o, &c, &e), 0);
	if (c)
		c->ops->close(c);
	o.ca_file = "/nonexistent/ca.pem";
	err_init(&e);
	raw = tc_dial("127.0.0.1", port);
	T_EQ_INT(tls_connect(raw, "localhost", &o, &c, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "/nonexistent/ca.pem") != NULL, "%s", e.msg);
	T_CHECK(c == NULL);

	/* certs.d would trust it; no_certs_d ignores the folder */
	snprintf(root, sizeof root, "%s/certs.d-opts", dir);
	snprintf(name, sizeof name, "localhost:%d", port);
	setenv("POLYCRATE_CERTS_D_ROOT", root, 1);
	certs_d(root, name, files);
	o.ca_file = NULL;
	err_init(&e);
	raw = tc_dial("127.0.0.1", port);
	T_EQ_INT(tls_connect(raw, "localhost", &o, &c, &e), 0);
	if (c)
		c->ops->close(c);
	o.no_certs_d = 1;
	err_init(&e);
	raw = tc_dial("127.0.0.1", port);
	T_EQ_INT(tls_connect(raw, "localhost", &o, &c, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "unknown authority") != NULL, "%s", e.msg);
	/* hostile arguments */
	err_init(&e);
	T_EQ_INT(tls_connect(NULL, "localhost", NULL, &c, &e), ERR_NET);
	err_init(&e);
	raw = tc_dial("127.0.0.1", port);
	T_EQ_INT(tls_connect(raw, "", NULL, &c, &e), ERR_NET);
	unsetenv("POLYCRATE_CERTS_D_ROOT");
	stop(pid);
}

/* A plain HTTP server answers the hello in HTTP: the error says so, and the predicate. */
static void test_plain_http(void)
{
	char port_s[16], log[256], line[256], bundle[256];
	struct err e;
	int port = free_port(0);
	snprintf(port_s, sizeof port_s, "%d", port);
	snprintf(log, sizeof log, "%s/http.log", dir);
	char *argv[] = {"/usr/bin/python3", "-m",   "http.server", "--bind",
	                "127.0.0.1",        port_s, NULL};
	pid_t pid = spawn(argv, log);

	if (pid < 0 || wait_port("127.0.0.1", port) < 0) {
		T_CHECKF(0, "python http.server did not start");
		stop(pid);
		return;
	}
	snprintf(bundle, sizeof bundle, "%s/ca.crt", dir);
	setenv("SSL_CERT_FILE", bundle, 1);
	tls_trust_reset();
	err_init(&e);
	T_EQ_INT(tls_get("127.0.0.1", port, "127.0.0.1", &e, line, sizeof line, NULL), ERR_NET);
	T_CHECKF(tls_err_plain_http(&e), "message: %s", e.msg);
	T_CHECKF(strstr(e.hint, "--insecure-registry") != NULL, "hint: %s", e.hint);
	T_EQ_INT(tls_plain_http_allowed("127.0.0.1", port, NULL, 0), 1);
	stop(pid);
}

/* A server that accepts and hangs up at once, and one that sends garbage. */
static void test_rude_servers(void)
{
	static const struct {
		const char *code, *want;
	} servers[] = {
	    {"c.close()", "localhost: TLS handshake"},
	    {"c.recv(1024); c.sendall(b'\\x16\\x03\\x03\\x00\\x02zz'); c.close()",
	     "TLS handshake failed"},
	    {"c.recv(1024); c.sendall(bytes(range(256)) * 4); c.close()", "TLS handshake failed"},
	    {"c.sendall(b'SSH-2.0-OpenSSH_9.2\\r\\n'); c.recv(1024); c.close()",
	     "does not speak TLS (it sent \"SSH-2..."},
	};
	for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++) {
		char prog[1024], line[256];
		struct err e;
		int port = free_port(0);
		snprintf(prog, sizeof prog,
		         "import socket\ns = socket.socket()\n"
		         "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
		         "s.bind(('127.0.0.1', %d))\ns.listen(5)\n"
		         "while True:\n    c, _ = s.accept()\n    %s\n",
		         port, servers[i].code);
		char *argv[] = {"/usr/bin/python3", "-c", prog, NULL};
		char log[256];
		snprintf(log, sizeof log, "%s/rude.log", dir);
		pid_t pid = spawn(argv, log);
		if (wait_port("127.0.0.1", port) < 0) {
			T_CHECKF(0, "rude server %zu did not start", i);
			stop(pid);
			continue;
		}
		err_init(&e);
		T_EQ_INT(tls_get("127.0.0.1", port, "localhost", &e, line, sizeof line, NULL),
		         ERR_NET);
		T_CHECKF(strstr(e.msg, servers[i].want) != NULL, "server %zu: %s", i, e.msg);
		T_CHECK(!tls_err_plain_http(&e));
		stop(pid);
	}
}

/* Through a CONNECT tunnel of tests/tls_proxy.py (with Basic credentials): TLS runs
 * end to end inside it, and the proxy saw the CONNECT. */
static void test_connect_tunnel(void)
{
	char pport[16], proxy[1200], log[256], line[256], bundle[256], req[256], resp[512];
	struct tls_opts o;
	struct conn *raw, *c = NULL;
	struct err e;
	int sport = free_port(0), port = free_port(0);
	size_t got = 0;
	pid_t srv = s_server("127.0.0.1", sport, "good.crt", "good.key", NULL), px;

	snprintf(pport, sizeof pport, "%d", port);
	snprintf(proxy, sizeof proxy, "%s/tests/tls_proxy.py", top);
	snprintf(log, sizeof log, "%s/proxy.log", dir);
	char *argv[] = {"/usr/bin/python3", proxy, pport, "user:pw", NULL};
	px = spawn(argv, log);
	if (wait_port("127.0.0.1", port) < 0) {
		T_CHECKF(0, "proxy did not start");
		goto out;
	}
	raw = tc_dial("127.0.0.1", port);
	T_CHECK(raw != NULL);
	if (!raw)
		goto out;
	err_init(&e);
	/* user:pw */
	snprintf(req, sizeof req,
	         "CONNECT localhost:%d HTTP/1.1\r\nHost: localhost:%d\r\n"
	         "Proxy-Authorization: Basic dXNlcjpwdw==\r\n\r\n",
	         sport, sport);
	T_EQ_INT(raw->ops->write(raw, req, strlen(req), &e), 0);
	while (got < sizeof resp - 1 && !strstr(resp, "\r\n\r\n")) {
		ssize_t k = raw->ops->read(raw, resp + got, 1, &e); /* byte by byte: no overread */
		if (k <= 0)
			break;
		got += (size_t)k;
		resp[got] = 0;
	}
	T_CHECKF(strncmp(resp, "HTTP/1.1 200", 12) == 0, "proxy said: %s", resp);
	snprintf(bundle, sizeof bundle, "%s/ca.crt", dir);
	setenv("SSL_CERT_FILE", bundle, 1);
	tls_trust_reset();
	memset(&o, 0, sizeof o);
	o.port = sport;
	T_EQ_INT(tls_connect(raw, "localhost", &o, &c, &e), 0);
	if (c) {
		T_EQ_INT(c->ops->write(c, "GET / HTTP/1.0\r\n\r\n", 18, &e), 0);
		ssize_t k = c->ops->read(c, line, sizeof line - 1, &e);
		T_CHECK(k > 12);
		if (k > 0) {
			line[k] = 0;
			T_CHECKF(strncmp(line, "HTTP/1.0 200", 12) == 0, "%s", line);
		}
		c->ops->close(c);
	}
	usleep(100000);
	{
		char cmd[512];
		snprintf(cmd, sizeof cmd, "grep -q 'CONNECT localhost:%d auth=ok' '%s'", sport,
		         log);
		T_CHECKF(system(cmd) == 0, "proxy log has the CONNECT");
	}
out:
	stop(px);
	stop(srv);
}

static int setup(void)
{
	char cmd[1400];
	const char *t = getenv("TOP");
	snprintf(top, sizeof top, "%s", t && *t ? t : ".");
	snprintf(dir, sizeof dir, "/tmp/test_tls_net.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof cmd, "bash '%s/tests/tls_mkcerts.sh' '%s' && : > '%s/empty.pem'", top,
	         dir, dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_all(void)
{
	char cmd[256];
	if (system("command -v openssl >/dev/null") != 0) {
		t_skip("no openssl command");
		return;
	}
	if (setup() < 0) {
		T_CHECKF(0, "tests/tls_mkcerts.sh failed (run from the source tree or set TOP)");
		return;
	}
	signal(SIGPIPE, SIG_IGN);
	test_handshakes();
	t_name_ = "test_suite_choice";
	test_suite_choice();
	t_name_ = "test_opts";
	test_opts();
	t_name_ = "test_plain_http";
	test_plain_http();
	t_name_ = "test_rude_servers";
	test_rude_servers();
	t_name_ = "test_connect_tunnel";
	test_connect_tunnel();
	unsetenv("SSL_CERT_FILE");
	tls_trust_reset();
	if (!getenv("T_KEEP")) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
}

T_MAIN(test_all)
