/* auth.c - registry authentication: WWW-Authenticate parsing, Basic, Bearer tokens, their cache */
#include "auth.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "http.h"
#include "io.h"
#include "json.h"
#include "log.h"
#include "net.h"

#define REGISTRY_MAX (HTTP_HOST_MAX + 16)    /* host[:port] as the registry client names it */
#define SCOPES_MAX 16                        /* scopes of one token request */
#define SCOPE_KEY_MAX 4096                   /* the sorted scopes of one token, joined */
#define AUTHZ_MAX (AUTH_SECRET_MAX * 2 + 64) /* one Authorization value */
#define TOKEN_MAX AUTH_TOKEN_BODY_MAX        /* one Bearer token */

enum { SCHEME_NONE, SCHEME_BASIC, SCHEME_BEARER };

/* What we know about one registry. */
struct reg {
	char name[REGISTRY_MAX];
	int scheme;
	int creds_state; /* 0 not looked up, 1 found, 2 none */
	int direct;      /* creds came from auth_set_creds */
	struct auth_creds creds;
	char *realm, *service; /* from the last Bearer challenge */
	struct reg *next;
};

struct tok {
	char registry[REGISTRY_MAX];
	char key[SCOPE_KEY_MAX];
	char *token;
	int64_t expires_ms, fetched_ms;
	int refetched; /* fetched because the previous token was refused */
	struct tok *next;
};

struct auth_ctx {
	pthread_mutex_t mu;    /* guards regs and toks */
	pthread_mutex_t fetch; /* one token request at a time (no duplicate fetches) */
	struct http_client *http;
	auth_lookup_fn lookup;
	void *lookup_arg;
	struct reg *regs;
	struct tok *toks;
	size_t ntoks;
};

void auth_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
}

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int auth_base64_encode(const void *in, size_t len, char *out, size_t n)
{
	const unsigned char *p = in;
	size_t need = (len + 2) / 3 * 4, o = 0;
	if (n == 0 || need >= n) {
		if (n)
			out[0] = 0;
		return ERR_FAIL;
	}
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? b64[v & 63] : '=';
	}
	out[o] = 0;
	return (int)o;
}

static int b64val(int c)
{
	const char *q = c ? strchr(b64, c) : NULL;
	return q ? (int)(q - b64) : -1;
}

int auth_base64_decode(const char *in, char *out, size_t n)
{
	size_t len = strlen(in), o = 0;
	uint32_t acc = 0;
	int bits = 0;
	while (len > 0 && in[len - 1] == '=')
		len--;
	if (strlen(in) - len > 2 || len % 4 == 1)
		goto bad;
	if (strlen(in) != len && strlen(in) % 4 != 0)
		goto bad;
	for (size_t i = 0; i < len; i++) {
		int v = b64val((unsigned char)in[i]);
		if (v < 0)
			goto bad;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= n)
				goto bad;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	/* leftover bits must be zero, as an encoder writes them */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		goto bad;
	if (n)
		out[o] = 0;
	return (int)o;
bad:
	if (n) {
		auth_wipe(out, n);
		out[0] = 0;
	}
	return ERR_FAIL;
}

/* ---- WWW-Authenticate (RFC 7235) ---- */

