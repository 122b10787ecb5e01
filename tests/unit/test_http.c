/* test_http.c - HTTP without a server: URLs, header lists, the response parser, exact
 * request bytes, Retry-After and NO_PROXY rules */
#include "t.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "http.h"
#include "io.h"
#include "log.h"
#include "net.h"

#ifndef POLYCRATE_VERSION
#define POLYCRATE_VERSION "dev"
#endif

/* A conn that reads from memory, at most step bytes per read (to split lines and chunks). */
struct memconn {
	struct conn c;
	const char *p;
	size_t n, pos, step;
};

static ssize_t mem_read(struct conn *c, void *p, size_t n, struct err *e)
{
	struct memconn *m = (struct memconn *)c;
	size_t k = m->n - m->pos;
	if (k > n)
		k = n;
	if (m->step && k > m->step)
		k = m->step;
	memcpy(p, m->p + m->pos, k);
	m->pos += k;
	return (ssize_t)k;
}

static int mem_write(struct conn *c, const void *p, size_t n, struct err *e)
{
	return 0;
}

static void mem_close(struct conn *c)
{
}

static const struct conn_ops mem_ops = {mem_read, mem_write, mem_close};

static void test_url_parse(void)
{
	static const struct {
		const char *in;
		int rc;
		const char *scheme, *userinfo, *host;
		int port;
		const char *path;
	} cases[] = {
	    {"http://example.com", 0, "http", "", "example.com", 80, "/"},
	    {"https://Example.COM/v2/", 0, "https", "", "example.com", 443, "/v2/"},
	    {"http://u:p@h:5000/a?b=c", 0, "http", "u:p", "h", 5000, "/a?b=c"},
	    {"http://[::1]:8080/x", 0, "http", "", "::1", 8080, "/x"},
	    {"https://[fe80::1]/", 0, "https", "", "fe80::1", 443, "/"},
	    {"http://h?q=1", 0, "http", "", "h", 80, "/?q=1"},
	    {"HTTP://h:1/", 0, "http", "", "h", 1, "/"},
	    {"ftp://h/", ERR_USAGE, 0, 0, 0, 0, 0},
	    {"h:80/x", ERR_USAGE, 0, 0, 0, 0, 0},
	    {"http:///x", ERR_USAGE, 0, 0, 0, 0, 0},
	    {"http://h:0/", ERR_USAGE, 0, 0, 0, 0, 0},
	    {"http://h:65536/", ERR_USAGE, 0, 0, 0, 0, 0},
	    {"http://h:8a/", ERR_USAGE, 0, 0, 0, 0, 0},
	    {"http://h:/", ERR_USAGE, 0, 0, 0, 0, 0},
	    {"http://[::1/", ERR_USAGE, 0, 0, 0, 0, 0},
	    {"http://[::1]x/", ERR_USAGE, 0, 0, 0, 0, 0},
	    {"http://[zz]/", ERR_USAGE, 0, 0, 0, 0, 0},
	    {"http://h/a b", ERR_USAGE, 0, 0, 0, 0, 0},
	    {"http://h/a\r\nX: y", ERR_USAGE, 0, 0, 0, 0, 0},
	    {"http://h/#frag", ERR_USAGE, 0, 0, 0, 0, 0},
	    {"http://ho$t/", ERR_USAGE, 0, 0, 0, 0, 0},
	    {"http://h\xc3\xa9/", ERR_USAGE, 0, 0, 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct http_url u;
		struct err e;
		err_init(&e);
		int rc = http_url_parse(cases[i].in, &u, &e);
		T_CHECKF(rc == cases[i].rc, "parse '%s': %d (%s)", cases[i].in, rc, e.msg);
		if (rc || cases[i].rc)
			continue;
		T_EQ_STR(u.scheme, cases[i].scheme);
		T_EQ_STR(u.userinfo, cases[i].userinfo);
		T_EQ_STR(u.host, cases[i].host);
		T_EQ_INT(u.port, cases[i].port);
		T_EQ_STR(u.path, cases[i].path);
	}
	/* the message never shows a password */
	struct http_url u;
	struct err e;
	err_init(&e);
	T_EQ_INT(http_url_parse("http://user:hunter2@h:99999/", &u, &e), ERR_USAGE);
	T_CHECKF(!strstr(e.msg, "hunter2") && strstr(e.msg, "bad port"), "msg: %s", e.msg);
	/* a long query in a bad URL: the redacted message is cut, not looped over */
	static char q[2000];
	strcpy(q, "http://h:99999/?");
	for (size_t i = strlen(q); i + 5 < sizeof q; i += 4)
		memcpy(q + i, "a=1&", 4);
	err_init(&e);
	T_EQ_INT(http_url_parse(q, &u, &e), ERR_USAGE);
	/* too long */
	static char lng[HTTP_URL_MAX + 10];
	memcpy(lng, "http://h/", 9);
	memset(lng + 9, 'a', sizeof lng - 10);
	err_init(&e);
	T_EQ_INT(http_url_parse(lng, &u, &e), ERR_USAGE);
}

static void test_url_resolve(void)
{
	static const struct {
		const char *base, *ref, *want;
	} cases[] = {
	    {"http://h:5000/v2/a/b", "/v2/c", "http://h:5000/v2/c"},
	    {"http://h:5000/v2/a/b", "c?x=1", "http://h:5000/v2/a/c?x=1"},
	    {"http://h/v2/a/b?q", "?r", "http://h/v2/a/b?r"},
	    {"https://h/x", "//cdn.example/blob", "https://cdn.example/blob"},
	    {"https://h/x", "https://s3.example:9000/b?X-Amz-Signature=1",
	     "https://s3.example:9000/b?X-Amz-Signature=1"},
	    {"http://[::1]:81/a", "/b", "http://[::1]:81/b"},
	    {"http://h/a", "/b#frag", "http://h/b"},
	    {"http://h:80/a", "http://H:80/", "http://h/"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct http_url b, o;
		struct err e;
		char out[512];
		err_init(&e);
		T_EQ_INT(http_url_parse(cases[i].base, &b, &e), 0);
		int rc = http_url_resolve(&b, cases[i].ref, &o, &e);
		T_CHECKF(rc == 0, "resolve %s: %s", cases[i].ref, e.msg);
		http_url_format(&o, out, sizeof out);
		T_EQ_STR(out, cases[i].want);
	}
	struct http_url b, o;
	struct err e;
	err_init(&e);
	http_url_parse("http://h/", &b, &e);
	T_EQ_INT(http_url_resolve(&b, "", &o, &e), ERR_NET);
	err_init(&e);
	T_EQ_INT(http_url_resolve(&b, "ftp://x/", &o, &e), ERR_NET);
	err_init(&e);
	T_EQ_INT(http_url_resolve(&b, "javascript:alert(1)", &o, &e), ERR_NET);
	err_init(&e);
	T_EQ_INT(http_url_resolve(&b, "/a b", &o, &e), ERR_NET);
}

static void test_headers(void)
{
	struct http_headers h;
	char name[32];
	http_headers_init(&h);
	T_EQ_INT(http_headers_add(&h, "Content-Type", "  text/plain \t"), 0);
	T_EQ_STR(http_headers_get(&h, "content-type"), "text/plain");
	T_CHECK(http_headers_get(&h, "Content-Length") == NULL);
	T_EQ_INT(http_headers_add(&h, "Bad Name", "x"), ERR_FAIL);
	T_EQ_INT(http_headers_add(&h, "", "x"), ERR_FAIL);
	T_EQ_INT(http_headers_add(&h, "X-Inject", "a\r\nEvil: 1"), ERR_FAIL);
	T_EQ_INT(http_headers_add(&h, "X-Inject", "a\nb"), ERR_FAIL);
	for (int i = 1; i < HTTP_HEADERS_MAX; i++) {
		snprintf(name, sizeof name, "X-%d", i);
		if (http_headers_add(&h, name, "v") < 0)
			break;
	}
	T_EQ_INT(h.n, HTTP_HEADERS_MAX);
	T_EQ_INT(http_headers_add(&h, "One-More", "v"), ERR_FAIL);
	http_headers_free(&h);
	T_EQ_INT(h.n, 0);
	/* byte limit */
	static char big[HTTP_HEADER_BYTES];
	memset(big, 'v', sizeof big - 1);
	T_EQ_INT(http_headers_add(&h, "X", big), ERR_FAIL);
	big[HTTP_HEADER_BYTES / 2] = 0;
	T_EQ_INT(http_headers_add(&h, "X", big), 0);
	T_EQ_INT(http_headers_add(&h, "Y", big), ERR_FAIL);
	http_headers_free(&h);
}

/* Parses in (split into reads of step bytes) and reads the body: returns the head's rc, and
 * the body's rc in *brc with the body in out. */
static int parse(const char *in, size_t n, size_t step, int head, struct http_response *rs,
                 struct buf *out, int *brc, struct err *e)
{
	static struct memconn m;
	m.c.ops = &mem_ops;
	m.c.fd = -1;
	m.p = in;
	m.n = n;
	m.pos = 0;
	m.step = step;
	buf_init(out, 1 << 22);
	*brc = 0;
	int rc = http_response_read(&m.c, head, rs, e);
	if (rc < 0)
		return rc;
	*brc = http_response_slurp(rs, out, 1 << 22, e);
	return 0;
}

static void test_response_parse(void)
{
	static const struct {
		const char *in;
		int head, rc, brc, status;
		const char *body;
		long long clen;
		const char *err;
	} cases[] = {
	    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, 0, 0, 200, "hello", 5, NULL},
	    {"HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", 0, 0, 0, 200, "hi", 2, NULL},
	    {"HTTP/1.0 200 OK\r\n\r\nuntil close", 0, 0, 0, 200, "until close", -1, NULL},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n "
	     "world\r\n0\r\nX-Trailer: t\r\n\r\n",
	     0, 0, 0, 200, "hello world", -1, NULL},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", 0,
	     0, 0, 200, "0123456789", -1, NULL},
	    {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 0, 0,
	     0, 201, "", 0, NULL},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 1, 0, 0, 200, "", 100, NULL},
	    {"HTTP/1.1 204 No Content\r\n\r\n", 0, 0, 0, 204, "", -1, NULL},
	    {"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", 0, 0, 0, 304, "", -1, NULL},
	    {"HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", 0, 0, 0, 404, "", 0, NULL},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 0, 0, 0, 200,
	     "hello", 5, NULL},
	    /* hostile or broken */
	    {"", 0, ERR_NET, 0, 0, 0, 0, "closed before a response"},
	    {"SSH-2.0-OpenSSH\r\n\r\n", 0, ERR_NET, 0, 0, 0, 0, "not an HTTP/1.x"},
	    {"HTTP/2 200\r\n\r\n", 0, ERR_NET, 0, 0, 0, 0, "not an HTTP/1.x"},
	    {"HTTP/1.1 20 OK\r\n\r\n", 0, ERR_NET, 0, 0, 0, 0, "not an HTTP/1.x"},
	    {"HTTP/1.1 099 OK\r\n\r\n", 0, ERR_NET, 0, 0, 0, 0, "not an HTTP/1.x"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 0, ERR_NET,
	     0, 0, 0, 0, "conflicting"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, ERR_NET, 0, 0, 0, 0,
	     "bad Content-Length"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0, ERR_NET, 0, 0,
	     0, 0, "bad Content-Length"},
	    {"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n", 0, ERR_NET, 0, 0, 0, 0, "folded"},
	    {"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", 0, ERR_NET, 0, 0, 0, 0, "bad header line"},
	    {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", 0, ERR_NET, 0, 0, 0, 0, "bad header"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, ERR_NET, 0, 0, 0, 0,
	     "unsupported Transfer-Encoding"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 0, ERR_NET, 0, 0, 0, 0,
	     "unsupported Transfer-Encoding"},
	    {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 0, 0, ERR_NET, 200, 0, 10,
	     "5 body bytes missing"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", 0, 0, ERR_NET, 200, 0,
	     -1, "inside a chunk"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, 0, ERR_NET, 200, 0,
	     -1, "bad chunk size"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 0, 0, ERR_NET, 200, 0, -1,
	     "bad chunk size"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", 0, 0,
	     ERR_NET, 200, 0, -1, "chunk size too large"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY0\r\n\r\n", 0, 0,
	     ERR_NET, 200, 0, -1, "not followed by CRLF"},
	    {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n", 0, 0, ERR_NET,
	     200, 0, -1, "closed"},
	    {"HTTP/1.1 101 Switching\r\n\r\n", 0, ERR_NET, 0, 0, 0, 0, "unexpected status"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (size_t step = 0; step < 3; step++) {
			struct http_response rs;
			struct buf out;
			struct err e;
			int brc;
			err_init(&e);
			int rc = parse(cases[i].in, strlen(cases[i].in),
			               step == 0   ? 0
			               : step == 1 ? 1
			                           : 7,
			               cases[i].head, &rs, &out, &brc, &e);
			T_CHECKF(rc == cases[i].rc, "case %zu head rc %d (%s)", i, rc, e.msg);
			if (rc == 0) {
				T_CHECKF(brc == cases[i].brc, "case %zu body rc %d (%s)", i, brc,
				         e.msg);
				T_EQ_INT(rs.status, cases[i].status);
				T_EQ_INT(rs.content_length, cases[i].clen);
				if (cases[i].body && brc == 0)
					T_EQ_STR(buf_cstr(&out), cases[i].body);
			}
			if (cases[i].err)
				T_CHECKF(strstr(e.msg, cases[i].err) != NULL,
				         "case %zu: '%s' lacks '%s'", i, e.msg, cases[i].err);
			http_response_free(&rs);
			buf_free(&out);
		}
	}
}

