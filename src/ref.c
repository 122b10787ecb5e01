/* ref.c - reference parsing and formatting, registry URL precedence, proxy rewrites */
#include "ref.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"

#define PORT_MAX 65535

static int is_alnum_lower(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A path component: [a-z0-9]+ separated by '.', '_', '__' or runs of '-' (docker's). */
static const char *check_component(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0)
		return "empty path component";
	while (i < n) {
		if (!is_alnum_lower((unsigned char)s[i])) {
			if (s[i] >= 'A' && s[i] <= 'Z')
				return "path components must be lowercase";
			return "path component must start and end with [a-z0-9]";
		}
		while (i < n && is_alnum_lower((unsigned char)s[i]))
			i++;
		if (i == n)
			break;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else if (s[i] >= 'A' && s[i] <= 'Z') {
			return "path components must be lowercase";
		} else {
			return "invalid character in path";
		}
		if (i == n)
			return "path component must start and end with [a-z0-9]";
	}
	return NULL;
}

/* host := domain-name | IPv4 | '[' IPv6 ']', optional ':' port. */
static const char *check_host(const char *s, size_t n)
{
	size_t i = 0, hn;
	if (n == 0)
		return "empty registry host";
	if (s[0] == '[') {
		char v6[64];
		unsigned char bin[16];
		const char *end = memchr(s, ']', n);
		if (!end)
			return "IPv6 registry address without ']'";
		hn = (size_t)(end - s) - 1;
		if (hn == 0 || hn >= sizeof v6)
			return "bad IPv6 registry address";
		memcpy(v6, s + 1, hn);
		v6[hn] = 0;
		if (inet_pton(AF_INET6, v6, bin) != 1)
			return "bad IPv6 registry address";
		i = hn + 2;
	} else {
		int start = 1;
		for (; i < n && s[i] != ':'; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c == '.') {
				if (start || s[i - 1] == '-')
					return "empty or badly formed registry host label";
				start = 1;
			} else if (isalnum(c)) {
				start = 0;
			} else if (c == '-') {
				if (start)
					return "registry host label starts with '-'";
			} else {
				return "invalid character in registry host";
			}
		}
		if (start || s[i - 1] == '-')
			return "empty or badly formed registry host label";
	}
	if (i < n) {
		unsigned long port = 0;
		size_t d = 0;
		if (s[i] != ':')
			return "unexpected text after IPv6 registry address";
		for (i++; i < n; i++, d++) {
			if (!isdigit((unsigned char)s[i]) || d >= 5)
				return "registry port must be a number 1-65535";
			port = port * 10 + (unsigned long)(s[i] - '0');
		}
		if (d == 0 || port == 0 || port > PORT_MAX)
			return "registry port must be a number 1-65535";
	}
	return NULL;
}

static const char *check_tag(const char *s)
{
	size_t n = strlen(s);
	if (n == 0)
		return "empty tag";
	if (n > REF_TAG_MAX)
		return "tag longer than 128 characters";
	if (!(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return "tag must start with [A-Za-z0-9_]";
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(isalnum(c) || c == '_' || c == '.' || c == '-'))
			return "invalid character in tag";
	}
	return NULL;
}