static int is_tchar(int c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_t68char(int c)
{
	return isalnum(c) || (c && strchr("-._~+/", c));
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Copies a token at *pp into the store; NULL when there is none. */
static char *take_token(const char **pp, char **st, int lower)
{
	const char *p = *pp;
	char *out = *st;
	if (!is_tchar((unsigned char)*p))
		return NULL;
	while (is_tchar((unsigned char)*p)) {
		**st = lower ? (char)tolower((unsigned char)*p) : *p;
		(*st)++;
		p++;
	}
	*(*st)++ = 0;
	*pp = p;
	return out;
}

/* A quoted-string at *pp (at the '"'), unescaped into the store; NULL when malformed. */
static char *take_quoted(const char **pp, char **st)
{
	const char *p = *pp + 1;
	char *out = *st;
	for (;;) {
		unsigned char c = (unsigned char)*p;
		if (c == 0)
			return NULL;
		if (c == '"')
			break;
		if (c == '\\') {
			p++;
			c = (unsigned char)*p;
			if (c == 0 || (c < 0x20 && c != '\t') || c == 0x7f)
				return NULL;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			return NULL;
		}
		*(*st)++ = (char)c;
		p++;
	}
	*(*st)++ = 0;
	*pp = p + 1;
	return out;
}

/* 1 when p starts an auth-param (token BWS "="), which tells it from a new challenge. */
static int param_ahead(const char *p)
{
	if (!is_tchar((unsigned char)*p))
		return 0;
	while (is_tchar((unsigned char)*p))
		p++;
	p = skip_ows(p);
	return *p == '=';
}

/* 1 when p holds a token68 that ends the challenge (followed by OWS and ',' or the end). */
static size_t token68_len(const char *p)
{
	const char *q = p;
	if (!is_t68char((unsigned char)*q))
		return 0;
	while (is_t68char((unsigned char)*q))
		q++;
	while (*q == '=')
		q++;
	const char *r = skip_ows(q);
	return (*r == ',' || *r == 0) ? (size_t)(q - p) : 0;
}

int auth_parse_challenges(const char *value, struct auth_chals *out, struct err *e)
{
	size_t len = strlen(value);
	const char *p = value;
	char *st;
	int rc = 0;
	memset(out, 0, sizeof *out);
	if (len > AUTH_HEADER_MAX)
		return err_set(e, ERR_AUTH, "WWW-Authenticate header longer than %d bytes",
		               AUTH_HEADER_MAX);
	out->store = malloc(len * 2 + 16);
	if (!out->store)
		return err_set(e, ERR_FAIL, "out of memory");
	st = out->store;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == 0)
			break;
		if (out->n == AUTH_CHALLENGES_MAX) {
			rc = err_set(e, ERR_AUTH, "more than %d challenges in WWW-Authenticate",
			             AUTH_CHALLENGES_MAX);
			goto out;
		}
		struct auth_chal *c = &out->c[out->n++];
		c->scheme = take_token(&p, &st, 0);
		if (!c->scheme)
			goto bad;
		if (*p != 0 && *p != ',' && *p != ' ' && *p != '\t')
			goto bad;
		p = skip_ows(p);
		size_t t68 = token68_len(p);
		if (t68) {
			c->token68 = st;
			memcpy(st, p, t68);
			st += t68;
			*st++ = 0;
			p += t68;
			continue;
		}
		/* auth-params, until the end or something that is no param (a new scheme) */
		for (;;) {
			p = skip_ows(p);
			if (!param_ahead(p))
				break;
			if (c->n == AUTH_PARAMS_MAX) {
				rc = err_set(
				    e, ERR_AUTH,
				    "more than %d parameters in a WWW-Authenticate challenge",
				    AUTH_PARAMS_MAX);
				goto out;
			}
			c->name[c->n] = take_token(&p, &st, 1);
			p = skip_ows(p);
			p++; /* '=' */
			p = skip_ows(p);
			if (*p == '"')
				c->value[c->n] = take_quoted(&p, &st);
			else
				c->value[c->n] = take_token(&p, &st, 0);
			if (!c->value[c->n])
				goto bad;
			c->n++;
			p = skip_ows(p);
			if (*p == 0)
				break;
			if (*p != ',')
				goto bad;
			while (*p == ',' || *p == ' ' || *p == '\t')
				p++;
		}
	}
	goto out;
bad:
	rc = err_set(e, ERR_AUTH, "malformed WWW-Authenticate header at byte %zu",
	             (size_t)(p - value));
out:
	if (rc < 0) {
		free(out->store);
		memset(out, 0, sizeof *out);
	}
	return rc;
}

void auth_chals_free(struct auth_chals *c)
{
	if (!c)
		return;
	free(c->store);
	memset(c, 0, sizeof *c);
}

const char *auth_chal_param(const struct auth_chal *c, const char *name)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (strcasecmp(c->name[i], name) == 0)
			return c->value[i];
	return NULL;
}

const struct auth_chal *auth_chals_find(const struct auth_chals *c, const char *scheme)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (strcasecmp(c->c[i].scheme, scheme) == 0)
			return &c->c[i];
	return NULL;
}

/* ---- the context ---- */

struct auth_ctx *auth_new(struct http_client *http)
{
	struct auth_ctx *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	pthread_mutex_init(&a->mu, NULL);
	pthread_mutex_init(&a->fetch, NULL);
	a->http = http;
	return a;
}

static void tok_free(struct tok *t)
{
	if (!t)
		return;
	if (t->token) {
		auth_wipe(t->token, strlen(t->token));
		free(t->token);
	}
	free(t);
}

void auth_free(struct auth_ctx *a)
{
	if (!a)
		return;
	for (struct reg *r = a->regs, *n; r; r = n) {
		n = r->next;
		auth_wipe(&r->creds, sizeof r->creds);
		free(r->realm);
		free(r->service);
		free(r);
	}
	for (struct tok *t = a->toks, *n; t; t = n) {
		n = t->next;
		tok_free(t);
	}
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&a->fetch);
	free(a);
}

/* The entry for registry, made when missing (NULL when memory runs out). Under mu. */
static struct reg *reg_get(struct auth_ctx *a, const char *registry)
{
	struct reg *r;
	for (r = a->regs; r; r = r->next)
		if (strcasecmp(r->name, registry) == 0)
			return r;
	if (strlen(registry) >= REGISTRY_MAX)
		return NULL;
	r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	strcpy(r->name, registry);
	r->next = a->regs;
	a->regs = r;
	return r;
}

static int creds_copy(struct auth_creds *dst, const struct auth_creds *src, struct err *e)
{
	if (strnlen(src->username, AUTH_USER_MAX) == AUTH_USER_MAX ||
	    strnlen(src->password, AUTH_SECRET_MAX) == AUTH_SECRET_MAX ||
	    strnlen(src->identity_token, AUTH_SECRET_MAX) == AUTH_SECRET_MAX)
		return err_set(e, ERR_USAGE, "credentials too long");
	*dst = *src;
	return 0;
}

