/* ref.h - block references (docker-style), registry URLs and the registry proxy rewrites */
#ifndef POLYCRATE_REF_H
#define POLYCRATE_REF_H

#include <stddef.h>

#include "err.h"

#define REF_NAME_MAX 255   /* host + "/" + path, as docker limits it */
#define REF_TAG_MAX 128    /* [A-Za-z0-9_][A-Za-z0-9._-]{0,127} */
#define REF_DIGEST_MAX 72  /* "sha256:" + 64 hex + NUL */
#define REF_INPUT_MAX 1024 /* longest reference text looked at */
#define REF_STR_MAX (REF_NAME_MAX + 1 + REF_TAG_MAX + 1 + REF_DIGEST_MAX + 1)
#define REF_DEFAULT_REGISTRY "cargo.ayedo.cloud"
#define REF_DOCKER_HUB_API "registry-1.docker.io"

/*
 * A parsed reference [host/]path[:tag][@digest]. Strings are empty when absent. host is as
 * written (case kept), path is the repository path as written (no "library/" added).
 */
struct ref {
	char host[REF_NAME_MAX + 1];
	char path[REF_NAME_MAX + 1];
	char tag[REF_TAG_MAX + 1];
	char digest[REF_DIGEST_MAX];
};

/* Parses s. 0, or ERR_USAGE with *e quoting the reference and naming the wrong part; r is
 * then zeroed. The first component is a registry when it holds '.' or ':' or is
 * "localhost"; "[v6addr]:port" works. */
int ref_parse(const char *s, struct ref *r, struct err *e);

/* "host/path:tag@digest" (parts present only) into out; always NUL-terminated. */
void ref_format(const struct ref *r, char *out, size_t n);
/* "host/path" (or "path" when there is no host) into out. */
void ref_name(const struct ref *r, char *out, size_t n);

/* 1 when host is Docker Hub (docker.io, index.docker.io, registry-1.docker.io). */
int ref_is_docker_hub(const char *host);
/* The host to talk to: registry-1.docker.io for Docker Hub, else r->host. */
const char *ref_api_host(const struct ref *r);
/* The repository path to use in the API: "library/x" for a one-component Docker Hub
 * path, else r->path. */
void ref_api_path(const struct ref *r, char *out, size_t n);
/* The install path below the blocks root: the path as written (before any rewrite). */
const char *ref_install_path(const struct ref *r);

/* A registry URL: host[:port], optionally https:// or http:// (then insecure = 1). */
struct ref_registry {
	char host[REF_NAME_MAX + 1];
	int insecure;
};
/* 0, or ERR_USAGE naming what (the source, e.g. "--registry-url") and the wrong part. */
int ref_registry_parse(const char *url, const char *what, struct ref_registry *out, struct err *e);

/* Where a default registry may come from, in precedence order (NULL or "" = not set). */
struct ref_registry_sources {
	const char *flag;      /* --registry-url */
	const char *env;       /* POLYCRATE_REGISTRY_URL */
	const char *workspace; /* workspace.poly config.registry.url */
	const char *user;      /* ~/.polycrate/polycrate.yml registry.url */
};
/* The first source set, else REF_DEFAULT_REGISTRY, parsed into *out. src may be NULL.
 * Returns 0 or ERR_USAGE naming the source whose URL is bad. */
int ref_registry_choose(const struct ref_registry_sources *src, struct ref_registry *out,
                        struct err *e);
/* Gives r its registry when the reference has none (from ref_registry_choose); *insecure
 * (may be NULL) is set when that URL was http://. 0 or ERR_USAGE. */
int ref_resolve(struct ref *r, const struct ref_registry_sources *src, int *insecure,
                struct err *e);

/*
 * Registry proxy rewrites (DESIGN.md §1.3). Strings belong to the caller (workspace.c keeps
 * them); NULL or "" means unset.
 */
struct ref_proxy {
	const char *from, *to, *username, *password;
};
struct ref_proxy_config {
	const struct ref_proxy *rules;
	size_t n;
	const char *endpoint, *username, *password;
};
/* Credentials chosen for a rewritten reference (point into the config; NULL = none). */
struct ref_creds {
	const char *username, *password;
	char scope[REF_NAME_MAX + 1]; /* what the DEBUG line names; "" when no credentials */
};

/* Checks a rule's from and to ("host[/path]"). 0 or ERR_USAGE naming the field. */
int ref_proxy_check(const struct ref_proxy *p, struct err *e);
/* 1 when rule j can never match because an earlier rule (index into *by) always wins:
 * that rule's from is equal to or a component prefix of rule j's from. 0 otherwise. */
int ref_proxy_shadowed(const struct ref_proxy_config *c, size_t j, size_t *by);
/*
 * Applies the first matching rule to in (which must have a host) into out, keeping tag and
 * digest; a rewritten reference is not matched again. Logs the match at level 2 (no
 * secret). Returns 1 when rewritten, 0 when not (out = in), ERR_USAGE when the rewrite
 * gives a bad reference. cr (may be NULL) gets the credentials to use: the rule's, else
 * registry username/password when the host is the endpoint, else none. c may be NULL.
 */
int ref_rewrite(const struct ref_proxy_config *c, const struct ref *in, struct ref *out,
                struct ref_creds *cr, struct err *e);
/* The matching form of a reference's name: host lowercased, ":443" dropped, Docker Hub as
 * "docker.io" with "library/" for one-component paths. */
void ref_match_key(const struct ref *r, char *out, size_t n);

#endif
