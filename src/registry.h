/* registry.h - the OCI distribution API: ping, manifests, blobs, uploads, mounts, tags */
#ifndef POLYCRATE_REGISTRY_H
#define POLYCRATE_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "digest.h"
#include "err.h"
#include "http.h"

struct auth_ctx;
struct io_in;

/* Limits and defaults (DESIGN.md §3); exceeding a limit is an error that names it. */
#define REGISTRY_MANIFEST_MAX (4u * 1024 * 1024)   /* bytes of a manifest we GET or PUT */
#define REGISTRY_CHUNK_DEFAULT (4u * 1024 * 1024)  /* PATCH chunk (GHCR refuses more) */
#define REGISTRY_CHUNK_FLOOR (64u * 1024)          /* chunks never shrink below this */
#define REGISTRY_CHUNK_CEIL (256u * 1024 * 1024)   /* largest chunk a registry may demand */
#define REGISTRY_MONOLITHIC_MAX (4u * 1024 * 1024) /* larger blobs go up in chunks */
#define REGISTRY_ERROR_BODY_MAX (64u * 1024)       /* error bodies read for their message */
#define REGISTRY_UPLOAD_RESTARTS 4                 /* new sessions after 413 / lost chunks */
#define REGISTRY_TAGS_PAGE 1000                    /* ?n= for tag lists */
#define REGISTRY_TAGS_MAX 100000                   /* tags gathered over all pages */
#define REGISTRY_TAGS_PAGES_MAX 1000               /* Link pages followed */
#define REGISTRY_TAGS_BODY_MAX (8u * 1024 * 1024)  /* one page of a tag list */
#define REGISTRY_REPO_MAX 256                      /* repository path */
#define REGISTRY_HOST_MAX 262                      /* host[:port] */

struct registry_opts {
	/* Plain HTTP is allowed (when the peer answers the TLS hello in plain HTTP) for
	 * loopback hosts, hosts in insecure_hosts / POLYCRATE_INSECURE_REGISTRIES, and any
	 * host when insecure is 1 (an http:// registry URL). Never after a certificate error. */
	int insecure;
	const char *const *insecure_hosts;
	size_t n_insecure_hosts;
	struct http_client *http; /* NULL: a client of the registry's own (freed with it) */
	struct auth_ctx *auth;    /* NULL: anonymous */
	uint64_t chunk_size;      /* PATCH chunk; 0: REGISTRY_CHUNK_DEFAULT */
	uint64_t monolithic_max;  /* blobs up to this go in one PUT; 0: default */
	int always_chunked;       /* 1: PATCH chunks whatever the size (tests, benchmarks) */
	/* 1: speak plain HTTP at once, without the TLS probe (a server known to be plain that
	 * does not answer a TLS hello); honoured only where plain HTTP is allowed. */
	int plain_http;
	/* TLS for https (only used for a client of the registry's own); NULL: tls.h's tls_hook */
	http_tls_fn tls;
	void *tls_arg;
};

struct registry;

/*
 * A handle for the registry at host_port (the API host: "localhost:5000",
 * "registry-1.docker.io"; an IPv6 literal in brackets). Nothing is sent yet: the first
 * request settles the scheme (HTTPS, or HTTP where allowed and the peer speaks it).
 * o may be NULL. Returns NULL with *e set (ERR_USAGE for a bad host, ERR_FAIL for memory).
 * registry_close frees it; the http client and auth ctx of opts stay the caller's.
 */
struct registry *registry_open(const char *host_port, const struct registry_opts *o, struct err *e);
void registry_close(struct registry *r); /* NULL is fine */

/* "https://host:port" or "http://host:port" once settled, else "". */
const char *registry_base(const struct registry *r);
/* The host as given to registry_open. */
const char *registry_host(const struct registry *r);

/* GET /v2/: 0 when the registry answers as one (200, or 401 with a challenge), else
 * an ERR_ code (ERR_NET "failed to connect to registry <host>: ...", ...). */
int registry_ping(struct registry *r, struct err *e);

/* The Accept list for manifests: OCI manifest and index, Docker schema2 and list. */
extern const char registry_manifest_accept[];

