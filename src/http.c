/* http.c - HTTP/1.1 client: request writing, response parsing, pooling, redirects, retries */
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

#ifndef POLYCRATE_VERSION
#define POLYCRATE_VERSION "dev"
#endif

#define RBUF_SIZE IO_BUFSZ  /* read buffer of one connection */
#define WBUF_SIZE IO_BUFSZ  /* request body pieces (one chunk each when chunked) */
#define INFORMATIONAL_MAX 8 /* 1xx responses skipped before the real one */
#define KEY_MAX (HTTP_HOST_MAX * 2 + 64)
#define NAME_MAX_ (HTTP_HOST_MAX + 16)

/* A connection with its read buffer; owned by the pool, a request, or a response body. */
struct hconn {
	struct conn *c;
	int borrowed; /* c belongs to the caller (http_response_read) */
	char key[KEY_MAX];
	char name[NAME_MAX_]; /* host:port, for messages */
	size_t rpos, rlen;
	uint64_t resp_bytes; /* bytes read since the request was sent */
	int reused;
	int64_t idle_since; /* log_now_ms() when pooled */
	char rbuf[RBUF_SIZE];
};

struct proxy {
	int on;
	struct http_url u;
	char auth[HTTP_USERINFO_MAX * 2]; /* "Basic ..." or "" */
	char bad[ERR_MSG_MAX / 2];        /* set from a bad environment value: requests fail */
};

struct http_client {
	pthread_mutex_t mu;
	struct hconn *idle[HTTP_POOL_MAX];
	size_t nidle;
	uint64_t nconn, nreq, seed;
	int connect_ms, io_ms, retry_base_ms, max_tries, idle_ms;
	http_tls_fn tls;
	void *tls_arg;
	struct proxy http_proxy, https_proxy;
	char *no_proxy;
};

/* ---- URLs ---- */

static int bad_url_char(unsigned char ch)
{
	return ch <= 0x20 || ch >= 0x7f || ch == '\\' || ch == '"' || ch == '<' || ch == '>' ||
	       ch == '^' || ch == '`' || ch == '{' || ch == '|' || ch == '}';
}

static int url_fail(struct err *e, int code, const char *s, const char *why)
{
	char red[512];
	log_redact_url(s, red, sizeof red);
	return err_set(e, code, "bad URL '%s': %s", red, why);
}

static int parse_port(const char *p, size_t n, int *port)
{
	int v = 0;
	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

/* host[:port] at p (n bytes) into u; 0 or a reason. */
static const char *parse_authority(const char *p, size_t n, struct http_url *u)
{
	const char *at = NULL, *hs, *end = p + n, *colon = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (at) {
		if ((size_t)(at - p) >= sizeof u->userinfo)
			return "userinfo too long";
		memcpy(u->userinfo, p, (size_t)(at - p));
		u->userinfo[at - p] = 0;
		p = at + 1;
	}
	hs = p;
	if (p < end && *p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));
		if (!rb)
			return "unterminated [IPv6] host";
		for (const char *q = p + 1; q < rb; q++)
			if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.')
				return "bad character in [IPv6] host";
		if (rb == p + 1 || (size_t)(rb - p - 1) >= sizeof u->host)
			return "bad [IPv6] host";
		memcpy(u->host, p + 1, (size_t)(rb - p - 1));
		u->host[rb - p - 1] = 0;
		p = rb + 1;
		if (p < end && *p != ':')
			return "junk after [IPv6] host";
		colon = p < end ? p : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		const char *he = colon ? colon : end;
		if (he == hs)
			return "empty host";
		if ((size_t)(he - hs) >= sizeof u->host)
			return "host too long";
		for (const char *q = hs; q < he; q++)
			if (!isalnum((unsigned char)*q) && *q != '-' && *q != '.' && *q != '_')
				return "bad character in host";
		memcpy(u->host, hs, (size_t)(he - hs));
		u->host[he - hs] = 0;
	}
	if (colon) {
		if (parse_port(colon + 1, (size_t)(end - colon - 1), &u->port) < 0)
			return "bad port";
	} else {
		u->port = strcmp(u->scheme, "https") == 0 ? 443 : 80;
	}
	for (char *h = u->host; *h; h++)
		*h = (char)tolower((unsigned char)*h);
	return NULL;
}

int http_url_parse(const char *s, struct http_url *u, struct err *e)
{
	const char *p, *auth, *pe, *why;
	size_t n = strlen(s);
	memset(u, 0, sizeof *u);
	if (n >= HTTP_URL_MAX)
		return url_fail(e, ERR_USAGE, s, "too long");
	for (size_t i = 0; i < n; i++)
		if (bad_url_char((unsigned char)s[i]))
			return url_fail(e, ERR_USAGE, s, "space, control or unsafe character");
	if (strncasecmp(s, "http://", 7) == 0) {
		strcpy(u->scheme, "http");
		auth = s + 7;
	} else if (strncasecmp(s, "https://", 8) == 0) {
		strcpy(u->scheme, "https");
		auth = s + 8;
	} else {
		return url_fail(e, ERR_USAGE, s, "scheme must be http:// or https://");
	}
	pe = auth + strcspn(auth, "/?#");
	if ((why = parse_authority(auth, (size_t)(pe - auth), u)))
		return url_fail(e, ERR_USAGE, s, why);
	p = pe;
	if (strchr(p, '#'))
		return url_fail(e, ERR_USAGE, s, "fragment not allowed");
	if (*p == '?')
		snprintf(u->path, sizeof u->path, "/%s", p);
	else
		snprintf(u->path, sizeof u->path, "%s", *p ? p : "/");
	return 0;
}

int http_url_resolve(const struct http_url *base, const char *ref, struct http_url *out,
                     struct err *e)
{
	char abs[HTTP_URL_MAX], dir[HTTP_URL_MAX];
	struct err le;
	int rc;
	size_t n = strlen(ref);
	err_init(&le);
	if (n == 0 || n >= HTTP_URL_MAX - HTTP_HOST_MAX - 32)
		return err_set(e, ERR_NET, "bad redirect Location (empty or too long)");
	const char *hash = strchr(ref, '#');
	size_t rn = hash ? (size_t)(hash - ref) : n; /* a fragment is the client's business */
	char host[HTTP_HOST_MAX + 16];
	snprintf(host, sizeof host, strchr(base->host, ':') ? "[%s]:%d" : "%s:%d", base->host,
	         base->port);
	if (strncasecmp(ref, "http://", 7) == 0 || strncasecmp(ref, "https://", 8) == 0)
		snprintf(abs, sizeof abs, "%.*s", (int)rn, ref);
	else if (ref[0] == '/' && ref[1] == '/')
		snprintf(abs, sizeof abs, "%s:%.*s", base->scheme, (int)rn, ref);
	else if (ref[0] == '/')
		snprintf(abs, sizeof abs, "%s://%s%.*s", base->scheme, host, (int)rn, ref);
	else if (ref[0] == '?') {
		size_t q = strcspn(base->path, "?");
		snprintf(abs, sizeof abs, "%s://%s%.*s%.*s", base->scheme, host, (int)q, base->path,
		         (int)rn, ref);
	} else {
		if (strchr(ref, ':') && strcspn(ref, ":") < strcspn(ref, "/?"))
			return err_set(e, ERR_NET, "redirect to unsupported scheme");
		snprintf(dir, sizeof dir, "%.*s", (int)strcspn(base->path, "?"), base->path);
		char *slash = strrchr(dir, '/');
		if (slash)
			slash[1] = 0;
		if (snprintf(abs, sizeof abs, "%s://%s%s%.*s", base->scheme, host, dir, (int)rn,
		             ref) >= (int)sizeof abs)
			return err_set(e, ERR_NET, "redirect Location too long");
	}
	rc = http_url_parse(abs, out, &le);
	if (rc < 0)
		return err_set(e, ERR_NET, "redirect: %s", le.msg);
	return 0;
}

void http_url_format(const struct http_url *u, char *out, size_t n)
{
	int def = u->port == (strcmp(u->scheme, "https") == 0 ? 443 : 80);
	const char *l = strchr(u->host, ':') ? "[" : "", *r = *l ? "]" : "";
	if (def)
		snprintf(out, n, "%s://%s%s%s%s", u->scheme, l, u->host, r, u->path);
	else
		snprintf(out, n, "%s://%s%s%s:%d%s", u->scheme, l, u->host, r, u->port, u->path);
}

