/* tls.h - TLS 1.2 client connections (BearSSL): trust anchors, certs.d, IP SAN checks */
#ifndef POLYCRATE_TLS_H
#define POLYCRATE_TLS_H

#include <stddef.h>

#include "err.h"
#include "net.h"

/*
 * http.c dials (directly or through a CONNECT tunnel of HTTPS_PROXY) and hands the raw
 * conn to tls_hook (its http_tls_fn), which runs the handshake:
 *
 *	http_client_set_tls(client, tls_hook, NULL);
 *	...
 *	if (rc < 0 && tls_err_plain_http(e) && tls_plain_http_allowed(host, port, list, n))
 *		... retry the request as http:// ...
 *
 * Trust anchors are loaded once per process, at the first handshake: SSL_CERT_FILE and/or
 * SSL_CERT_DIR when set (they replace the system bundle), else the first system bundle
 * found, else the bundle built in with `make EMBED_CA=1`. Per registry, *.crt files in
 * /etc/docker/certs.d/<host[:port]>/, /etc/containers/certs.d/<host[:port]>/ and
 * ~/.config/containers/certs.d/<host[:port]>/ are added, and a NAME.cert + NAME.key
 * pair there (client.cert/client.key) is the client certificate.
 *
 * Test hook: POLYCRATE_CERTS_D_ROOT (a ':'-separated list of folders) replaces those
 * three base folders.
 */

#define TLS_MAX_ANCHORS 8192               /* trust anchors in one process */
#define TLS_MAX_PEM_FILE (8 * 1024 * 1024) /* one PEM bundle or key file */
#define TLS_MAX_DER (64 * 1024)            /* one decoded certificate or key */
#define TLS_MAX_DN 4096                    /* one subject name */
#define TLS_MAX_DIR_FILES 4096             /* files read from one folder */
#define TLS_MAX_CLIENT_CHAIN 8             /* certificates in client.cert */
#define TLS_MAX_HOST 255

/* Per-connection options; a NULL or zeroed struct is the default. */
struct tls_opts {
	int port;            /* the URL's port (0 = 443): picks certs.d/<host:port>/ */
	const char *ca_file; /* extra PEM CA file for this connection only (NULL: none) */
	int no_certs_d;      /* 1: do not look into certs.d folders */
};

/*
 * Runs a TLS 1.2 handshake over raw (which tls_connect owns from now on, also on
 * failure) with host: SNI and a name check for DNS names; for an IPv4/IPv6 literal (with
 * or without brackets) no SNI and an iPAddress subjectAltName check instead.
 * On success *out is a conn whose read/write/close go through TLS; closing it closes raw.
 * On failure: ERR_NET with a message in words (unknown authority, expired, name
 * mismatch, BearSSL's limits ...) and a hint, *out NULL, raw closed.
 */
int tls_connect(struct conn *raw, const char *host, const struct tls_opts *opts, struct conn **out,
                struct err *e);

/* tls_connect with opts = arg (a const struct tls_opts *, or NULL) and opts->port = port:
 * the shape of http.h's http_tls_fn, so http_client_set_tls(c, tls_hook, NULL) works. */
int tls_hook(void *arg, struct conn *raw, const char *host, int port, struct conn **out,
             struct err *e);

/* The phrase tls_connect's message holds when the peer answered the hello in plain HTTP. */
#define TLS_MSG_PLAIN_HTTP "server answered in plain HTTP"

/* 1 when e says the peer answered in plain HTTP (then, for an insecure or loopback
 * registry, http:// may be tried). Never 1 for a certificate error. */
int tls_err_plain_http(const struct err *e);

/*
 * 1 when plain HTTP may be used for host:port after tls_err_plain_http (DESIGN.md §3):
 * host is loopback as written (localhost, 127.0.0.0/8, ::1), or "host:port" or "host" is
 * in insecure[0..n) (--insecure-registry) or in POLYCRATE_INSECURE_REGISTRIES (entries
 * separated by commas or spaces). Otherwise 0.
 */
int tls_plain_http_allowed(const char *host, int port, const char *const *insecure, size_t n);

/* What a handshake settled on, for logs and benchmarks. */
struct tls_info {
	char suite[64];    /* "ECDHE_RSA_WITH_AES_128_GCM_SHA256" */
	char version[8];   /* "1.2" */
	const char *aes;   /* AES implementation in use: "x86ni", "ct64", ... or "none" */
	const char *ghash; /* GHASH implementation: "pclmul", "ctmul64", ... */
};

/* Fills *info for a conn made by tls_connect: 0, or ERR_FAIL when c is not one. */
int tls_conn_info(struct conn *c, struct tls_info *info);

/* The number of process-wide trust anchors (loading them now if needed), or ERR_NET
 * (e filled) when SSL_CERT_FILE/SSL_CERT_DIR name something unreadable. */
int tls_trust_count(struct err *e);

/* Forgets the process-wide anchors; the next handshake reloads them (tests, and after the
 * environment changed). */
void tls_trust_reset(void);

/*
 * The end-entity certificate's subjectAltName entries, from DER: calls fn(ctx, type,
 * p, n) for each dNSName (type 2, text not NUL-terminated) and iPAddress (type 7, 4 or 16
 * bytes) until fn returns non-zero. Returns that value, 0 after the last entry, or
 * ERR_FAIL when the DER is malformed (bounds-checked: hostile input is fine).
 */
int tls_cert_san(const unsigned char *der, size_t len,
                 int (*fn)(void *ctx, int type, const unsigned char *p, size_t n), void *ctx);

/* The number of distinct trust anchors in PEM text p[0..n) (certificates BearSSL cannot use
 * are skipped), or ERR_NET for malformed PEM. Nothing is kept (checks, fuzzing). */
int tls_pem_count(const void *p, size_t n, struct err *e);

/* For an IPv4/IPv6 literal (brackets and a %zone allowed): its bytes into ip (16 bytes of
 * room) and the count (4 or 16); 0 when host is no IP literal. */
int tls_ip_literal(const char *host, unsigned char *ip);

/* A words-only message for a BearSSL error code (br_ssl_engine_last_error, BR_ERR_X509_*,
 * alerts): never NULL. */
const char *tls_strerror(int br_err);

#endif
