/* auth.h - registry authentication: challenges, Basic and Bearer, the token cache */
#ifndef POLYCRATE_AUTH_H
#define POLYCRATE_AUTH_H

#include <stddef.h>

#include "err.h"

struct http_client;
struct http_headers;

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

#endif