struct registry_manifest {
	struct buf body;                    /* the exact bytes (NUL-terminated) */
	char media_type[128];               /* Content-Type, parameters dropped */
	char digest[DIGEST_STR_MAX];        /* sha256 of body */
	char header_digest[DIGEST_STR_MAX]; /* Docker-Content-Digest, "" when absent */
	uint64_t size;
};
void registry_manifest_free(struct registry_manifest *m);

/*
 * GET /v2/<repo>/manifests/<ref> (a tag or a digest). The body is verified against ref
 * when it is a digest, and against Docker-Content-Digest when present (ERR_INTEGRITY);
 * more than REGISTRY_MANIFEST_MAX is an error. 0 with *m filled (free it), or an ERR_
 * code: ERR_NOTFOUND when the registry has no such manifest (or repository), ERR_AUTH.
 * On error *m is empty (free is still fine).
 */
int registry_manifest_get(struct registry *r, const char *repo, const char *ref,
                          struct registry_manifest *m, struct err *e);

/* HEAD of a manifest: 0 with *m's media_type, size and header_digest filled (the digest
 * may be absent: then header_digest is ""), ERR_NOTFOUND, or another ERR_ code. No body. */
int registry_manifest_head(struct registry *r, const char *repo, const char *ref,
                           struct registry_manifest *m, struct err *e);

/* PUT the exact bytes as ref (tag or digest) with Content-Type media_type. digest_out
 * (may be NULL) gets sha256 of body; a Docker-Content-Digest answer that differs is
 * ERR_INTEGRITY. 0 or an ERR_ code. */
int registry_manifest_put(struct registry *r, const char *repo, const char *ref,
                          const char *media_type, const void *body, size_t len,
                          char digest_out[DIGEST_STR_MAX], struct err *e);

/* DELETE /v2/<repo>/manifests/<digest>. 0, ERR_NOTFOUND, or another ERR_ code
 * (405 from a registry without deletes: ERR_FAIL saying so). */
int registry_manifest_delete(struct registry *r, const char *repo, const char *digest,
                             struct err *e);

/* HEAD of a blob: 1 when it exists (*size filled; may be NULL), 0 when not, or an ERR_
 * code (a 401/403 is ERR_AUTH, never "absent"). */
int registry_blob_exists(struct registry *r, const char *repo, const char *digest, uint64_t *size,
                         struct err *e);

/*
 * GET a blob as a stream verified against digest (and size unless -1): the final read
 * (0) or the close fails with ERR_INTEGRITY when the bytes differ, so trust the bytes only
 * after that. A connection broken mid-way is resumed with Range by http. Returns the
 * stream (the caller closes it; *e must outlive it), or NULL with *e set (ERR_NOTFOUND,
 * ERR_AUTH, ERR_NET ...). The registry must outlive the stream.
 */
struct io_in *registry_blob_get(struct registry *r, const char *repo, const char *digest,
                                int64_t size, struct err *e);

/* DELETE /v2/<repo>/blobs/<digest>. 0, ERR_NOTFOUND, or another ERR_ code. */
int registry_blob_delete(struct registry *r, const char *repo, const char *digest, struct err *e);

/*
 * What to upload. Either path (a regular file), or open: a fresh stream of the content
 * starting at offset (called for every attempt and chunk; the stream is closed by the
 * registry). size and digest must describe the content.
 */
struct registry_session;
struct registry_blob_src {
	const char *path;
	struct io_in *(*open)(void *arg, uint64_t offset, struct err *e);
	void *arg;
	uint64_t size;
	const char *digest;
	/* an upload session opened ahead (registry_session_open), taken instead of HEAD and
	 * POST; NULL: none */
	struct registry_session *session;
};

/* An upload session opened before its bytes are known, so that the POST's round trip
 * overlaps other work. */
struct registry_session {
	char loc[HTTP_URL_MAX];
	uint64_t min_chunk;
	int open; /* 1 until a push takes it or it is cancelled */
};
/* POST /v2/<repo>/blobs/uploads/. 0 or an ERR_ code. */
int registry_session_open(struct registry *r, const char *repo, struct registry_session *s,
                          struct err *e);