static int same_origin(const struct http_url *a, const struct http_url *b)
{
	return strcmp(a->scheme, b->scheme) == 0 && strcmp(a->host, b->host) == 0 &&
	       a->port == b->port;
}

/* ---- header lists ---- */

void http_headers_init(struct http_headers *h)
{
	memset(h, 0, sizeof *h);
}

void http_headers_free(struct http_headers *h)
{
	free(h->store);
	http_headers_init(h);
}

static int token_char(unsigned char ch)
{
	return isalnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

int http_headers_add(struct http_headers *h, const char *name, const char *value)
{
	size_t nn = strlen(name), vn;
	while (*value == ' ' || *value == '\t')
		value++;
	vn = strlen(value);
	while (vn && (value[vn - 1] == ' ' || value[vn - 1] == '\t'))
		vn--;
	if (nn == 0 || h->n >= HTTP_HEADERS_MAX)
		return ERR_FAIL;
	for (size_t i = 0; i < nn; i++)
		if (!token_char((unsigned char)name[i]))
			return ERR_FAIL;
	for (size_t i = 0; i < vn; i++)
		if (value[i] == '\r' || value[i] == '\n' || value[i] == 0)
			return ERR_FAIL;
	if (h->used + nn + vn + 2 > HTTP_HEADER_BYTES)
		return ERR_FAIL;
	if (!h->store) {
		/* one fixed allocation, so earlier pointers stay valid */
		h->store = malloc(HTTP_HEADER_BYTES);
		if (!h->store)
			return ERR_FAIL;
		h->cap = HTTP_HEADER_BYTES;
	}
	char *np = h->store + h->used;
	memcpy(np, name, nn);
	np[nn] = 0;
	char *vp = np + nn + 1;
	memcpy(vp, value, vn);
	vp[vn] = 0;
	h->used += nn + vn + 2;
	h->h[h->n].name = np;
	h->h[h->n].value = vp;
	h->n++;
	return 0;
}

const char *http_headers_get(const struct http_headers *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcasecmp(h->h[i].name, name) == 0)
			return h->h[i].value;
	return NULL;
}

/* ---- connections and the pool ---- */

static void hconn_free(struct hconn *hc)
{
	if (!hc)
		return;
	if (!hc->borrowed)
		conn_close(hc->c);
	free(hc);
}

static struct hconn *hconn_new(struct conn *c, const char *key, const char *name)
{
	struct hconn *hc = malloc(sizeof *hc);
	if (!hc)
		return NULL;
	hc->c = c;
	hc->borrowed = 0;
	snprintf(hc->key, sizeof hc->key, "%s", key);
	snprintf(hc->name, sizeof hc->name, "%s", name);
	hc->rpos = hc->rlen = 0;
	hc->resp_bytes = 0;
	hc->reused = 0;
	return hc;
}

/* 1 when an idle connection is still usable: nothing to read (no EOF, no stray bytes). */
static int idle_alive(struct hconn *hc)
{
	struct pollfd p = {.fd = hc->c->fd, .events = POLLIN};
	if (hc->rpos != hc->rlen)
		return 0;
	int r = poll(&p, 1, 0);
	return r == 0;
}

static struct hconn *pool_take(struct http_client *cl, const char *key)
{
	struct hconn *found = NULL;
	for (;;) {
		pthread_mutex_lock(&cl->mu);
		found = NULL;
		for (size_t i = cl->nidle; i-- > 0;) {
			if (strcmp(cl->idle[i]->key, key) == 0) {
				found = cl->idle[i];
				memmove(&cl->idle[i], &cl->idle[i + 1],
				        (cl->nidle - i - 1) * sizeof cl->idle[0]);
				cl->nidle--;
				break;
			}
		}
		pthread_mutex_unlock(&cl->mu);
		if (!found)
			return NULL;
		if (log_now_ms() - found->idle_since <= cl->idle_ms && idle_alive(found))
			return found;
		log_trace("idle connection to %s is closed or too old; not reused", found->name);
		hconn_free(found);
	}
}

static void pool_put(struct http_client *cl, struct hconn *hc)
{
	struct hconn *old = NULL;
	if (hc->rpos != hc->rlen) {
		/* bytes after the response we did not ask for: not a connection to trust */
		hconn_free(hc);
		return;
	}
	pthread_mutex_lock(&cl->mu);
	if (cl->nidle == HTTP_POOL_MAX) {
		old = cl->idle[0];
		memmove(&cl->idle[0], &cl->idle[1], (HTTP_POOL_MAX - 1) * sizeof cl->idle[0]);
		cl->nidle--;
	}
	hc->rpos = hc->rlen = 0;
	hc->idle_since = log_now_ms();
	cl->idle[cl->nidle++] = hc;
	pthread_mutex_unlock(&cl->mu);
	hconn_free(old);
}

/* More bytes into the read buffer: >0, 0 at EOF, <0 error. */
static ssize_t fill(struct hconn *hc, struct err *e)
{
	ssize_t r;
	if (hc->rpos == hc->rlen)
		hc->rpos = hc->rlen = 0;
	if (hc->rlen == sizeof hc->rbuf) {
		memmove(hc->rbuf, hc->rbuf + hc->rpos, hc->rlen - hc->rpos);
		hc->rlen -= hc->rpos;
		hc->rpos = 0;
	}
	r = conn_read(hc->c, hc->rbuf + hc->rlen, sizeof hc->rbuf - hc->rlen, e);
	if (r > 0) {
		hc->rlen += (size_t)r;
		hc->resp_bytes += (uint64_t)r;
	}
	return r;
}

/* One line without its CR LF into line (NUL-terminated): its length, or ERR_NET for EOF,
 * a line longer than max, or a NUL byte. *eof is set when the stream ended before any byte. */
static int read_line(struct hconn *hc, char *line, size_t max, int *eof, struct err *e)
{
	size_t n = 0;
	*eof = 0;
	for (;;) {
		if (hc->rpos == hc->rlen) {
			ssize_t r = fill(hc, e);
			if (r < 0)
				return (int)r;
			if (r == 0) {
				*eof = n == 0;
				return err_set(e, ERR_NET, "%s: connection closed %s", hc->name,
				               n ? "in the middle of a line" : "before a response");
			}
		}
		char *s = hc->rbuf + hc->rpos;
		size_t avail = hc->rlen - hc->rpos;
		char *nl = memchr(s, '\n', avail);
		size_t take = nl ? (size_t)(nl - s) : avail;
		if (n + take >= max)
			return err_set(e, ERR_NET, "%s: response line longer than %zu bytes",
			               hc->name, max - 1);
		memcpy(line + n, s, take);
		n += take;
		hc->rpos += take + (nl ? 1 : 0);
		if (nl)
			break;
	}
	if (n && line[n - 1] == '\r')
		n--;
	line[n] = 0;
	if (memchr(line, 0, n))
		return err_set(e, ERR_NET, "%s: NUL byte in response head", hc->name);
	return (int)n;
}

/* ---- response parsing ---- */

enum frame { F_NONE, F_LENGTH, F_CHUNKED, F_CLOSE };
enum chunk_state { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER, CH_DONE };

struct head {
	int status, minor;
	char reason[128];
	enum frame frame;
	uint64_t length;
	int64_t head_length; /* Content-Length of a HEAD answer */
	int keep;            /* connection reusable after the body */
};

static int parse_status(struct hconn *hc, const char *l, struct head *h, struct err *e)
{
	if (strncmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') || l[8] != ' ' ||
	    !isdigit((unsigned char)l[9]) || !isdigit((unsigned char)l[10]) ||
	    !isdigit((unsigned char)l[11]) || (l[12] != ' ' && l[12] != 0) || l[9] == '0')
		return err_set(e, ERR_NET, "%s: not an HTTP/1.x status line: '%.60s'", hc->name, l);
	h->minor = l[7] - '0';
	h->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	size_t rn = l[12] ? strnlen(l + 13, sizeof h->reason - 1) : 0;
	memcpy(h->reason, l + 13, rn);
	h->reason[rn] = 0;
	for (char *r = h->reason; *r; r++)
		if ((unsigned char)*r < 0x20 && *r != '\t')
			*r = '?';
	return 0;
}

