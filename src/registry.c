/* registry.c - OCI distribution client: scheme choice, auth retries, manifests, blobs, tags */
#include "registry.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth.h"
#include "io.h"
#include "json.h"
#include "log.h"
#include "net.h"
#include "tls.h"

#define BASE_MAX (HTTP_HOST_MAX + 32)
#define WWW_AUTH_MAX 8192 /* all WWW-Authenticate values of one answer, joined */
#define SCOPE_MAX (REGISTRY_REPO_MAX + 32)
#define MSG_MAX 300 /* a registry's message quoted in ours */
#define RANGE_HDR_MAX 64
#define PROBE_TIMEOUT_MS 5000 /* the plain-HTTP probe of a loopback registry */

const char registry_manifest_accept[] =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

struct registry {
	char host[REGISTRY_HOST_MAX]; /* as given: "localhost:5000" */
	struct http_url u;            /* https://host:port/ parsed */
	char base[BASE_MAX];          /* "" until settled */
	int allow_plain;
	struct http_client *http;
	int own_http;
	struct auth_ctx *auth;
	uint64_t chunk, mono_max;
	int always_chunked, plain_first;
	unsigned nreq; /* requests sent, for upload stats */
};

/* One API request. path is "/v2/..." (joined to the base) or an absolute URL. */
struct rq {
	const char *method;
	const char *path;
	const char *accept, *content_type, *content_range;
	const char *scopes[2];
	size_t nscopes;
	struct io_in *(*open)(void *arg, struct err *e);
	void *arg;
	int64_t len;
	unsigned flags;
};

const char *registry_base(const struct registry *r)
{
	return r->base;
}

const char *registry_host(const struct registry *r)
{
	return r->host;
}

struct registry *registry_open(const char *host_port, const struct registry_opts *o, struct err *e)
{
	static const struct registry_opts none;
	struct registry *r;
	char url[REGISTRY_HOST_MAX + 16];
	struct err le;

