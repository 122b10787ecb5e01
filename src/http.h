/* http.h - HTTP/1.1 client: URLs, requests, responses as streams, keep-alive, redirects, retry */
#ifndef POLYCRATE_HTTP_H
#define POLYCRATE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "io.h"
#include "net.h"

/* Limits (DESIGN.md §3); exceeding one is an ERR_NET error that names it. */
#define HTTP_URL_MAX 8192             /* a whole URL, and path+query */
#define HTTP_HOST_MAX 256             /* host name without brackets */
#define HTTP_USERINFO_MAX 256         /* user:password in a URL */
#define HTTP_LINE_MAX 8192            /* status line, one header line, one chunk-size line */
#define HTTP_HEADERS_MAX 100          /* header fields in a response (or a request) */
#define HTTP_HEADER_BYTES 65536       /* all header lines of one response together */
#define HTTP_TRAILER_BYTES 16384      /* all trailer lines after a chunked body */
#define HTTP_MAX_REDIRECTS 10         /* followed per request */
#define HTTP_MAX_TRIES 5              /* attempts per request (first one included) */
#define HTTP_RETRY_BASE_MS 500        /* default backoff base: base * 2^(try-1), jittered */
#define HTTP_RETRY_AFTER_MAX_MS 60000 /* a longer Retry-After is cut to this */
#define HTTP_POOL_MAX 16              /* idle kept-alive connections per client */
#define HTTP_POOL_IDLE_MS 30000       /* an idle connection older than this is not reused */
#define HTTP_DRAIN_MAX 65536          /* body bytes read away to keep a connection on close */

/* A parsed absolute URL. host has no brackets; path starts with '/' and holds the query. */
struct http_url {
	char scheme[8];                   /* "http" or "https" */
	char userinfo[HTTP_USERINFO_MAX]; /* "" when absent; still percent-encoded */
	char host[HTTP_HOST_MAX];         /* lowercased */
	int port;                         /* explicit or the scheme's default */
	char path[HTTP_URL_MAX];
};

/* Parses an absolute http(s) URL strictly: no spaces or control bytes, a non-empty host,
 * a bracketed IPv6 literal, port 1..65535, no fragment. 0, or ERR_USAGE with *e naming
 * the URL (its userinfo redacted) and the part that is wrong. */
int http_url_parse(const char *s, struct http_url *u, struct err *e);

/* Resolves ref (absolute, scheme-relative "//h/p", absolute path "/p" or relative "p") against
 * base, as for a Location header. 0 or ERR_NET (a bad Location is the server's fault). */
int http_url_resolve(const struct http_url *base, const char *ref, struct http_url *out,
                     struct err *e);

/* Formats u as "scheme://host[:port]path" (port only when not the default, no userinfo). */
void http_url_format(const struct http_url *u, char *out, size_t n);

/* Header fields in order, names as given; strings live in one allocation per list. */
struct http_header {
	char *name, *value;
};
struct http_headers {
	size_t n;
	struct http_header h[HTTP_HEADERS_MAX];
	char *store;
	size_t used, cap;
};

void http_headers_init(struct http_headers *h);
void http_headers_free(struct http_headers *h); /* leaves an empty, reusable list */
/* Appends a field (value trimmed of surrounding blanks). 0, or ERR_FAIL past
 * HTTP_HEADERS_MAX / HTTP_HEADER_BYTES or on CR/LF/NUL in name or value. */
int http_headers_add(struct http_headers *h, const char *name, const char *value);
/* The first value of name (case-insensitive), or NULL. Valid until the list changes. */
const char *http_headers_get(const struct http_headers *h, const char *name);

/*
 * Transport hook for "https": wraps raw (a connected TCP conn, or a CONNECT tunnel) in TLS
 * for host:port (the port picks certs.d folders). On success *out owns raw; on failure the
 * hook has closed raw (the caller never touches it again) - tls.h's tls_connect behaves so.
 * Set with http_client_set_tls; without one, https is ERR_NET.
 */
typedef int (*http_tls_fn)(void *arg, struct conn *raw, const char *host, int port,
                           struct conn **out, struct err *e);

struct http_client;

/* A client with defaults (timeouts from net.h, HTTP_RETRY_BASE_MS, proxies from the
 * environment: HTTP_PROXY, HTTPS_PROXY, NO_PROXY and their lowercase forms, lowercase
 * first). NULL only when memory runs out. One client may be shared by threads: the pool
 * and the counters are mutex-protected; each request/response pair belongs to one thread. */
struct http_client *http_client_new(void);
/* Closes pooled connections; NULL is fine. Every response body must be closed before. */
void http_client_free(struct http_client *c);