static const char *check_digest(const char *s)
{
	size_t n = strlen(s);
	if (strncmp(s, "sha256:", 7) != 0)
		return strchr(s, ':') ? "only sha256 digests are supported"
		                      : "digest must be sha256:<64 hex digits>";
	if (n != 7 + 64)
		return "digest must be sha256:<64 hex digits>";
	for (size_t i = 7; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return "digest must be sha256:<64 lowercase hex digits>";
	return NULL;
}

/* Splits name into host and path and checks both. NULL or what is wrong. */
static const char *split_name(const char *name, size_t n, struct ref *r)
{
	const char *slash = memchr(name, '/', n), *why, *p;
	size_t hn = 0, pn, off;
	if (n == 0)
		return "empty repository name";
	if (n > REF_NAME_MAX)
		return "repository name longer than 255 characters";
	if (slash) {
		size_t fn = (size_t)(slash - name);
		if ((fn == 9 && strncmp(name, "localhost", 9) == 0) || memchr(name, '.', fn) ||
		    memchr(name, ':', fn) || (fn > 0 && name[0] == '['))
			hn = fn;
	}
	if (hn) {
		if ((why = check_host(name, hn)))
			return why;
		memcpy(r->host, name, hn);
		r->host[hn] = 0;
		off = hn + 1;
	} else {
		off = 0;
	}
	p = name + off;
	pn = n - off;
	if (pn == 0)
		return "empty repository path";
	memcpy(r->path, p, pn);
	r->path[pn] = 0;
	for (size_t i = 0, s = 0; i <= pn; i++) {
		if (i == pn || p[i] == '/') {
			if ((why = check_component(p + s, i - s)))
				return why;
			s = i + 1;
		}
	}
	return NULL;
}

int ref_parse(const char *s, struct ref *r, struct err *e)
{
	char buf[REF_INPUT_MAX + 1];
	const char *why = NULL;
	char *at, *colon, *slash;
	size_t n;
	memset(r, 0, sizeof *r);
	if (!s || !*s)
		return err_set(e, ERR_USAGE, "invalid reference \"\": empty reference");
	n = strlen(s);
	if (n > REF_INPUT_MAX)
		return err_set(e, ERR_USAGE, "invalid reference: longer than %d characters",
		               REF_INPUT_MAX);
	memcpy(buf, s, n + 1);
	if ((at = strchr(buf, '@'))) {
		*at = 0;
		if ((why = check_digest(at + 1)))
			goto bad;
		strcpy(r->digest, at + 1);
	}
	slash = strrchr(buf, '/');
	colon = strrchr(slash ? slash : buf, ':');
	/* "[::1]:5000" alone has no '/': the colon is inside brackets or a port, not a tag */
	if (colon && !(buf[0] == '[' && !slash)) {
		*colon = 0;
		if ((why = check_tag(colon + 1)))
			goto bad;
		strcpy(r->tag, colon + 1);
	}
	if ((why = split_name(buf, strlen(buf), r)))
		goto bad;
	return 0;
bad:
	memset(r, 0, sizeof *r);
	return err_set(e, ERR_USAGE, "invalid reference \"%.300s\": %s", s, why);
}

void ref_name(const struct ref *r, char *out, size_t n)
{
	if (r->host[0])
		snprintf(out, n, "%s/%s", r->host, r->path);
	else
		snprintf(out, n, "%s", r->path);
}

void ref_format(const struct ref *r, char *out, size_t n)
{
	size_t l;
	ref_name(r, out, n);
	l = strlen(out);
	if (r->tag[0] && l < n)
		l += (size_t)snprintf(out + l, n - l, ":%s", r->tag);
	if (r->digest[0] && l < n)
		snprintf(out + l, n - l, "@%s", r->digest);
}

int ref_is_docker_hub(const char *host)
{
	return strcasecmp(host, "docker.io") == 0 || strcasecmp(host, "index.docker.io") == 0 ||
	       strcasecmp(host, REF_DOCKER_HUB_API) == 0;
}

const char *ref_api_host(const struct ref *r)
{
	return ref_is_docker_hub(r->host) ? REF_DOCKER_HUB_API : r->host;
}

void ref_api_path(const struct ref *r, char *out, size_t n)
{
	if (ref_is_docker_hub(r->host) && !strchr(r->path, '/'))
		snprintf(out, n, "library/%s", r->path);
	else
		snprintf(out, n, "%s", r->path);
}

const char *ref_install_path(const struct ref *r)
{
	return r->path;
}

/* Drops a leading http:// or https:// (case-insensitive); *insecure = 1 for http://. */
static const char *strip_scheme(const char *s, int *insecure)
{
	if (strncasecmp(s, "https://", 8) == 0)
		return s + 8;
	if (strncasecmp(s, "http://", 7) == 0) {
		if (insecure)
			*insecure = 1;
		return s + 7;
	}
	return s;
}

int ref_registry_parse(const char *url, const char *what, struct ref_registry *out, struct err *e)
{
	const char *h, *why;
	size_t n;
	memset(out, 0, sizeof *out);
	h = strip_scheme(url, &out->insecure);
	n = strlen(h);
	while (n > 0 && h[n - 1] == '/')
		n--;
	if (n > REF_NAME_MAX)
		why = "longer than 255 characters";
	else if (memchr(h, '/', n))
		why = "a registry URL is host[:port] without a path";
	else
		why = check_host(h, n);
	if (why) {
		memset(out, 0, sizeof *out);
		return err_set(e, ERR_USAGE, "invalid registry URL \"%.300s\" (%s): %s", url, what,
		               why);
	}
	memcpy(out->host, h, n);
	out->host[n] = 0;
	return 0;
}

int ref_registry_choose(const struct ref_registry_sources *src, struct ref_registry *out,
                        struct err *e)
{
	const char *url = REF_DEFAULT_REGISTRY, *what = "default";
	if (src && src->flag && *src->flag)
		url = src->flag, what = "--registry-url";
	else if (src && src->env && *src->env)
		url = src->env, what = "POLYCRATE_REGISTRY_URL";
	else if (src && src->workspace && *src->workspace)
		url = src->workspace, what = "workspace.poly config.registry.url";
	else if (src && src->user && *src->user)
		url = src->user, what = "~/.polycrate/polycrate.yml registry.url";
	return ref_registry_parse(url, what, out, e);
}

int ref_resolve(struct ref *r, const struct ref_registry_sources *src, int *insecure, struct err *e)
{
	struct ref_registry reg;
	int rc;
	char name[REF_NAME_MAX * 2 + 2];
	if (insecure)
		*insecure = 0;
	if (r->host[0])
		return 0;
	if ((rc = ref_registry_choose(src, &reg, e)) < 0)
		return rc;
	if (strlen(reg.host) + 1 + strlen(r->path) > REF_NAME_MAX) {
		snprintf(name, sizeof name, "%s/%s", reg.host, r->path);
		return err_set(e, ERR_USAGE,
		               "invalid reference \"%.300s\": repository name longer than 255 "
		               "characters",
		               name);
	}
	strcpy(r->host, reg.host);
	if (insecure)
		*insecure = reg.insecure;
	return 0;
}

/* Lowercases the host, drops ":443" and maps Docker Hub to "docker.io". */
static void norm_host(const char *h, size_t hn, char *out, size_t n)
{
	char tmp[REF_NAME_MAX + 1];
	size_t i;
	if (hn > REF_NAME_MAX)
		hn = REF_NAME_MAX;
	for (i = 0; i < hn; i++)
		tmp[i] = (char)tolower((unsigned char)h[i]);
	tmp[hn] = 0;
	i = strlen(tmp);
	if (i > 4 && strcmp(tmp + i - 4, ":443") == 0)
		tmp[i - 4] = 0;
	if (ref_is_docker_hub(tmp))
		snprintf(out, n, "docker.io");
	else
		snprintf(out, n, "%s", tmp);
}

void ref_match_key(const struct ref *r, char *out, size_t n)
{
	char h[REF_NAME_MAX + 1];
	norm_host(r->host, strlen(r->host), h, sizeof h);
	if (strcmp(h, "docker.io") == 0 && !strchr(r->path, '/'))
		snprintf(out, n, "%s/library/%s", h, r->path);
	else
		snprintf(out, n, "%s/%s", h, r->path);
}

/* A rule's from/to in matching form: scheme and trailing '/' dropped, host normalised. */
static void norm_pattern(const char *s, char *out, size_t n)
{
	const char *p = strip_scheme(s, NULL), *slash;
	size_t l, hl;
	char h[REF_NAME_MAX + 1];
	slash = strchr(p, '/');
	hl = slash ? (size_t)(slash - p) : strlen(p);
	norm_host(p, hl, h, sizeof h);
	snprintf(out, n, "%s%s", h, slash ? slash : "");
	l = strlen(out);
	while (l > 0 && out[l - 1] == '/')
		out[--l] = 0;
}

static const char *check_pattern(const char *s)
{
	char tmp[REF_NAME_MAX + 2];
	struct ref r;
	const char *p, *slash;
	if (!s || !*s)
		return "is empty";
	p = strip_scheme(s, NULL);
	if (strlen(p) > REF_NAME_MAX)
		return "is longer than 255 characters";
	snprintf(tmp, sizeof tmp, "%s", p);
	for (size_t l = strlen(tmp); l > 0 && tmp[l - 1] == '/'; l--)
		tmp[l - 1] = 0;
	slash = strchr(tmp, '/');
	memset(&r, 0, sizeof r);
	if (!slash)
		return check_host(tmp, strlen(tmp));
	if (check_host(tmp, (size_t)(slash - tmp)))
		return check_host(tmp, (size_t)(slash - tmp));
	for (const char *c = slash + 1, *q;; c = q + 1) {
		const char *why;
		q = strchr(c, '/');
		if ((why = check_component(c, q ? (size_t)(q - c) : strlen(c))))
			return why;
		if (!q)
			break;
	}
	return NULL;
}

int ref_proxy_check(const struct ref_proxy *p, struct err *e)
{
	const char *why;
	if ((why = check_pattern(p->from)))
		return err_set(e, ERR_USAGE, "registry proxy from \"%.300s\": %s",
		               p->from ? p->from : "", why);
	if ((why = check_pattern(p->to)))
		return err_set(e, ERR_USAGE, "registry proxy to \"%.300s\": %s", p->to ? p->to : "",
		               why);
	return 0;
}

/* 1 when pattern is key or a prefix of key ending at a '/'. */
static int prefix_match(const char *pat, const char *key)
{
	size_t n = strlen(pat);
	return n > 0 && strncmp(pat, key, n) == 0 && (key[n] == 0 || key[n] == '/');
}

int ref_proxy_shadowed(const struct ref_proxy_config *c, size_t j, size_t *by)
{
	char pj[REF_NAME_MAX + 1], pi[REF_NAME_MAX + 1];
	if (!c || j >= c->n || !c->rules[j].from)
		return 0;
	norm_pattern(c->rules[j].from, pj, sizeof pj);
	for (size_t i = 0; i < j; i++) {
		if (!c->rules[i].from)
			continue;
		norm_pattern(c->rules[i].from, pi, sizeof pi);
		if (prefix_match(pi, pj)) {
			if (by)
				*by = i;
			return 1;
		}
	}
	return 0;
}

static int set(const char *s)
{
	return s && *s;
}

/* "host" + first path component of to: the project a registry such as Harbor keeps
 * credentials for (the seed's DEBUG line names registry.enterprise.com/cargo-proxy). */
static void cred_scope(const char *to, char *out, size_t n)
{
	char t[REF_NAME_MAX + 1];
	char *slash, *second;
	norm_pattern(to, t, sizeof t);
	slash = strchr(t, '/');
	if (slash && (second = strchr(slash + 1, '/')))
		*second = 0;
	snprintf(out, n, "%s", t);
}

int ref_rewrite(const struct ref_proxy_config *c, const struct ref *in, struct ref *out,
                struct ref_creds *cr, struct err *e)
{
	char key[REF_NAME_MAX * 2 + 16], pat[REF_NAME_MAX + 1], to[REF_NAME_MAX + 1];
	char text[REF_STR_MAX * 2], orig[REF_NAME_MAX * 2 + 16], host[REF_NAME_MAX + 1];
	struct ref tmp;
	const struct ref_proxy *hit = NULL;
	size_t plen = 0;
	int rc;
	*out = *in;
	if (cr)
		memset(cr, 0, sizeof *cr);
	ref_match_key(in, key, sizeof key);
	for (size_t i = 0; c && i < c->n; i++) {
		if (!set(c->rules[i].from) || !set(c->rules[i].to))
			continue;
		norm_pattern(c->rules[i].from, pat, sizeof pat);
		if (prefix_match(pat, key)) {
			hit = &c->rules[i];
			plen = strlen(pat);
			break;
		}
	}
	if (hit) {
		norm_pattern(hit->to, to, sizeof to);
		snprintf(text, sizeof text, "%s%s", to, key + plen);
		if (strchr(to, '/') == NULL && key[plen] == 0) {
			return err_set(e, ERR_USAGE,
			               "registry proxy rule \"%.200s\" -> \"%.200s\" leaves no "
			               "repository path for \"%.200s\"",
			               hit->from, hit->to, key);
		}
		if ((rc = ref_parse(text, &tmp, e)) < 0) {
			err_prefix(e, "registry proxy rule \"%.200s\" -> \"%.200s\"", hit->from,
			           hit->to);
			return rc;
		}
		if (!tmp.host[0])
			return err_set(e, ERR_USAGE,
			               "registry proxy to \"%.300s\": needs a registry host",
			               hit->to);
		strcpy(tmp.tag, in->tag);
		strcpy(tmp.digest, in->digest);
		ref_name(in, orig, sizeof orig);
		ref_name(&tmp, text, sizeof text);
		log_info("Registry proxy match found: %s -> %s", orig, text);
		*out = tmp;
		if (cr && set(hit->username)) {
			cr->username = hit->username;
			cr->password = hit->password;
			cred_scope(hit->to, cr->scope, sizeof cr->scope);
			log_debug("Using proxy credentials for registry: %s", cr->scope);
			return 1;
		}
	}
	if (cr && c && set(c->endpoint) && set(c->username)) {
		char ep[REF_NAME_MAX + 1];
		norm_pattern(c->endpoint, ep, sizeof ep);
		norm_host(out->host, strlen(out->host), host, sizeof host);
		if (strcmp(ep, host) == 0) {
			cr->username = c->username;
			cr->password = c->password;
			snprintf(cr->scope, sizeof cr->scope, "%s", host);
			log_debug("Using registry credentials for registry: %s", host);
		}
	}
	return hit ? 1 : 0;
}