	if (!o)
		o = &none;
	if (!host_port || !*host_port || strlen(host_port) >= sizeof r->host ||
	    strpbrk(host_port, "/?#@ ")) {
		err_set(e, ERR_USAGE, "bad registry host '%.100s'", host_port ? host_port : "");
		return NULL;
	}
	r = calloc(1, sizeof *r);
	if (!r) {
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	snprintf(r->host, sizeof r->host, "%s", host_port);
	snprintf(url, sizeof url, "https://%s/", host_port);
	err_init(&le);
	if (http_url_parse(url, &r->u, &le) < 0) {
		err_set(e, ERR_USAGE, "bad registry host '%s'", host_port);
		free(r);
		return NULL;
	}
	r->allow_plain =
	    o->insecure ||
	    tls_plain_http_allowed(r->u.host, r->u.port, o->insecure_hosts, o->n_insecure_hosts);
	r->auth = o->auth;
	r->chunk = o->chunk_size ? o->chunk_size : REGISTRY_CHUNK_DEFAULT;
	if (r->chunk > REGISTRY_CHUNK_CEIL)
		r->chunk = REGISTRY_CHUNK_CEIL;
	if (r->chunk < REGISTRY_CHUNK_FLOOR)
		r->chunk = REGISTRY_CHUNK_FLOOR;
	r->mono_max = o->monolithic_max ? o->monolithic_max : REGISTRY_MONOLITHIC_MAX;
	r->always_chunked = o->always_chunked;
	r->plain_first = o->plain_http && r->allow_plain;
	if (o->http) {
		r->http = o->http;
	} else {
		net_init();
		r->http = http_client_new();
		if (!r->http) {
			err_set(e, ERR_FAIL, "out of memory");
			free(r);
			return NULL;
		}
		r->own_http = 1;
		http_client_set_tls(r->http, o->tls ? o->tls : tls_hook,
		                    o->tls ? o->tls_arg : NULL);
	}
	return r;
}

void registry_close(struct registry *r)
{
	if (!r)
		return;
	if (r->own_http)
		http_client_free(r->http);
	free(r);
}

/* ---- error answers ---- */

/* Copies a registry's text into out without control bytes, cut at MSG_MAX. */
static void clean_copy(char *out, size_t n, const char *s)
{
	size_t i = 0;
	if (n > MSG_MAX)
		n = MSG_MAX;
	for (; s && *s && i + 1 < n; s++)
		out[i++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	out[i] = 0;
}

int registry_status_error(int status, const char *body, size_t len, const char *what, struct err *e)
{
	struct json_doc d;
	char code[64] = "", msg[MSG_MAX] = "", tmp[MSG_MAX], detail[MSG_MAX] = "";
	struct err le;
	int t, rc;

	err_init(&le);
	if (body && len && json_parse(&d, body, len, &le) == 0) {
		if (json_type(&d, 0) == JSON_OBJECT && (t = json_get(&d, 0, "errors")) >= 0 &&
		    json_type(&d, t) == JSON_ARRAY && d.toks[t].size > 0) {
			int x = t + 1, v;
			if (json_type(&d, x) == JSON_OBJECT) {
				if ((v = json_get(&d, x, "code")) >= 0 &&
				    json_str(&d, v, tmp, sizeof tmp, NULL) >= 0)
					clean_copy(code, sizeof code, tmp);
				if ((v = json_get(&d, x, "message")) >= 0 &&
				    json_str(&d, v, tmp, sizeof tmp, NULL) >= 0)
					clean_copy(msg, sizeof msg, tmp);
				if ((v = json_get(&d, x, "detail")) >= 0 &&
				    json_str(&d, v, tmp, sizeof tmp, NULL) >= 0)
					clean_copy(detail, sizeof detail, tmp);
			}
		}
		json_free(&d);
	}
	if (status == 401 || strcmp(code, "UNAUTHORIZED") == 0) {
		if (!msg[0] || strcasecmp(msg, "authentication required") == 0)
			return err_set(e, ERR_AUTH, "authentication required");
		return err_set(e, ERR_AUTH, "authentication required: %s", msg);
	}
	if (status == 403 || strcmp(code, "DENIED") == 0)
		return err_set(e, ERR_AUTH, "denied: %s",
		               msg[0] ? msg : "requested access to the resource is denied");
	if (status == 404) {
		if (msg[0])
			return err_set(e, ERR_NOTFOUND, "%s not found: %s", what, msg);
		return err_set(e, ERR_NOTFOUND, "%s not found", what);
	}
	if (strcmp(code, "DIGEST_INVALID") == 0)
		return err_set(e, ERR_INTEGRITY, "%s: the registry says: %s%s%s", what,
		               msg[0] ? msg : "digest invalid", detail[0] ? ": " : "", detail);
	rc = status == 429 || status >= 500 ? ERR_NET : ERR_FAIL;
	if (msg[0])
		return err_set(e, rc, "%s: registry answered %d %s: %s%s%s", what, status,
		               code[0] ? code : "", msg, detail[0] ? ": " : "", detail);
	return err_set(e, rc, "%s: registry answered %d", what, status);
}

/* Reads rs's body (bounded) and makes *e from it. Returns the code. */
static int answer_error(struct registry *r, struct http_response *rs, const char *what,
                        struct err *e)
{
	struct buf b;
	struct err le;
	int rc;

	buf_init(&b, REGISTRY_ERROR_BODY_MAX + 1);
	err_init(&le);
	if (rs->body)
		rs->body->e = &le; /* a broken error body must not hide the status's message */
	if (rs->body && http_response_slurp(rs, &b, REGISTRY_ERROR_BODY_MAX, &le) < 0)
		buf_reset(&b);
	rc = registry_status_error(rs->status, b.p, b.len, what, e);
	if (rc == ERR_AUTH)
		err_hint(e, "run: polycrate login %s", r->host);
	buf_free(&b);
	return rc;
}

/* ---- requests ---- */

/* A transport failure in the words DESIGN.md §1.7 wants, from the attempt's error. */
static int net_error(struct registry *r, int rc, const struct err *le, struct err *e)
{
	static const char pre[] = "failed to connect to ";
	const char *cause = le->code ? le->msg : "request failed";
	if (rc != ERR_NET)
		return err_set(e, rc, "%s", cause);
	if (strncmp(cause, pre, sizeof pre - 1) == 0) {
		const char *p = strstr(cause + sizeof pre - 1, ": ");
		if (p)
			cause = p + 2;
	}
	err_set(e, ERR_NET, "failed to connect to registry %s: %s", r->host, cause);
	if (le->hint[0])
		err_hint(e, "%s", le->hint);
	return ERR_NET;
}

static int join_www_auth(const struct http_headers *h, char *out, size_t n)
{
	size_t used = 0;
	out[0] = 0;
	for (size_t i = 0; i < h->n; i++) {
		if (strcasecmp(h->h[i].name, "WWW-Authenticate") != 0)
			continue;
		int k = snprintf(out + used, n - used, "%s%s", used ? ", " : "", h->h[i].value);
		if (k < 0 || (size_t)k >= n - used)
			return -1;
		used += (size_t)k;
	}
	return used ? 0 : -1;
}

/*
 * For a loopback host (never proxied) where plain HTTP is allowed: sends a bare TLS 1.2
 * ClientHello on a connection of its own and looks at the first bytes of the answer.
 * 1 when the peer answered in plain HTTP, 0 otherwise (TLS, silence, no connection: the
 * real handshake then decides and reports). It saves loading the trust store only to
 * learn that a local registry speaks HTTP.
 */
static int hello_probe(const struct registry *r)
{
	/* random bytes are '\n' so that a line-reading HTTP server answers at once */
	static const unsigned char hello[] = {
	    0x16, 0x03, 0x01, 0x00, 0x31, 0x01, 0x00, 0x00, 0x2d, 0x03, 0x03, 10,  10, 10,
	    10,   10,   10,   10,   10,   10,   10,   10,   10,   10,   10,   10,  10, 10,
	    10,   10,   10,   10,   10,   10,   10,   10,   10,   10,   10,   10,  10, 10,
	    10,   0x00, 0x00, 0x04, 0xc0, 0x2f, 0xc0, 0x0a, 0x01, 0x00, 0x00, 0x00};
	struct conn *c = NULL;
	struct err le;
	char got[8];
	size_t n = 0;
	int plain = 0;

	err_init(&le);
	if (net_connect(r->u.host, r->u.port, PROBE_TIMEOUT_MS, PROBE_TIMEOUT_MS, &c, &le) < 0)
		return 0;
	if (conn_write(c, hello, sizeof hello, &le) == 0) {
		while (n < 5) {
			ssize_t k = conn_read(c, got + n, 5 - n, &le);
			if (k <= 0)
				break;
			n += (size_t)k;
		}
		plain = n == 5 && memcmp(got, "HTTP/", 5) == 0;
	}
	conn_close(c);
	return plain;
}

/* Settles http or https with GET /v2/ (the ping), once. */
static int settle(struct registry *r, struct err *e)
{
	struct http_request hq = {0};
	struct http_response rs;
	char url[BASE_MAX + 8], hostpart[HTTP_HOST_MAX + 8];
	struct err le;
	int rc = ERR_NET;

	err_init(&le);
	if (r->base[0])
		return 0;
	if (strchr(r->u.host, ':'))
		snprintf(hostpart, sizeof hostpart, "[%s]", r->u.host);
	else
		snprintf(hostpart, sizeof hostpart, "%s", r->u.host);
	int first = r->plain_first;
	if (!first && r->allow_plain && net_is_loopback(r->u.host) && hello_probe(r))
		first = 1;
	for (int plain = first; plain < 2; plain++) {
		snprintf(url, sizeof url, "%s://%s:%d/v2/", plain ? "http" : "https", hostpart,
		         r->u.port);
		hq.method = "GET";
		hq.url = url;
		/* where plain HTTP may follow, one quick HTTPS try first: a plain-HTTP answer is
		 * no passing fault to retry; anything else gets the usual retries below */
		hq.flags = !plain && r->allow_plain ? HTTP_NO_RETRY : 0;
		err_init(&le);
		r->nreq++;
		rc = http_request(r->http, &hq, &rs, &le);
		if (rc < 0 && hq.flags && !tls_err_plain_http(&le)) {
			http_response_free(&rs);
			hq.flags = 0;
			err_init(&le);
			r->nreq++;
			rc = http_request(r->http, &hq, &rs, &le);
		}
		if (rc == 0) {
			http_response_free(&rs);
			snprintf(r->base, sizeof r->base, "%s://%s:%d", plain ? "http" : "https",
			         hostpart, r->u.port);
			if (plain)
				log_debug("registry %s speaks plain HTTP; using http://", r->host);
			return 0;
		}
		http_response_free(&rs);
		if (plain || !tls_err_plain_http(&le))
			break;
		if (!r->allow_plain) {
			err_set(e, ERR_NET, "registry %s answered in plain HTTP over HTTPS",
			        r->host);
			err_hint(e, "if it is meant to be plain HTTP, pass --insecure-registry %s",
			         r->host);
			return ERR_NET;
		}
	}
	return net_error(r, rc, &le, e);
}

/*
 * Sends q with auth (one retry after a 401 challenge). 0 with *rs (any status; the caller
 * frees it), or an ERR_ code with *e (rs empty).
 */
static int send_rq(struct registry *r, const struct rq *q, struct http_response *rs, struct err *e)
{
	struct http_headers h;
	struct http_request hq = {0};
	char url[HTTP_URL_MAX], www[WWW_AUTH_MAX];
	struct err le;
	int rc;

	memset(rs, 0, sizeof *rs);
	http_headers_init(&rs->headers);
	if ((rc = settle(r, e)) < 0)
		return rc;
	if (q->path[0] == '/') {
		if ((size_t)snprintf(url, sizeof url, "%s%s", r->base, q->path) >= sizeof url)
			return err_set(e, ERR_USAGE, "request URL too long");
	} else if ((size_t)snprintf(url, sizeof url, "%s", q->path) >= sizeof url) {
		return err_set(e, ERR_USAGE, "request URL too long");
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		http_headers_init(&h);
		if (r->auth &&
		    (rc = auth_header(r->auth, r->host, q->scopes, q->nscopes, &h, e)) < 0)
			goto out;
		if ((q->accept && http_headers_add(&h, "Accept", q->accept) < 0) ||
		    (q->content_type &&
		     http_headers_add(&h, "Content-Type", q->content_type) < 0) ||
		    (q->content_range &&
		     http_headers_add(&h, "Content-Range", q->content_range) < 0)) {
			rc = err_set(e, ERR_FAIL, "request headers too large");
			goto out;
		}
		hq.method = q->method;
		hq.url = url;
		hq.headers = &h;
		hq.body_open = q->open;
		hq.body_arg = q->arg;
		hq.body_len = q->open ? q->len : 0;
		hq.flags = q->flags;
		err_init(&le);
		r->nreq++;
		rc = http_request(r->http, &hq, rs, &le);
		http_headers_free(&h);
		if (rc < 0)
			return net_error(r, rc, &le, e);
		rs->body->e = e; /* body errors go to the caller's buffer, not to this local one */
		if (rs->status != 401 || !r->auth || attempt == 1)
			return 0;
		if (join_www_auth(&rs->headers, www, sizeof www) < 0)
			return 0; /* no challenge: the caller reports the 401 */
		http_response_free(rs);
		if ((rc = auth_challenge(r->auth, r->host, www, q->scopes, q->nscopes, e)) < 0) {
			err_hint(e, "run: polycrate login %s", r->host);
			return rc;
		}
	}
	return 0;
out:
	http_headers_free(&h);
	return rc;
}

static int ping_ok(int status)
{
	return status == 200 || status == 401;
}

int registry_ping(struct registry *r, struct err *e)
{
	struct rq q = {.method = "GET", .path = "/v2/"};
	struct http_response rs;
	int rc = send_rq(r, &q, &rs, e);
	if (rc == 0 && !ping_ok(rs.status))
		rc = answer_error(r, &rs, "registry ping", e);
	http_response_free(&rs);
	return rc;
}

/* ---- bodies ---- */

struct mem_body {
	const void *p;
	size_t n;
};

static struct io_in *open_mem(void *arg, struct err *e)
{
	struct mem_body *m = arg;
	return io_in_mem(m->p, m->n, e);
}

struct part {
	const struct registry_blob_src *src;
	uint64_t off, len;
	uint64_t *sent;
};

static struct io_in *src_open(const struct registry_blob_src *s, uint64_t off, struct err *e)
{
	if (s->open)
		return s->open(s->arg, off, e);
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_sys(e, errno == ENOENT ? ERR_NOTFOUND : ERR_FAIL, errno, "open %s", s->path);
		return NULL;
	}
	if (off && lseek(fd, (off_t)off, SEEK_SET) < 0) {
		err_sys(e, ERR_FAIL, errno, "seek %s", s->path);
		close(fd);
		return NULL;
	}
	return io_in_fd(fd, 1, e);
}

static struct io_in *open_part(void *arg, struct err *e)
{
	struct part *p = arg;
	*p->sent += p->len;
	return io_in_limit(src_open(p->src, p->off, e), p->len, e);
}

/* ---- repository names and URLs ---- */

/* A repository path: components of [a-z0-9] with single '.', '_' or runs of '-' and '_'
 * inside (docker's rule, loosely), so no "..", empty or separator-edged component ever
 * reaches a URL. */
/* A streamed body: src from offset 0 (every attempt starts over), its bytes counted. */
struct counted {
	const struct registry_blob_src *src;
	uint64_t n;
};

static struct io_in *open_counted(void *arg, struct err *e)
{
	struct counted *c = arg;
	return io_in_count(src_open(c->src, 0, e), &c->n, e);
}

static int check_repo(const char *repo, struct err *e)
{
	size_t n = repo ? strlen(repo) : 0, i;
	if (n == 0 || n >= REGISTRY_REPO_MAX)
		goto bad;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)repo[i];
		int alnum = islower(c) || isdigit(c);
		int first = i == 0 || repo[i - 1] == '/';
		int last = i + 1 == n || repo[i + 1] == '/';
		if (c == '/') {
			if (first)
				goto bad;
			continue;
		}
		if (!alnum && !(c == '.' || c == '_' || c == '-'))
			goto bad;
		if (!alnum && (first || last || (c == '.' && repo[i + 1] == '.')))
			goto bad;
	}
	if (repo[n - 1] == '/')
		goto bad;
	return 0;