int auth_set_creds(struct auth_ctx *a, const char *registry, const struct auth_creds *c,
                   struct err *e)
{
	int rc = 0;
	pthread_mutex_lock(&a->mu);
	struct reg *r = reg_get(a, registry);
	if (!r) {
		rc = err_set(e, ERR_FAIL, "out of memory or registry name too long: %s", registry);
		goto out;
	}
	rc = creds_copy(&r->creds, c, e);
	if (rc == 0) {
		r->creds_state = 1;
		r->direct = 1;
	}
out:
	pthread_mutex_unlock(&a->mu);
	return rc;
}

void auth_set_lookup(struct auth_ctx *a, auth_lookup_fn fn, void *arg)
{
	pthread_mutex_lock(&a->mu);
	a->lookup = fn;
	a->lookup_arg = arg;
	pthread_mutex_unlock(&a->mu);
}

/* The credentials for r into *out (1), none (0) or an error. Looks them up once per
 * process. Called with fetch held (the lookup may run a helper) but not mu. */
static int creds_for(struct auth_ctx *a, const char *registry, struct auth_creds *out,
                     struct err *e)
{
	struct auth_creds c;
	auth_lookup_fn fn;
	void *arg;
	int rc, state;
	pthread_mutex_lock(&a->mu);
	struct reg *r = reg_get(a, registry);
	if (!r) {
		pthread_mutex_unlock(&a->mu);
		return err_set(e, ERR_FAIL, "out of memory");
	}
	state = r->creds_state;
	if (state == 1)
		*out = r->creds;
	fn = a->lookup;
	arg = a->lookup_arg;
	pthread_mutex_unlock(&a->mu);
	if (state)
		return state == 1;
	memset(&c, 0, sizeof c);
	rc = fn ? fn(arg, registry, &c, e) : 0;
	if (rc < 0)
		goto out;
	pthread_mutex_lock(&a->mu);
	r = reg_get(a, registry);
	if (r && !r->creds_state) {
		r->creds_state = rc > 0 ? 1 : 2;
		if (rc > 0)
			r->creds = c;
	}
	pthread_mutex_unlock(&a->mu);
	if (rc > 0)
		*out = c;
	log_debug("%s credentials for registry: %s", rc > 0 ? "Using stored" : "No", registry);
out:
	auth_wipe(&c, sizeof c);
	return rc;
}

/* "Basic base64(user:pass)" into out. */
static int basic_value(const struct auth_creds *c, char *out, size_t n, struct err *e)
{
	char up[AUTH_USER_MAX + AUTH_SECRET_MAX + 2];
	const char *pw = c->password[0] ? c->password : c->identity_token;
	int rc = 0;
	if (strchr(c->username, ':')) {
		rc = err_set(e, ERR_USAGE, "a user name with ':' cannot be sent with Basic auth");
		goto out;
	}
	snprintf(up, sizeof up, "%s:%s", c->username, pw);
	memcpy(out, "Basic ", 6);
	if (auth_base64_encode(up, strlen(up), out + 6, n - 6) < 0)
		rc = err_set(e, ERR_FAIL, "credentials too long");
out:
	auth_wipe(up, sizeof up);
	return rc;
}

/* Scopes sorted and joined with ' ' (the cache key). */
static int scope_key(const char *const *scopes, size_t n, char *out, size_t cap, struct err *e)
{
	const char *s[SCOPES_MAX] = {0};
	size_t used = 0;
	if (n > SCOPES_MAX)
		return err_set(e, ERR_USAGE, "more than %d scopes in one token request",
		               SCOPES_MAX);
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		while (j > 0 && strcmp(s[j - 1], scopes[i]) > 0) {
			s[j] = s[j - 1];
			j--;
		}
		s[j] = scopes[i];
	}
	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(s[i], s[i - 1]) == 0)
			continue;
		int w = snprintf(out + used, cap - used, "%s%s", used ? " " : "", s[i]);
		if (w < 0 || (size_t)w >= cap - used)
			return err_set(e, ERR_USAGE, "scopes longer than %zu bytes", cap);
		used += (size_t)w;
	}
	return 0;
}

/* The cached token for (registry, key), or NULL. Under mu. */
static struct tok *tok_find(struct auth_ctx *a, const char *registry, const char *key,
                            struct tok ***link)
{
	for (struct tok **pp = &a->toks; *pp; pp = &(*pp)->next) {
		if (strcasecmp((*pp)->registry, registry) == 0 && strcmp((*pp)->key, key) == 0) {
			if (link)
				*link = pp;
			return *pp;
		}
	}
	return NULL;
}

static void tok_drop(struct auth_ctx *a, const char *registry, const char *key)
{
	struct tok **pp;
	struct tok *t = tok_find(a, registry, key, &pp);
	if (t) {
		*pp = t->next;
		tok_free(t);
		a->ntoks--;
	}
}

/* Adds t to the cache (replacing an older one for the same key). Under mu. */
static void tok_put(struct auth_ctx *a, struct tok *t)
{
	tok_drop(a, t->registry, t->key);
	if (a->ntoks >= AUTH_TOKENS_MAX && a->toks) {
		/* drop the oldest: the list's tail */
		struct tok **pp = &a->toks;
		while ((*pp)->next)
			pp = &(*pp)->next;
		tok_free(*pp);
		*pp = NULL;
		a->ntoks--;
	}
	t->next = a->toks;
	a->toks = t;
	a->ntoks++;
}

