/* test_http_fault.c - the HTTP client against tests/fault_server.py on 127.0.0.1 and ::1:
 * keep-alive, stale connections, resume, retries, redirects, limits, uploads, proxies */
#include "t.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "io.h"
#include "log.h"
#include "net.h"

#define SERVER_WAIT_MS 15000

static pid_t srv_pid = -1;
static int srv_port, srv_port2, srv_v6;
static char portfile[64];

static int server_start(void)
{
	const char *script = getenv("FAULT_SERVER");
	if (!script)
		script = access("tests/fault_server.py", R_OK) == 0
		             ? "tests/fault_server.py"
		             : "../../../tests/fault_server.py";
	snprintf(portfile, sizeof portfile, "/tmp/polycrate-fault-%d.port", (int)getpid());
	unlink(portfile);
	srv_pid = fork();
	if (srv_pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl("/usr/bin/python3", "python3", script, "--ipv6", "--timeout", "300",
		      "--port-file", portfile, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < SERVER_WAIT_MS / 50; i++) {
		FILE *f = fopen(portfile, "r");
		if (f) {
			int n = fscanf(f, "%d %d %d", &srv_port, &srv_port2, &srv_v6);
			fclose(f);
			if (n == 3)
				return 0;
		}
		usleep(50000);
	}
	return -1;
}

static void server_stop(void)
{
	if (srv_pid > 0) {
		kill(srv_pid, SIGTERM);
		waitpid(srv_pid, NULL, 0);
	}
	unlink(portfile);
}

static struct http_client *client(void)
{
	struct http_client *cl = http_client_new();
	struct err e;
	err_init(&e);
	http_client_set_proxy(cl, NULL, NULL, NULL, &e);
	http_client_set_retry(cl, 20, HTTP_MAX_TRIES);
	http_client_set_timeouts(cl, 5000, 10000);
	return cl;
}

/* GET (or method) path on the main listener; body into b (bounded). Returns the status,
 * or the negative error (message in *e). */
static int fetch(struct http_client *cl, const char *method, const char *path,
                 const struct http_headers *hs, struct buf *b, struct err *e)
{
	char url[512];
	struct http_request rq = {0};
	struct http_response rs;
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", srv_port, path);
	rq.method = method;
	rq.url = url;
	rq.headers = hs;
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

/* A number from the server's /_f/stats: key is e.g. "requests" or "GET /_f/data". */
static long stat_of(const char *key)
{
	struct http_client *cl = client();
	struct buf b = {0};
	struct err e;
	char pat[128];
	long v = -1;
	if (fetch(cl, "GET", "/_f/stats", NULL, &b, &e) == 200) {
		snprintf(pat, sizeof pat, "\"%s\": ", key);
		const char *p = strstr(buf_cstr(&b), pat);
		v = p ? atol(p + strlen(pat)) : 0;
	}
	buf_free(&b);
	http_client_free(cl);
	return v;
}

static void reset_stats(void)
{
	struct http_client *cl = client();
	struct buf b = {0};
	struct err e;
	fetch(cl, "GET", "/_f/reset", NULL, &b, &e);
	buf_free(&b);
	http_client_free(cl);
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

static void test_keepalive(void)
{
	struct http_client *cl = client();
	struct buf b = {0};
	struct err e;
	uint64_t nc, nr;
	reset_stats();
	for (int i = 0; i < 5; i++) {
		T_EQ_INT(fetch(cl, "GET", "/_f/data?size=1000", NULL, &b, &e), 200);
		T_CHECK(is_pattern(&b, 1000));
	}
	T_EQ_INT(fetch(cl, "GET", "/_f/data?size=3000&chunked=1&trailer=1", NULL, &b, &e), 200);
	T_CHECK(is_pattern(&b, 3000));
	T_EQ_INT(fetch(cl, "HEAD", "/_f/data?size=77", NULL, &b, &e), 200);
	T_EQ_INT(b.len, 0);
	T_EQ_INT(fetch(cl, "GET", "/_f/data?size=5", NULL, &b, &e), 200);
	http_client_stats(cl, &nc, &nr);
	T_EQ_INT(nr, 8);
	T_EQ_INT(nc, 1);                     /* fewer connections than requests: all on one */
	T_EQ_INT(stat_of("connections"), 2); /* ours, and the reset's */
	T_EQ_INT(stat_of("requests"), 8);
	/* a body closed half-read: a small rest is drained, the connection kept */
	struct http_request rq = {.method = "GET"};
	struct http_response rs;
	char url[128], tmp[10];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/_f/data?size=20000", srv_port);
	rq.url = url;
	err_init(&e);
	T_EQ_INT(http_request(cl, &rq, &rs, &e), 0);
	T_EQ_INT(io_read(rs.body, tmp, sizeof tmp), 10);
	http_response_free(&rs);
	T_EQ_INT(fetch(cl, "GET", "/_f/data?size=5", NULL, &b, &e), 200);
	http_client_stats(cl, &nc, &nr);
	T_EQ_INT(nc, 1);
	/* a connection idle for longer than the client allows is not reused */
	http_client_set_idle(cl, 100);
	usleep(250000);
	T_EQ_INT(fetch(cl, "GET", "/_f/data?size=5", NULL, &b, &e), 200);
	http_client_stats(cl, &nc, &nr);
	T_EQ_INT(nc, 2);
	http_client_set_idle(cl, HTTP_POOL_IDLE_MS);
	/* until-close bodies cannot keep the connection */
	T_EQ_INT(fetch(cl, "GET", "/_f/data?size=70000&close=1", NULL, &b, &e), 200);
	T_CHECK(is_pattern(&b, 70000));
	T_EQ_INT(fetch(cl, "GET", "/_f/data?size=5", NULL, &b, &e), 200);
	http_client_stats(cl, &nc, &nr);
	T_EQ_INT(nc, 3);
	buf_free(&b);
	http_client_free(cl);
}

static void test_stale_connections(void)
{
	struct http_client *cl = client();
	struct buf b = {0};
	struct err e;
	uint64_t nc, nr;
	/* the server closes after answering: the idle connection is seen dead before reuse */
	T_EQ_INT(fetch(cl, "GET", "/_f/close", NULL, &b, &e), 200);
	T_EQ_STR(buf_cstr(&b), "bye");
	usleep(100000);
	T_EQ_INT(fetch(cl, "GET", "/_f/data?size=10", NULL, &b, &e), 200);
	http_client_stats(cl, &nc, &nr);
	T_EQ_INT(nc, 2);
	/* the server drops a reused connection without answering: resent once on a new one,
	 * also for a POST, since nothing of it was processed */
	T_EQ_INT(fetch(cl, "GET", "/_f/dropreused", NULL, &b, &e), 200);
	T_EQ_INT(fetch(cl, "GET", "/_f/dropreused", NULL, &b, &e), 200);
	T_EQ_STR(buf_cstr(&b), "first");
	T_EQ_INT(fetch(cl, "POST", "/_f/dropreused", NULL, &b, &e), 200);
	T_EQ_STR(buf_cstr(&b), "first");
	http_client_stats(cl, &nc, &nr);
	T_EQ_INT(nc, 5);
	buf_free(&b);
	http_client_free(cl);
}

static void test_resume(void)
{
	struct http_client *cl = client();
	struct buf b = {0};
	struct err e;
	reset_stats();
	/* broken after 100000 of 300000 bytes: one continuous stream after a Range request */
	T_EQ_INT(fetch(cl, "GET", "/_f/drop?size=300000&after=100000&id=r1", NULL, &b, &e), 200);
	T_CHECK(is_pattern(&b, 300000));
	T_EQ_INT(e.code, 0); /* the break that was mended leaves no message behind */
	T_EQ_INT(stat_of("GET /_f/drop"), 2);
	/* broken twice, chunked */
	T_EQ_INT(fetch(cl, "GET", "/_f/drop?size=200000&after=50000&times=2&chunked=1&id=r2", NULL,
	               &b, &e),
	         200);
	T_CHECK(is_pattern(&b, 200000));
	/* a server that ignores Range: 200 again, the consumer still sees one stream */
	T_EQ_INT(fetch(cl, "GET", "/_f/drop?size=150000&after=70000&norange=1&id=r3", NULL, &b, &e),
	         200);
	T_CHECK(is_pattern(&b, 150000));
	/* behind a chain of redirects (as blobs behind a CDN) the final hop still resumes */
	T_EQ_INT(fetch(cl, "GET",
	               "/_f/chain?n=8&code=307&to=drop%3Fsize=100000%26after=30000%26id=r7", NULL,
	               &b, &e),
	         200);
	T_CHECK(is_pattern(&b, 100000));
	/* a wrong Content-Range is an error */
	T_EQ_INT(
	    fetch(cl, "GET", "/_f/drop?size=150000&after=70000&badrange=1&id=r4", NULL, &b, &e),
	    ERR_NET);
	T_CHECKF(strstr(e.msg, "resumed at byte 70001") != NULL, "msg: %s", e.msg);
	/* broken every time: gives up after HTTP_MAX_TRIES, naming the cause */
	reset_stats();
	T_EQ_INT(fetch(cl, "GET", "/_f/drop?size=150000&after=1000&times=99&id=r5", NULL, &b, &e),
	         ERR_NET);
	T_CHECKF(strstr(e.msg, "tries") != NULL, "msg: %s", e.msg);
	T_EQ_INT(stat_of("GET /_f/drop"), HTTP_MAX_TRIES);
	/* HTTP_NO_RESUME: the break is the caller's error */
	struct http_request rq = {.method = "GET", .flags = HTTP_NO_RESUME};
	struct http_response rs;
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/_f/drop?size=150000&after=70000&id=r6",
	         srv_port);
	rq.url = url;
	err_init(&e);
	T_EQ_INT(http_request(cl, &rq, &rs, &e), 0);
	buf_reset(&b);
	T_EQ_INT(http_response_slurp(&rs, &b, 1 << 20, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "80000 body bytes missing") != NULL, "msg: %s", e.msg);
	http_response_free(&rs);
	buf_free(&b);
	http_client_free(cl);
}

static void test_retries(void)
{
	struct http_client *cl = client();
	struct buf b = {0};
	struct err e;
	reset_stats();
	/* 503 with Retry-After: 1 is honoured (not the 20 ms backoff) */
	int64_t t0 = log_now_ms();
	T_EQ_INT(fetch(cl, "GET", "/_f/status?code=503&retry_after=1&id=a", NULL, &b, &e), 200);
	int64_t took = log_now_ms() - t0;
	T_CHECKF(took >= 950, "Retry-After: 1 waited %lld ms", (long long)took);
	T_EQ_STR(buf_cstr(&b), "ok");
	/* 429 with an HTTP-date */
	T_EQ_INT(fetch(cl, "GET", "/_f/status?code=429&retry_after=date:1&id=b", NULL, &b, &e),
	         200);
	/* every retryable status, twice each */
	static const int codes[] = {408, 500, 502, 504};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		char p[128];
		snprintf(p, sizeof p, "/_f/status?code=%d&times=2&id=c%zu", codes[i], i);
		T_EQ_INT(fetch(cl, "GET", p, NULL, &b, &e), 200);
	}
	/* still failing after HTTP_MAX_TRIES: the last answer goes to the caller */
	reset_stats();
	T_EQ_INT(fetch(cl, "GET", "/_f/status?code=503&times=99&id=d", NULL, &b, &e), 503);
	T_EQ_INT(stat_of("GET /_f/status"), HTTP_MAX_TRIES);
	/* not retried: a POST, a 501, and HTTP_NO_RETRY */
	reset_stats();
	T_EQ_INT(fetch(cl, "POST", "/_f/status?code=503&times=99&id=e", NULL, &b, &e), 503);
	T_EQ_INT(fetch(cl, "GET", "/_f/status?code=501&times=99&id=f", NULL, &b, &e), 501);
	T_EQ_INT(stat_of("requests"), 2);
	/* a connection closed without an answer: GET tries again, POST does not */
	reset_stats();
	T_EQ_INT(fetch(cl, "GET", "/_f/hangup?times=2&id=h1", NULL, &b, &e), 200);
	T_EQ_STR(buf_cstr(&b), "answered");
	/* (on a fresh client: a pooled connection would get its one stale-connection resend) */
	struct http_client *fresh = client();
	T_EQ_INT(fetch(fresh, "POST", "/_f/hangup?times=1&id=h2", NULL, &b, &e), ERR_NET);
	http_client_free(fresh);
	T_CHECKF(strstr(e.msg, "closed before a response") != NULL, "msg: %s", e.msg);
	T_EQ_INT(stat_of("GET /_f/hangup"), 3);
	T_EQ_INT(stat_of("POST /_f/hangup"), 1);
	/* a connection refused is retried for GET, then reported naming host and port */
	struct http_request rq = {.method = "GET", .url = "http://127.0.0.1:1/x"};
	struct http_response rs;
	err_init(&e);
	t0 = log_now_ms();
	T_EQ_INT(http_request(cl, &rq, &rs, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "127.0.0.1:1") && strstr(e.msg, "refused"), "msg: %s", e.msg);
	/* backoff 20 * (1,2,4,8) ms with jitter in the upper half: at least 150 ms in all */
	T_CHECKF(log_now_ms() - t0 >= 140, "backoff took %lld ms", (long long)(log_now_ms() - t0));
	http_response_free(&rs);
	/* a read timeout */
	http_client_set_timeouts(cl, 2000, 300);
	rq.url = NULL;
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/_f/slow?delay=2", srv_port);
	rq.url = url;
	rq.flags = HTTP_NO_RETRY;
	err_init(&e);
	T_EQ_INT(http_request(cl, &rq, &rs, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "timed out") != NULL, "msg: %s", e.msg);
	http_response_free(&rs);
	/* timeouts are retried like resets (three tries here) */
	reset_stats();
	http_client_set_retry(cl, 10, 3);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/_f/slow?delay=1", srv_port);
	rq.flags = 0;
	err_init(&e);
	T_EQ_INT(http_request(cl, &rq, &rs, &e), ERR_NET);
	T_EQ_INT(stat_of("GET /_f/slow"), 3);
	http_response_free(&rs);
	buf_free(&b);
	http_client_free(cl);
}

static void test_redirects(void)
{
	struct http_client *cl = client();
	struct buf b = {0};
	struct err e;
	struct http_headers hs;
	char p[256];
	T_EQ_INT(fetch(cl, "GET", "/_f/chain?n=10", NULL, &b, &e), 200);
	T_EQ_STR(buf_cstr(&b), "done GET");
	T_EQ_INT(fetch(cl, "GET", "/_f/chain?n=11", NULL, &b, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "more than 10 redirects") != NULL, "msg: %s", e.msg);
	T_EQ_INT(fetch(cl, "GET", "/_f/loop", NULL, &b, &e), ERR_NET);
	/* 303 turns POST into GET; 307 and 308 keep the method */
	T_EQ_INT(fetch(cl, "POST", "/_f/chain?n=1&code=303", NULL, &b, &e), 200);
	T_EQ_STR(buf_cstr(&b), "done GET");
	T_EQ_INT(fetch(cl, "DELETE", "/_f/chain?n=2&code=307", NULL, &b, &e), 200);
	T_EQ_STR(buf_cstr(&b), "done DELETE");
	T_EQ_INT(fetch(cl, "PUT", "/_f/chain?n=1&code=308", NULL, &b, &e), 200);
	T_EQ_STR(buf_cstr(&b), "done PUT");
	/* absolute Location on the same host:port keeps Authorization */
	http_headers_init(&hs);
	http_headers_add(&hs, "Authorization", "Bearer secret-token");
	snprintf(p, sizeof p, "/_f/redirect?to=http://127.0.0.1:%d/_f/authcheck", srv_port);
	T_EQ_INT(fetch(cl, "GET", p, &hs, &b, &e), 200);
	T_EQ_STR(buf_cstr(&b), "auth=Bearer secret-token");
	/* another port is another host: Authorization is not sent there */
	reset_stats();
	T_EQ_INT(fetch(cl, "GET", "/_f/cross", &hs, &b, &e), 200);
	T_EQ_STR(buf_cstr(&b), "auth=none");
	struct buf s = {0};
	T_EQ_INT(fetch(cl, "GET", "/_f/stats", NULL, &s, &e), 200);
	T_CHECKF(strstr(buf_cstr(&s), "\"second_auth\": [\"\"]") != NULL, "stats: %s",
	         buf_cstr(&s));
	/* a 3xx without Location, and HTTP_NO_REDIRECT, go back to the caller */
	T_EQ_INT(fetch(cl, "GET", "/_f/status?code=302&times=1&id=nl", NULL, &b, &e), 302);
	struct http_request rq = {.method = "GET", .flags = HTTP_NO_REDIRECT};
	struct http_response rs;
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/_f/chain?n=1", srv_port);
	rq.url = url;
	err_init(&e);
	T_EQ_INT(http_request(cl, &rq, &rs, &e), 0);
	T_EQ_INT(rs.status, 302);
	T_EQ_STR(http_headers_get(&rs.headers, "Location"), "chain?n=0&code=302");
	http_response_free(&rs);
	/* a bad Location */
	T_EQ_INT(fetch(cl, "GET", "/_f/redirect?to=ftp://x/", NULL, &b, &e), ERR_NET);
	buf_free(&s);
	buf_free(&b);
	http_headers_free(&hs);
	http_client_free(cl);
}

/* "TLS" that is no TLS: lets https:// URLs reach the plain fault server. */
static int fake_tls(void *arg, struct conn *raw, const char *host, int port, struct conn **out,
                    struct err *e)
{
	int *calls = arg;
	(*calls)++;
	*out = raw;
	return 0;
}

static void test_https_downgrade(void)
{
	struct http_client *cl = client();
	struct http_request rq = {.method = "GET"};
	struct http_response rs;
	struct err e;
	char url[256];
	int calls = 0;
	http_client_set_tls(cl, fake_tls, &calls);
	snprintf(url, sizeof url, "https://127.0.0.1:%d/_f/redirect?to=http://127.0.0.1:%d/x",
	         srv_port, srv_port);
	rq.url = url;
	err_init(&e);
	T_EQ_INT(http_request(cl, &rq, &rs, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "refusing redirect from https") != NULL, "msg: %s", e.msg);
	T_EQ_INT(calls, 1);
	http_response_free(&rs);
	/* https -> https is fine */
	snprintf(url, sizeof url, "https://127.0.0.1:%d/_f/redirect?to=/_f/data%%3Fsize=3",
	         srv_port);
	err_init(&e);
	T_EQ_INT(http_request(cl, &rq, &rs, &e), 0);
	T_EQ_INT(rs.status, 200);
	T_EQ_INT(rs.content_length, 3);
	http_response_free(&rs);
	http_client_free(cl);
}

static void test_hostile_heads(void)
{
	struct http_client *cl = client();
	struct buf b = {0};
	struct err e;
	char p[128];
	http_client_set_retry(cl, 1, 1);
	T_EQ_INT(fetch(cl, "GET", "/_f/headers?size=8000", NULL, &b, &e), 200);
	snprintf(p, sizeof p, "/_f/headers?size=%d", HTTP_LINE_MAX + 10);
	T_EQ_INT(fetch(cl, "GET", p, NULL, &b, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "longer than") != NULL, "msg: %s", e.msg);
	T_EQ_INT(fetch(cl, "GET", "/_f/headers?count=150", NULL, &b, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "more than 100") != NULL, "msg: %s", e.msg);
	int64_t t0 = log_now_ms();
	T_EQ_INT(fetch(cl, "GET", "/_f/headers?endless=1", NULL, &b, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "larger than") || strstr(e.msg, "more than"), "msg: %s", e.msg);
	T_CHECK(log_now_ms() - t0 < 5000);
	T_EQ_INT(fetch(cl, "GET", "/_f/garbage", NULL, &b, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "not an HTTP/1.x status line") != NULL, "msg: %s", e.msg);
	char want[64];
	snprintf(want, sizeof want, "127.0.0.1:%d", srv_port);
	T_CHECKF(strstr(e.msg, want) != NULL, "msg names host:port: %s", e.msg);
	buf_free(&b);
	http_client_free(cl);
}

/* A body source made again for every try. */
static struct io_in *open_pattern(void *arg, struct err *e)
{
	const struct buf *src = arg;
	return io_in_mem(src->p, src->len, e);
}

static void test_uploads(void)
{
	struct http_client *cl = client();
	struct buf src = {0}, b = {0};
	struct err e;
	char url[256];
	for (int i = 0; i < 1000000; i++)
		buf_putc(&src, (char)(i % 251));
	static const struct {
		int64_t len; /* -1 chunked */
		const char *query;
		int status;
	} cases[] = {{1000000, "", 201}, {-1, "", 201}, {1000000, "?max=1000", 413}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct http_request rq = {.method = "PUT"};
		struct http_response rs;
		snprintf(url, sizeof url, "http://127.0.0.1:%d/_f/upload%s", srv_port,
		         cases[i].query);
		rq.url = url;
		err_init(&e);
		rq.body = io_in_mem(src.p, src.len, &e);
		rq.body_len = cases[i].len;
		T_EQ_INT(http_request(cl, &rq, &rs, &e), 0);
		T_EQ_INT(rs.status, cases[i].status);
		buf_reset(&b);
		http_response_slurp(&rs, &b, 4096, &e);
		if (cases[i].status == 201)
			T_CHECKF(strstr(buf_cstr(&b), "\"bytes\": 1000000") != NULL, "reply: %s",
			         buf_cstr(&b));
		http_response_free(&rs);
	}
	/* an answer before the body was taken (a 413 to a large upload) reaches the caller */
	static const char *const early[] = {"/_f/early?code=413", "/_f/early?code=401&close=1"};
	static const int early_status[] = {413, 401};
	for (size_t i = 0; i < 2; i++) {
		struct http_request rq = {.method = "PUT"};
		struct http_response rs;
		snprintf(url, sizeof url, "http://127.0.0.1:%d%s", srv_port, early[i]);
		rq.url = url;
		err_init(&e);
		rq.body = io_in_mem(src.p, src.len, &e);
		rq.body_len = (int64_t)src.len;
		int rc = http_request(cl, &rq, &rs, &e);
		T_CHECKF(rc == 0, "%s: %s", early[i], e.msg);
		if (rc == 0)
			T_EQ_INT(rs.status, early_status[i]);
		http_response_free(&rs);
	}
	/* a retried PUT sends its body again from body_open */
	reset_stats();
	struct http_request rq = {.method = "PUT", .body_open = open_pattern, .body_arg = &src};
	struct http_response rs;
	rq.body_len = (int64_t)src.len;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/_f/status?code=503&times=2&id=up", srv_port);
	rq.url = url;
	err_init(&e);
	T_EQ_INT(http_request(cl, &rq, &rs, &e), 0);
	T_EQ_INT(rs.status, 200);
	http_response_free(&rs);
	T_EQ_INT(stat_of("PUT /_f/status"), 3);
	/* a body shorter than declared is the caller's error */
	struct http_request rq2 = {.method = "PUT"};
	snprintf(url, sizeof url, "http://127.0.0.1:%d/_f/upload", srv_port);
	rq2.url = url;
	err_init(&e);
	rq2.body = io_in_mem("abc", 3, &e);
	rq2.body_len = 10;
	T_EQ_INT(http_request(cl, &rq2, &rs, &e), ERR_FAIL);
	T_CHECKF(strstr(e.msg, "ended after 3 of 10") != NULL, "msg: %s", e.msg);
	http_response_free(&rs);
	buf_free(&src);
	buf_free(&b);
	http_client_free(cl);
}

static void test_ipv6(void)
{
	struct http_client *cl = client();
	struct http_request rq = {.method = "GET"};
	struct http_response rs;
	struct buf b = {0};
	struct err e;
	char url[128];
	if (!srv_v6) {
		t_skip("no IPv6 loopback");
		http_client_free(cl);
		return;
	}
	snprintf(url, sizeof url, "http://[::1]:%d/_f/echo", srv_port);
	rq.url = url;
	err_init(&e);
	T_EQ_INT(http_request(cl, &rq, &rs, &e), 0);
	T_EQ_INT(http_response_slurp(&rs, &b, 4096, &e), 0);
	char want[64];
	snprintf(want, sizeof want, "Host: [::1]:%d\r\n", srv_port);
	T_CHECKF(strstr(buf_cstr(&b), want) != NULL, "echo: %s", buf_cstr(&b));
	http_response_free(&rs);
	buf_free(&b);
	http_client_free(cl);
}

static void test_proxy(void)
{
	struct http_client *cl = client();
	struct http_request rq = {.method = "GET"};
	struct http_response rs;
	struct buf b = {0};
	struct err e;
	char px[64];
	/* the fault server as proxy: the request line carries the absolute URL; no DNS lookup
	 * of the target happens since only the proxy is connected to */
	snprintf(px, sizeof px, "http://user:p%%77@127.0.0.1:%d", srv_port); /* %77 is 'w' */
	err_init(&e);
	T_EQ_INT(http_client_set_proxy(cl, px, NULL, "other.invalid", &e), 0);
	rq.url = "http://registry.invalid:5000/_f/echo";
	err_init(&e);
	T_EQ_INT(http_request(cl, &rq, &rs, &e), 0);
	T_EQ_INT(http_response_slurp(&rs, &b, 4096, &e), 0);
	T_CHECKF(strncmp(buf_cstr(&b),
	                 "GET http://registry.invalid:5000/_f/echo HTTP/1.1\r\n"
	                 "Host: registry.invalid:5000\r\n",
	                 80) == 0,
	         "echo: %s", buf_cstr(&b));
	T_CHECKF(strstr(buf_cstr(&b), "Proxy-Authorization: Basic dXNlcjpwdw==\r\n") != NULL,
	         "echo: %s", buf_cstr(&b));
	http_response_free(&rs);
	/* loopback is never proxied: this one goes straight to the server */
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/_f/echo", srv_port);
	rq.url = url;
	buf_reset(&b);
	err_init(&e);
	T_EQ_INT(http_request(cl, &rq, &rs, &e), 0);
	T_EQ_INT(http_response_slurp(&rs, &b, 4096, &e), 0);
	T_CHECKF(strncmp(buf_cstr(&b), "GET /_f/echo HTTP/1.1\r\n", 23) == 0, "echo: %s",
	         buf_cstr(&b));
	http_response_free(&rs);
	/* from the environment: lowercase wins over uppercase */
	char bad[64];
	snprintf(bad, sizeof bad, "127.0.0.1:1");
	const struct {
		const char *lower, *upper;
	} envs[] = {{NULL, px}, {px, bad}};
	for (size_t i = 0; i < 2; i++) {
		unsetenv("http_proxy");
		unsetenv("HTTP_PROXY");
		if (envs[i].lower)
			setenv("http_proxy", envs[i].lower, 1);
		setenv("HTTP_PROXY", envs[i].upper, 1);
		struct http_client *ec = http_client_new();
		struct http_request er = {.method = "GET",
		                          .url = "http://registry.invalid/_f/echo"};
		http_client_set_retry(ec, 1, 1);
		buf_reset(&b);
		err_init(&e);
		T_CHECKF(http_request(ec, &er, &rs, &e) == 0, "env case %zu: %s", i, e.msg);
		http_response_slurp(&rs, &b, 4096, &e);
		T_CHECKF(strncmp(buf_cstr(&b), "GET http://registry.invalid/_f/echo HTTP/1.1\r\n",
		                 46) == 0,
		         "echo: %s", buf_cstr(&b));
		http_response_free(&rs);
		http_client_free(ec);
	}
	/* a bad value fails the requests that would use it (loopback ones still work) */
	setenv("http_proxy", "socks5://127.0.0.1:1080", 1);
	struct http_client *bc = http_client_new();
	struct http_request br = {.method = "GET", .url = "http://registry.invalid/x"};
	err_init(&e);
	T_EQ_INT(http_request(bc, &br, &rs, &e), ERR_USAGE);
	T_CHECKF(strstr(e.msg, "http_proxy") && strstr(e.msg, "only http://"), "msg: %s", e.msg);
	http_response_free(&rs);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/_f/data?size=1", srv_port);
	br.url = url;
	err_init(&e);
	T_EQ_INT(http_request(bc, &br, &rs, &e), 0);
	http_response_free(&rs);
	http_client_free(bc);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	/* https through HTTPS_PROXY: a CONNECT tunnel, then the TLS hook, then the request */
	int calls = 0;
	http_client_set_tls(cl, fake_tls, &calls);
	err_init(&e);
	T_EQ_INT(http_client_set_proxy(cl, NULL, px, NULL, &e), 0);
	snprintf(url, sizeof url, "https://registry.invalid:%d/_f/echo", srv_port);
	rq.url = url;
	buf_reset(&b);
	err_init(&e);
	T_EQ_INT(http_request(cl, &rq, &rs, &e), 0);
	T_EQ_INT(http_response_slurp(&rs, &b, 4096, &e), 0);
	char want2[128];
	snprintf(want2, sizeof want2, "GET /_f/echo HTTP/1.1\r\nHost: registry.invalid:%d\r\n",
	         srv_port);
	T_CHECKF(strncmp(buf_cstr(&b), want2, strlen(want2)) == 0, "echo: %s", buf_cstr(&b));
	T_CHECKF(strstr(buf_cstr(&b), "Proxy-Authorization") == NULL, "echo: %s", buf_cstr(&b));
	T_EQ_INT(calls, 1);
	http_response_free(&rs);
	char key[64];
	snprintf(key, sizeof key, "CONNECT registry.invalid:%d", srv_port);
	T_EQ_INT(stat_of(key), 1);
	buf_free(&b);
	http_client_free(cl);
}

struct worker {
	struct http_client *cl;
	int ok;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct buf b = {0};
	struct err e;
	for (int i = 0; i < 20; i++)
		if (fetch(w->cl, "GET", "/_f/data?size=50000", NULL, &b, &e) == 200 &&
		    is_pattern(&b, 50000))
			w->ok++;
	buf_free(&b);
	return NULL;
}

static void test_threads(void)
{
	struct http_client *cl = client();
	struct worker w[4];
	pthread_t th[4];
	uint64_t nc, nr;
	for (int i = 0; i < 4; i++) {
		w[i].cl = cl;
		w[i].ok = 0;
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		T_EQ_INT(w[i].ok, 20);
	}
	http_client_stats(cl, &nc, &nr);
	T_EQ_INT(nr, 80);
	T_CHECKF(nc <= 8, "%llu connections for 80 requests", (unsigned long long)nc);
	http_client_free(cl);
}

/* Python's http.server (HTTP/1.0, bodies until close) on addr; its PID, or -1. */
static pid_t static_server(const char *addr, const char *dir, int *port)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl = sizeof ss;
	int v6 = strchr(addr, ':') != NULL;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	char ps[16];
	if (v6) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr);
	} else {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr);
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss,
	                   v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                 : ((struct sockaddr_in *)&ss)->sin_port);
	close(fd);
	snprintf(ps, sizeof ps, "%d", *port);
	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1);
		dup2(nul, 2);
		execl("/usr/bin/python3", "python3", "-m", "http.server", ps, "--bind", addr,
		      "--directory", dir, (char *)NULL);
		_exit(127);
	}
	/* wait until it accepts (bounded) */
	for (int i = 0; i < 200; i++) {
		struct conn *c = NULL;
		struct err e;
		err_init(&e);
		if (net_connect(addr, *port, 500, 500, &c, &e) == 0) {
			conn_close(c);
			return pid;
		}
		usleep(50000);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return -1;
}

