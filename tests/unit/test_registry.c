/* test_registry.c - the registry client without docker-registry: error bodies, Link
 * headers, and a scripted in-process server for what docker-registry never does (paginated
 * tags, relative upload Locations, DENIED, lying digests, oversized manifests) */
#include "t.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "err.h"
#include "io.h"
#include "net.h"
#include "registry.h"

static void test_status_error(void)
{
	static const struct {
		int status;
		const char *body, *what;
		int code;
		const char *msg;
	} cases[] = {
	    {401,
	     "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}",
	     "x", ERR_AUTH, "authentication required"},
	    {401, "", "x", ERR_AUTH, "authentication required"},
	    {401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad token\"}]}", "x",
	     ERR_AUTH, "authentication required: bad token"},
	    {403, "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"insufficient permissions\"}]}",
	     "x", ERR_AUTH, "denied: insufficient permissions"},
	    {403, "<html>forbidden</html>", "x", ERR_AUTH,
	     "denied: requested access to the resource is denied"},
	    {404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}",
	     "manifest a:1", ERR_NOTFOUND, "manifest a:1 not found: manifest unknown"},
	    {404, "", "blob b", ERR_NOTFOUND, "blob b not found"},
	    {400,
	     "{\"errors\":[{\"code\":\"DIGEST_INVALID\",\"message\":\"provided digest did not "
	     "match uploaded content\",\"detail\":\"x\"}]}",
	     "upload", ERR_INTEGRITY,
	     "upload: the registry says: provided digest did not match uploaded content: x"},
	    {400,
	     "{\"errors\":[{\"code\":\"MANIFEST_INVALID\",\"message\":\"manifest invalid\","
	     "\"detail\":{\"a\":1}}]}",
	     "m", ERR_FAIL, "m: registry answered 400 MANIFEST_INVALID: manifest invalid"},
	    {503, "busy", "p", ERR_NET, "p: registry answered 503"},
	    {429, "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"slow down\"}]}", "p",
	     ERR_NET, "p: registry answered 429 TOOMANYREQUESTS: slow down"},
	    {418, "{\"errors\":[]}", "t", ERR_FAIL, "t: registry answered 418"},
	    {400, "{\"errors\":[{\"code\":\"X\",\"message\":\"line1\\nline2\\u001b[31m\"}]}", "t",
	     ERR_FAIL, "t: registry answered 400 X: line1?line2?[31m"},
	    {400, "{\"errors\":{\"code\":1}}", "t", ERR_FAIL, "t: registry answered 400"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct err e;
		err_init(&e);
		int rc = registry_status_error(cases[i].status, cases[i].body,
		                               strlen(cases[i].body), cases[i].what, &e);
		T_CHECKF(rc == cases[i].code && e.code == rc && strcmp(e.msg, cases[i].msg) == 0,
		         "case %zu: %d '%s'", i, rc, e.msg);
	}
	/* a registry's essay is cut, not copied whole */
	struct buf b;
	struct err e;
	buf_init(&b, 0);
	buf_puts(&b, "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"");
	for (int i = 0; i < 5000; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\"}]}");
	err_init(&e);
	T_EQ_INT(registry_status_error(403, b.p, b.len, "x", &e), ERR_AUTH);
	T_CHECKF(strlen(e.msg) < 400, "%zu", strlen(e.msg));
	buf_free(&b);
}

static void test_link(void)
{
	static const char *base = "http://r:5000/v2/a/tags/list?n=2";
	static const struct {
		const char *link;
		int rc;
		const char *out;
	} cases[] = {
	    {"</v2/a/tags/list?n=2&last=b>; rel=\"next\"", 1,
	     "http://r:5000/v2/a/tags/list?n=2&last=b"},
	    {"<https://other/v2/a/tags/list?last=b>; rel=next", 1,
	     "https://other/v2/a/tags/list?last=b"},
	    {"<list?last=c>; type=\"a,b\"; rel=\"next\"", 1, "http://r:5000/v2/a/tags/list?last=c"},
	    {"</prev>; rel=\"prev\", </nxt>; rel=\"next\"", 1, "http://r:5000/nxt"},
	    {"</x>; rel=\"prev next\"", 1, "http://r:5000/x"},
	    {"</x>; rel=\"prev\"", 0, ""},
	    {"</x>; rel=\"nextpage\"", 0, ""},
	    {"", 0, ""},
	    {"/x; rel=next", ERR_NET, ""},
	    {"</x; rel=next", ERR_NET, ""},
	    {"<ftp://x/>; rel=next", ERR_NET, ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[512];
		struct err e;
		err_init(&e);
		int rc = registry_link_next(cases[i].link, base, out, sizeof out, &e);
		T_CHECKF(rc == cases[i].rc && (rc != 1 || strcmp(out, cases[i].out) == 0),
		         "case %zu: %d '%s' (%s)", i, rc, out, e.msg);
	}
	char out[8];
	struct err e;
	err_init(&e);
	T_EQ_INT(registry_link_next(NULL, base, out, sizeof out, &e), 0);
}

/* ---- a scripted server: one thread, requests answered by the current handler ---- */

struct req {
	char method[16], target[1024], auth[256];
	size_t body_len;
	char content_range[64];
};

typedef void (*handler_fn)(const struct req *rq, int fd);

static handler_fn handler;
static int srv_fd = -1, srv_port, srv_stop;
static int drop_conn; /* set by a handler: close the connection without an answer */
static pthread_t srv_th;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char req_log[16384];

static void logreq(const struct req *rq)
{
	pthread_mutex_lock(&log_mu);
	size_t n = strlen(req_log);
	snprintf(req_log + n, sizeof req_log - n, "%s %s%s%s\n", rq->method, rq->target,
	         rq->content_range[0] ? " " : "", rq->content_range);
	pthread_mutex_unlock(&log_mu);
}

static void reply(int fd, int status, const char *headers, const char *body, size_t n)
{
	char head[2048];
	int k = snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n",
	                 status, n, headers ? headers : "");
	if (write(fd, head, (size_t)k) != k)
		return;
	if (n && write(fd, body, n) != (ssize_t)n)
		return;
}

static void reply_str(int fd, int status, const char *headers, const char *body)
{
	reply(fd, status, headers, body, body ? strlen(body) : 0);
}

/* Reads one request (head and Content-Length body, discarded). 0, or -1 at the end. */
static int read_req(int fd, struct req *rq)
{
	static char buf[65536];
	size_t n = 0;
	char *end = NULL;
	memset(rq, 0, sizeof *rq);
	while (!end) {
		struct pollfd p = {fd, POLLIN, 0};
		if (n + 1 >= sizeof buf || poll(&p, 1, 5000) <= 0)
			return -1;
		ssize_t k = read(fd, buf + n, sizeof buf - 1 - n);
		if (k <= 0)
			return -1;
		n += (size_t)k;
		buf[n] = 0;
		end = strstr(buf, "\r\n\r\n");
	}
	*end = 0;
	size_t head = (size_t)(end - buf) + 4;
	if (sscanf(buf, "%15s %1023s", rq->method, rq->target) != 2)
		return -1;
	for (char *l = strstr(buf, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
		if (!strncasecmp(l + 2, "Content-Length:", 15))
			rq->body_len = strtoul(l + 17, NULL, 10);
		if (!strncasecmp(l + 2, "Content-Range:", 14))
			sscanf(l + 16, " %63[^\r]", rq->content_range);
		if (!strncasecmp(l + 2, "Authorization:", 14))
			sscanf(l + 16, " %255[^\r]", rq->auth);
	}
	size_t have = n - head, left = rq->body_len > have ? rq->body_len - have : 0;
	while (left) {
		ssize_t k = read(fd, buf, left < sizeof buf ? left : sizeof buf);
		if (k <= 0)
			return -1;
		left -= (size_t)k;
	}
	return 0;
}

static void *srv_main(void *arg)
{
	for (int conns = 0; conns < 1000 && !srv_stop; conns++) {
		struct pollfd p = {srv_fd, POLLIN, 0};
		if (poll(&p, 1, 200) <= 0)
			continue;
		int fd = accept(srv_fd, NULL, NULL);
		if (fd < 0)
			continue;
		struct req rq;
		for (int i = 0; i < 1000 && read_req(fd, &rq) == 0; i++) {
			logreq(&rq);
			drop_conn = 0;
			if (!strcmp(rq.target, "/v2/"))
				reply_str(fd, 200, NULL, "{}");
			else
				handler(&rq, fd);
			if (drop_conn)
				break;
		}
		close(fd);
	}
	return NULL;
}

static int srv_start(void)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof a;
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (srv_fd < 0 || bind(srv_fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    listen(srv_fd, 16) < 0 || getsockname(srv_fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	srv_port = ntohs(a.sin_port);
	return pthread_create(&srv_th, NULL, srv_main, NULL);
}

static struct registry *fake(void)
{
	char host[32];
	struct registry_opts o = {.plain_http = 1};
	struct err e;
	snprintf(host, sizeof host, "127.0.0.1:%d", srv_port);
	err_init(&e);
	req_log[0] = 0;
	return registry_open(host, &o, &e);
}

/* ---- scenarios ---- */

static void h_never(const struct req *rq, int fd)
{
	reply_str(fd, 404, NULL, NULL);
}

static void h_tags(const struct req *rq, int fd)
{
	char hdr[256];
	if (!strcmp(rq->target, "/v2/r/tags/list?n=2")) {
		reply_str(fd, 200, "Link: </v2/r/tags/list?n=2&last=b>; rel=\"next\"\r\n",
		          "{\"name\":\"r\",\"tags\":[\"a\",\"b\"]}");
	} else if (!strcmp(rq->target, "/v2/r/tags/list?n=2&last=b")) {
		snprintf(hdr, sizeof hdr,
		         "Link: <http://127.0.0.1:%d/v2/r/tags/list?n=2&last=d>; rel=\"next\"\r\n",
		         srv_port);
		reply_str(fd, 200, hdr, "{\"name\":\"r\",\"tags\":[\"c\",\"d\"]}");
	} else if (!strcmp(rq->target, "/v2/r/tags/list?n=2&last=d")) {
		reply_str(fd, 200, NULL, "{\"name\":\"r\",\"tags\":[\"e\"]}");
	} else if (!strncmp(rq->target, "/v2/loop/tags/list", 18)) {
		reply_str(fd, 200, "Link: </v2/loop/tags/list?n=2>; rel=\"next\"\r\n",
		          "{\"tags\":[\"x\"]}");
	} else if (!strncmp(rq->target, "/v2/null/tags/list", 18)) {
		reply_str(fd, 200, NULL, "{\"name\":\"null\",\"tags\":null}");
	} else if (!strncmp(rq->target, "/v2/bad/tags/list", 17)) {
		reply_str(fd, 200, NULL, "{\"tags\":[1]}");
	} else {
		reply_str(fd, 404, NULL,
		          "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":"
		          "\"repository name not known to registry\"}]}");
	}
}

static void test_tags_pages(void)
{
	struct registry *r = fake();
	struct registry_tags t;
	struct err e;
	handler = h_tags;
	err_init(&e);
	T_EQ_INT(registry_tags_list(r, "r", 2, &t, &e), 0);
	T_EQ_INT(t.n, 5);
	const char *want[] = {"a", "b", "c", "d", "e"};
	for (size_t i = 0; i < 5 && i < t.n; i++)
		T_EQ_STR(t.v[i], want[i]);
	registry_tags_free(&t);
	T_CHECKF(strstr(req_log, "GET /v2/r/tags/list?n=2\nGET /v2/r/tags/list?n=2&last=b\n"
	                         "GET /v2/r/tags/list?n=2&last=d\n") != NULL,
	         "%s", req_log);
	err_init(&e);
	T_EQ_INT(registry_tags_list(r, "loop", 2, &t, &e), 0);
	T_EQ_INT(t.n, 2); /* the page linking to itself is read twice, not forever */
	registry_tags_free(&t);
	err_init(&e);
	T_EQ_INT(registry_tags_list(r, "null", 0, &t, &e), 0);
	T_EQ_INT(t.n, 0);
	err_init(&e);
	T_EQ_INT(registry_tags_list(r, "bad", 0, &t, &e), ERR_FAIL);
	T_CHECK(t.n == 0 && t.v == NULL);
	err_init(&e);
	T_EQ_INT(registry_tags_list(r, "gone", 0, &t, &e), ERR_NOTFOUND);
	T_CHECKF(strstr(e.msg, "repository name not known") != NULL, "%s", e.msg);
	registry_close(r);
}

#define BLOB_N 100000
static unsigned char blob[BLOB_N];
static char blob_dg[DIGEST_STR_MAX];
static int upmode; /* 0 fine, 1 lying final digest, 2 PATCH 500, 3 short Range,
                    * 4 the first chunk's connection always dies (the registry kept it),
                    * 5 the same and the registry will not say how far it got */

static struct io_in *blob_open(void *arg, uint64_t off, struct err *e)
{
	return io_in_mem(blob + off, BLOB_N - off, e);
}

/* Relative Locations (with and without a leading '/'), an absolute one, queries kept. */
static void h_upload(const struct req *rq, int fd)
{
	char want[512], hdr[512];
	if (!strcmp(rq->method, "HEAD")) {
		reply_str(fd, 404, NULL, NULL);
	} else if (!strcmp(rq->method, "POST")) {
		reply_str(fd, 202, "Location: /v2/r/blobs/uploads/u1?_state=s1\r\nRange: 0-0\r\n",
		          NULL);
	} else if (!strcmp(rq->method, "GET") &&
	           !strcmp(rq->target, "/v2/r/blobs/uploads/u1?_state=s1")) {
		if (upmode == 4)
			reply_str(fd, 204, "Location: u2?_state=s2\r\nRange: 0-65535\r\n", NULL);
		else
			reply_str(fd, 404, NULL, NULL);
	} else if (!strcmp(rq->method, "PATCH") &&
	           !strcmp(rq->target, "/v2/r/blobs/uploads/u1?_state=s1")) {
		if (upmode >= 4)
			drop_conn = 1;
		else if (upmode == 2)
			reply_str(
			    fd, 500, NULL,
			    "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"disk full\"}]}");
		else
			reply_str(fd, 202, "Location: u2?_state=s2\r\nRange: 0-65535\r\n", NULL);
	} else if (!strcmp(rq->method, "PATCH") &&
	           !strcmp(rq->target, "/v2/r/blobs/uploads/u2?_state=s2")) {
		snprintf(hdr, sizeof hdr,
		         "Location: http://127.0.0.1:%d/u3?_state=s3\r\nRange: 0-%d\r\n", srv_port,
		         upmode == 3 ? 99990 : BLOB_N - 1);
		reply_str(fd, 202, hdr, NULL);
	} else if (!strcmp(rq->method, "PUT")) {
		snprintf(want, sizeof want, "/u3?_state=s3&digest=%s", blob_dg);
		snprintf(hdr, sizeof hdr, "Docker-Content-Digest: %s\r\n",
		         upmode == 1 ? "sha256:0000000000000000000000000000000000000000000000000000"
		                       "000000000000"
		                     : blob_dg);
		if (!strcmp(rq->target, want) && rq->body_len == 0)
			reply_str(fd, 201, hdr, NULL);
		else
			reply_str(fd, 400, NULL, NULL);
	} else if (!strcmp(rq->method, "DELETE")) {
		reply_str(fd, 204, NULL, NULL);
	} else {
		reply_str(fd, 400, NULL, NULL);
	}
}

static void test_upload_locations(void)
{
	struct registry_opts o = {.plain_http = 1, .always_chunked = 1, .chunk_size = 65536};
	struct registry_upload_stats st;
	struct registry *r;
	char host[32], want[1024];
	struct err e;

	for (int i = 0; i < BLOB_N; i++)
		blob[i] = (unsigned char)(i * 7);
	sha256_str(blob, BLOB_N, blob_dg);
	struct registry_blob_src src = {.open = blob_open, .size = BLOB_N, .digest = blob_dg};
	snprintf(host, sizeof host, "127.0.0.1:%d", srv_port);
	handler = h_upload;
	for (upmode = 0; upmode < 6; upmode++) {
		static const int codes[] = {0, ERR_INTEGRITY, ERR_NET, ERR_NET, 0, ERR_NET};
		err_init(&e);
		r = registry_open(host, &o, &e);
		req_log[0] = 0;
		int rc = registry_blob_push(r, "r", &src, NULL, &st, &e);
		T_CHECKF(rc == codes[upmode], "mode %d: %d %s", upmode, rc, e.msg);
		if (upmode == 0) {
			snprintf(want, sizeof want,
			         "GET /v2/\nHEAD /v2/r/blobs/%s\nPOST /v2/r/blobs/uploads/\n"
			         "PATCH /v2/r/blobs/uploads/u1?_state=s1 0-65535\n"
			         "PATCH /v2/r/blobs/uploads/u2?_state=s2 65536-99999\n"
			         "PUT /u3?_state=s3&digest=%s\n",
			         blob_dg, blob_dg);
			T_EQ_STR(req_log, want);
			T_EQ_INT(st.how, REGISTRY_UP_CHUNKED);
			T_EQ_INT(st.sent, BLOB_N);
		}
		if (upmode == 1)
			T_CHECKF(strstr(req_log, "DELETE /u3?_state=s3\n") != NULL, "%s", req_log);
		if (upmode == 2) {
			T_CHECKF(strstr(e.msg, "disk full") != NULL, "%s", e.msg);
			T_CHECKF(strstr(req_log, "DELETE /v2/r/blobs/uploads/u1?_state=s1\n") !=
			             NULL,
			         "%s", req_log);
		}
		if (upmode == 3)
			T_CHECKF(strstr(e.msg, "took bytes up to 99991") != NULL, "%s", e.msg);
		if (upmode == 4) {
			snprintf(want, sizeof want,
			         "PATCH /v2/r/blobs/uploads/u1?_state=s1 0-65535\n"
			         "GET /v2/r/blobs/uploads/u1?_state=s1\n"
			         "PATCH /v2/r/blobs/uploads/u2?_state=s2 65536-99999\n"
			         "PUT /u3?_state=s3&digest=%s\n",
			         blob_dg);
			T_CHECKF(strstr(req_log, want) != NULL, "%s", req_log);
			T_EQ_INT(st.restarts, 1);
		}
		if (upmode == 5) {
			T_CHECKF(strstr(e.msg, "127.0.0.1") != NULL, "%s", e.msg);
			T_CHECKF(strstr(req_log, "DELETE /v2/r/blobs/uploads/u1?_state=s1\n") !=
			             NULL,
			         "%s", req_log);
		}
		registry_close(r);
	}
}

static char man_dg[DIGEST_STR_MAX];
static const char man_body[] = "{\"schemaVersion\":2}";

static void h_manifest(const struct req *rq, int fd)
{
	char hdr[512];
	const char *t = rq->target + strlen("/v2/m/manifests/");
	if (!strncmp(rq->target, "/v2/m/blobs/", 12)) {
		reply_str(fd, 403, NULL, "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"no\"}]}");
	} else if (strncmp(rq->target, "/v2/m/manifests/", 16) != 0) {
		reply_str(fd, 404, NULL, NULL);
	} else if (!strcmp(t, "denied")) {
		reply_str(fd, 403, "Content-Type: application/json\r\n",
		          "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"insufficient "
		          "permissions\"}]}");
	} else if (!strcmp(t, "unauth")) {
		reply_str(fd, 401, "WWW-Authenticate: Basic realm=\"x\"\r\n",
		          "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication "
		          "required\"}]}");
	} else if (!strcmp(t, "liar")) {
		reply_str(
		    fd, 200,
		    "Docker-Content-Digest: sha256:1111111111111111111111111111111111111111111"
		    "111111111111111111111\r\n",
		    man_body);
	} else if (!strcmp(t, "huge")) {
		static char big[5 << 20];
		memset(big, ' ', sizeof big);
		reply(fd, 200, NULL, big, sizeof big);
	} else if (!strcmp(t, "ok") || !strcmp(t, man_dg)) {
		snprintf(
		    hdr, sizeof hdr,
		    "Content-Type: application/vnd.oci.image.manifest.v1+json; charset=utf-8\r\n"
		    "%s%s%s",
		    strcmp(rq->method, "HEAD") ? "Docker-Content-Digest: " : "",
		    strcmp(rq->method, "HEAD") ? man_dg : "",
		    strcmp(rq->method, "HEAD") ? "\r\n" : "");
		if (!strcmp(rq->method, "HEAD")) {
			char h2[600];
			snprintf(h2, sizeof h2, "%s", hdr);
			char head[800];
			int k = snprintf(head, sizeof head,
			                 "HTTP/1.1 200 X\r\nContent-Length: %zu\r\n%s\r\n",
			                 strlen(man_body), h2);
			if (write(fd, head, (size_t)k) != k)
				return;
		} else {
			reply_str(fd, 200, hdr, man_body);
		}
	} else if (!strncmp(t, "sha256:", 7)) {
		reply_str(fd, 200, NULL, "{\"other\":1}");
	} else {
		reply_str(fd, 404, NULL,
		          "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\","
		          "\"message\":\"manifest unknown\"}]}");
	}
}

static void test_manifest_answers(void)
{
	static const char *liar_dg =
	    "sha256:2222222222222222222222222222222222222222222222222222222222222222";
	static const struct {
		const char *ref;
		int rc;
		const char *msg;
	} cases[] = {
	    {"denied", ERR_AUTH, "denied: insufficient permissions"},
	    {"unauth", ERR_AUTH, "authentication required"},
	    {"liar", ERR_INTEGRITY, "does not match the bytes"},
	    {"huge", ERR_FAIL, "larger than the 4 MiB limit"},
	    {"nope", ERR_NOTFOUND, "manifest m:nope not found: manifest unknown"},
	    {NULL, ERR_INTEGRITY, "the registry sent bytes with digest"},
	};
	struct registry_manifest m;
	struct err e;
	struct registry *r = fake();
	handler = h_manifest;
	sha256_str(man_body, strlen(man_body), man_dg);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err_init(&e);
		int rc =
		    registry_manifest_get(r, "m", cases[i].ref ? cases[i].ref : liar_dg, &m, &e);
		T_CHECKF(rc == cases[i].rc && strstr(e.msg, cases[i].msg), "case %zu: %d '%s'", i,
		         rc, e.msg);
		T_CHECK(m.body.len == 0 && m.body.p == NULL);
		registry_manifest_free(&m);
	}
	err_init(&e);
	T_CHECKF(registry_manifest_get(r, "m", "unauth", &m, &e) == ERR_AUTH &&
	             strstr(e.hint, "polycrate login 127.0.0.1:"),
	         "%s", e.hint);
	err_init(&e);
	T_EQ_INT(registry_manifest_get(r, "m", "ok", &m, &e), 0);
	T_EQ_STR(m.media_type, "application/vnd.oci.image.manifest.v1+json");
	T_EQ_STR(m.digest, man_dg);
	T_EQ_STR(buf_cstr(&m.body), man_body);
	registry_manifest_free(&m);
	err_init(&e);
	T_EQ_INT(registry_manifest_get(r, "m", man_dg, &m, &e), 0);
	registry_manifest_free(&m);
	/* HEAD without Docker-Content-Digest: found, digest unknown */
	err_init(&e);
	T_EQ_INT(registry_manifest_head(r, "m", "ok", &m, &e), 0);
	T_EQ_STR(m.header_digest, "");
	T_EQ_INT(m.size, strlen(man_body));
	registry_manifest_free(&m);
	err_init(&e);
	T_EQ_INT(registry_manifest_head(r, "m", "denied", &m, &e), ERR_AUTH);
	/* a DENIED blob HEAD is an error, never "absent" */
	err_init(&e);
	T_EQ_INT(registry_blob_exists(r, "m", man_dg, NULL, &e), ERR_AUTH);
	T_EQ_STR(e.msg, "denied: requested access to the resource is denied");
	registry_close(r);
}

/* Names that must never reach a URL are refused before any request. */
static void test_names(void)
{
	static const char *bad_repos[] = {"",     "A/b",  "a/../b", "..",  "a//b", "/a",
	                                  "a/",   "a b",  "a?b",    "a#b", "-a",   "a-",
	                                  "a/.b", "a/b.", "a%2fb",  "a:b"};
	static const char *good_repos[] = {"a", "library/nginx", "ayedo/k8s/nginx", "a.b_c-d",
	                                   "a__b/c--d/0"};
	static const char *bad_refs[] = {"", "../x", "a/b", "sha256:zz", "x y", "-", "sha512:x"};
	struct registry_manifest m;
	struct err e;
	struct registry *r = fake();
	handler = h_never;
	for (size_t i = 0; i < sizeof bad_repos / sizeof bad_repos[0]; i++) {
		err_init(&e);
		T_CHECKF(registry_manifest_get(r, bad_repos[i], "1", &m, &e) == ERR_USAGE,
		         "repo '%s' accepted", bad_repos[i]);
		registry_manifest_free(&m);
	}
	for (size_t i = 0; i < sizeof bad_refs / sizeof bad_refs[0]; i++) {
		err_init(&e);
		T_CHECKF(registry_manifest_get(r, "a", bad_refs[i], &m, &e) == ERR_USAGE,
		         "ref '%s' accepted", bad_refs[i]);
		registry_manifest_free(&m);
	}
	T_EQ_STR(req_log, "");
	for (size_t i = 0; i < sizeof good_repos / sizeof good_repos[0]; i++) {
		err_init(&e);
		T_CHECKF(registry_manifest_get(r, good_repos[i], "1", &m, &e) == ERR_NOTFOUND,
		         "repo '%s': %s", good_repos[i], e.msg);
		registry_manifest_free(&m);
	}
	registry_close(r);
}

T_MAIN(test_status_error, test_link, test_names, test_tags_pages, test_upload_locations,
       test_manifest_answers)

static void __attribute__((constructor)) start(void)
{
	net_init();
	if (srv_start() < 0)
		fprintf(stderr, "cannot start the scripted server\n");
}