/* ---- token requests ---- */

static int url_escape(struct buf *b, const char *s)
{
	int rc = 0;
	for (; *s && rc == 0; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("-._~", c))
			rc = buf_putc(b, (char)c);
		else
			rc = buf_printf(b, "%%%02X", c);
	}
	return rc;
}

/* registry "host[:port]" into host and port (0 when none). */
static void split_registry(const char *registry, char *host, size_t n, int *port)
{
	const char *colon;
	*port = 0;
	if (registry[0] == '[') {
		const char *end = strchr(registry, ']');
		size_t l = end ? (size_t)(end - registry - 1) : strlen(registry + 1);
		snprintf(host, n, "%.*s", (int)l, registry + 1);
		if (end && end[1] == ':')
			*port = atoi(end + 2);
		return;
	}
	colon = strrchr(registry, ':');
	if (colon && strchr(registry, ':') == colon) {
		snprintf(host, n, "%.*s", (int)(colon - registry), registry);
		*port = atoi(colon + 1);
	} else {
		snprintf(host, n, "%s", registry);
	}
}

int auth_realm_may_get_creds(const struct http_url *u, const char *registry)
{
	char host[HTTP_HOST_MAX];
	int port;
	split_registry(registry, host, sizeof host, &port);
	if (strcmp(u->scheme, "https") == 0 || net_is_loopback(u->host))
		return 1;
	return strcasecmp(host, u->host) == 0;
}

/* The token server's own words from an error body: errors[0].message, error_description,
 * error, details or message; "" when none. */
static void server_words(const char *body, size_t len, char *out, size_t n)
{
	struct json_doc d;
	struct err e2;
	static const char *const keys[] = {"error_description", "error", "details", "message"};
	int t;
	out[0] = 0;
	err_init(&e2);
	if (len == 0 || json_parse(&d, body, len, &e2) < 0)
		goto out;
	t = json_get(&d, 0, "errors");
	if (json_type(&d, t) == JSON_ARRAY && d.toks[t].size > 0) {
		int m = json_get(&d, t + 1, "message");
		if (json_str(&d, m, out, n, &e2) > 0)
			goto out;
	}
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (json_str(&d, json_get(&d, 0, keys[i]), out, n, &e2) > 0)
			goto out;
	out[0] = 0;
out:
	json_free(&d);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

/* Parses a 200 answer: token or access_token, expires_in, refresh_token. */
static int token_parse(const char *body, size_t len, char **token, int64_t *expires_s,
                       char *refresh, size_t rn, struct err *e)
{
	struct json_doc d;
	struct err e2;
	int rc = 0, t;
	int64_t exp = 0;
	*token = NULL;
	err_init(&e2);
	if (json_parse(&d, body, len, e) < 0) {
		rc = ERR_AUTH;
		goto out;
	}
	t = json_get(&d, 0, "token");
	if (json_type(&d, t) != JSON_STRING || d.toks[t].end == d.toks[t].start)
		t = json_get(&d, 0, "access_token");
	if (json_type(&d, t) != JSON_STRING || d.toks[t].end == d.toks[t].start) {
		rc = err_set(e, ERR_AUTH, "token server sent no token");
		goto out;
	}
	*token = json_strdup(&d, t, e);
	if (!*token) {
		rc = ERR_AUTH;
		goto out;
	}
	for (char *p = *token; *p; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			rc = err_set(e, ERR_AUTH, "token server sent a token with bad characters");
			goto out;
		}
	}
	/* an expires_in that is no integer counts as absent (the spec's 60 s) */
	t = json_get(&d, 0, "expires_in");
	if (t >= 0 && json_int64(&d, t, &exp, &e2) < 0)
		exp = 0;
	if (exp > AUTH_MAX_EXPIRY_S)
		exp = AUTH_MAX_EXPIRY_S;
	*expires_s = exp < AUTH_MIN_EXPIRY_S ? AUTH_MIN_EXPIRY_S : exp;
	if (refresh && rn) {
		refresh[0] = 0;
		t = json_get(&d, 0, "refresh_token");
		if (json_type(&d, t) == JSON_STRING && json_str(&d, t, refresh, rn, e) < 0) {
			rc = ERR_AUTH;
			goto out;
		}
	}
out:
	json_free(&d);
	if (rc < 0 && *token) {
		auth_wipe(*token, strlen(*token));
		free(*token);
		*token = NULL;
	}
	return rc;
}

struct fetch_args {
	const char *registry;
	const char *realm, *service;
	const char *const *scopes;
	size_t n;
	const struct auth_creds *creds; /* NULL: anonymous */
	int offline;                    /* login: ask for a refresh token */
};