bad:
	return err_set(e, ERR_USAGE, "bad repository name '%.100s'", repo ? repo : "");
}

/* A tag or a digest as the last path part of a manifest URL. */
static int check_ref(const char *ref, struct err *e)
{
	size_t n = ref ? strlen(ref) : 0;
	if (n > 0 && strchr(ref, ':'))
		return digest_parse(ref, NULL, e);
	if (n == 0 || n > 128)
		return err_set(e, ERR_USAGE, "bad tag or digest '%.100s'", ref ? ref : "");
	/* [A-Za-z0-9_][A-Za-z0-9._-]{0,127} */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)ref[i];
		if (!(isalnum(c) || c == '_' || (i > 0 && (c == '.' || c == '-'))))
			return err_set(e, ERR_USAGE, "bad tag '%.100s'", ref);
	}
	return 0;
}

static void scope(char *out, size_t n, const char *repo, const char *actions)
{
	snprintf(out, n, "repository:%s:%s", repo, actions);
}

/* ---- manifests ---- */

void registry_manifest_free(struct registry_manifest *m)
{
	buf_free(&m->body);
	memset(m, 0, sizeof *m);
}

static void bare_type(const char *ct, char *out, size_t n)
{
	size_t k;
	out[0] = 0;
	if (!ct)
		return;
	k = strcspn(ct, "; \t");
	if (k < n) {
		memcpy(out, ct, k);
		out[k] = 0;
	}
}

static void header_digest(const struct http_response *rs, char *out)
{
	const char *d = http_headers_get(&rs->headers, "Docker-Content-Digest");
	out[0] = 0;
	if (d && strlen(d) < DIGEST_STR_MAX)
		snprintf(out, DIGEST_STR_MAX, "%s", d);
}

static int manifest_req(struct registry *r, const char *method, const char *repo, const char *ref,
                        struct registry_manifest *m, struct err *e)
{
	char path[REGISTRY_REPO_MAX + 200], sc[SCOPE_MAX], what[REGISTRY_REPO_MAX + 160];
	struct http_response rs;
	struct rq q = {0};
	int head = strcmp(method, "HEAD") == 0, rc;

