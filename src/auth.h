/* auth.h - registry authentication: challenges, Basic and Bearer, the token cache */
#ifndef POLYCRATE_AUTH_H
#define POLYCRATE_AUTH_H

#include <stddef.h>

#include "err.h"

struct http_client;
struct http_headers;
struct http_url;

#define AUTH_USER_MAX 256
#define AUTH_SECRET_MAX 4096

/* Credentials for one registry. identity_token set: an OAuth2 refresh/identity token
 * (docker's identitytoken, a helper's "<token>" user) instead of a password. */
struct auth_creds {
	char username[AUTH_USER_MAX];
	char password[AUTH_SECRET_MAX];
	char identity_token[AUTH_SECRET_MAX];
};

/*
 * Looks credentials up for registry (host[:port] as used for the API, e.g.
 * "registry-1.docker.io" or "localhost:5000"): 1 and *out filled when found, 0 when there
 * are none (anonymous), or a negative ERR_ code (a failing credential helper).
 * credstore.c provides one that reads the docker config files and helpers.
 */
typedef int (*auth_lookup_fn)(void *arg, const char *registry, struct auth_creds *out,
                              struct err *e);

struct auth_ctx;

/* A context for the process (thread-safe: its cache is mutex-protected). http is used for
 * token requests. NULL only when memory runs out. */
struct auth_ctx *auth_new(struct http_client *http);
void auth_free(struct auth_ctx *a); /* wipes secrets; NULL is fine */

/* Credentials handed in directly (proxy entries, the workspace's registry): they come
 * before the lookup. The strings are copied. */
int auth_set_creds(struct auth_ctx *a, const char *registry, const struct auth_creds *c,
                   struct err *e);
void auth_set_lookup(struct auth_ctx *a, auth_lookup_fn fn, void *arg);

/*
 * Adds "Authorization: ..." to h for a request to registry that needs scopes (e.g.
 * "repository:team/x:pull", "repository:team/x:pull,push"; n may be 0): a cached Bearer
 * token for that (registry, scope set), or Basic when the registry asked for Basic before.
 * Adds nothing when nothing is known yet (the first request goes anonymously and the
 * registry's 401 tells us what it wants). 0 or a negative ERR_ code.
 */
int auth_header(struct auth_ctx *a, const char *registry, const char *const *scopes, size_t n,
                struct http_headers *h, struct err *e);

/*
 * Handles a 401 from registry: www_authenticate is the response's WWW-Authenticate value
 * (all of them joined with ", " if several). Parses the challenges (RFC 7235), and for
 * Bearer fetches a token from the realm for service and the scopes (with Basic credentials
 * or anonymously; OAuth2 POST with an identity token, GET on 404/405) and caches it; for
 * Basic notes that the credentials should be sent. Returns 0 when a retry with
 * auth_header makes sense, or ERR_AUTH with *e in the registry's words and a hint
 * ("polycrate login <registry>") when there is nothing (new) to try.
 */
int auth_challenge(struct auth_ctx *a, const char *registry, const char *www_authenticate,
                   const char *const *scopes, size_t n, struct err *e);

/* ---- Added for tests, credstore.c and login (the functions above are unchanged) ---- */

#define AUTH_CHALLENGES_MAX 8       /* challenges in one WWW-Authenticate value */
#define AUTH_PARAMS_MAX 16          /* parameters of one challenge */
#define AUTH_HEADER_MAX 16384       /* bytes of one WWW-Authenticate value */
#define AUTH_TOKEN_BODY_MAX 65536   /* a token server's answer */
#define AUTH_TOKENS_MAX 256         /* cached tokens per context (oldest dropped first) */
#define AUTH_MIN_EXPIRY_S 60        /* expires_in below this (or absent) counts as this */
#define AUTH_MAX_EXPIRY_S 86400     /* and above this as this (no overflow, nothing kept forever) */
#define AUTH_REJECT_WINDOW_MS 30000 /* a refetched token refused within this: give up */

/* One parsed challenge; strings are unescaped and point into the owning list's store. */
struct auth_chal {
	const char *scheme;  /* as sent; compare case-insensitively */
	const char *token68; /* NULL when absent */
	size_t n;
	const char *name[AUTH_PARAMS_MAX]; /* lowercased */
	const char *value[AUTH_PARAMS_MAX];
};
struct auth_chals {
	size_t n;
	struct auth_chal c[AUTH_CHALLENGES_MAX];
	char *store;
};

/*
 * Parses a WWW-Authenticate value (RFC 7235: several challenges separated by commas,
 * token68 or auth-params, quoted strings with backslash escapes, case-insensitive scheme
 * and parameter names). 0, or ERR_AUTH with *e saying what is malformed (then *out holds
 * nothing). auth_chals_free releases it either way.
 */
int auth_parse_challenges(const char *value, struct auth_chals *out, struct err *e);
void auth_chals_free(struct auth_chals *c);
/* The value of parameter name (case-insensitive) or NULL. */
const char *auth_chal_param(const struct auth_chal *c, const char *name);
/* The first challenge with that scheme (case-insensitive) or NULL. */
const struct auth_chal *auth_chals_find(const struct auth_chals *c, const char *scheme);

/* Standard base64 with padding. encode: out gets a NUL-terminated string; returns its
 * length, or ERR_FAIL when it does not fit in n. decode: accepts padding or none, no
 * whitespace; returns the byte count (out is also NUL-terminated), ERR_FAIL on bad input
 * or when out is too small. */
int auth_base64_encode(const void *in, size_t len, char *out, size_t n);
int auth_base64_decode(const char *in, char *out, size_t n);

/*
 * For `polycrate login`: checks creds against the registry at base ("https://host[:port]"
 * or "http://..."; registry is host[:port]) - GET /v2/ and, on a Bearer challenge, a token
 * from the realm for no scope (with offline_token=true, so that the server may hand out a
 * refresh token); on a Basic challenge GET /v2/ again with the credentials. When the
 * token server answered with a refresh token, it is copied into identity (n bytes; else
 * ""), as docker stores it instead of the password. 0 when the registry accepted them,
 * ERR_AUTH in the registry's words (and a hint), ERR_NET etc. for the rest.
 */
int auth_login_check(struct auth_ctx *a, const char *base, const char *registry,
                     const struct auth_creds *creds, char *identity, size_t n, struct err *e);

/* 1 when Basic credentials for registry may be sent to the token realm u: the realm is
 * https, or on loopback, or on the registry's own host; else 0 (the token request then
 * goes anonymously). */
int auth_realm_may_get_creds(const struct http_url *u, const char *registry);

/* Wipes n bytes so that the compiler cannot drop it. */
void auth_wipe(void *p, size_t n);

#endif