void http_client_set_tls(struct http_client *c, http_tls_fn fn, void *arg);
void http_client_set_timeouts(struct http_client *c, int connect_ms, int io_ms);
void http_client_set_retry(struct http_client *c, int base_ms, int max_tries);
/* How long a pooled connection may sit idle and still be reused (HTTP_POOL_IDLE_MS). */
void http_client_set_idle(struct http_client *c, int idle_ms);
/* Replaces the proxy settings taken from the environment (NULL or "" for none). 0, or
 * ERR_USAGE for a value that is no http:// proxy URL (then nothing changed). */
int http_client_set_proxy(struct http_client *c, const char *http_proxy, const char *https_proxy,
                          const char *no_proxy, struct err *e);
/* TCP connections opened and requests sent since creation (for tests and stats). */
void http_client_stats(struct http_client *c, uint64_t *connections, uint64_t *requests);

/* Request flags. */
#define HTTP_NO_REDIRECT 1u /* hand 3xx back to the caller */
#define HTTP_NO_RETRY 2u    /* one try (a stale pooled connection is still replaced) */
#define HTTP_NO_RESUME 4u   /* a GET body broken mid-way is an error, not resumed */
#define HTTP_IDEMPOTENT 8u  /* treat a POST/PATCH as safe to repeat */

struct http_request {
	const char *method;                 /* "GET", "HEAD", "PUT", ... */
	const char *url;                    /* absolute http(s) URL */
	const struct http_headers *headers; /* extra fields, or NULL */
	/*
	 * Authorization (and Cookie) fields in headers are tied to the URL's scheme, host and
	 * port: they are dropped when a redirect leads anywhere else.
	 * The body: body_open, when set, gives a fresh stream for every attempt (retries,
	 * 307/308 redirects) and http closes each; otherwise body is sent at most once, so
	 * such a request is not retried (a 307/308 comes back to the caller), and http closes
	 * it, also on failure. body_len >= 0 sends Content-Length, -1 sends chunked.
	 */
	struct io_in *body;
	struct io_in *(*body_open)(void *arg, struct err *e);
	void *body_arg;
	int64_t body_len;
	unsigned flags;
};

struct http_response {
	int status;
	char reason[128];
	struct http_headers headers;
	int64_t content_length; /* -1 when not given (chunked, until close, 204, 304); for HEAD:
	                         * the length the server declared */
	char url[HTTP_URL_MAX]; /* the URL that answered, after redirects */
	/* The body: always set on success (empty for HEAD, 1xx, 204, 304). Reading it to the
	 * end hands the connection back to the pool. A GET body broken mid-way is resumed with
	 * Range (HTTP_MAX_TRIES in all) so the reader sees one continuous stream.
	 * Its errors are written to the struct err given to http_request (io.h's shared
	 * message buffer): a caller that passed a short-lived one re-points it first,
	 * rs->body->e = e, before handing the response on. */
	struct io_in *body;
};

/*
 * Sends rq with c and reads the response head. Returns 0 with *rs filled, also for 4xx and
 * 5xx statuses (the last one after retries); or an ERR_ code with *e filled (ERR_NET for
 * connection failures, bad responses and exceeded limits; ERR_USAGE for a bad URL or
 * method) and *rs empty. rs->body reports its errors into *e too, so e must outlive it.
 * The caller always calls http_response_free(rs), which closes the body if needed.
 */
int http_request(struct http_client *c, const struct http_request *rq, struct http_response *rs,
                 struct err *e);
void http_response_free(struct http_response *rs);

/* Reads a whole small body (at most max bytes, else ERR_NET) into b; closes rs->body. */
int http_response_slurp(struct http_response *rs, struct buf *b, size_t max, struct err *e);

/*
 * The response parser alone, over any conn (tests, fuzzing): reads the status line and
 * headers from c, and sets rs->body to a stream of the body framed by the headers (head: a
 * response to HEAD). The body does not own c; close the body before c. 0 or ERR_NET.
 */
int http_response_read(struct conn *c, int head, struct http_response *rs, struct err *e);

/* Retry-After: milliseconds to wait (seconds or an HTTP-date, relative to now_s in Unix
 * seconds), cut to HTTP_RETRY_AFTER_MAX_MS; -1 when absent or unparsable. */
int64_t http_retry_after_ms(const char *value, int64_t now_s);

/* 1 when no_proxy (comma-separated: names, .suffixes, suffixes, "*", IPs, name:port)
 * exempts host:port from the proxy. */
int http_no_proxy_match(const char *no_proxy, const char *host, int port);

#endif