static void test_response_limits(void)
{
	struct buf in, out;
	struct http_response rs;
	struct err e;
	int brc;
	/* one line over HTTP_LINE_MAX */
	buf_init(&in, 0);
	buf_puts(&in, "HTTP/1.1 200 OK\r\nX-Long: ");
	for (int i = 0; i < HTTP_LINE_MAX; i++)
		buf_putc(&in, 'a');
	buf_puts(&in, "\r\n\r\n");
	err_init(&e);
	T_EQ_INT(parse(in.p, in.len, 0, 0, &rs, &out, &brc, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "longer than") != NULL, "msg: %s", e.msg);
	buf_free(&out);
	/* too many header lines */
	buf_reset(&in);
	buf_puts(&in, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i <= HTTP_HEADERS_MAX; i++)
		buf_printf(&in, "X-%d: v\r\n", i);
	buf_puts(&in, "\r\n");
	err_init(&e);
	T_EQ_INT(parse(in.p, in.len, 0, 0, &rs, &out, &brc, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "more than") != NULL, "msg: %s", e.msg);
	buf_free(&out);
	/* many lines below the count limit that add up past the byte limit */
	buf_reset(&in);
	buf_puts(&in, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i < 20; i++) {
		buf_printf(&in, "X-%d: ", i);
		for (int k = 0; k < 4000; k++)
			buf_putc(&in, 'b');
		buf_puts(&in, "\r\n");
	}
	buf_puts(&in, "\r\n");
	err_init(&e);
	T_EQ_INT(parse(in.p, in.len, 0, 0, &rs, &out, &brc, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "headers larger than") != NULL, "msg: %s", e.msg);
	buf_free(&out);
	/* trailers are bounded as well */
	buf_reset(&in);
	buf_puts(&in, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n");
	for (int i = 0; i < 10; i++) {
		buf_puts(&in, "T: ");
		for (int k = 0; k < 4000; k++)
			buf_putc(&in, 't');
		buf_puts(&in, "\r\n");
	}
	buf_puts(&in, "\r\n");
	err_init(&e);
	T_EQ_INT(parse(in.p, in.len, 0, 0, &rs, &out, &brc, &e), 0);
	T_EQ_INT(brc, ERR_NET);
	T_CHECKF(strstr(e.msg, "larger than") != NULL, "msg: %s", e.msg);
	http_response_free(&rs);
	buf_free(&out);
	/* a NUL byte in the head */
	static const char nul[] = "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n";
	err_init(&e);
	T_EQ_INT(parse(nul, sizeof nul - 1, 0, 0, &rs, &out, &brc, &e), ERR_NET);
	buf_free(&out);
	buf_free(&in);
}

/* A one-shot server on 127.0.0.1: records the request bytes (head + declared body) and
 * answers with a canned response. */
struct capture {
	int lfd, port;
	char req[8192];
	size_t len;
	const char *answer;
};

static void *capture_main(void *arg)
{
	struct capture *c = arg;
	int fd = accept(c->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	c->len = 0;
	/* read until the client has sent the end of its head and any body (bounded) */
	for (int i = 0; i < 1000 && c->len < sizeof c->req - 1; i++) {
		ssize_t r = read(fd, c->req + c->len, sizeof c->req - 1 - c->len);
		if (r <= 0)
			break;
		c->len += (size_t)r;
		c->req[c->len] = 0;
		char *end = strstr(c->req, "\r\n\r\n");
		if (!end)
			continue;
		const char *cl = strstr(c->req, "Content-Length: ");
		size_t body = cl && cl < end ? (size_t)atoi(cl + 16) : 0;
		if (strstr(c->req, "Transfer-Encoding: chunked")) {
			if (strstr(end + 4, "0\r\n\r\n"))
				break;
			continue;
		}
		if (c->len >= (size_t)(end + 4 - c->req) + body)
			break;
	}
	if (write(fd, c->answer, strlen(c->answer)) < 0)
		c->len = 0;
	close(fd);
	return NULL;
}

static int capture_start(struct capture *c, pthread_t *th)
{
	struct sockaddr_in sa = {0};
	socklen_t sl = sizeof sa;
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(c->lfd, 4) < 0)
		return -1;
	getsockname(c->lfd, (struct sockaddr *)&sa, &sl);
	c->port = ntohs(sa.sin_port);
	return pthread_create(th, NULL, capture_main, c);
}

static void test_request_bytes(void)
{
	static const struct {
		const char *method, *path, *body;
		int chunked;
		const char *want; /* @: the port */
	} cases[] = {
	    {"GET", "/v2/?x=1", NULL, 0,
	     "GET /v2/?x=1 HTTP/1.1\r\nHost: 127.0.0.1:@\r\nAccept: */*\r\nAuthorization: Basic "
	     "dTpw\r\nUser-Agent: polycrate/" POLYCRATE_VERSION "\r\n\r\n"},
	    {"PUT", "/up", "hello", 0,
	     "PUT /up HTTP/1.1\r\nHost: 127.0.0.1:@\r\nAccept: */*\r\nAuthorization: Basic "
	     "dTpw\r\nUser-Agent: polycrate/" POLYCRATE_VERSION
	     "\r\nContent-Length: 5\r\n\r\nhello"},
	    {"PATCH", "/up", "hello world", 1,
	     "PATCH /up HTTP/1.1\r\nHost: 127.0.0.1:@\r\nAccept: */*\r\nAuthorization: Basic "
	     "dTpw\r\nUser-Agent: polycrate/" POLYCRATE_VERSION
	     "\r\nTransfer-Encoding: chunked\r\n\r\nb\r\nhello world\r\n0\r\n\r\n"},
	    {"POST", "/p", NULL, 0,
	     "POST /p HTTP/1.1\r\nHost: 127.0.0.1:@\r\nAccept: */*\r\nAuthorization: Basic "
	     "dTpw\r\nUser-Agent: polycrate/" POLYCRATE_VERSION "\r\nContent-Length: 0\r\n\r\n"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct capture cap = {.answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"};
		pthread_t th;
		struct http_client *cl = http_client_new();
		struct http_headers hs;
		struct http_request rq = {0};
		struct http_response rs;
		struct err e;
		char url[128], want[1024];
		struct buf b;
		T_CHECK(capture_start(&cap, &th) == 0);
		http_headers_init(&hs);
		http_headers_add(&hs, "Accept", "*/*");
		http_headers_add(&hs, "Authorization", "Basic dTpw");
		snprintf(url, sizeof url, "http://127.0.0.1:%d%s", cap.port, cases[i].path);
		rq.method = cases[i].method;
		rq.url = url;
		rq.headers = &hs;
		err_init(&e);
		if (cases[i].body) {
			rq.body = io_in_mem(cases[i].body, strlen(cases[i].body), &e);
			rq.body_len = cases[i].chunked ? -1 : (int64_t)strlen(cases[i].body);
		}
		int rc = http_request(cl, &rq, &rs, &e);
		T_CHECKF(rc == 0, "%s: %s", cases[i].method, e.msg);
		buf_init(&b, 100);
		if (rc == 0) {
			T_EQ_INT(rs.status, 200);
			T_EQ_INT(http_response_slurp(&rs, &b, 100, &e), 0);
			T_EQ_STR(buf_cstr(&b), "ok");
		}
		http_response_free(&rs);
		pthread_join(th, NULL);
		close(cap.lfd);
		const char *at = strchr(cases[i].want, '@');
		snprintf(want, sizeof want, "%.*s%d%s", (int)(at - cases[i].want), cases[i].want,
		         cap.port, at + 1);
		T_EQ_STR(cap.req, want);
		buf_free(&b);
		http_headers_free(&hs);
		http_client_free(cl);
	}
}

/* Level 3 traces both heads with every secret replaced. */
static void test_trace_redacted(void)
{
	struct capture cap = {.answer = "HTTP/1.1 200 OK\r\nSet-Cookie: sess=cookie-secret\r\n"
	                                "X-Auth-Token: hdr-secret\r\nContent-Length: 0\r\n\r\n"};
	pthread_t th;
	struct http_client *cl = http_client_new();
	struct http_headers hs;
	struct http_request rq = {.method = "GET"};
	struct http_response rs;
	struct err e;
	char url[128];
	int old = log_level;
	T_CHECK(capture_start(&cap, &th) == 0);
	http_headers_init(&hs);
	http_headers_add(&hs, "Authorization", "Bearer auth-secret");
	http_headers_add(&hs, "Cookie", "c=cookie2-secret");
	snprintf(url, sizeof url, "http://127.0.0.1:%d/v2/?scope=x&token=query-secret", cap.port);
	rq.url = url;
	rq.headers = &hs;
	T_CHECK(t_stderr_begin() == 0);
	log_level = 3;
	err_init(&e);
	int rc = http_request(cl, &rq, &rs, &e);
	http_response_free(&rs);
	log_level = old;
	const char *log = t_stderr_end();
	T_EQ_INT(rc, 0);
	pthread_join(th, NULL);
	close(cap.lfd);
	T_CHECKF(strstr(log, "TRACE: > GET /v2/?scope=x&token=*** HTTP/1.1") != NULL, "%s", log);
	T_CHECKF(strstr(log, "TRACE: > Authorization: ***") != NULL, "%s", log);
	T_CHECKF(strstr(log, "TRACE: > Cookie: ***") != NULL, "%s", log);
	T_CHECKF(strstr(log, "TRACE: < HTTP/1.1 200 OK") != NULL, "%s", log);
	T_CHECKF(strstr(log, "TRACE: < Set-Cookie: ***") != NULL, "%s", log);
	T_CHECKF(strstr(log, "TRACE: < X-Auth-Token: ***") != NULL, "%s", log);
	T_CHECKF(strstr(log, "secret") == NULL, "a secret leaked: %s", log);
	/* the request itself carried them */
	T_CHECK(strstr(cap.req, "Authorization: Bearer auth-secret\r\n") != NULL);
	http_headers_free(&hs);
	http_client_free(cl);
}

static void test_retry_after(void)
{
	/* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
	const int64_t t = 784111777;
	static const struct {
		const char *v;
		int64_t now;
		int64_t want;
	} cases[] = {
	    {"0", 0, 0},
	    {"3", 0, 3000},
	    {" 12 ", 0, 12000},
	    {"100000", 0, HTTP_RETRY_AFTER_MAX_MS},
	    {"99999999999999999999999", 0, HTTP_RETRY_AFTER_MAX_MS},
	    {"Sun, 06 Nov 1994 08:49:37 GMT", t - 5, 5000},
	    {"Sunday, 06-Nov-94 08:49:37 GMT", t - 2, 2000},
	    {"Sun Nov  6 08:49:37 1994", t - 1, 1000},
	    {"Sun, 06 Nov 1994 08:49:37 GMT", t + 100, 0},
	    {"Sun, 06 Nov 1994 08:49:37 GMT", t - 100000, HTTP_RETRY_AFTER_MAX_MS},
	    {"-1", 0, -1},
	    {"1.5", 0, -1},
	    {"soon", 0, -1},
	    {"Sun, 06 Foo 1994 08:49:37 GMT", 0, -1},
	    {"Sun, 32 Nov 1994 08:49:37 GMT", 0, -1},
	    {"Sun, 06 Nov 1994 25:49:37 GMT", 0, -1},
	    {"Sun, 06 Nov 1994 08:49:37 GMT junk", 0, -1},
	    {"", 0, -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		T_CHECKF(http_retry_after_ms(cases[i].v, cases[i].now) == cases[i].want,
		         "Retry-After '%s': %lld", cases[i].v,
		         (long long)http_retry_after_ms(cases[i].v, cases[i].now));
	T_EQ_INT(http_retry_after_ms(NULL, 0), -1);
}

static void test_no_proxy(void)
{
	static const struct {
		const char *np, *host;
		int port, want;
	} cases[] = {
	    {"*", "anything.example", 80, 1},
	    {"example.com", "example.com", 80, 1},
	    {"example.com", "www.example.com", 80, 1},
	    {"example.com", "badexample.com", 80, 0},
	    {".example.com", "www.example.com", 80, 1},
	    {".example.com", "example.com", 80, 1},
	    {"*.example.com", "a.b.example.com", 80, 1},
	    {"EXAMPLE.com", "Www.Example.COM", 80, 1},
	    {"a.org, example.com ,b.org", "example.com", 80, 1},
	    {"a.org,b.org", "example.com", 80, 0},
	    {"example.com:5000", "example.com", 5000, 1},
	    {"example.com:5000", "example.com", 443, 0},
	    {"10.0.0.5", "10.0.0.5", 80, 1},
	    {"10.0.0.5", "10.0.0.50", 80, 0},
	    {"10.0.0.0/8", "10.1.2.3", 80, 1},
	    {"10.0.0.0/8", "11.1.2.3", 80, 0},
	    {"192.168.1.0/24", "192.168.1.77", 80, 1},
	    {"fd00::/8", "fd12::1", 80, 1},
	    {"fd00::/8", "fe12::1", 80, 0},
	    {"::1", "::1", 80, 1},
	    {"[fd00::5]:8080", "[fd00::5]", 8080, 1},
	    {"[fd00::5]:8080", "fd00::5", 80, 0},
	    {"", "example.com", 80, 0},
	    {",,, ,", "example.com", 80, 0},
	    {"com", "example.com", 80, 1},
	    {"ample.com", "example.com", 80, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		T_CHECKF(http_no_proxy_match(cases[i].np, cases[i].host, cases[i].port) ==
		             cases[i].want,
		         "NO_PROXY '%s' for %s:%d", cases[i].np, cases[i].host, cases[i].port);
	T_EQ_INT(http_no_proxy_match(NULL, "x", 80), 0);
}

static void test_client_settings(void)
{
	struct http_client *cl;
	struct err e;
	setenv("http_proxy", "http://user:pw@127.0.0.1:3128", 1);
	setenv("HTTPS_PROXY", "proxy.example:8080", 1);
	cl = http_client_new();
	T_CHECK(cl != NULL);
	err_init(&e);
	T_EQ_INT(http_client_set_proxy(cl, "socks5://127.0.0.1:1080", NULL, NULL, &e), ERR_USAGE);
	err_init(&e);
	T_EQ_INT(http_client_set_proxy(cl, "http://127.0.0.1:bad", NULL, NULL, &e), ERR_USAGE);
	err_init(&e);
	T_EQ_INT(http_client_set_proxy(cl, "127.0.0.1:3128", "", "localhost", &e), 0);
	/* https without a TLS hook is a clear error, never plain text */
	struct http_request rq = {.method = "GET", .url = "https://127.0.0.1:1/"};
	struct http_response rs;
	err_init(&e);
	T_EQ_INT(http_request(cl, &rq, &rs, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "TLS is not available") != NULL, "msg: %s", e.msg);
	http_response_free(&rs);
	/* bad methods never reach the wire */
	static const char *const methods[] = {"", "GE T", "GET\r\nX: y", "VERYLONGMETHODNAME1"};
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		struct http_request bad = {.method = methods[i], .url = "http://127.0.0.1:1/"};
		err_init(&e);
		T_EQ_INT(http_request(cl, &bad, &rs, &e), ERR_USAGE);
		http_response_free(&rs);
	}
	/* bad URL */
	rq.url = "http://h:99999/";
	err_init(&e);
	T_EQ_INT(http_request(cl, &rq, &rs, &e), ERR_USAGE);
	http_response_free(&rs);
	uint64_t nc = 9, nr = 9;
	http_client_stats(cl, &nc, &nr);
	T_EQ_INT(nc, 0);
	T_EQ_INT(nr, 0);
	http_client_free(cl);
	http_client_free(NULL);
	unsetenv("http_proxy");
	unsetenv("HTTPS_PROXY");
}

T_MAIN(test_url_parse, test_url_resolve, test_headers, test_response_parse, test_response_limits,
       test_request_bytes, test_trace_redacted, test_retry_after, test_no_proxy,
       test_client_settings)