	memset(m, 0, sizeof *m);
	buf_init(&m->body, REGISTRY_MANIFEST_MAX + 1);
	if ((rc = check_repo(repo, e)) < 0 || (rc = check_ref(ref, e)) < 0)
		return rc;
	snprintf(path, sizeof path, "/v2/%s/manifests/%s", repo, ref);
	snprintf(what, sizeof what, "manifest %s%s%s", repo, strchr(ref, ':') ? "@" : ":", ref);
	scope(sc, sizeof sc, repo, "pull");
	q.method = method;
	q.path = path;
	q.accept = registry_manifest_accept;
	q.scopes[0] = sc;
	q.nscopes = 1;
	if ((rc = send_rq(r, &q, &rs, e)) < 0)
		goto out;
	if (rs.status != 200) {
		rc = answer_error(r, &rs, what, e);
		goto out;
	}
	bare_type(http_headers_get(&rs.headers, "Content-Type"), m->media_type,
	          sizeof m->media_type);
	header_digest(&rs, m->header_digest);
	if (head) {
		m->size = rs.content_length >= 0 ? (uint64_t)rs.content_length : 0;
		if (rs.content_length > (int64_t)REGISTRY_MANIFEST_MAX) {
			rc = err_set(e, ERR_FAIL, "%s is larger than the %u MiB limit", what,
			             REGISTRY_MANIFEST_MAX >> 20);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (rs.content_length > (int64_t)REGISTRY_MANIFEST_MAX) {
		rc = err_set(e, ERR_FAIL, "%s is larger than the %u MiB limit", what,
		             REGISTRY_MANIFEST_MAX >> 20);
		goto out;
	}
	{
		struct err le;
		err_init(&le);
		if ((rc = http_response_slurp(&rs, &m->body, REGISTRY_MANIFEST_MAX, &le)) < 0) {
			if (m->body.len >= REGISTRY_MANIFEST_MAX)
				rc = err_set(e, ERR_FAIL, "%s is larger than the %u MiB limit",
				             what, REGISTRY_MANIFEST_MAX >> 20);
			else
				rc = net_error(r, rc, &le, e);
			goto out;
		}
	}
	m->size = m->body.len;
	sha256_str(m->body.p ? m->body.p : "", m->body.len, m->digest);
	if (strchr(ref, ':') && strcmp(ref, m->digest) != 0) {
		rc = err_set(e, ERR_INTEGRITY, "%s: the registry sent bytes with digest %s", what,
		             m->digest);
		goto out;
	}
	if (m->header_digest[0] && strncmp(m->header_digest, "sha256:", 7) == 0 &&
	    strcmp(m->header_digest, m->digest) != 0) {
		rc = err_set(e, ERR_INTEGRITY,
		             "%s: Docker-Content-Digest %s does not match the bytes (%s)", what,
		             m->header_digest, m->digest);
		goto out;
	}
	rc = 0;
out:
	http_response_free(&rs);
	if (rc < 0)
		registry_manifest_free(m);
	return rc;
}

int registry_manifest_get(struct registry *r, const char *repo, const char *ref,
                          struct registry_manifest *m, struct err *e)
{
	return manifest_req(r, "GET", repo, ref, m, e);
}

int registry_manifest_head(struct registry *r, const char *repo, const char *ref,
                           struct registry_manifest *m, struct err *e)
{
	return manifest_req(r, "HEAD", repo, ref, m, e);
}

int registry_manifest_put(struct registry *r, const char *repo, const char *ref,
                          const char *media_type, const void *body, size_t len,
                          char digest_out[DIGEST_STR_MAX], struct err *e)
{
	char path[REGISTRY_REPO_MAX + 200], sc[SCOPE_MAX], what[REGISTRY_REPO_MAX + 160];
	char dg[DIGEST_STR_MAX], hd[DIGEST_STR_MAX];
	struct mem_body mb = {body, len};
	struct http_response rs;
	struct rq q = {0};
	int rc;

	if (digest_out)
		digest_out[0] = 0;
	if ((rc = check_repo(repo, e)) < 0 || (rc = check_ref(ref, e)) < 0)
		return rc;
	if (len > REGISTRY_MANIFEST_MAX)
		return err_set(e, ERR_FAIL, "manifest is larger than the %u MiB limit",
		               REGISTRY_MANIFEST_MAX >> 20);
	sha256_str(body, len, dg);
	if (strchr(ref, ':') && strcmp(ref, dg) != 0)
		return err_set(e, ERR_INTEGRITY, "manifest bytes have digest %s, not %s", dg, ref);
	snprintf(path, sizeof path, "/v2/%s/manifests/%s", repo, ref);
	snprintf(what, sizeof what, "manifest %s%s%s", repo, strchr(ref, ':') ? "@" : ":", ref);
	scope(sc, sizeof sc, repo, "pull,push");
	q.method = "PUT";
	q.path = path;
	q.content_type = media_type;
	q.scopes[0] = sc;
	q.nscopes = 1;
	q.open = open_mem;
	q.arg = &mb;
	q.len = (int64_t)len;
	if ((rc = send_rq(r, &q, &rs, e)) < 0)
		goto out;
	if (rs.status != 201 && rs.status != 200 && rs.status != 202) {
		rc = answer_error(r, &rs, what, e);
		goto out;
	}
	header_digest(&rs, hd);
	if (hd[0] && strncmp(hd, "sha256:", 7) == 0 && strcmp(hd, dg) != 0) {
		rc = err_set(e, ERR_INTEGRITY, "%s: the registry stored digest %s, we sent %s",
		             what, hd, dg);
		goto out;
	}
	if (digest_out)
		snprintf(digest_out, DIGEST_STR_MAX, "%s", dg);
	rc = 0;
out:
	http_response_free(&rs);
	return rc;
}

static int delete_req(struct registry *r, const char *kind, const char *repo, const char *digest,
                      struct err *e)
{
	char path[REGISTRY_REPO_MAX + 200], sc[SCOPE_MAX], what[REGISTRY_REPO_MAX + 160];
	struct http_response rs;
	struct rq q = {0};
	int rc;

	if ((rc = check_repo(repo, e)) < 0 || (rc = digest_parse(digest, NULL, e)) < 0)
		return rc;
	snprintf(path, sizeof path, "/v2/%s/%ss/%s", repo, kind, digest);
	snprintf(what, sizeof what, "%s %s@%s", kind, repo, digest);
	scope(sc, sizeof sc, repo, "delete");
	q.method = "DELETE";
	q.path = path;
	q.scopes[0] = sc;
	q.nscopes = 1;
	if ((rc = send_rq(r, &q, &rs, e)) < 0)
		goto out;
	if (rs.status == 202 || rs.status == 200 || rs.status == 204) {
		rc = 0;
	} else if (rs.status == 405) {
		rc = err_set(e, ERR_FAIL, "%s: the registry does not allow deletes", what);
	} else {
		rc = answer_error(r, &rs, what, e);
	}
out:
	http_response_free(&rs);
	return rc;
}

int registry_manifest_delete(struct registry *r, const char *repo, const char *digest,
                             struct err *e)
{
	return delete_req(r, "manifest", repo, digest, e);
}

int registry_blob_delete(struct registry *r, const char *repo, const char *digest, struct err *e)
{
	return delete_req(r, "blob", repo, digest, e);
}

/* ---- blobs ---- */

/* What a request about one blob needs around it. */
struct blob_ask {
	char path[REGISTRY_REPO_MAX + 200], sc[SCOPE_MAX], what[REGISTRY_REPO_MAX + 160];
};

/* Checks repo and digest, names the blob in b->what and sends method for it: 0 with *rs
 * (any status; the caller frees it), or an ERR_ code (*rs empty, freeing it is fine). */
static int blob_send(struct registry *r, const char *method, const char *repo, const char *digest,
                     struct blob_ask *b, struct http_response *rs, struct err *e)
{
	struct rq q = {0};
	int rc;
	memset(rs, 0, sizeof *rs);
	http_headers_init(&rs->headers);
	if ((rc = check_repo(repo, e)) < 0 || (rc = digest_parse(digest, NULL, e)) < 0)
		return rc;
	snprintf(b->path, sizeof b->path, "/v2/%s/blobs/%s", repo, digest);
	snprintf(b->what, sizeof b->what, "blob %s@%s", repo, digest);
	scope(b->sc, sizeof b->sc, repo, "pull");
	q.method = method;
	q.path = b->path;
	q.scopes[0] = b->sc;
	q.nscopes = 1;
	return send_rq(r, &q, rs, e);
}

int registry_blob_exists(struct registry *r, const char *repo, const char *digest, uint64_t *size,
                         struct err *e)
{
	struct blob_ask b;
	struct http_response rs;
	int rc = blob_send(r, "HEAD", repo, digest, &b, &rs, e);
	if (rc < 0)
		goto out;
	if (rs.status == 200) {
		if (size)
			*size = rs.content_length >= 0 ? (uint64_t)rs.content_length : 0;
		rc = 1;
	} else if (rs.status == 404) {
		rc = 0;
	} else {
		rc = answer_error(r, &rs, b.what, e);
	}
out:
	http_response_free(&rs);
	return rc;
}

struct io_in *registry_blob_get(struct registry *r, const char *repo, const char *digest,
                                int64_t size, struct err *e)
{
	struct blob_ask b;
	struct http_response rs;
	struct io_in *in = NULL;
	if (blob_send(r, "GET", repo, digest, &b, &rs, e) < 0)
		goto out;
	if (rs.status != 200) {
		answer_error(r, &rs, b.what, e);
		goto out;
	}
	if (size >= 0 && rs.content_length >= 0 && rs.content_length != size) {
		err_set(e, ERR_INTEGRITY,
		        "%s: the registry announces %" PRId64 " bytes, not %" PRId64, b.what,
		        rs.content_length, size);
		goto out;
	}
	in = digest_verify_in(rs.body, digest, size, e);
	rs.body = NULL;
out:
	http_response_free(&rs);
	return in;
}

/* ---- uploads ---- */

struct upload {
	struct registry *r;
	const char *repo;
	const struct registry_blob_src *src;
	char sc[2][SCOPE_MAX];
	size_t nsc;
	char loc[HTTP_URL_MAX]; /* the newest Location */
	uint64_t min_chunk;     /* OCI-Chunk-Min-Length, 0 when not given */
	struct registry_upload_stats *st;
	char what[REGISTRY_REPO_MAX + 160];
};

static void up_rq(struct upload *u, struct rq *q, const char *method, const char *path)
{
	memset(q, 0, sizeof *q);
	q->method = method;
	q->path = path;
	q->scopes[0] = u->sc[0];
	q->scopes[1] = u->sc[1];
	q->nscopes = u->nsc;
}

/* A fresh upload of src (may be NULL for a bare session) into repo, with push scope. */
static void upload_init(struct upload *u, struct registry *r, const char *repo,
                        const struct registry_blob_src *src, struct registry_upload_stats *st)
{
	memset(u, 0, sizeof *u);
	u->r = r;
	u->repo = repo;
	u->src = src;
	u->st = st;
	scope(u->sc[0], sizeof u->sc[0], repo, "pull,push");
	u->nsc = 1;
}

/* Takes the answer's Location (resolved against the URL that answered) as the session's. */
static int take_location(struct upload *u, const struct http_response *rs, struct err *e)
{
	const char *loc = http_headers_get(&rs->headers, "Location");
	struct http_url base, out;
	struct err le;

	if (!loc || !*loc)
		return err_set(e, ERR_NET, "%s: the registry gave no upload Location", u->what);
	err_init(&le);
	if (http_url_parse(rs->url, &base, &le) < 0 || http_url_resolve(&base, loc, &out, &le) < 0)
		return err_set(e, ERR_NET, "%s: bad upload Location: %s", u->what, le.msg);
	http_url_format(&out, u->loc, sizeof u->loc);
	if (strlen(u->loc) + 100 >= sizeof u->loc)
		return err_set(e, ERR_NET, "%s: upload Location too long", u->what);
	return 0;
}

static void take_min_chunk(struct upload *u, const struct http_response *rs)
{
	const char *v = http_headers_get(&rs->headers, "OCI-Chunk-Min-Length");
	char *end;
	unsigned long long n;
	if (!v)
		return;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v || *end || n > REGISTRY_CHUNK_CEIL) {
		log_debug("%s: ignoring OCI-Chunk-Min-Length '%.40s'", u->what, v);
		return;
	}
	u->min_chunk = n;
}

/* The session's URL with one more query parameter; ERR_NET when it does not fit. */
static int loc_with(const struct upload *u, const char *param, char *out, size_t n, struct err *e)
{
	int k = snprintf(out, n, "%s%c%s", u->loc, strchr(u->loc, '?') ? '&' : '?', param);
	if (k < 0 || (size_t)k >= n)
		return err_set(e, ERR_NET, "%s: upload Location too long", u->what);
	return 0;
}

static void cancel(struct upload *u)
{
	struct http_response rs;
	struct rq q;
	struct err le;
	if (!u->loc[0])
		return;
	up_rq(u, &q, "DELETE", u->loc);
	q.flags = HTTP_NO_RETRY;
	err_init(&le);
	if (send_rq(u->r, &q, &rs, &le) == 0)
		log_debug("%s: upload session cancelled (%d)", u->what, rs.status);
	http_response_free(&rs);
	u->loc[0] = 0;
}

/* POST a new session (with a mount when from is set). 1 when mounted, 0 with u->loc set. */
static int start(struct upload *u, const char *from, struct err *e)
{
	char path[REGISTRY_REPO_MAX * 2 + 200];
	struct http_response rs;
	struct rq q;
	int rc;

	if (from)
		snprintf(path, sizeof path, "/v2/%s/blobs/uploads/?mount=%s&from=%s", u->repo,
		         u->src->digest, from);
	else
		snprintf(path, sizeof path, "/v2/%s/blobs/uploads/", u->repo);
	up_rq(u, &q, "POST", path);
	u->loc[0] = 0;
	if ((rc = send_rq(u->r, &q, &rs, e)) < 0)
		goto out;
	if (from && rs.status == 201) {
		rc = 1;
		goto out;
	}
	if (rs.status != 202) {
		rc = answer_error(u->r, &rs, u->what, e);
		goto out;
	}
	if (from)
		log_debug("%s: mount from %s refused; uploading", u->what, from);
	take_min_chunk(u, &rs);
	rc = take_location(u, &rs, e);
out:
	http_response_free(&rs);
	return rc;
}

/* PUT ?digest= with the rest of the blob (part may be NULL: no body). 0, 1 on 413, or an
 * ERR_ code. */
static int finish(struct upload *u, struct part *p, struct err *e)
{
	char url[HTTP_URL_MAX], param[DIGEST_STR_MAX + 16], hd[DIGEST_STR_MAX];
	struct http_response rs;
	struct rq q;
	int rc;

	snprintf(param, sizeof param, "digest=%s", u->src->digest);
	if ((rc = loc_with(u, param, url, sizeof url, e)) < 0)
		return rc;
	up_rq(u, &q, "PUT", url);
	q.content_type = "application/octet-stream";
	if (p) {
		q.open = open_part;
		q.arg = p;
		q.len = (int64_t)p->len;
	} else {
		q.open = open_mem;
		static struct mem_body empty = {"", 0};
		q.arg = &empty;
		q.len = 0;
	}
	if ((rc = send_rq(u->r, &q, &rs, e)) < 0)
		goto out;
	if (rs.status == 413) {
		rc = 1;
		goto out;
	}
	if (rs.status != 201 && rs.status != 204 && rs.status != 200) {
		rc = answer_error(u->r, &rs, u->what, e);
		goto out;
	}
	header_digest(&rs, hd);
	if (hd[0] && strcmp(hd, u->src->digest) != 0) {
		rc = err_set(e, ERR_INTEGRITY, "%s: the registry stored digest %s", u->what, hd);
		goto out;
	}
	u->loc[0] = 0; /* the session is closed */
	rc = 0;
out:
	http_response_free(&rs);
	return rc;
}

/* Parses a Range answer "0-N" (or "bytes=0-N"): the next offset N+1, or -1. */
static int64_t range_next(const char *v)
{
	char *end;
	unsigned long long a, b;
	if (!v)
		return -1;
	if (strncmp(v, "bytes=", 6) == 0)
		v += 6;
	errno = 0;
	a = strtoull(v, &end, 10);
	if (errno || end == v || *end != '-' || a != 0)
		return -1;
	v = end + 1;
	b = strtoull(v, &end, 10);
	if (errno || end == v || *end || b >= (unsigned long long)INT64_MAX)
		return -1;
	return (int64_t)b + 1;
}

/*
 * Asks the registry how much of the session it holds (GET <location>: 204 with Range and a
 * new Location). Returns the next offset, or -1 when it will not say.
 */
static int64_t upload_status(struct upload *u)
{
	struct http_response rs;
	struct rq q;
	struct err le;
	int64_t next = -1;

	up_rq(u, &q, "GET", u->loc);
	err_init(&le);
	if (send_rq(u->r, &q, &rs, &le) == 0 && (rs.status == 204 || rs.status == 202)) {
		const char *v = http_headers_get(&rs.headers, "Range");
		/* distribution writes "0--1" for an empty session */
		next = v && strcmp(v, "0--1") == 0 ? 0 : range_next(v);
		if (next >= 0 && take_location(u, &rs, &le) < 0)
			next = -1;
	}
	http_response_free(&rs);
	return next;
}

/* PATCH chunks from offset 0. 0 when all were taken, 1 on a 413, or an ERR_ code. A chunk
 * lost with its connection is resumed from where the registry says it is, at most
 * REGISTRY_UPLOAD_RESTARTS times. */
static int chunks(struct upload *u, uint64_t chunk, struct err *e)
{
	uint64_t off = 0, size = u->src->size;
	char cr[RANGE_HDR_MAX];
	int rc = 0;
	unsigned resumes = 0;

	while (off < size) {
		struct part p = {u->src, off, size - off < chunk ? size - off : chunk,
		                 &u->st->sent};
		struct http_response rs;
		struct rq q;
		struct err le;
		up_rq(u, &q, "PATCH", u->loc);
		snprintf(cr, sizeof cr, "%" PRIu64 "-%" PRIu64, off, off + p.len - 1);
		q.content_type = "application/octet-stream";
		q.content_range = cr;
		q.open = open_part;
		q.arg = &p;
		q.len = (int64_t)p.len;
		err_init(&le);
		if ((rc = send_rq(u->r, &q, &rs, &le)) < 0) {
			http_response_free(&rs);
			int64_t at = -1;
			if (rc == ERR_NET && resumes < REGISTRY_UPLOAD_RESTARTS)
				at = upload_status(u);
			if (at < 0 || (uint64_t)at > off + p.len) {
				err_set(e, rc, "%s", le.msg);
				if (le.hint[0])
					err_hint(e, "%s", le.hint);
				return rc;
			}
			log_debug("%s: chunk at %" PRIu64 " lost (%s); resuming at %" PRId64,
			          u->what, off, le.msg, at);
			resumes++;
			u->st->restarts++;
			off = (uint64_t)at;
			continue;
		}
		if (rs.status == 413) {
			http_response_free(&rs);
			return 1;
		}
		if (rs.status != 202 && rs.status != 204) {
			rc = answer_error(u->r, &rs, u->what, e);
			http_response_free(&rs);
			return rc;
		}
		int64_t next = range_next(http_headers_get(&rs.headers, "Range"));
		if (next >= 0 && (uint64_t)next != off + p.len) {
			rc = err_set(e, ERR_NET,
			             "%s: the registry took bytes up to %" PRId64
			             " of a chunk ending"
			             " at %" PRIu64,
			             u->what, next, off + p.len);
			http_response_free(&rs);
			return rc;
		}
		rc = take_location(u, &rs, e);
		http_response_free(&rs);
		if (rc < 0)
			return rc;
		off += p.len;
	}
	return 0;
}

int registry_blob_push(struct registry *r, const char *repo, const struct registry_blob_src *src,
                       const char *mount_from, struct registry_upload_stats *st, struct err *e)
{
	struct registry_upload_stats local;
	struct upload u;
	uint64_t have = 0, chunk;
	unsigned start_req = r->nreq;
	int rc, chunked, tries;

	if (!st)
		st = &local;
	memset(st, 0, sizeof *st);
	upload_init(&u, r, repo, src, st);
	if ((rc = check_repo(repo, e)) < 0 || (rc = digest_parse(src->digest, NULL, e)) < 0)
		return rc;
	if (!src->path && !src->open)
		return err_set(e, ERR_USAGE, "blob upload without a source");
	if (mount_from && (rc = check_repo(mount_from, e)) < 0)
		return rc;
	snprintf(u.what, sizeof u.what, "upload of blob %s to %s", src->digest, repo);
	if (mount_from && strcmp(mount_from, repo) != 0) {
		scope(u.sc[1], sizeof u.sc[1], mount_from, "pull");
		u.nsc = 2;
	} else {
		mount_from = NULL;
	}
	if (src->session && src->session->open) {
		rc = 0; /* a session is waiting: no HEAD, this upload is wanted */
	} else if ((rc = registry_blob_exists(r, repo, src->digest, &have, e)) < 0) {
		goto out;
	}
	if (rc == 1) {
		st->how = REGISTRY_UP_EXISTS;
		rc = 0;
		goto out;
	}
	chunked = r->always_chunked || src->size > r->mono_max;
	chunk = r->chunk;
	for (tries = 0;; tries++) {
		if (tries > REGISTRY_UPLOAD_RESTARTS) {
			rc = err_set(e, ERR_FAIL,
			             "%s: the registry refused every chunk size down to "
			             "%" PRIu64 " bytes (413)",
			             u.what, chunk);
			goto out;
		}
		if (tries == 0 && src->session && src->session->open) {
			snprintf(u.loc, sizeof u.loc, "%s", src->session->loc);
			u.min_chunk = src->session->min_chunk;
			src->session->open = 0;
			rc = 0;
		} else if ((rc = start(&u, tries == 0 ? mount_from : NULL, e)) < 0) {
			goto out;
		}
		if (rc == 1) {
			st->how = REGISTRY_UP_MOUNTED;
			rc = 0;
			goto out;
		}
		if (!chunked) {
			struct part p = {src, 0, src->size, &st->sent};
			st->how = REGISTRY_UP_MONOLITHIC;
			if ((rc = finish(&u, &p, e)) <= 0)
				goto out;
			/* 413: this registry wants chunks */
			log_debug("%s: monolithic PUT refused (413); uploading in chunks", u.what);
			cancel(&u);
			chunked = 1;
			st->restarts++;
			continue;
		}
		if (u.min_chunk > chunk)
			chunk = u.min_chunk;
		st->how = REGISTRY_UP_CHUNKED;
		st->chunk = chunk;
		if ((rc = chunks(&u, chunk, e)) < 0)
			goto out;
		if (rc == 0) {
			rc = finish(&u, NULL, e);
			if (rc == 1)
				rc = err_set(e, ERR_FAIL, "%s: the closing PUT was refused (413)",
				             u.what);
			goto out;
		}
		/* 413 to a chunk: smaller ones, but never below the registry's minimum */
		cancel(&u);
		st->restarts++;
		uint64_t floor =
		    u.min_chunk > REGISTRY_CHUNK_FLOOR ? u.min_chunk : REGISTRY_CHUNK_FLOOR;
		if (chunk / 2 < floor) {
			rc = err_set(e, ERR_FAIL,
			             "%s: the registry refused a %" PRIu64
			             "-byte chunk (413) and wants"
			             " chunks of at least %" PRIu64 " bytes",
			             u.what, chunk, floor);
			goto out;
		}
		chunk /= 2;
		log_debug("%s: chunk refused (413); trying %" PRIu64 "-byte chunks", u.what, chunk);
	}
out:
	if (rc < 0)
		cancel(&u);
	st->requests = r->nreq - start_req;
	return rc;
}

int registry_session_open(struct registry *r, const char *repo, struct registry_session *s,
                          struct err *e)
{
	struct upload u;
	int rc;
	memset(s, 0, sizeof *s);
	upload_init(&u, r, repo, NULL, NULL);
	if ((rc = check_repo(repo, e)) < 0)
		return rc;
	snprintf(u.what, sizeof u.what, "upload to %s", repo);
	if ((rc = start(&u, NULL, e)) < 0)
		return rc;
	snprintf(s->loc, sizeof s->loc, "%s", u.loc);
	s->min_chunk = u.min_chunk;
	s->open = 1;
	return 0;
}

void registry_session_cancel(struct registry *r, const char *repo, struct registry_session *s)
{
	struct upload u;
	if (!s->open)
		return;
	upload_init(&u, r, repo, NULL, NULL);
	snprintf(u.loc, sizeof u.loc, "%s", s->loc);
	snprintf(u.what, sizeof u.what, "upload to %s", repo);
	cancel(&u);
	s->open = 0;
}

int registry_blob_stream(struct registry *r, const char *repo, const struct registry_blob_src *src,
                         struct registry_upload_stats *st, struct err *e)
{
	struct registry_upload_stats local;
	struct upload u;
	struct http_response rs;
	struct rq q;
	struct counted c;
	unsigned start_req = r->nreq;
	int rc;