/* One request to the token server. *status set; body into b. */
static int token_http(struct auth_ctx *a, const char *method, const char *url, const char *authz,
                      const char *form, int *status, struct buf *b, struct err *e)
{
	struct http_headers h;
	struct http_request rq;
	struct http_response rs;
	int rc;
	http_headers_init(&h);
	memset(&rq, 0, sizeof rq);
	memset(&rs, 0, sizeof rs);
	rq.method = method;
	rq.url = url;
	rq.headers = &h;
	rq.body_len = 0;
	if ((rc = http_headers_add(&h, "Accept", "application/json")) < 0)
		goto hdr;
	if (authz && (rc = http_headers_add(&h, "Authorization", authz)) < 0)
		goto hdr;
	if (form) {
		if ((rc = http_headers_add(&h, "Content-Type",
		                           "application/x-www-form-urlencoded")) < 0)
			goto hdr;
		rq.body = io_in_mem(form, strlen(form), e);
		if (!rq.body) {
			rc = ERR_FAIL;
			goto out;
		}
		rq.body_len = (int64_t)strlen(form);
		rq.flags = HTTP_IDEMPOTENT;
	}
	rc = http_request(a->http, &rq, &rs, e);
	if (rc < 0) {
		err_prefix(e, "token server");
		goto out;
	}
	*status = rs.status;
	rc = http_response_slurp(&rs, b, AUTH_TOKEN_BODY_MAX, e);
	goto out;
hdr:
	rc = err_set(e, ERR_FAIL, "token request headers too long");
out:
	http_response_free(&rs);
	http_headers_free(&h);
	return rc;
}

/* Fetches a token as fa says. *token (malloc'ed) and *expires_s on success; refresh (rn
 * bytes) gets a refresh token when the server sent one. ERR_AUTH in the server's words. */
static int token_fetch(struct auth_ctx *a, const struct fetch_args *fa, char **token,
                       int64_t *expires_s, char *refresh, size_t rn, struct err *e)
{
	struct buf url, form, body;
	struct http_url u;
	char authz[AUTHZ_MAX];
	char words[512];
	int rc, status = 0;
	const struct auth_creds *c = fa->creds;
	buf_init(&url, HTTP_URL_MAX);
	buf_init(&form, AUTH_TOKEN_BODY_MAX);
	buf_init(&body, AUTH_TOKEN_BODY_MAX);
	authz[0] = 0;
	*token = NULL;
	if ((rc = http_url_parse(fa->realm, &u, e)) < 0) {
		err_prefix(e, "token realm of %s", fa->registry);
		rc = ERR_AUTH;
		goto out;
	}
	if (c && !auth_realm_may_get_creds(&u, fa->registry)) {
		log_debug("Not sending credentials for %s to a plain-HTTP realm on %s",
		          fa->registry, u.host);
		c = NULL;
	}
	if (c && c->identity_token[0]) {
		/* OAuth2 refresh grant (docker's identity token) */
		buf_puts(&form, "grant_type=refresh_token&client_id=polycrate&service=");
		url_escape(&form, fa->service ? fa->service : "");
		for (size_t i = 0; i < fa->n; i++) {
			buf_puts(&form, "&scope=");
			url_escape(&form, fa->scopes[i]);
		}
		buf_puts(&form, "&refresh_token=");
		if (url_escape(&form, c->identity_token) < 0) {
			rc = err_set(e, ERR_FAIL, "token request too long");
			goto out;
		}
		rc = token_http(a, "POST", fa->realm, NULL, buf_cstr(&form), &status, &body, e);
		if (rc < 0)
			goto out;
		if (status == 404 || status == 405) {
			log_debug("Token server of %s does not take OAuth2 POSTs (%d), using GET",
			          fa->registry, status);
			buf_reset(&body);
		} else {
			goto answered;
		}
	}
	buf_puts(&url, fa->realm);
	buf_putc(&url, strchr(fa->realm, '?') ? '&' : '?');
	buf_puts(&url, "service=");
	url_escape(&url, fa->service ? fa->service : "");
	for (size_t i = 0; i < fa->n; i++) {
		buf_puts(&url, "&scope=");
		url_escape(&url, fa->scopes[i]);
	}
	if (fa->offline)
		buf_puts(&url, "&offline_token=true&client_id=polycrate");
	if (url.len == 0 || url.len >= HTTP_URL_MAX - 1) {
		rc = err_set(e, ERR_USAGE, "token request URL too long");
		goto out;
	}
	if (c && (c->password[0] || c->identity_token[0]) &&
	    (rc = basic_value(c, authz, sizeof authz, e)) < 0)
		goto out;
	rc = token_http(a, "GET", buf_cstr(&url), authz[0] ? authz : NULL, NULL, &status, &body, e);
	if (rc < 0)
		goto out;
answered:
	if (status != 200) {
		const char *what = status == 401 || status == 403 ? "authentication required"
		                                                  : "token request failed";
		server_words(body.p ? body.p : "", body.len, words, sizeof words);
		if (strcasecmp(words, what) == 0)
			words[0] = 0; /* no echo of our own first words */
		rc = err_set(e, ERR_AUTH, "%s%s%s (token server of %s answered %d%s)", what,
		             words[0] ? ": " : "", words, fa->registry, status,
		             c ? "" : "; no credentials were sent");
		err_hint(e, "polycrate login %s", fa->registry);
		goto out;
	}
	rc = token_parse(body.p ? body.p : "", body.len, token, expires_s, refresh, rn, e);
	if (rc < 0)
		err_prefix(e, "token server of %s", fa->registry);
out:
	auth_wipe(authz, sizeof authz);
	if (form.p)
		auth_wipe(form.p, form.len);
	if (body.p)
		auth_wipe(body.p, body.len);
	buf_free(&url);
	buf_free(&form);
	buf_free(&body);
	return rc;
}