static void test_static_server(void)
{
	static const char *const addrs[] = {"127.0.0.1", "::1"};
	char dir[] = "/tmp/polycrate-static-XXXXXX", file[128];
	struct buf src = {0};
	T_CHECK(mkdtemp(dir) != NULL);
	snprintf(file, sizeof file, "%s/blob", dir);
	for (int i = 0; i < 300000; i++)
		buf_putc(&src, (char)(i % 251));
	FILE *f = fopen(file, "wb");
	T_CHECK(f && fwrite(src.p, 1, src.len, f) == src.len);
	if (f)
		fclose(f);
	for (size_t i = 0; i < 2; i++) {
		int port;
		pid_t pid = static_server(addrs[i], dir, &port);
		if (pid < 0) {
			t_skip(i ? "no IPv6 loopback for http.server"
			         : "http.server did not start");
			continue;
		}
		struct http_client *cl = client();
		struct http_request rq = {.method = "GET"};
		struct http_response rs;
		struct buf b = {0};
		struct err e;
		char url[128];
		snprintf(url, sizeof url, i ? "http://[%s]:%d/blob" : "http://%s:%d/blob", addrs[i],
		         port);
		rq.url = url;
		err_init(&e);
		T_CHECKF(http_request(cl, &rq, &rs, &e) == 0, "%s: %s", url, e.msg);
		T_EQ_INT(rs.status, 200);
		T_EQ_INT(rs.content_length, 300000);
		T_EQ_INT(http_response_slurp(&rs, &b, 1 << 20, &e), 0);
		T_CHECK(is_pattern(&b, 300000));
		http_response_free(&rs);
		snprintf(url, sizeof url, i ? "http://[%s]:%d/missing" : "http://%s:%d/missing",
		         addrs[i], port);
		err_init(&e);
		T_EQ_INT(http_request(cl, &rq, &rs, &e), 0);
		T_EQ_INT(rs.status, 404);
		http_response_free(&rs);
		buf_free(&b);
		http_client_free(cl);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	unlink(file);
	rmdir(dir);
	buf_free(&src);
}

static void test_setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	T_CHECK(server_start() == 0);
}

static void test_teardown(void)
{
	server_stop();
	T_CHECK(1);
}

T_MAIN(test_setup, test_keepalive, test_stale_connections, test_resume, test_retries,
       test_redirects, test_https_downgrade, test_hostile_heads, test_uploads, test_ipv6,
       test_proxy, test_threads, test_static_server, test_teardown)