/* DELETEs a session no push took (nothing when none is open). */
void registry_session_cancel(struct registry *r, const char *repo, struct registry_session *s);

/* How an upload went (for the caller's messages and the tests). */
enum registry_upload_how {
	REGISTRY_UP_EXISTS = 1, /* HEAD found it: nothing sent */
	REGISTRY_UP_MOUNTED,    /* cross-repository mount */
	REGISTRY_UP_MONOLITHIC, /* POST + one PUT */
	REGISTRY_UP_CHUNKED,    /* POST + PATCHes + PUT */
	REGISTRY_UP_STREAMED,   /* POST + one PATCH with a chunked body + PUT */
};
struct registry_upload_stats {
	int how;           /* enum registry_upload_how */
	uint64_t sent;     /* blob bytes sent (all attempts) */
	unsigned requests; /* HTTP requests made for this blob */
	unsigned restarts; /* upload sessions restarted (413, lost chunk) */
	uint64_t chunk;    /* chunk size used last (chunked only) */
};

/*
 * Makes sure the blob is in repo: HEAD first (present: done; skipped with src->session,
 * which then serves as the first upload session); then, when mount_from is
 * set (another repository of this registry that holds it), POST ?mount=&from= (201:
 * mounted; 202: the registry opened an upload instead, used as such); else POST and
 * either one PUT (size <= monolithic_max) or PATCH chunks with Content-Range (honouring
 * OCI-Chunk-Min-Length) and a closing PUT ?digest=. A 413 to a PUT or PATCH restarts in
 * smaller chunks. Every Location is followed, relative or absolute, its query kept. On
 * failure the upload session is DELETEd. st may be NULL. 0 or an ERR_ code.
 */
int registry_blob_push(struct registry *r, const char *repo, const struct registry_blob_src *src,
                       const char *mount_from, struct registry_upload_stats *st, struct err *e);

/*
 * Uploads a blob that is still being made: POST, then one PATCH whose body is
 * src->open(arg, 0) (or the file src->path) read to its end (Transfer-Encoding: chunked, as docker and skopeo
 * send it), then PUT ?digest=src->digest. size is not used, and digest is read only after
 * the body ended, so a producer may fill it in when it finishes. The PATCH is tried once
 * (a session that took part of a body cannot be continued blind); on any failure the
 * session is DELETEd and the caller can push the finished blob with registry_blob_push.
 * No HEAD: the digest is not known up front. st may be NULL. 0 or an ERR_ code.
 */
int registry_blob_stream(struct registry *r, const char *repo, const struct registry_blob_src *src,
                         struct registry_upload_stats *st, struct err *e);

/* Tag names of repo, all pages (?n=page, Link rel="next"; page 0 = REGISTRY_TAGS_PAGE).
 * tags[0..n) are malloc'ed; registry_tags_free releases them. On error *t is empty. A
 * repository the registry does not know is ERR_NOTFOUND. */
struct registry_tags {
	char **v;
	size_t n;
};
int registry_tags_list(struct registry *r, const char *repo, unsigned page, struct registry_tags *t,
                       struct err *e);
void registry_tags_free(struct registry_tags *t);

/*
 * Turns a registry's error answer into *e in the registry's own words: the body's
 * {"errors":[{"code","message","detail"}]} when it has one. 401/UNAUTHORIZED → ERR_AUTH
 * "authentication required", 403/DENIED → ERR_AUTH "denied: <message>", 404 and the
 * *_UNKNOWN codes → ERR_NOTFOUND "<what> not found", 5xx → ERR_NET, others ERR_FAIL.
 * what names the object ("manifest x:1.0.0", "blob sha256:..."). Returns the code.
 * Exposed for tests.
 */
int registry_status_error(int status, const char *body, size_t len, const char *what,
                          struct err *e);

/* The URL of a Link header's rel="next" target (RFC 8288, first one), resolved against
 * base; 1 when found, 0 when none, ERR_NET when malformed. Exposed for tests. */
int registry_link_next(const char *link, const char *base, char *out, size_t n, struct err *e);

#endif