static int has_token(const char *v, const char *tok)
{
	size_t tn = strlen(tok);
	while (*v) {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		size_t n = strcspn(v, ",");
		size_t m = n;
		while (m && (v[m - 1] == ' ' || v[m - 1] == '\t'))
			m--;
		if (m == tn && strncasecmp(v, tok, tn) == 0)
			return 1;
		v += n;
	}
	return 0;
}

static int parse_length(const char *v, uint64_t *out)
{
	uint64_t n = 0;
	if (!*v)
		return -1;
	for (; *v; v++) {
		if (!isdigit((unsigned char)*v) || n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	*out = n;
	return 0;
}

static void trace_header(char dir, const char *name, const char *value)
{
	log_trace("%c %s: %s", dir, name, log_secret_header(name) ? "***" : value);
}

/* Reads the header fields after a status line into hs. */
static int read_fields(struct hconn *hc, struct http_headers *hs, size_t max_bytes, int trace,
                       struct err *e)
{
	char line[HTTP_LINE_MAX + 1];
	size_t total = 0;
	int eof;
	for (;;) {
		int n = read_line(hc, line, sizeof line, &eof, e);
		if (n < 0)
			return n;
		if (n == 0)
			return 0;
		total += (size_t)n + 2;
		if (total > max_bytes)
			return err_set(e, ERR_NET, "%s: response headers larger than %zu bytes",
			               hc->name, max_bytes);
		if (line[0] == ' ' || line[0] == '\t')
			return err_set(e, ERR_NET, "%s: folded header line in response", hc->name);
		char *colon = strchr(line, ':');
		if (!colon || colon == line)
			return err_set(e, ERR_NET, "%s: bad header line '%.60s'", hc->name, line);
		*colon = 0;
		for (char *q = line; *q; q++)
			if (!token_char((unsigned char)*q))
				return err_set(e, ERR_NET, "%s: bad header name '%.60s'", hc->name,
				               line);
		if (!hs)
			continue;
		if (hs->n >= HTTP_HEADERS_MAX)
			return err_set(e, ERR_NET, "%s: more than %d response headers", hc->name,
			               HTTP_HEADERS_MAX);
		if (http_headers_add(hs, line, colon + 1) < 0)
			return err_set(e, ERR_NET, "%s: bad header '%.60s'", hc->name, line);
		if (trace)
			trace_header('<', hs->h[hs->n - 1].name, hs->h[hs->n - 1].value);
	}
}

/* Status line and headers; 1xx answers skipped. Fills h with the body framing. */
static int read_head(struct hconn *hc, int head_req, struct http_headers *hs, struct head *h,
                     int *eof, struct err *e)
{
	char line[HTTP_LINE_MAX + 1];
	int rc, trace = log_level >= 3;
	const char *te, *cl;
	for (int i = 0;; i++) {
		rc = read_line(hc, line, sizeof line, eof, e);
		if (rc < 0)
			return rc;
		if ((rc = parse_status(hc, line, h, e)) < 0)
			return rc;
		if (trace)
			log_trace("< %s", line);
		http_headers_free(hs);
		if ((rc = read_fields(hc, hs, HTTP_HEADER_BYTES, trace, e)) < 0)
			return rc;
		if (h->status >= 200)
			break;
		if (i == INFORMATIONAL_MAX || h->status == 101)
			return err_set(e, ERR_NET, "%s: unexpected status %d", hc->name, h->status);
	}
	*eof = 0;
	const char *conn = http_headers_get(hs, "Connection");
	h->keep = h->minor == 1 ? !(conn && has_token(conn, "close"))
	                        : (conn && has_token(conn, "keep-alive"));
	te = http_headers_get(hs, "Transfer-Encoding");
	h->length = 0;
	h->head_length = -1;
	if (h->status == 204 || h->status == 304) {
		h->frame = F_NONE;
		return 0;
	}
	/* Content-Length values must agree when repeated (smuggling otherwise) */
	cl = NULL;
	for (size_t i = 0; i < hs->n; i++) {
		if (strcasecmp(hs->h[i].name, "Content-Length") != 0)
			continue;
		uint64_t v;
		if (parse_length(hs->h[i].value, &v) < 0)
			return err_set(e, ERR_NET, "%s: bad Content-Length '%.40s'", hc->name,
			               hs->h[i].value);
		if (cl && v != h->length)
			return err_set(e, ERR_NET, "%s: conflicting Content-Length headers",
			               hc->name);
		cl = hs->h[i].value;
		h->length = v;
	}
	if (head_req) {
		/* the size of what a GET would get (a blob's size) */
		h->head_length = cl ? (int64_t)h->length : -1;
		h->length = 0;
		h->frame = F_NONE;
		return 0;
	}
	if (te) {
		/* chunked must be the last coding; we ask for no other */
		const char *last = strrchr(te, ',');
		last = last ? last + 1 : te;
		while (*last == ' ' || *last == '\t')
			last++;
		if (strcasecmp(last, "chunked") != 0 || strchr(te, ','))
			return err_set(e, ERR_NET, "%s: unsupported Transfer-Encoding '%.40s'",
			               hc->name, te);
		h->frame = F_CHUNKED;
		if (cl)
			h->keep = 0;
	} else if (cl) {
		h->frame = F_LENGTH;
	} else {
		h->frame = F_CLOSE;
		h->keep = 0;
	}
	return 0;
}

/* ---- the body stream ---- */

/* What a body needs to ask again for the rest (resume with Range). */
struct resume {
	struct http_client *cl;
	struct http_url url;
	struct http_headers hdrs;
	int tries;
	int64_t total; /* the full length when known, else -1 */
};

struct body {
	struct io_in in;
	struct http_client *cl; /* NULL: raw (hc->c borrowed, hc freed on close) */
	struct hconn *hc;
	struct head h;
	uint64_t left; /* F_LENGTH: bytes to go; F_CHUNKED: bytes of this chunk to go */
	enum chunk_state cs;
	uint64_t got, skip; /* delivered to the reader; to drop (a 200 answering a Range) */
	int done;
	struct resume *rs; /* NULL: no resume */
	int quiet;         /* draining on close: errors are not reported */
	struct err le;     /* transport errors land here first: a resume makes them moot */
};

static void body_release_conn(struct body *b, int keep)
{
	if (!b->hc)
		return;
	if (!b->cl) {
		free(b->hc); /* raw mode: conn is the caller's */
	} else if (keep && b->h.keep) {
		pool_put(b->cl, b->hc);
	} else {
		hconn_free(b->hc);
	}
	b->hc = NULL;
}

/* Copies up to n body bytes: from the buffer, or straight from the socket when it is
 * empty (saves a copy on large downloads). */
static ssize_t raw_data(struct body *b, void *p, size_t n)
{
	struct hconn *hc = b->hc;
	if (hc->rpos < hc->rlen) {
		size_t k = hc->rlen - hc->rpos;
		if (k > n)
			k = n;
		memcpy(p, hc->rbuf + hc->rpos, k);
		hc->rpos += k;
		return (ssize_t)k;
	}
	ssize_t r = conn_read(hc->c, p, n, &b->le);
	if (r > 0)
		hc->resp_bytes += (uint64_t)r;
	return r;
}

static int chunk_size_line(struct body *b)
{
	char line[HTTP_LINE_MAX + 1];
	int eof, n = read_line(b->hc, line, sizeof line, &eof, &b->le);
	uint64_t v = 0;
	int digits = 0;
	if (n < 0)
		return n;
	for (const char *q = line; isxdigit((unsigned char)*q); q++, digits++) {
		if (digits == 15)
			return err_set(&b->le, ERR_NET, "%s: chunk size too large", b->hc->name);
		v = v * 16 + (uint64_t)(isdigit((unsigned char)*q)
		                            ? *q - '0'
		                            : tolower((unsigned char)*q) - 'a' + 10);
	}
	char c = line[digits];
	if (!digits || (c != 0 && c != ';' && c != ' ' && c != '\t'))
		return err_set(&b->le, ERR_NET, "%s: bad chunk size line '%.40s'", b->hc->name,
		               line);
	b->left = v;
	b->cs = v ? CH_DATA : CH_TRAILER;
	return 0;
}

/* Next body bytes under the framing, without resume: >0, 0 at the end, <0 error in b->le. */
static ssize_t frame_read(struct body *b, char *p, size_t n)
{
	ssize_t r;
	int rc, eof;
	char line[HTTP_LINE_MAX + 1];
	switch (b->h.frame) {
	case F_NONE:
		return 0;
	case F_CLOSE:
		return raw_data(b, p, n);
	case F_LENGTH:
		if (b->left == 0)
			return 0;
		r = raw_data(b, p, n < b->left ? n : (size_t)b->left);
		if (r == 0)
			return err_set(&b->le, ERR_NET,
			               "%s: connection closed with %" PRIu64 " body bytes missing",
			               b->hc->name, b->left);
		if (r > 0)
			b->left -= (uint64_t)r;
		return r;
	case F_CHUNKED:
		for (;;) {
			switch (b->cs) {
			case CH_SIZE:
				if ((rc = chunk_size_line(b)) < 0)
					return rc;
				break;
			case CH_DATA:
				r = raw_data(b, p, n < b->left ? n : (size_t)b->left);
				if (r == 0)
					return err_set(&b->le, ERR_NET,
					               "%s: connection closed inside a chunk",
					               b->hc->name);
				if (r < 0)
					return r;
				b->left -= (uint64_t)r;
				if (!b->left)
					b->cs = CH_DATA_END;
				return r;
			case CH_DATA_END:
				rc = read_line(b->hc, line, sizeof line, &eof, &b->le);
				if (rc < 0)
					return rc;
				if (rc != 0)
					return err_set(&b->le, ERR_NET,
					               "%s: chunk data not followed by CRLF",
					               b->hc->name);
				b->cs = CH_SIZE;
				break;
			case CH_TRAILER:
				rc = read_fields(b->hc, NULL, HTTP_TRAILER_BYTES, 0, &b->le);
				if (rc < 0)
					return rc;
				b->cs = CH_DONE;
				break;
			case CH_DONE:
				return 0;
			}
		}
	}
	return 0;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int64_t backoff_ms(struct http_client *cl, int try_no);
static int send_once(struct http_client *cl, const struct http_url *u, const char *method,
                     const struct http_headers *hdrs, int with_auth, struct io_in *body,
                     int64_t body_len, struct hconn **out, struct err *e);

/* Parses "bytes S-E/T" (T may be "*"). */
static int parse_content_range(const char *v, uint64_t *s, uint64_t *end, int64_t *total)
{
	char tot[32];
	unsigned long long a, b;
	if (sscanf(v, "bytes %llu-%llu/%31s", &a, &b, tot) != 3 || b < a)
		return -1;
	*s = a;
	*end = b;
	if (strcmp(tot, "*") == 0) {
		*total = -1;
	} else {
		uint64_t t;
		if (parse_length(tot, &t) < 0 || t <= b)
			return -1;
		*total = (int64_t)t;
	}
	return 0;
}

/* The body broke after b->got bytes: ask for the rest. 0 with b reading the new response,
 * or an error (b->le says why). */
static int resume(struct body *b)
{
	struct resume *rs = b->rs;
	char range[64];
	struct http_headers hs;
	struct http_headers rh;
	struct err le;
	int rc = 0;

	err_init(&le);
	http_headers_init(&hs);
	http_headers_init(&rh);
	body_release_conn(b, 0);
	while (rs->tries < rs->cl->max_tries) {
		struct hconn *hc = NULL;
		int eof = 0;
		struct head h;
		int64_t delay = backoff_ms(rs->cl, rs->tries);
		rs->tries++;
		log_debug("%s: body broken after %" PRIu64 " bytes (%s); resuming in %" PRId64
		          " ms",
		          rs->url.host, b->got, b->le.msg, delay);
		sleep_ms(delay);
		err_init(&le);
		http_headers_free(&hs);
		for (size_t i = 0; i < rs->hdrs.n; i++)
			if (strcasecmp(rs->hdrs.h[i].name, "Range") != 0)
				http_headers_add(&hs, rs->hdrs.h[i].name, rs->hdrs.h[i].value);
		snprintf(range, sizeof range, "bytes=%" PRIu64 "-", b->got);
		if (b->got)
			http_headers_add(&hs, "Range", range);
		rc = send_once(rs->cl, &rs->url, "GET", &hs, 1, NULL, 0, &hc, &le);
		if (rc == 0)
			rc = read_head(hc, 0, &rh, &h, &eof, &le);
		if (rc < 0) {
			hconn_free(hc);
			if (rc == ERR_NET)
				continue;
			break;
		}
		b->hc = hc;
		b->h = h;
		b->left = h.length;
		b->cs = CH_SIZE;
		b->skip = 0;
		if (h.status == 206 && b->got) {
			uint64_t s, en;
			int64_t tot;
			const char *cr = http_headers_get(&rh, "Content-Range");
			if (!cr || parse_content_range(cr, &s, &en, &tot) < 0) {
				rc = err_set(&le, ERR_NET, "%s: bad Content-Range '%.60s'",
				             hc->name, cr ? cr : "");
				break;
			}
			if (s != b->got || (rs->total >= 0 && tot >= 0 && tot != rs->total) ||
			    (rs->total >= 0 && en + 1 != (uint64_t)rs->total)) {
				rc = err_set(&le, ERR_NET,
				             "%s: resumed at byte %" PRIu64 " of %" PRId64
				             ", wanted %" PRIu64 " of %" PRId64,
				             hc->name, s, tot, b->got, rs->total);
				break;
			}
			goto ok;
		}
		if (h.status == 200) {
			/* a server that ignores Range sends it all again: drop what we have */
			if (rs->total >= 0 && h.frame == F_LENGTH &&
			    (int64_t)h.length != rs->total) {
				rc = err_set(&le, ERR_NET,
				             "%s: body changed length on resume (%" PRIu64
				             " instead of %" PRId64 ")",
				             hc->name, h.length, rs->total);
				break;
			}
			b->skip = b->got;
			goto ok;
		}
		if (h.status == 408 || h.status == 429 || h.status >= 500) {
			body_release_conn(b, 0);
			err_set(&le, ERR_NET, "%s: status %d on resume", hc->name, h.status);
			continue;
		}
		rc = err_set(&le, ERR_NET, "%s: status %d on resume", hc->name, h.status);
		break;
	}
	if (rc == 0)
		rc = ERR_NET;
	err_init(&b->le);
	err_set(&b->le, le.code ? le.code : rc, "%s (after %d tries)",
	        le.code ? le.msg : "resume failed", rs->tries);
	http_headers_free(&hs);
	http_headers_free(&rh);
	return rc;
ok:
	err_init(&b->le);
	http_headers_free(&hs);
	http_headers_free(&rh);
	return 0;
}

static ssize_t body_read(struct io_in *in, void *p, size_t n)
{
	struct body *b = (struct body *)in;
	ssize_t r;
	if (in->err)
		return in->err;
	if (b->done || n == 0)
		return 0;
	for (;;) {
		r = b->hc ? frame_read(b, p, n) : ERR_NET;
		if (r > 0 && b->skip) {
			size_t k = (uint64_t)r < b->skip ? (size_t)r : (size_t)b->skip;
			b->skip -= k;
			memmove(p, (char *)p + k, (size_t)r - k);
			r -= (ssize_t)k;
			if (r == 0)
				continue;
		}
		if (r > 0) {
			b->got += (uint64_t)r;
			return r;
		}
		if (r == 0) {
			if (b->skip) {
				err_set(&b->le, ERR_NET, "body shorter on resume");
				r = ERR_NET;
			} else {
				b->done = 1;
				body_release_conn(b, 1);
				return 0;
			}
		}
		if (r == ERR_NET && b->rs && b->h.frame != F_CLOSE && resume(b) == 0)
			continue;
		if (!b->quiet)
			err_set(in->e, b->le.code ? b->le.code : (int)r, "%s",
			        b->le.code ? b->le.msg : "body read failed");
		in->err = (int)r;
		body_release_conn(b, 0);
		return r;
	}
}

static int body_close(struct io_in *in)
{
	struct body *b = (struct body *)in;
	int rc = in->err;
	if (b->hc && !b->done && !in->err && b->cl && b->h.keep) {
		/* a small rest is cheaper to read than a new connection */
		char tmp[4096];
		size_t drained = 0;
		b->quiet = 1; /* a failed drain is nobody's concern */
		if (b->rs) {
			http_headers_free(&b->rs->hdrs);
			free(b->rs);
			b->rs = NULL;
		}
		while (drained < HTTP_DRAIN_MAX && b->hc &&
		       (b->h.frame != F_LENGTH || b->left <= HTTP_DRAIN_MAX)) {
			ssize_t r = body_read(in, tmp, sizeof tmp);
			if (r <= 0)
				break;
			drained += (size_t)r;
		}
		in->err = 0;
	}
	body_release_conn(b, b->done);
	if (b->rs) {
		http_headers_free(&b->rs->hdrs);
		free(b->rs);
	}
	free(b);
	return rc;
}

static const struct io_in_ops body_ops = {body_read, body_close};

static struct body *body_new(struct http_client *cl, struct hconn *hc, const struct head *h,
                             struct err *e)
{
	struct body *b = (struct body *)io_in_new(sizeof *b, &body_ops, e);
	if (!b)
		return NULL;
	b->cl = cl;
	b->hc = hc;
	b->h = *h;
	b->left = h->length;
	b->cs = CH_SIZE;
	err_init(&b->le);
	if (h->frame == F_NONE) {
		b->done = 1;
		body_release_conn(b, 1);
	}
	return b;
}

static void fill_response(struct http_response *rs, const struct head *h)
{
	rs->status = h->status;
	snprintf(rs->reason, sizeof rs->reason, "%s", h->reason);
	rs->content_length = h->frame == F_LENGTH ? (int64_t)h->length : h->head_length;
}

int http_response_read(struct conn *c, int head, struct http_response *rs, struct err *e)
{
	struct hconn *hc = hconn_new(c, "", "server");
	struct head h;
	int eof, rc;
	memset(rs, 0, sizeof *rs);
	http_headers_init(&rs->headers);
	if (!hc)
		return err_set(e, ERR_FAIL, "out of memory");
	hc->borrowed = 1;
	rc = read_head(hc, head, &rs->headers, &h, &eof, e);
	if (rc < 0) {
		free(hc);
		http_headers_free(&rs->headers);
		return rc;
	}
	fill_response(rs, &h);
	struct body *b = body_new(NULL, hc, &h, e);
	if (!b) {
		free(hc);
		return ERR_FAIL;
	}
	rs->body = &b->in;
	return 0;
}

void http_response_free(struct http_response *rs)
{
	if (rs->body)
		io_in_close(rs->body);
	rs->body = NULL;
	http_headers_free(&rs->headers);
}

int http_response_slurp(struct http_response *rs, struct buf *b, size_t max, struct err *e)
{
	char tmp[8192];
	int rc = 0;
	for (;;) {
		ssize_t r = io_read(rs->body, tmp, sizeof tmp);
		if (r < 0) {
			rc = (int)r;
			break;
		}
		if (r == 0)
			break;
		if (b->len + (size_t)r > max || buf_append(b, tmp, (size_t)r) < 0) {
			rc = err_set(e, ERR_NET, "response body larger than %zu bytes", max);
			break;
		}
	}
	int crc = io_in_close(rs->body);
	rs->body = NULL;
	return rc ? rc : crc;
}

/* ---- the client ---- */

static void base64(const char *in, char *out, size_t n)
{
	static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(in), o = 0;
	for (size_t i = 0; i < len && o + 5 < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)(unsigned char)in[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)in[i + 2];
		out[o++] = tb[(v >> 18) & 63];
		out[o++] = tb[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tb[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? tb[v & 63] : '=';
	}
	out[o] = 0;
}

/* %XX escapes of a URL's userinfo undone (a NUL from %00 ends the text). */
static void pct_decode(const char *in, char *out, size_t n)
{
	size_t o = 0;
	for (; *in && o + 1 < n; in++) {
		if (in[0] == '%' && isxdigit((unsigned char)in[1]) &&
		    isxdigit((unsigned char)in[2])) {
			char hx[3] = {in[1], in[2], 0};
			out[o++] = (char)strtol(hx, NULL, 16);
			in += 2;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = 0;
}

static int set_proxy(struct proxy *px, const char *v, struct err *e)
{
	char tmp[HTTP_URL_MAX];
	memset(px, 0, sizeof *px);
	if (!v || !*v)
		return 0;
	snprintf(tmp, sizeof tmp, strstr(v, "://") ? "%s" : "http://%s", v);
	if (strncasecmp(tmp, "http://", 7) != 0) {
		/* https:// or socks proxies are not ours to speak */
		return err_set(e, ERR_USAGE, "proxy '%s': only http:// proxies are supported",
		               strchr(v, '@') ? "***" : v);
	}
	if (http_url_parse(tmp, &px->u, e) < 0) {
		err_prefix(e, "proxy");
		return ERR_USAGE;
	}
	if (px->u.userinfo[0]) {
		char b64[sizeof px->auth - 8], plain[HTTP_USERINFO_MAX];
		pct_decode(px->u.userinfo, plain, sizeof plain);
		base64(plain, b64, sizeof b64);
		snprintf(px->auth, sizeof px->auth, "Basic %s", b64);
	}
	px->on = 1;
	return 0;
}

static const char *env2(const char *lower, const char *upper)
{
	const char *v = getenv(lower);
	return v && *v ? v : getenv(upper);
}

int http_client_set_proxy(struct http_client *c, const char *http_proxy, const char *https_proxy,
                          const char *no_proxy, struct err *e)
{
	struct proxy h, s;
	int rc;
	/* all or nothing: a bad value leaves the settings as they were */
	if ((rc = set_proxy(&h, http_proxy, e)) < 0 || (rc = set_proxy(&s, https_proxy, e)) < 0)
		return rc;
	c->http_proxy = h;
	c->https_proxy = s;
	free(c->no_proxy);
	c->no_proxy = no_proxy && *no_proxy ? strdup(no_proxy) : NULL;
	return 0;
}

struct http_client *http_client_new(void)
{
	struct http_client *c = calloc(1, sizeof *c);
	struct err e;
	if (!c)
		return NULL;
	net_init();
	pthread_mutex_init(&c->mu, NULL);
	c->connect_ms = NET_CONNECT_TIMEOUT_MS;
	c->io_ms = NET_IO_TIMEOUT_MS;
	c->retry_base_ms = HTTP_RETRY_BASE_MS;
	c->max_tries = HTTP_MAX_TRIES;
	c->idle_ms = HTTP_POOL_IDLE_MS;
	c->seed = (uint64_t)log_now_ms() * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid();
	/* a bad value is reported by the requests that would use it, not ignored */
	struct proxy *pxs[] = {&c->http_proxy, &c->https_proxy};
	const char *vals[] = {env2("http_proxy", "HTTP_PROXY"), env2("https_proxy", "HTTPS_PROXY")};
	for (int i = 0; i < 2; i++) {
		err_init(&e);
		if (set_proxy(pxs[i], vals[i], &e) < 0) {
			snprintf(pxs[i]->bad, sizeof pxs[i]->bad, "%s_proxy: %.400s",
			         i ? "https" : "http", e.msg);
			pxs[i]->on = 1;
		}
	}
	const char *np = env2("no_proxy", "NO_PROXY");
	c->no_proxy = np && *np ? strdup(np) : NULL;
	return c;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nidle; i++)
		hconn_free(c->idle[i]);
	free(c->no_proxy);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

void http_client_set_tls(struct http_client *c, http_tls_fn fn, void *arg)
{
	c->tls = fn;
	c->tls_arg = arg;
}

void http_client_set_timeouts(struct http_client *c, int connect_ms, int io_ms)
{
	c->connect_ms = connect_ms;
	c->io_ms = io_ms;
}

void http_client_set_idle(struct http_client *c, int idle_ms)
{
	c->idle_ms = idle_ms < 0 ? 0 : idle_ms;
}

void http_client_set_retry(struct http_client *c, int base_ms, int max_tries)
{
	c->retry_base_ms = base_ms < 0 ? 0 : base_ms;
	c->max_tries = max_tries < 1 ? 1 : max_tries > HTTP_MAX_TRIES ? HTTP_MAX_TRIES : max_tries;
}

void http_client_stats(struct http_client *c, uint64_t *connections, uint64_t *requests)
{
	pthread_mutex_lock(&c->mu);
	if (connections)
		*connections = c->nconn;
	if (requests)
		*requests = c->nreq;
	pthread_mutex_unlock(&c->mu);
}

/* base * 2^try, with the upper half jittered so clients that failed together spread out. */
static int64_t backoff_ms(struct http_client *cl, int try_no)
{
	int64_t d = (int64_t)cl->retry_base_ms << (try_no > 10 ? 10 : try_no);
	uint64_t x;
	pthread_mutex_lock(&cl->mu);
	cl->seed ^= cl->seed << 13;
	cl->seed ^= cl->seed >> 7;
	cl->seed ^= cl->seed << 17;
	x = cl->seed;
	pthread_mutex_unlock(&cl->mu);
	if (d <= 1)
		return d;
	return d / 2 + (int64_t)(x % (uint64_t)(d / 2 + 1));
}

/* ---- proxies ---- */

static int ci_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return b <= a && strcasecmp(s + a - b, suf) == 0;
}

static int cidr_match(const char *net, const char *host)
{
	char a[64];
	const char *slash = strchr(net, '/');
	unsigned char n[16], h[16];
	int bits, fam;
	if (!slash || (size_t)(slash - net) >= sizeof a)
		return 0;
	memcpy(a, net, (size_t)(slash - net));
	a[slash - net] = 0;
	bits = atoi(slash + 1);
	fam = strchr(a, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, a, n) != 1 || inet_pton(fam, host, h) != 1)
		return 0;
	if (bits < 0 || bits > (fam == AF_INET ? 32 : 128))
		return 0;
	for (int i = 0; i < bits; i++)
		if (((n[i / 8] ^ h[i / 8]) >> (7 - i % 8)) & 1)
			return 0;
	return 1;
}

int http_no_proxy_match(const char *no_proxy, const char *host, int port)
{
	char ent[HTTP_HOST_MAX + 16];
	char h[HTTP_HOST_MAX];
	size_t hl = strlen(host);
	if (!no_proxy)
		return 0;
	/* host may come bracketed */
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']' && hl - 2 < sizeof h) {
		memcpy(h, host + 1, hl - 2);
		h[hl - 2] = 0;
	} else {
		snprintf(h, sizeof h, "%s", host);
	}
	for (const char *p = no_proxy; *p;) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, ", \t");
		if (!n)
			break;
		if (n >= sizeof ent) {
			p += n;
			continue;
		}
		memcpy(ent, p, n);
		ent[n] = 0;
		p += n;
		if (strcmp(ent, "*") == 0)
			return 1;
		/* optional :port (an IPv6 entry needs brackets for one) */
		int eport = 0;
		char *e = ent;
		if (e[0] == '[') {
			char *rb = strchr(e, ']');
			if (!rb)
				continue;
			*rb = 0;
			if (rb[1] == ':')
				eport = atoi(rb + 2);
			e++;
		} else if (strchr(e, ':') && strchr(e, ':') == strrchr(e, ':')) {
			char *c = strchr(e, ':');
			*c = 0;
			eport = atoi(c + 1);
		}
		if (eport && eport != port)
			continue;
		if (strchr(e, '/')) {
			if (cidr_match(e, h))
				return 1;
			continue;
		}
		if (e[0] == '*' && e[1] == '.')
			e++;
		if (e[0] == '.') {
			if (ci_suffix(h, e) || strcasecmp(h, e + 1) == 0)
				return 1;
			continue;
		}
		if (strcasecmp(h, e) == 0)
			return 1;
		size_t el = strlen(e);
		if (hl > el && ci_suffix(h, e) && h[strlen(h) - el - 1] == '.')
			return 1;
	}
	return 0;
}

static const struct proxy *proxy_for(struct http_client *cl, const struct http_url *u)
{
	const struct proxy *px =
	    strcmp(u->scheme, "https") == 0 ? &cl->https_proxy : &cl->http_proxy;
	if (!px->on || net_is_loopback(u->host) ||
	    http_no_proxy_match(cl->no_proxy, u->host, u->port))
		return NULL;
	return px;
}

/* ---- sending ---- */

static void host_port(const struct http_url *u, int always_port, char *out, size_t n)
{
	int def = u->port == (strcmp(u->scheme, "https") == 0 ? 443 : 80);
	const char *l = strchr(u->host, ':') ? "[" : "", *r = *l ? "]" : "";
	if (def && !always_port)
		snprintf(out, n, "%s%s%s", l, u->host, r);
	else
		snprintf(out, n, "%s%s%s:%d", l, u->host, r, u->port);
}

/* A CONNECT tunnel through px to u. */
static int tunnel(struct hconn *hc, const struct proxy *px, const struct http_url *u, struct err *e)
{
	char hp[HTTP_HOST_MAX + 16];
	struct buf b;
	struct head h;
	struct http_headers hs;
	int rc, eof;
	host_port(u, 1, hp, sizeof hp);
	buf_init(&b, 0);
	http_headers_init(&hs);
	buf_printf(&b, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n", hp, hp);
	if (px->auth[0])
		buf_printf(&b, "Proxy-Authorization: %s\r\n", px->auth);
	buf_puts(&b, "\r\n");
	log_trace("> CONNECT %s HTTP/1.1", hp);
	rc = conn_write(hc->c, b.p, b.len, e);
	if (rc == 0)
		rc = read_head(hc, 1, &hs, &h, &eof, e);
	if (rc == 0 && h.status != 200)
		rc = err_set(e, h.status == 407 ? ERR_AUTH : ERR_NET,
		             "proxy %s refused CONNECT to %s: %d %s", hc->name, hp, h.status,
		             h.reason);
	if (rc == 0 && hc->rpos != hc->rlen)
		rc = err_set(e, ERR_NET, "proxy %s sent data before the tunnel was up", hc->name);
	buf_free(&b);
	http_headers_free(&hs);
	return rc;
}

/* Set when the last connection attempt of this thread failed in the TLS handshake: such a
 * failure (unknown authority, name mismatch, a plain-HTTP answer) is no passing fault, so
 * it is not retried. */
static _Thread_local int tls_failed;

static int open_conn(struct http_client *cl, const struct http_url *u, const struct proxy *px,
                     const char *key, struct hconn **out, struct err *e)
{
	const struct http_url *to = px ? &px->u : u;
	struct conn *c = NULL;
	char name[NAME_MAX_];
	int rc, https = strcmp(u->scheme, "https") == 0;
	*out = NULL;
	if (https && !cl->tls)
		return err_set(e, ERR_NET, "https://%s:%d: TLS is not available in this client",
		               u->host, u->port);
	rc = net_connect(to->host, to->port, cl->connect_ms, cl->io_ms, &c, e);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&cl->mu);
	cl->nconn++;
	pthread_mutex_unlock(&cl->mu);
	host_port(to, 1, name, sizeof name);
	struct hconn *hc = hconn_new(c, key, name);
	if (!hc) {
		conn_close(c);
		return err_set(e, ERR_FAIL, "out of memory");
	}
	if (https) {
		struct conn *tc = NULL;
		if (px && (rc = tunnel(hc, px, u, e)) < 0) {
			hconn_free(hc);
			return rc;
		}
		hc->rpos = hc->rlen = 0;
		rc = cl->tls(cl->tls_arg, hc->c, u->host, u->port, &tc, e);
		hc->c = NULL;
		if (rc < 0) {
			tls_failed = 1;
			free(hc);
			return rc;
		}
		hc->c = tc;
		host_port(u, 1, hc->name, sizeof hc->name);
	}
	*out = hc;
	return 0;
}

static int is_auth_header(const char *name)
{
	return strcasecmp(name, "Authorization") == 0 || strcasecmp(name, "Cookie") == 0;
}

static int build_head(struct buf *b, const struct http_url *u, const struct proxy *px,
                      const char *method, const struct http_headers *hdrs, int with_auth,
                      int has_body, int64_t body_len)
{
	char hp[HTTP_HOST_MAX + 16], full[HTTP_URL_MAX + HTTP_HOST_MAX + 32];
	int trace = log_level >= 3, have_ua = 0;
	host_port(u, 0, hp, sizeof hp);
	if (px && strcmp(u->scheme, "http") == 0) {
		http_url_format(u, full, sizeof full);
		buf_printf(b, "%s %s HTTP/1.1\r\n", method, full);
	} else {
		buf_printf(b, "%s %s HTTP/1.1\r\n", method, u->path);
	}
	if (trace) {
		char red[1024];
		log_redact_url(u->path, red, sizeof red);
		log_trace("> %s %s HTTP/1.1 (%s://%s)", method, red, u->scheme, hp);
	}
	buf_printf(b, "Host: %s\r\n", hp);
	if (trace)
		trace_header('>', "Host", hp);
	for (size_t i = 0; hdrs && i < hdrs->n; i++) {
		const char *n = hdrs->h[i].name;
		if (strcasecmp(n, "Host") == 0 || strcasecmp(n, "Content-Length") == 0 ||
		    strcasecmp(n, "Transfer-Encoding") == 0)
			continue;
		if (!with_auth && is_auth_header(n))
			continue;
		if (strcasecmp(n, "User-Agent") == 0)
			have_ua = 1;
		buf_printf(b, "%s: %s\r\n", n, hdrs->h[i].value);
		if (trace)
			trace_header('>', n, hdrs->h[i].value);
	}
	if (!have_ua) {
		buf_puts(b, "User-Agent: polycrate/" POLYCRATE_VERSION "\r\n");
		if (trace)
			trace_header('>', "User-Agent", "polycrate/" POLYCRATE_VERSION);
	}
	if (px && px->auth[0] && strcmp(u->scheme, "http") == 0) {
		buf_printf(b, "Proxy-Authorization: %s\r\n", px->auth);
		if (trace)
			trace_header('>', "Proxy-Authorization", px->auth);
	}
	if (has_body && body_len < 0) {
		buf_puts(b, "Transfer-Encoding: chunked\r\n");
		if (trace)
			trace_header('>', "Transfer-Encoding", "chunked");
	} else if (has_body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	           strcmp(method, "PATCH") == 0) {
		char l[32];
		snprintf(l, sizeof l, "%" PRId64, has_body ? body_len : 0);
		buf_printf(b, "Content-Length: %s\r\n", l);
		if (trace)
			trace_header('>', "Content-Length", l);
	}
	return buf_puts(b, "\r\n");
}

/* Writes the body: exactly body_len bytes, or chunks when body_len < 0. */
static int send_body(struct hconn *hc, struct io_in *body, int64_t body_len, struct err *e)
{
	enum { PRE = 16 };
	char *w = malloc(PRE + WBUF_SIZE + 2);
	uint64_t sent = 0;
	int rc = 0;
	if (!w)
		return err_set(e, ERR_FAIL, "out of memory");
	for (;;) {
		size_t want = WBUF_SIZE;
		if (body_len >= 0 && (uint64_t)body_len - sent < want)
			want = (size_t)((uint64_t)body_len - sent);
		ssize_t r = want ? io_read(body, w + PRE, want) : 0;
		if (r < 0) {
			rc = (int)r;
			err_prefix(e, "request body");
			break;
		}
		if (body_len >= 0) {
			if (r == 0 && sent < (uint64_t)body_len) {
				rc = err_set(e, ERR_FAIL,
				             "request body ended after %" PRIu64 " of %" PRId64
				             " bytes",
				             sent, body_len);
				break;
			}
			if (r == 0) {
				char extra;
				if (io_read(body, &extra, 1) > 0)
					rc = err_set(e, ERR_FAIL,
					             "request body longer than %" PRId64 " bytes",
					             body_len);
				break;
			}
			if ((rc = conn_write(hc->c, w + PRE, (size_t)r, e)) < 0)
				break;
		} else {
			char hx[PRE];
			int hn = snprintf(hx, sizeof hx, "%zx\r\n", (size_t)r);
			char *start = w + PRE - hn;
			memcpy(start, hx, (size_t)hn);
			size_t len = (size_t)hn + (size_t)r;
			if (r) {
				memcpy(w + PRE + r, "\r\n", 2);
				len += 2;
			} else {
				memcpy(w + PRE, "\r\n", 2); /* "0\r\n" + empty trailer */
				len += 2;
			}
			if ((rc = conn_write(hc->c, start, len, e)) < 0)
				break;
			if (r == 0)
				break;
		}
		sent += (uint64_t)r;
	}
	free(w);
	return rc;
}

/* Gets a connection (pooled or new) and sends the request. *out is the connection, also
 * after a failed send (the server may have answered early; a pooled one may be dead). */
static int send_once(struct http_client *cl, const struct http_url *u, const char *method,
                     const struct http_headers *hdrs, int with_auth, struct io_in *body,
                     int64_t body_len, struct hconn **out, struct err *e)
{
	const struct proxy *px = proxy_for(cl, u);
	char key[KEY_MAX];
	struct buf head;
	struct hconn *hc;
	int rc;

	*out = NULL;
	if (px && px->bad[0])
		return err_set(e, ERR_USAGE, "%s", px->bad);
	snprintf(key, sizeof key, "%s://%s:%d|%s:%d", u->scheme, u->host, u->port,
	         px ? px->u.host : "", px ? px->u.port : 0);
	hc = pool_take(cl, key);
	if (hc) {
		hc->reused = 1;
		hc->c->timeout_ms = cl->io_ms; /* settings may have changed since it was made */
		log_trace("reusing connection to %s", hc->name);
	} else if ((rc = open_conn(cl, u, px, key, &hc, e)) < 0) {
		return rc;
	}
	hc->resp_bytes = 0;
	hc->rpos = hc->rlen = 0;
	pthread_mutex_lock(&cl->mu);
	cl->nreq++;
	pthread_mutex_unlock(&cl->mu);
	buf_init(&head, 0);
	rc = build_head(&head, u, px, method, hdrs, with_auth, body != NULL, body_len);
	if (rc < 0)
		rc = err_set(e, ERR_FAIL, "out of memory");
	if (rc == 0 && (!body || head.len > 4096 || body_len < 0 || body_len > 4096)) {
		rc = conn_write(hc->c, head.p, head.len, e);
		if (rc == 0 && body)
			rc = send_body(hc, body, body_len, e);
	} else if (rc == 0) {
		/* small body: one write with the head */
		char tmp[4096];
		ssize_t r = io_read_full(body, tmp, (size_t)body_len);
		if (r != body_len) {
			rc = r < 0 ? (int)r
			           : err_set(e, ERR_FAIL,
			                     "request body ended after %zd of %" PRId64 " bytes", r,
			                     body_len);
		} else if (buf_append(&head, tmp, (size_t)r) < 0) {
			rc = err_set(e, ERR_FAIL, "out of memory");
		} else {
			char extra;
			if (io_read(body, &extra, 1) > 0)
				rc =
				    err_set(e, ERR_FAIL,
				            "request body longer than %" PRId64 " bytes", body_len);
			else
				rc = conn_write(hc->c, head.p, head.len, e);
		}
	}
	buf_free(&head);
	*out = hc;
	return rc;
}

/* 1 when a response is waiting on a connection whose send failed. */
static int early_answer(struct hconn *hc)
{
	struct pollfd p = {.fd = hc->c->fd, .events = POLLIN};
	if (hc->rpos < hc->rlen)
		return 1;
	return poll(&p, 1, 1000) == 1 && (p.revents & POLLIN);
}

static int idempotent(const char *m, unsigned flags)
{
	return (flags & HTTP_IDEMPOTENT) || strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
	       strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0 || strcmp(m, "OPTIONS") == 0;
}

static int retry_status(int s)
{
	return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

static int month_of(const char *m)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	for (int i = 0; i < 12; i++)
		if (strcasecmp(m, mon[i]) == 0)
			return i;
	return -1;
}

int64_t http_retry_after_ms(const char *v, int64_t now_s)
{
	char wd[16], mo[4];
	int d, y, hh, mm, ss, n = 0;
	struct tm tm;
	int64_t ms;
	if (!v)
		return -1;
	while (*v == ' ')
		v++;
	if (isdigit((unsigned char)*v)) {
		int64_t s = 0;
		for (; isdigit((unsigned char)*v); v++)
			s = s > HTTP_RETRY_AFTER_MAX_MS ? s : s * 10 + (*v - '0');
		while (*v == ' ')
			v++;
		if (*v)
			return -1;
		ms = s * 1000;
		return ms > HTTP_RETRY_AFTER_MAX_MS ? HTTP_RETRY_AFTER_MAX_MS : ms;
	}
	memset(&tm, 0, sizeof tm);
	if (sscanf(v, "%15[A-Za-z], %d %3s %d %d:%d:%d GMT%n", wd, &d, mo, &y, &hh, &mm, &ss, &n) ==
	        7 &&
	    n) {
		/* IMF-fixdate */
	} else if (n = 0, sscanf(v, "%15[A-Za-z], %d-%3s-%d %d:%d:%d GMT%n", wd, &d, mo, &y, &hh,
	                         &mm, &ss, &n) == 7 &&
	                      n) {
		y += y < 70 ? 2000 : y < 100 ? 1900 : 0; /* RFC 850 */
	} else if (n = 0, sscanf(v, "%15[A-Za-z] %3s %d %d:%d:%d %d%n", wd, mo, &d, &hh, &mm, &ss,
	                         &y, &n) == 7 &&
	                      n) {
		/* asctime */
	} else {
		return -1;
	}
	if (v[n] != 0 || month_of(mo) < 0 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 ||
	    y < 1970 || y > 9999)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = month_of(mo);
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	int64_t t = (int64_t)timegm(&tm);
	ms = (t - now_s) * 1000;
	if (ms < 0)
		ms = 0;
	return ms > HTTP_RETRY_AFTER_MAX_MS ? HTTP_RETRY_AFTER_MAX_MS : ms;
}

/* Discards what is left of a response we are not handing out (redirects, retries). */
static void discard(struct http_response *rs)
{
	http_response_free(rs);
	http_headers_init(&rs->headers);
}

int http_request(struct http_client *cl, const struct http_request *rq, struct http_response *rs,
                 struct err *e)
{
	struct http_url u, auth_origin, next;
	char method[16];
	int rc = 0, redirects = 0, tries = 0, fresh_resend = 0, body_used = 0;
	struct err le;

	memset(rs, 0, sizeof *rs);
	http_headers_init(&rs->headers);
	if ((rc = http_url_parse(rq->url, &u, e)) < 0)
		goto out_close;
	int bad_method = !rq->method[0] || strlen(rq->method) >= sizeof method;
	for (const char *m = rq->method; *m; m++)
		bad_method |= !token_char((unsigned char)*m);
	if (bad_method) {
		rc = err_set(e, ERR_USAGE, "bad HTTP method '%.20s'", rq->method);
		goto out_close;
	}
	snprintf(method, sizeof method, "%s", rq->method);
	auth_origin = u;
	int has_body = rq->body || rq->body_open;

	for (;;) {
		struct io_in *body = NULL;
		struct hconn *hc = NULL;
		int eof = 0, own_body = 0;
		struct head h;

		err_init(&le);
		if (has_body) {
			if (rq->body_open) {
				body = rq->body_open(rq->body_arg, &le);
				own_body = 1;
				if (!body) {
					rc = le.code ? le.code : ERR_FAIL;
					goto fail;
				}
			} else if (!body_used) {
				body = rq->body;
				body_used = 1;
			} else {
				rc = err_set(&le, ERR_NET,
				             "cannot send the request body again after: %s",
				             e->code ? e->msg : "a failed try");
				goto fail;
			}
		}
		tries++;
		tls_failed = 0;
		rc = send_once(cl, &u, method, rq->headers, same_origin(&u, &auth_origin), body,
		               body ? rq->body_len : 0, &hc, &le);
		if (own_body)
			io_in_close(body);
		int head_req = strcmp(method, "HEAD") == 0;
		if (rc == 0) {
			rc = read_head(hc, head_req, &rs->headers, &h, &eof, &le);
		} else if (rc == ERR_NET && hc && early_answer(hc)) {
			/* the server answered before taking the whole body (413 to an upload) */
			struct err le2;
			err_init(&le2);
			if (read_head(hc, head_req, &rs->headers, &h, &eof, &le2) == 0) {
				rc = 0;
				err_init(&le);
				h.keep = 0;
			}
		}
		if (rc < 0 && hc && hc->reused && hc->resp_bytes == 0 && !fresh_resend &&
		    (own_body || !has_body)) {
			/* the pooled connection died under us before any answer: once more on a
			 * new one, whatever the method (nothing reached the application) */
			log_trace("pooled connection to %s was dead (%s); resending", hc->name,
			          le.msg);
			hconn_free(hc);
			fresh_resend = 1;
			tries--;
			continue;
		}
		if (rc < 0) {
			hconn_free(hc);
			http_headers_free(&rs->headers);
			if (rc == ERR_NET && tries < cl->max_tries && !tls_failed &&
			    idempotent(method, rq->flags) && !(rq->flags & HTTP_NO_RETRY) &&
			    (!has_body || rq->body_open)) {
				int64_t d = backoff_ms(cl, tries - 1);
				log_debug("%s %s: %s; try %d of %d in %" PRId64 " ms", method,
				          u.host, le.msg, tries + 1, cl->max_tries, d);
				sleep_ms(d);
				continue;
			}
			goto fail;
		}
		fresh_resend = 0;
		fill_response(rs, &h);
		http_url_format(&u, rs->url, sizeof rs->url);
		struct body *b = body_new(cl, hc, &h, e);
		if (!b) {
			hconn_free(hc);
			rc = ERR_FAIL;
			goto out_close;
		}
		rs->body = &b->in;

		const char *loc = http_headers_get(&rs->headers, "Location");
		int st = h.status;
		if ((st == 301 || st == 302 || st == 303 || st == 307 || st == 308) && loc &&
		    !(rq->flags & HTTP_NO_REDIRECT)) {
			if (++redirects > HTTP_MAX_REDIRECTS) {
				rc = err_set(e, ERR_NET, "%s: more than %d redirects", u.host,
				             HTTP_MAX_REDIRECTS);
				goto out_close;
			}
			if ((rc = http_url_resolve(&u, loc, &next, e)) < 0)
				goto out_close;
			if (strcmp(u.scheme, "https") == 0 && strcmp(next.scheme, "http") == 0) {
				char red[512];
				log_redact_url(loc, red, sizeof red);
				rc = err_set(e, ERR_NET, "%s: refusing redirect from https to '%s'",
				             u.host, red);
				goto out_close;
			}
			if (st == 303 && strcmp(method, "HEAD") != 0) {
				strcpy(method, "GET");
				has_body = 0;
			} else if ((st == 301 || st == 302) && strcmp(method, "POST") == 0) {
				strcpy(method, "GET");
				has_body = 0;
			} else if (has_body && !rq->body_open) {
				/* 307/308 keep the body, which we cannot replay: the caller decides
				 */
				rc = 0;
				goto out_close;
			}
			log_debug("redirect %d to %s://%s:%d", st, next.scheme, next.host,
			          next.port);
			discard(rs);
			u = next;
			tries = 0; /* each hop gets its own tries (and its body a resume budget) */
			continue;
		}
		if (retry_status(st) && tries < cl->max_tries && idempotent(method, rq->flags) &&
		    !(rq->flags & HTTP_NO_RETRY) && (!has_body || rq->body_open)) {
			int64_t ra = http_retry_after_ms(
			    http_headers_get(&rs->headers, "Retry-After"), (int64_t)time(NULL));
			int64_t d = ra >= 0 ? ra : backoff_ms(cl, tries - 1);
			log_debug("%s %s: status %d; try %d of %d in %" PRId64 " ms", method,
			          u.host, st, tries + 1, cl->max_tries, d);
			discard(rs);
			sleep_ms(d);
			continue;
		}
		if (strcmp(method, "GET") == 0 && (st == 200 || st == 206) &&
		    !(rq->flags & HTTP_NO_RESUME) && h.frame != F_CLOSE) {
			b->rs = calloc(1, sizeof *b->rs);
			if (b->rs) {
				b->rs->cl = cl;
				b->rs->url = u;
				b->rs->tries = tries;
				b->rs->total =
				    st == 200 && h.frame == F_LENGTH ? (int64_t)h.length : -1;
				http_headers_init(&b->rs->hdrs);
				for (size_t i = 0; rq->headers && i < rq->headers->n; i++) {
					const char *n = rq->headers->h[i].name;
					if (same_origin(&u, &auth_origin) || !is_auth_header(n))
						http_headers_add(&b->rs->hdrs, n,
						                 rq->headers->h[i].value);
				}
				if (st == 206) {
					/* the caller asked for a range: resume only as far as it */
					free(b->rs);
					b->rs = NULL;
				}
			}
		}
		rc = 0;
		goto out_close;
	fail:
		err_set(e, le.code ? le.code : rc, "%s", le.code ? le.msg : "request failed");
		if (le.hint[0])
			err_hint(e, "%s", le.hint); /* TLS says what to do (certs.d, TLS 1.2) */
		goto out_close;
	}
out_close:
	if (rq->body && !rq->body_open)
		io_in_close(rq->body);
	if (rc < 0)
		http_response_free(rs);
	return rc;
}