	if (!st)
		st = &local;
	memset(st, 0, sizeof *st);
	upload_init(&u, r, repo, src, st);
	memset(&rs, 0, sizeof rs);
	http_headers_init(&rs.headers);
	if ((rc = check_repo(repo, e)) < 0)
		return rc;
	if (!src->open && !src->path)
		return err_set(e, ERR_USAGE, "streamed upload without a source");
	snprintf(u.what, sizeof u.what, "upload of a blob to %s", repo);
	if ((rc = start(&u, NULL, e)) < 0)
		goto out;
	st->how = REGISTRY_UP_STREAMED;
	c.src = src;
	c.n = 0;
	up_rq(&u, &q, "PATCH", u.loc);
	q.content_type = "application/octet-stream";
	q.open = open_counted;
	q.arg = &c;
	q.len = -1;
	/* a session that took part of a body cannot be continued blind: one try */
	q.flags = HTTP_NO_RETRY;
	if ((rc = send_rq(r, &q, &rs, e)) < 0)
		goto out;
	st->sent = c.n;
	if (rs.status != 202 && rs.status != 204) {
		rc = answer_error(r, &rs, u.what, e);
		goto out;
	}
	/* (an empty body has no last byte: distribution says "0-0" or "0--1" then) */
	int64_t next = range_next(http_headers_get(&rs.headers, "Range"));
	if (c.n && next >= 0 && (uint64_t)next != c.n) {
		rc = err_set(e, ERR_NET, "%s: the registry took %" PRId64 " of %" PRIu64 " bytes",
		             u.what, next, c.n);
		goto out;
	}
	if ((rc = take_location(&u, &rs, e)) < 0)
		goto out;
	http_response_free(&rs); /* the connection back to the pool for the PUT */
	/* the body's end came after the producer's, so the digest is there now */
	if ((rc = digest_parse(src->digest, NULL, e)) < 0)
		goto out;
	snprintf(u.what, sizeof u.what, "upload of blob %s to %s", src->digest, repo);
	rc = finish(&u, NULL, e);
	if (rc == 1)
		rc = err_set(e, ERR_FAIL, "%s: the closing PUT was refused (413)", u.what);
out:
	http_response_free(&rs);
	if (rc < 0)
		cancel(&u);
	st->requests = r->nreq - start_req;
	return rc;
}

/* ---- tags ---- */

void registry_tags_free(struct registry_tags *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	memset(t, 0, sizeof *t);
}

int registry_link_next(const char *link, const char *base, char *out, size_t n, struct err *e)
{
	const char *p = link;
	struct http_url b, u;
	char target[HTTP_URL_MAX];

	out[0] = 0;
	if (!link)
		return 0;
	while (*p) {
		const char *lt, *gt, *end;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		if (*p != '<' || !(gt = strchr(p, '>')))
			return err_set(e, ERR_NET, "bad Link header '%.80s'", link);
		lt = p + 1;
		if ((size_t)(gt - lt) >= sizeof target)
			return err_set(e, ERR_NET, "Link target too long");
		memcpy(target, lt, (size_t)(gt - lt));
		target[gt - lt] = 0;
		/* the parameters up to the next link (a ',' outside quotes) */
		int quoted = 0, next = 0;
		for (end = gt + 1; *end && (quoted || *end != ','); end++)
			if (*end == '"')
				quoted = !quoted;
		for (const char *q = gt + 1; q < end; q++) {
			if (strncasecmp(q, "rel=", 4) != 0)
				continue;
			q += 4;
			int qq = *q == '"';
			if (qq)
				q++;
			/* rel may hold several space-separated types */
			while (q < end && *q != '"' && *q != ';') {
				size_t k = strcspn(q, " \";,");
				if (k == 4 && strncasecmp(q, "next", 4) == 0)
					next = 1;
				q += k;
				while (q < end && *q == ' ')
					q++;
				if (!qq)
					break;
			}
			break;
		}
		if (next) {
			struct err le;
			err_init(&le);
			if (http_url_parse(base, &b, &le) < 0 ||
			    http_url_resolve(&b, target, &u, &le) < 0)
				return err_set(e, ERR_NET, "bad Link target: %s", le.msg);
			http_url_format(&u, out, n);
			return 1;
		}
		p = end;
	}
	return 0;
}

/* Appends the "tags" of one page to t. Returns the number added, or an ERR_ code. */
static int page_tags(const struct buf *b, struct registry_tags *t, struct err *e)
{
	struct json_doc d;
	struct json_iter it;
	int rc = 0, v, tags, added = 0;

	if (json_parse(&d, b->p ? b->p : "", b->len, e) < 0) {
		err_prefix(e, "tag list");
		return ERR_FAIL;
	}
	if (json_type(&d, 0) != JSON_OBJECT) {
		rc = err_set(e, ERR_FAIL, "tag list is not a JSON object");
		goto out;
	}
	tags = json_get(&d, 0, "tags");
	if (tags < 0 || json_type(&d, tags) == JSON_NULL)
		goto out;
	if (json_type(&d, tags) != JSON_ARRAY) {
		rc = err_set(e, ERR_FAIL, "tag list: \"tags\" is not an array");
		goto out;
	}
	if (t->n + d.toks[tags].size > REGISTRY_TAGS_MAX) {
		rc = err_set(e, ERR_FAIL, "more than %d tags", REGISTRY_TAGS_MAX);
		goto out;
	}
	char **nv = realloc(t->v, (t->n + d.toks[tags].size + 1) * sizeof *nv);
	if (!nv) {
		rc = err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	t->v = nv;
	json_iter_init(&it, &d, tags);
	while ((v = json_iter_next(&it, NULL)) >= 0) {
		if (json_type(&d, v) != JSON_STRING) {
			rc = err_set(e, ERR_FAIL, "tag list holds a %s",
			             json_type_name(json_type(&d, v)));
			goto out;
		}
		if (!(t->v[t->n] = json_strdup(&d, v, e))) {
			rc = ERR_FAIL;
			goto out;
		}
		t->n++;
		added++;
	}
	rc = added;
out:
	json_free(&d);
	return rc;
}

int registry_tags_list(struct registry *r, const char *repo, unsigned page, struct registry_tags *t,
                       struct err *e)
{
	char url[HTTP_URL_MAX], next[HTTP_URL_MAX], sc[SCOPE_MAX], what[REGISTRY_REPO_MAX + 32];
	struct http_response rs;
	struct buf b;
	int rc = 0;

	memset(t, 0, sizeof *t);
	buf_init(&b, REGISTRY_TAGS_BODY_MAX + 1);
	memset(&rs, 0, sizeof rs);
	if ((rc = check_repo(repo, e)) < 0)
		goto out;
	snprintf(url, sizeof url, "/v2/%s/tags/list?n=%u", repo, page ? page : REGISTRY_TAGS_PAGE);
	snprintf(what, sizeof what, "repository %s", repo);
	scope(sc, sizeof sc, repo, "pull");
	for (int pages = 0;; pages++) {
		struct rq q = {.method = "GET", .path = url, .scopes = {sc}, .nscopes = 1};
		struct err le;
		if (pages >= REGISTRY_TAGS_PAGES_MAX) {
			rc = err_set(e, ERR_FAIL, "%s: more than %d pages of tags", what,
			             REGISTRY_TAGS_PAGES_MAX);
			goto out;
		}
		if ((rc = send_rq(r, &q, &rs, e)) < 0)
			goto out;
		if (rs.status != 200) {
			rc = answer_error(r, &rs, what, e);
			goto out;
		}
		rc = registry_link_next(http_headers_get(&rs.headers, "Link"), rs.url, next,
		                        sizeof next, e);
		if (rc < 0)
			goto out;
		int more = rc;
		buf_reset(&b);
		err_init(&le);
		if ((rc = http_response_slurp(&rs, &b, REGISTRY_TAGS_BODY_MAX, &le)) < 0) {
			rc = net_error(r, rc, &le, e);
			goto out;
		}
		http_response_free(&rs);
		if ((rc = page_tags(&b, t, e)) < 0)
			goto out;
		/* an empty page or a link to itself ends the walk */
		if (!more || rc == 0 || strcmp(next, url) == 0)
			break;
		snprintf(url, sizeof url, "%s", next);
	}
	rc = 0;
out:
	http_response_free(&rs);
	buf_free(&b);
	if (rc < 0)
		registry_tags_free(t);
	return rc;
}
