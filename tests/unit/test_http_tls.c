/* test_http_tls.c - the HTTP client over tls.c's BearSSL conns against the fault server in
 * TLS mode: keep-alive, resume and stale connections through TLS, names and IP SANs */
#include "t.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "io.h"
#include "net.h"
#include "tls.h"

#define SERVER_WAIT_MS 15000

static pid_t srv_pid = -1;
static int srv_port, srv_v6;
static char dir[] = "/tmp/polycrate-httptls-XXXXXX";
static char ca[128];

/* A CA and a server certificate for localhost and 127.0.0.1 (as tests/lib.sh t_mkca). */
static int make_certs(void)
{
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
	         "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt "
	         "-days 30 -subj '/CN=polycrate test CA' -addext "
	         "'basicConstraints=critical,CA:TRUE' -addext "
	         "'keyUsage=critical,keyCertSign,cRLSign' >/dev/null 2>&1 && "
	         "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
	         "-subj '/CN=localhost' >/dev/null 2>&1 && "
	         "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n"
	         "extendedKeyUsage=serverAuth\\n' >ext.cnf && "
	         "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
	         "-out server.crt -days 30 -extfile ext.cnf >/dev/null 2>&1",
	         dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int server_start(void)
{
	char pf[192], crt[160], key[160];
	const char *script = getenv("FAULT_SERVER");
	if (!script)
		script = "tests/fault_server.py";
	snprintf(pf, sizeof pf, "%s/port", dir);
	snprintf(crt, sizeof crt, "%s/server.crt", dir);
	snprintf(key, sizeof key, "%s/server.key", dir);
	srv_pid = fork();
	if (srv_pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl("/usr/bin/python3", "python3", script, "--timeout", "300", "--ipv6",
		      "--port-file", pf, "--tls-cert", crt, "--tls-key", key, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < SERVER_WAIT_MS / 50; i++) {
		FILE *f = fopen(pf, "r");
		if (f) {
			int second, n = fscanf(f, "%d %d %d", &srv_port, &second, &srv_v6);
			fclose(f);
			if (n == 3)
				return 0;
		}
		usleep(50000);
	}
	return -1;
}

/* tls.c's hook with the test CA, counting handshakes. */
static int counting_hook(void *arg, struct conn *raw, const char *host, int port, struct conn **out,
                         struct err *e)
{
	struct tls_opts o = {.ca_file = ca, .no_certs_d = 1};
	int *calls = arg;
	(*calls)++;
	return tls_hook(&o, raw, host, port, out, e);
}

static int calls;

static struct http_client *client(void)
{
	struct http_client *cl = http_client_new();
	struct err e;
	err_init(&e);
	http_client_set_proxy(cl, NULL, NULL, NULL, &e);
	http_client_set_retry(cl, 20, HTTP_MAX_TRIES);
	http_client_set_tls(cl, counting_hook, &calls);
	return cl;
}

static int fetch(struct http_client *cl, const char *host, const char *path, struct buf *b,
                 struct err *e)
{
	char url[512];
	struct http_request rq = {.method = "GET"};
	struct http_response rs;
	snprintf(url, sizeof url, "https://%s:%d%s", host, srv_port, path);
	rq.url = url;
	err_init(e);
	buf_reset(b);
	int rc = http_request(cl, &rq, &rs, e);
	if (rc == 0) {
		rc = http_response_slurp(&rs, b, 64 << 20, e);
		if (rc == 0)
			rc = rs.status;
	}
	http_response_free(&rs);
	return rc;
}

static int is_pattern(const struct buf *b, size_t n)
{
	if (b->len != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)b->p[i] != i % 251)
			return 0;
	return 1;
}

static int ready;

static void test_setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	T_CHECK(mkdtemp(dir) != NULL);
	snprintf(ca, sizeof ca, "%s/ca.crt", dir);
	if (make_certs() < 0) {
		t_skip("openssl could not make test certificates");
		return;
	}
	T_CHECK(server_start() == 0);
	ready = 1;
}

static void test_keepalive_tls(void)
{
	struct http_client *cl;
	struct buf b = {0};
	struct err e;
	uint64_t nc, nr;
	if (!ready)
		return;
	cl = client();
	calls = 0;
	for (int i = 0; i < 4; i++) {
		T_CHECKF(fetch(cl, "localhost", "/_f/data?size=100000", &b, &e) == 200, "%s",
		         e.msg);
		T_CHECK(is_pattern(&b, 100000));
	}
	T_EQ_INT(fetch(cl, "localhost", "/_f/data?size=9000&chunked=1", &b, &e), 200);
	T_CHECK(is_pattern(&b, 9000));
	http_client_stats(cl, &nc, &nr);
	T_EQ_INT(nc, 1);
	T_EQ_INT(nr, 5);
	T_EQ_INT(calls, 1); /* one handshake for five requests */
	/* the server closes between requests: the dead TLS connection is not reused */
	T_EQ_INT(fetch(cl, "localhost", "/_f/close", &b, &e), 200);
	usleep(100000);
	T_EQ_INT(fetch(cl, "localhost", "/_f/data?size=10", &b, &e), 200);
	T_EQ_INT(calls, 2);
	/* an IP literal, checked against the IP SAN */
	T_CHECKF(fetch(cl, "127.0.0.1", "/_f/data?size=10", &b, &e) == 200, "%s", e.msg);
	buf_free(&b);
	http_client_free(cl);
}

static void test_resume_tls(void)
{
	struct http_client *cl;
	struct buf b = {0};
	struct err e;
	if (!ready)
		return;
	cl = client();
	T_EQ_INT(fetch(cl, "localhost", "/_f/drop?size=400000&after=150000&id=t1", &b, &e), 200);
	T_CHECK(is_pattern(&b, 400000));
	T_EQ_INT(fetch(cl, "localhost", "/_f/drop?size=200000&after=30000&chunked=1&id=t2", &b, &e),
	         200);
	T_CHECK(is_pattern(&b, 200000));
	T_EQ_INT(fetch(cl, "localhost", "/_f/status?code=503&times=2&id=t3", &b, &e), 200);
	buf_free(&b);
	http_client_free(cl);
}

static void test_refusals_tls(void)
{
	struct http_client *cl;
	struct buf b = {0};
	struct err e;
	char p[256];
	if (!ready)
		return;
	cl = client();
	/* https -> http is refused */
	snprintf(p, sizeof p, "/_f/redirect?to=http://localhost:%d/x", srv_port);
	T_EQ_INT(fetch(cl, "localhost", p, &b, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "refusing redirect") != NULL, "msg: %s", e.msg);
	/* an address the certificate does not hold: a TLS error */
	http_client_set_retry(cl, 1, 1);
	if (srv_v6) {
		T_EQ_INT(fetch(cl, "[::1]", "/_f/data?size=1", &b, &e), ERR_NET);
		T_CHECKF(!strstr(e.msg, "refused"), "a TLS error, not a connect error: %s", e.msg);
	} else {
		t_skip("no IPv6 loopback");
	}
	buf_free(&b);
	http_client_free(cl);
}

static void test_teardown(void)
{
	char cmd[256];
	if (srv_pid > 0) {
		kill(srv_pid, SIGTERM);
		waitpid(srv_pid, NULL, 0);
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	T_CHECK(system(cmd) == 0);
}

T_MAIN(test_setup, test_keepalive_tls, test_resume_tls, test_refusals_tls, test_teardown)