/* Fetches and caches a token for (registry, key). Called with fetch held. */
static int bearer_refresh(struct auth_ctx *a, const char *registry, const char *realm,
                          const char *service, const char *const *scopes, size_t n, const char *key,
                          int refetched, struct err *e)
{
	struct auth_creds c;
	struct fetch_args fa;
	struct tok *t = NULL;
	char *token = NULL;
	int64_t exp = 0;
	int rc, have;
	memset(&c, 0, sizeof c);
	have = creds_for(a, registry, &c, e);
	if (have < 0) {
		rc = have;
		goto out;
	}
	memset(&fa, 0, sizeof fa);
	fa.registry = registry;
	fa.realm = realm;
	fa.service = service;
	fa.scopes = scopes;
	fa.n = n;
	fa.creds = have ? &c : NULL;
	rc = token_fetch(a, &fa, &token, &exp, NULL, 0, e);
	if (rc < 0)
		goto out;
	t = calloc(1, sizeof *t);
	if (!t) {
		rc = err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	snprintf(t->registry, sizeof t->registry, "%s", registry);
	snprintf(t->key, sizeof t->key, "%s", key);
	t->token = token;
	token = NULL;
	t->fetched_ms = log_now_ms();
	/* renew a little early so a token does not run out in flight */
	t->expires_ms = t->fetched_ms + exp * 1000 - (exp > 2 * AUTH_MIN_EXPIRY_S ? 30000 : 5000);
	t->refetched = refetched;
	log_debug("Got a token for %s (scopes: %s; valid %lld s)", registry, key[0] ? key : "-",
	          (long long)exp);
	pthread_mutex_lock(&a->mu);
	tok_put(a, t);
	pthread_mutex_unlock(&a->mu);
out:
	free(token);
	auth_wipe(&c, sizeof c);
	return rc;
}

/* Adds "Authorization: Bearer <token>" when a valid token for (registry, key) is cached.
 * 1 added, 0 none. */
static int bearer_add(struct auth_ctx *a, const char *registry, const char *key,
                      struct http_headers *h, struct err *e)
{
	char *val = NULL;
	int rc = 0;
	pthread_mutex_lock(&a->mu);
	struct tok *t = tok_find(a, registry, key, NULL);
	if (t && t->expires_ms > log_now_ms()) {
		size_t l = strlen(t->token) + 8;
		val = malloc(l);
		if (val)
			snprintf(val, l, "Bearer %s", t->token);
	} else if (t) {
		tok_drop(a, registry, key);
	}
	pthread_mutex_unlock(&a->mu);
	if (!val)
		return 0;
	if (http_headers_add(h, "Authorization", val) < 0)
		rc = err_set(e, ERR_FAIL, "too many request headers");
	else
		rc = 1;
	auth_wipe(val, strlen(val));
	free(val);
	return rc;
}

int auth_header(struct auth_ctx *a, const char *registry, const char *const *scopes, size_t n,
                struct http_headers *h, struct err *e)
{
	char key[SCOPE_KEY_MAX];
	char authz[AUTHZ_MAX];
	char *realm = NULL, *service = NULL;
	struct auth_creds c;
	int rc, scheme;
	memset(&c, 0, sizeof c);
	authz[0] = 0;
	if ((rc = scope_key(scopes, n, key, sizeof key, e)) < 0)
		return rc;
	pthread_mutex_lock(&a->mu);
	struct reg *r = reg_get(a, registry);
	scheme = r ? r->scheme : SCHEME_NONE;
	if (scheme == SCHEME_BEARER && r->realm) {
		realm = strdup(r->realm);
		service = r->service ? strdup(r->service) : NULL;
	}
	pthread_mutex_unlock(&a->mu);
	if (scheme == SCHEME_BASIC) {
		rc = creds_for(a, registry, &c, e);
		if (rc > 0 && (rc = basic_value(&c, authz, sizeof authz, e)) == 0 &&
		    http_headers_add(h, "Authorization", authz) < 0)
			rc = err_set(e, ERR_FAIL, "too many request headers");
		goto out;
	}
	if (scheme != SCHEME_BEARER)
		goto out;
	rc = bearer_add(a, registry, key, h, e);
	if (rc != 0 || !realm)
		goto out;
	/* a new scope set (or an expired token) on a Bearer registry: fetch one now rather
	 * than wait for the 401 */
	pthread_mutex_lock(&a->fetch);
	rc = bearer_add(a, registry, key, h, e);
	if (rc == 0) {
		rc = bearer_refresh(a, registry, realm, service, scopes, n, key, 0, e);
		if (rc == 0)
			rc = bearer_add(a, registry, key, h, e);
	}
	pthread_mutex_unlock(&a->fetch);
out:
	auth_wipe(authz, sizeof authz);
	auth_wipe(&c, sizeof c);
	free(realm);
	free(service);
	return rc < 0 ? rc : 0;
}

/* Splits a challenge's space-separated scope parameter into sc (pointers into buf). */
static size_t split_scopes(char *s, const char **sc, size_t max)
{
	size_t n = 0;
	for (char *tok = strtok(s, " "); tok && n < max; tok = strtok(NULL, " "))
		sc[n++] = tok;
	return n;
}

int auth_challenge(struct auth_ctx *a, const char *registry, const char *www_authenticate,
                   const char *const *scopes, size_t n, struct err *e)
{
	struct auth_chals ch;
	const struct auth_chal *bearer, *basic;
	struct auth_creds c;
	char key[SCOPE_KEY_MAX];
	char *scope_copy = NULL;
	const char *own[SCOPES_MAX];
	int rc = 0, refetched = 0;
	memset(&c, 0, sizeof c);
	memset(&ch, 0, sizeof ch);
	if (!www_authenticate || !*www_authenticate) {
		rc = err_set(e, ERR_AUTH, "authentication required (%s sent no challenge)",
		             registry);
		err_hint(e, "polycrate login %s", registry);
		goto out;
	}
	if ((rc = auth_parse_challenges(www_authenticate, &ch, e)) < 0) {
		err_prefix(e, "%s", registry);
		goto out;
	}
	bearer = auth_chals_find(&ch, "Bearer");
	basic = auth_chals_find(&ch, "Basic");
	pthread_mutex_lock(&a->fetch);
	if (bearer) {
		const char *realm = auth_chal_param(bearer, "realm");
		const char *service = auth_chal_param(bearer, "service");
		const char *why = auth_chal_param(bearer, "error");
		if (!realm || !*realm) {
			rc = err_set(e, ERR_AUTH, "%s: Bearer challenge without a realm", registry);
			goto unlock;
		}
		if (n == 0 && auth_chal_param(bearer, "scope")) {
			scope_copy = strdup(auth_chal_param(bearer, "scope"));
			if (!scope_copy) {
				rc = err_set(e, ERR_FAIL, "out of memory");
				goto unlock;
			}
			n = split_scopes(scope_copy, own, SCOPES_MAX);
			scopes = own;
		}
		if ((rc = scope_key(scopes, n, key, sizeof key, e)) < 0)
			goto unlock;
		pthread_mutex_lock(&a->mu);
		struct reg *r = reg_get(a, registry);
		struct tok *t = r ? tok_find(a, registry, key, NULL) : NULL;
		if (t && t->refetched && log_now_ms() - t->fetched_ms < AUTH_REJECT_WINDOW_MS) {
			/* the token we fetched again was refused too: nothing new to try */
			tok_drop(a, registry, key);
			pthread_mutex_unlock(&a->mu);
			rc = err_set(e, ERR_AUTH,
			             "authentication required%s%s (%s refused the token)",
			             why ? ": " : "", why ? why : "", registry);
			err_hint(e, "polycrate login %s", registry);
			goto unlock;
		}
		if (t) {
			refetched = 1;
			tok_drop(a, registry, key);
		}
		if (r) {
			char *nr = strdup(realm), *ns = service ? strdup(service) : NULL;
			if (!nr || (service && !ns)) {
				free(nr);
				free(ns);
				pthread_mutex_unlock(&a->mu);
				rc = err_set(e, ERR_FAIL, "out of memory");
				goto unlock;
			}
			free(r->realm);
			free(r->service);
			r->realm = nr;
			r->service = ns;
			r->scheme = SCHEME_BEARER;
		}
		pthread_mutex_unlock(&a->mu);
		rc = bearer_refresh(a, registry, realm, service, scopes, n, key, refetched, e);
		goto unlock;
	}
	if (basic) {
		int was;
		pthread_mutex_lock(&a->mu);
		struct reg *r = reg_get(a, registry);
		was = r ? r->scheme : SCHEME_NONE;
		if (r)
			r->scheme = SCHEME_BASIC;
		pthread_mutex_unlock(&a->mu);
		rc = creds_for(a, registry, &c, e);
		if (rc < 0)
			goto unlock;
		if (rc == 0) {
			rc = err_set(e, ERR_AUTH, "authentication required (no credentials for %s)",
			             registry);
		} else if (was == SCHEME_BASIC) {
			rc =
			    err_set(e, ERR_AUTH,
			            "authentication required: %s refused the user name or password",
			            registry);
		} else {
			rc = 0;
			goto unlock;
		}
		err_hint(e, "polycrate login %s", registry);
		goto unlock;
	}
	rc = err_set(e, ERR_AUTH, "authentication required: %s asks for an unsupported scheme %s",
	             registry, ch.n ? ch.c[0].scheme : "");
unlock:
	pthread_mutex_unlock(&a->fetch);
out:
	free(scope_copy);
	auth_wipe(&c, sizeof c);
	auth_chals_free(&ch);
	return rc;
}

/* ---- login ---- */

/* GET base/v2/ with an optional Authorization value; *status and the challenge (www,
 * wn bytes) and the registry's own words (words, n). */
static int ping(struct auth_ctx *a, const char *base, const char *authz, int *status, char *www,
                size_t wn, char *words, size_t n, struct err *e)
{
	struct http_headers h;
	struct http_request rq;
	struct http_response rs;
	struct buf url, body;
	int rc;
	http_headers_init(&h);
	memset(&rq, 0, sizeof rq);
	memset(&rs, 0, sizeof rs);
	buf_init(&url, HTTP_URL_MAX);
	buf_init(&body, AUTH_TOKEN_BODY_MAX);
	www[0] = 0;
	words[0] = 0;
	if (buf_printf(&url, "%s/v2/", base) < 0) {
		rc = err_set(e, ERR_USAGE, "registry URL too long");
		goto out;
	}
	if (authz && http_headers_add(&h, "Authorization", authz) < 0) {
		rc = err_set(e, ERR_FAIL, "credentials too long");
		goto out;
	}
	rq.method = "GET";
	rq.flags =
	    HTTP_NO_RETRY; /* login answers at once; a plain-HTTP peer is no transient error */
	rq.url = buf_cstr(&url);
	rq.headers = &h;
	rc = http_request(a->http, &rq, &rs, e);
	if (rc < 0)
		goto out;
	*status = rs.status;
	/* every challenge, joined, as auth_challenge expects */
	size_t used = 0;
	for (size_t i = 0; i < rs.headers.n; i++) {
		if (strcasecmp(rs.headers.h[i].name, "WWW-Authenticate") != 0)
			continue;
		int w = snprintf(www + used, wn - used, "%s%s", used ? ", " : "",
		                 rs.headers.h[i].value);
		if (w < 0 || (size_t)w >= wn - used) {
			rc = err_set(e, ERR_AUTH, "WWW-Authenticate longer than %zu bytes", wn);
			goto out;
		}
		used += (size_t)w;
	}
	if (rs.status != 200 && http_response_slurp(&rs, &body, AUTH_TOKEN_BODY_MAX, e) == 0)
		server_words(body.p ? body.p : "", body.len, words, n);
out:
	http_response_free(&rs);
	http_headers_free(&h);
	buf_free(&url);
	buf_free(&body);
	return rc;
}

int auth_login_check(struct auth_ctx *a, const char *base, const char *registry,
                     const struct auth_creds *creds, char *identity, size_t n, struct err *e)
{
	char *www = malloc(AUTH_HEADER_MAX + 1);
	char words[512];
	char authz[AUTHZ_MAX];
	char *token = NULL;
	struct auth_chals ch;
	int rc, status = 0;
	int64_t exp;
	memset(&ch, 0, sizeof ch);
	authz[0] = 0;
	if (identity && n)
		identity[0] = 0;
	if (!www)
		return err_set(e, ERR_FAIL, "out of memory");
	rc = ping(a, base, NULL, &status, www, AUTH_HEADER_MAX + 1, words, sizeof words, e);
	if (rc < 0)
		goto out;
	if (status == 200) {
		log_info("%s asks for no authentication", registry);
		goto out;
	}
	if (status != 401) {
		rc = err_set(e, ERR_FAIL, "%s/v2/ answered %d%s%s", base, status,
		             words[0] ? ": " : "", words);
		goto out;
	}
	if ((rc = auth_parse_challenges(www, &ch, e)) < 0)
		goto out;
	const struct auth_chal *bearer = auth_chals_find(&ch, "Bearer");
	if (bearer) {
		struct fetch_args fa;
		const char *realm = auth_chal_param(bearer, "realm");
		if (!realm) {
			rc = err_set(e, ERR_AUTH, "%s: Bearer challenge without a realm", registry);
			goto out;
		}
		memset(&fa, 0, sizeof fa);
		fa.registry = registry;
		fa.realm = realm;
		fa.service = auth_chal_param(bearer, "service");
		fa.creds = creds;
		fa.offline = 1;
		rc = token_fetch(a, &fa, &token, &exp, identity, n, e);
		if (rc == 0 && token) {
			/* the token must open /v2/ too */
			size_t l = strlen(token) + 8;
			if (l > sizeof authz) {
				rc = err_set(e, ERR_AUTH, "token from %s too long", registry);
				goto out;
			}
			snprintf(authz, sizeof authz, "Bearer %s", token);
		}
	} else if (auth_chals_find(&ch, "Basic")) {
		rc = basic_value(creds, authz, sizeof authz, e);
	} else {
		rc = err_set(e, ERR_AUTH, "%s asks for an unsupported authentication scheme %s",
		             registry, ch.n ? ch.c[0].scheme : "");
	}
	if (rc < 0)
		goto out;
	rc = ping(a, base, authz, &status, www, AUTH_HEADER_MAX + 1, words, sizeof words, e);
	if (rc < 0)
		goto out;
	if (status == 401 || status == 403) {
		/* docker-registry's words are "authentication required" itself: no echo */
		int plain = !words[0] || strcasecmp(words, "authentication required") == 0;
		rc = err_set(e, ERR_AUTH, "%s%s%s (%s refused the user name or password)",
		             status == 401 ? "authentication required" : "denied",
		             plain ? "" : ": ", plain ? "" : words, registry);
		err_hint(e, "polycrate login %s", registry);
	} else if (status != 200) {
		rc = err_set(e, ERR_FAIL, "%s/v2/ answered %d%s%s", base, status,
		             words[0] ? ": " : "", words);
	}
out:
	if (rc < 0 && identity && n)
		auth_wipe(identity, n);
	if (token) {
		auth_wipe(token, strlen(token));
		free(token);
	}
	auth_wipe(authz, sizeof authz);
	auth_chals_free(&ch);
	free(www);
	return rc;
}
