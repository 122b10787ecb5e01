/* tls.c - TLS 1.2 client over BearSSL: trust anchors, certs.d, client certs, IP SAN checks */
#include "tls.h"

#include <arpa/inet.h>
#include <bearssl.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

#define TLS_MAX_PATH 4096
#define TLS_MAX_ROOTS 8 /* certs.d base folders */

/* Where distributions keep their CA bundle (Debian/Ubuntu/Alpine, RHEL/Fedora,
 * SUSE, others); the first that exists is used. */
static const char *const system_bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/usr/local/share/certs/ca-root-nss.crt",
    "/etc/pki/tls/cacert.pem",
};

/* The optional built-in bundle (make EMBED_CA=1 links src/tls_ca.sh's output): weak, so
 * that without it the symbols are null and every other binary links as it is. */
extern const unsigned char tls_embedded_ca[] __attribute__((weak));
extern const size_t tls_embedded_ca_len __attribute__((weak));

/* ---- trust anchor sets ---- */

struct ta_set {
	br_x509_trust_anchor *v;
	size_t n, cap;
};

/* The process-wide anchors: loaded once under g_lock (http.c's clients may be shared by
 * threads), then only read. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ta_set g_trust;
static int g_loaded;
static char g_source[TLS_MAX_PATH + 32]; /* where the anchors came from, for hints */

static void ta_free_one(br_x509_trust_anchor *ta)
{
	free(ta->dn.data);
	if (ta->pkey.key_type == BR_KEYTYPE_RSA) {
		free(ta->pkey.key.rsa.n);
		free(ta->pkey.key.rsa.e);
	} else {
		free(ta->pkey.key.ec.q);
	}
}

static void ta_set_free(struct ta_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		ta_free_one(&s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* Collects bytes up to the buffer's limit; more sets over (never a silent cut).
 */
struct pem_sink {
	struct buf der;
	int over;
};

static void pem_append(void *ctx, const void *p, size_t n)
{
	struct pem_sink *s = ctx;
	if (buf_append(&s->der, p, n) < 0)
		s->over = 1;
}

static unsigned char *dup_mem(const void *p, size_t n)
{
	unsigned char *q = malloc(n ? n : 1);
	if (q && n)
		memcpy(q, p, n);
	return q;
}

/* Decodes one DER certificate into an anchor we own (DN and key copied). The CA
 * flag is the certificate's own basicConstraints: a non-CA certificate is
 * trusted only as itself (a self-signed server certificate in certs.d). 0, or a
 * BearSSL error code (> 0). */
static int anchor_from_der(const unsigned char *der, size_t len, br_x509_trust_anchor *ta)
{
	br_x509_decoder_context dc;
	struct pem_sink dn;
	const br_x509_pkey *pk;
	int rc = 0;

	memset(ta, 0, sizeof *ta);
	buf_init(&dn.der, TLS_MAX_DN);
	dn.over = 0;
	br_x509_decoder_init(&dc, pem_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (!pk) {
		rc = br_x509_decoder_last_error(&dc);
		if (!rc)
			rc = BR_ERR_X509_TRUNCATED;
		goto out;
	}
	if (dn.der.len == 0 || dn.over) {
		rc = BR_ERR_X509_BAD_DN;
		goto out;
	}
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = dup_mem(pk->key.rsa.n, pk->key.rsa.nlen);
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = dup_mem(pk->key.rsa.e, pk->key.rsa.elen);
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
		if (!ta->pkey.key.rsa.n || !ta->pkey.key.rsa.e)
			rc = BR_ERR_X509_LIMIT_EXCEEDED;
	} else if (pk->key_type == BR_KEYTYPE_EC) {
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = dup_mem(pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
		if (!ta->pkey.key.ec.q)
			rc = BR_ERR_X509_LIMIT_EXCEEDED;
	} else {
		rc = BR_ERR_X509_UNSUPPORTED;
	}
	ta->dn.len = dn.der.len;
	ta->dn.data = (unsigned char *)buf_steal(&dn.der);
out:
	if (rc) {
		buf_free(&dn.der);
		ta_free_one(ta);
		memset(ta, 0, sizeof *ta);
	}
	return rc;
}

static int ta_same(const br_x509_trust_anchor *a, const br_x509_trust_anchor *b)
{
	if (a->dn.len != b->dn.len || a->flags != b->flags ||
	    a->pkey.key_type != b->pkey.key_type || memcmp(a->dn.data, b->dn.data, a->dn.len) != 0)
		return 0;
	if (a->pkey.key_type == BR_KEYTYPE_RSA)
		return a->pkey.key.rsa.nlen == b->pkey.key.rsa.nlen &&
		       a->pkey.key.rsa.elen == b->pkey.key.rsa.elen &&
		       !memcmp(a->pkey.key.rsa.n, b->pkey.key.rsa.n, a->pkey.key.rsa.nlen) &&
		       !memcmp(a->pkey.key.rsa.e, b->pkey.key.rsa.e, a->pkey.key.rsa.elen);
	return a->pkey.key.ec.curve == b->pkey.key.ec.curve &&
	       a->pkey.key.ec.qlen == b->pkey.key.ec.qlen &&
	       !memcmp(a->pkey.key.ec.q, b->pkey.key.ec.q, a->pkey.key.ec.qlen);
}

/* Adds the certificate unless an equal anchor is there: 0 either way, or a BearSSL error. */
static int ta_set_add(struct ta_set *s, const unsigned char *der, size_t len)
{
	br_x509_trust_anchor ta;
	int rc;

	if (s->n >= TLS_MAX_ANCHORS)
		return BR_ERR_X509_LIMIT_EXCEEDED;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		br_x509_trust_anchor *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return BR_ERR_X509_LIMIT_EXCEEDED;
		s->v = v;
		s->cap = cap;
	}
	rc = anchor_from_der(der, len, &ta);
	if (rc)
		return rc;
	for (size_t i = 0; i < s->n; i++)
		if (ta_same(&s->v[i], &ta)) {
			/* SSL_CERT_DIR=/etc/ssl/certs holds each root twice: once in the bundle
			 * and once as its own file. */
			ta_free_one(&ta);
			return 0;
		}
	s->v[s->n++] = ta;
	return 0;
}

/* ---- PEM ---- */

/* Called for each PEM object: 0 to go on, < 0 to stop with that error. */
typedef int (*pem_fn)(void *ctx, const char *name, const unsigned char *der, size_t len);

/* Walks the PEM objects of text. 0, or ERR_NET naming what (the file) is
 * malformed. */
static int pem_each(const char *what, const unsigned char *text, size_t n, pem_fn fn, void *ctx,
                    struct err *e)
{
	br_pem_decoder_context pc;
	struct pem_sink sink;
	char name[128] = "";
	int inobj = 0, rc = 0, fed_nl = 0;

	buf_init(&sink.der, TLS_MAX_DER);
	sink.over = 0;
	br_pem_decoder_init(&pc);
	while (n > 0 || !fed_nl) {
		size_t k;
		if (n == 0) {
			/* A final newline completes a last line that lacks one. */
			fed_nl = 1;
			text = (const unsigned char *)"\n";
			n = 1;
		}
		k = br_pem_decoder_push(&pc, text, n);
		text += k;
		n -= k;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			snprintf(name, sizeof name, "%s", br_pem_decoder_name(&pc));
			buf_reset(&sink.der);
			sink.over = 0;
			br_pem_decoder_setdest(&pc, pem_append, &sink);
			inobj = 1;
			break;
		case BR_PEM_END_OBJ:
			inobj = 0;
			if (sink.over) {
				rc = err_set(e, ERR_NET, "%s: PEM object %s larger than %d bytes",
				             what, name, TLS_MAX_DER);
				goto out;
			}
			rc = fn(ctx, name, (const unsigned char *)sink.der.p, sink.der.len);
			if (rc < 0)
				goto out;
			break;
		case BR_PEM_ERROR:
			rc = err_set(e, ERR_NET, "%s: malformed PEM", what);
			goto out;
		default:
			break;
		}
	}
	if (inobj)
		rc = err_set(e, ERR_NET, "%s: PEM object %s is cut off", what, name);
out:
	buf_free(&sink.der);
	return rc;
}

/* Reads a regular file of at most TLS_MAX_PEM_FILE bytes into b. 0,
 * ERR_NOTFOUND when missing, ERR_NET otherwise (e filled either way). */
static int read_file(const char *path, struct buf *b, struct err *e)
{
	char chunk[16384];
	int fd, rc = 0;
	ssize_t k;

	buf_init(b, TLS_MAX_PEM_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno == ENOENT ? ERR_NOTFOUND : ERR_NET, errno, "%s", path);
	while ((k = read(fd, chunk, sizeof chunk)) != 0) {
		if (k < 0) {
			if (errno == EINTR)
				continue;
			rc = err_sys(e, ERR_NET, errno, "reading %s", path);
			goto out;
		}
		if (buf_append(b, chunk, (size_t)k) < 0) {
			rc =
			    err_set(e, ERR_NET, "%s: larger than %d bytes", path, TLS_MAX_PEM_FILE);
			goto out;
		}
	}
out:
	close(fd);
	if (rc)
		buf_free(b);
	return rc;
}

struct load_ctx {
	struct ta_set *set;
	const char *what;
	size_t added, skipped;
};

static int is_cert_name(const char *name)
{
	return !strcmp(name, "CERTIFICATE") || !strcmp(name, "X509 CERTIFICATE") ||
	       !strcmp(name, "TRUSTED CERTIFICATE");
}

static int load_one(void *ctx, const char *name, const unsigned char *der, size_t len)
{
	struct load_ctx *lc = ctx;
	int rc;

	if (!is_cert_name(name))
		return 0;
	rc = ta_set_add(lc->set, der, len);
	if (rc) {
		/* One unusable certificate (an Ed25519 root, say) does not spoil a bundle.
		 */
		log_trace("%s: skipping a certificate: %s", lc->what, tls_strerror(rc));
		lc->skipped++;
		return 0;
	}
	lc->added++;
	return 0;
}

static int load_pem_mem(struct ta_set *set, const char *what, const unsigned char *p, size_t n,
                        struct err *e)
{
	struct load_ctx lc = {set, what, 0, 0};
	int rc = pem_each(what, p, n, load_one, &lc, e);
	if (rc < 0)
		return rc;
	log_trace("%s: %zu trust anchors (%zu skipped)", what, lc.added, lc.skipped);
	return (int)lc.added;
}

int tls_pem_count(const void *p, size_t n, struct err *e)
{
	struct ta_set set = {0};
	int rc = load_pem_mem(&set, "PEM", p, n, e);
	if (rc >= 0)
		rc = (int)set.n;
	ta_set_free(&set);
	return rc;
}

/* Count of anchors added from the PEM file, or an error (missing file:
 * ERR_NOTFOUND). */
static int load_pem_file(struct ta_set *set, const char *path, struct err *e)
{
	struct buf b;
	int rc = read_file(path, &b, e);
	if (rc < 0)
		return rc;
	rc = load_pem_mem(set, path, (const unsigned char *)b.p, b.len, e);
	buf_free(&b);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir, sorted (so that results never depend on readdir order); the
 * caller frees each and the array. Count, or ERR_NET / ERR_NOTFOUND. */
static int list_dir(const char *dir, char ***out, struct err *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	int n = 0, rc;

	*out = NULL;
	if (!d)
		return err_sys(e, errno == ENOENT || errno == ENOTDIR ? ERR_NOTFOUND : ERR_NET,
		               errno, "%s", dir);
	v = calloc(TLS_MAX_DIR_FILES, sizeof *v);
	if (!v) {
		rc = err_set(e, ERR_NET, "out of memory");
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n >= TLS_MAX_DIR_FILES) {
			rc = err_set(e, ERR_NET, "%s: more than %d files", dir, TLS_MAX_DIR_FILES);
			goto out;
		}
		v[n] = strdup(de->d_name);
		if (!v[n]) {
			rc = err_set(e, ERR_NET, "out of memory");
			goto out;
		}
		n++;
	}
	qsort(v, (size_t)n, sizeof *v, name_cmp);
	*out = v;
	v = NULL;
	rc = n;
out:
	if (v) {
		for (int i = 0; i < n; i++)
			free(v[i]);
		free(v);
	}
	closedir(d);
	return rc;
}

static void free_list(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && !strcmp(s + a - b, suf);
}

/* An SSL_CERT_DIR folder: every regular file (hash links, *.pem, *.crt) once by
 * inode, so Debian's /etc/ssl/certs with both names for each certificate loads
 * each once. */
static int load_cert_dir(struct ta_set *set, const char *dir, struct err *e)
{
	char **names = NULL, path[TLS_MAX_PATH];
	struct {
		dev_t dev;
		ino_t ino;
	} *seen = NULL;
	int n, nseen = 0, total = 0, rc = 0;
	struct err le;

	n = list_dir(dir, &names, e);
	if (n < 0)
		return n;
	seen = calloc((size_t)n + 1, sizeof *seen);
	if (!seen) {
		rc = err_set(e, ERR_NET, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct stat st;
		int dup = 0;
		if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= (int)sizeof path)
			continue;
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		for (int j = 0; j < nseen && !dup; j++)
			dup = seen[j].dev == st.st_dev && seen[j].ino == st.st_ino;
		if (dup)
			continue;
		seen[nseen].dev = st.st_dev;
		seen[nseen].ino = st.st_ino;
		nseen++;
		err_init(&le);
		rc = load_pem_file(set, path, &le);
		if (rc < 0) {
			/* An unreadable or non-PEM file in a shared folder is skipped. */
			log_trace("%s: skipped: %s", path, le.msg);
			rc = 0;
			continue;
		}
		total += rc;
	}
	rc = total;
out:
	free(seen);
	free_list(names, n);
	return rc;
}

/* Trust problems are TLS problems (exit 5), also a missing SSL_CERT_FILE. */
static int as_net(struct err *e)
{
	if (e)
		e->code = ERR_NET;
	return ERR_NET;
}

static int load_trust(struct err *e)
{
	const char *file = getenv("SSL_CERT_FILE"), *dirs = getenv("SSL_CERT_DIR");
	int rc = 0;

	if (g_loaded)
		return 0;
	if (file && !*file)
		file = NULL;
	if (dirs && !*dirs)
		dirs = NULL;
	g_source[0] = 0;
	if (file || dirs) {
		if (file) {
			rc = load_pem_file(&g_trust, file, e);
			if (rc < 0) {
				rc = as_net(e);
				err_prefix(e, "SSL_CERT_FILE");
				goto out;
			}
			snprintf(g_source, sizeof g_source, "SSL_CERT_FILE=%s", file);
		}
		if (dirs) {
			char list[TLS_MAX_PATH], *save = NULL, *d;
			snprintf(list, sizeof list, "%s", dirs);
			for (d = strtok_r(list, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
				rc = load_cert_dir(&g_trust, d, e);
				if (rc < 0) {
					rc = as_net(e);
					err_prefix(e, "SSL_CERT_DIR");
					goto out;
				}
			}
			if (!g_source[0])
				snprintf(g_source, sizeof g_source, "SSL_CERT_DIR=%s", dirs);
		}
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < sizeof system_bundles / sizeof system_bundles[0]; i++) {
		if (access(system_bundles[i], R_OK) != 0)
			continue;
		rc = load_pem_file(&g_trust, system_bundles[i], e);
		if (rc < 0)
			goto out;
		snprintf(g_source, sizeof g_source, "%s", system_bundles[i]);
		rc = 0;
		goto out;
	}
	if (&tls_embedded_ca_len != NULL && tls_embedded_ca != NULL) {
		rc = load_pem_mem(&g_trust, "built-in CA bundle", tls_embedded_ca,
		                  tls_embedded_ca_len, e);
		if (rc < 0)
			goto out;
		snprintf(g_source, sizeof g_source, "the built-in CA bundle");
		rc = 0;
		goto out;
	}
	snprintf(g_source, sizeof g_source,
	         "no CA bundle (none of the system paths exists; see docs/tls.md)");
out:
	if (rc < 0) {
		ta_set_free(&g_trust);
		return rc;
	}
	g_loaded = 1;
	log_debug("TLS trust anchors: %zu from %s", g_trust.n, g_source);
	return 0;
}

int tls_trust_count(struct err *e)
{
	int rc;
	pthread_mutex_lock(&g_lock);
	rc = load_trust(e);
	if (rc == 0)
		rc = (int)g_trust.n;
	pthread_mutex_unlock(&g_lock);
	return rc;
}

void tls_trust_reset(void)
{
	pthread_mutex_lock(&g_lock);
	ta_set_free(&g_trust);
	g_loaded = 0;
	pthread_mutex_unlock(&g_lock);
}

/* ---- a small DER walker for the end-entity certificate ---- */

struct der {
	const unsigned char *p, *end;
};

/* Reads one TLV with a one-byte tag and a definite length that fits in what is
 * left. 0 with *tag and *val set, or -1. */
static int der_next(struct der *d, int *tag, struct der *val)
{
	size_t len;

	if (d->end - d->p < 2)
		return -1;
	*tag = *d->p++;
	if ((*tag & 0x1f) == 0x1f)
		return -1; /* multi-byte tags do not occur where we look */
	len = *d->p++;
	if (len & 0x80) {
		int k = (int)(len & 0x7f);
		if (k == 0 || k > 4 || d->end - d->p < k)
			return -1; /* indefinite, or longer than any certificate */
		for (len = 0; k > 0; k--)
			len = (len << 8) | *d->p++;
	}
	if (len > (size_t)(d->end - d->p))
		return -1;
	val->p = d->p;
	val->end = d->p + len;
	d->p += len;
	return 0;
}

/* Expects a TLV with this tag and enters it. */
static int der_enter(struct der *d, int want, struct der *val)
{
	int tag;
	if (der_next(d, &tag, val) < 0 || tag != want)
		return -1;
	return 0;
}

/* Positions tbs at the TBSCertificate's fields after subjectPublicKeyInfo, and
 * fills validity. 0 or -1. */
static int cert_tbs(const unsigned char *der, size_t len, struct der *rest, struct der *validity)
{
	struct der d = {der, der + len}, cert, tbs, x;
	int tag;

	if (der_enter(&d, 0x30, &cert) < 0 || der_enter(&cert, 0x30, &tbs) < 0)
		return -1;
	if (tbs.p < tbs.end && *tbs.p == 0xa0 && der_next(&tbs, &tag, &x) < 0)
		return -1;                         /* [0] version */
	if (der_enter(&tbs, 0x02, &x) < 0 ||       /* serialNumber */
	    der_enter(&tbs, 0x30, &x) < 0 ||       /* signature */
	    der_enter(&tbs, 0x30, &x) < 0 ||       /* issuer */
	    der_enter(&tbs, 0x30, validity) < 0 || /* validity */
	    der_enter(&tbs, 0x30, &x) < 0 ||       /* subject */
	    der_enter(&tbs, 0x30, &x) < 0)         /* subjectPublicKeyInfo */
		return -1;
	*rest = tbs;
	return 0;
}

int tls_cert_san(const unsigned char *der, size_t len,
                 int (*fn)(void *ctx, int type, const unsigned char *p, size_t n), void *ctx)
{
	static const unsigned char san_oid[] = {0x55, 0x1d, 0x11}; /* 2.5.29.17 */
	struct der tbs, validity, x, exts, ext, oid, val, names, gn;
	int tag;

	if (!der || cert_tbs(der, len, &tbs, &validity) < 0)
		return ERR_FAIL;
	/* [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions */
	while (tbs.p < tbs.end) {
		if (der_next(&tbs, &tag, &x) < 0)
			return ERR_FAIL;
		if (tag != 0xa3)
			continue;
		if (der_enter(&x, 0x30, &exts) < 0)
			return ERR_FAIL;
		while (exts.p < exts.end) {
			if (der_enter(&exts, 0x30, &ext) < 0 || der_enter(&ext, 0x06, &oid) < 0)
				return ERR_FAIL;
			if (oid.end - oid.p != (long)sizeof san_oid ||
			    memcmp(oid.p, san_oid, sizeof san_oid) != 0)
				continue;
			if (ext.p < ext.end && *ext.p == 0x01 && der_next(&ext, &tag, &val) < 0)
				return ERR_FAIL; /* critical */
			if (der_enter(&ext, 0x04, &val) < 0 || der_enter(&val, 0x30, &names) < 0)
				return ERR_FAIL;
			while (names.p < names.end) {
				int r;
				if (der_next(&names, &tag, &gn) < 0)
					return ERR_FAIL;
				if (tag != 0x82 && tag != 0x87)
					continue;
				r = fn(ctx, tag & 0x1f, gn.p, (size_t)(gn.end - gn.p));
				if (r)
					return r;
			}
			return 0;
		}
		return 0;
	}
	return 0;
}

/* Converts an ASN.1 UTCTime/GeneralizedTime to seconds since the epoch; -1 if
 * malformed. */
static int64_t der_time(int tag, const struct der *t)
{
	size_t n = (size_t)(t->end - t->p), yl = tag == 0x17 ? 2 : 4;
	int v[6] = {0}, y;
	struct tm tm;

	if (n < yl + 11 || t->p[n - 1] != 'Z')
		return -1;
	for (size_t i = 0; i < yl + 10; i++)
		if (t->p[i] < '0' || t->p[i] > '9')
			return -1;
	y = 0;
	for (size_t i = 0; i < yl; i++)
		y = y * 10 + (t->p[i] - '0');
	if (tag == 0x17)
		y += y < 50 ? 2000 : 1900;
	for (int i = 0; i < 5; i++)
		v[i] = (t->p[yl + 2 * i] - '0') * 10 + (t->p[yl + 2 * i + 1] - '0');
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = v[0] - 1;
	tm.tm_mday = v[1];
	tm.tm_hour = v[2];
	tm.tm_min = v[3];
	tm.tm_sec = v[4];
	return (int64_t)timegm(&tm);
}

/* notBefore/notAfter of a DER certificate: 0, or -1 when it cannot be read. */
static int cert_validity(const unsigned char *der, size_t len, int64_t *nb, int64_t *na)
{
	struct der rest, validity, t;
	int tag;

	if (cert_tbs(der, len, &rest, &validity) < 0)
		return -1;
	if (der_next(&validity, &tag, &t) < 0 || (tag != 0x17 && tag != 0x18))
		return -1;
	*nb = der_time(tag, &t);
	if (der_next(&validity, &tag, &t) < 0 || (tag != 0x17 && tag != 0x18))
		return -1;
	*na = der_time(tag, &t);
	return *nb < 0 || *na < 0 ? -1 : 0;
}

static void fmt_time(int64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, n, "?");
}

int tls_ip_literal(const char *host, unsigned char *ip)
{
	char tmp[64];
	size_t n;

	if (!host)
		return 0;
	n = strlen(host);
	if (n >= sizeof tmp)
		return 0;
	memcpy(tmp, host, n + 1);
	if (tmp[0] == '[') {
		if (n < 2 || tmp[n - 1] != ']')
			return 0;
		memmove(tmp, tmp + 1, n - 2);
		tmp[n - 2] = 0;
	}
	if (inet_pton(AF_INET, tmp, ip) == 1)
		return 4;
	char *pct = strchr(tmp, '%'); /* fe80::1%eth0: the zone is no part of the address */
	if (pct)
		*pct = 0;
	if (strchr(tmp, ':') && inet_pton(AF_INET6, tmp, ip) == 1)
		return 16;
	return 0;
}

struct san_names {
	char text[512];
	size_t len;
	const unsigned char *ip;
	int iplen;
	int matched;
};

static void names_add(struct san_names *s, const char *name)
{
	size_t k = strlen(name);
	if (s->len + k + 3 >= sizeof s->text)
		return;
	if (s->len) {
		memcpy(s->text + s->len, ", ", 2);
		s->len += 2;
	}
	memcpy(s->text + s->len, name, k + 1);
	s->len += k;
}

/* Collects names for messages, and matches iPAddress entries against s->ip. */
static int san_visit(void *ctx, int type, const unsigned char *p, size_t n)
{
	struct san_names *s = ctx;
	char name[INET6_ADDRSTRLEN + 2];

	if (type == 2) {
		size_t k = n < sizeof name - 1 ? n : sizeof name - 1;
		for (size_t i = 0; i < k; i++)
			name[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
		name[k] = 0;
		names_add(s, name);
		return 0;
	}
	if (n == 4 || n == 16) {
		if (!inet_ntop(n == 4 ? AF_INET : AF_INET6, p, name, sizeof name))
			return 0;
		names_add(s, name);
		if (s->ip && (size_t)s->iplen == n && memcmp(s->ip, p, n) == 0)
			s->matched = 1;
	}
	return 0;
}

/* ---- client certificate and key ---- */

struct client_id {
	br_x509_certificate chain[TLS_MAX_CLIENT_CHAIN];
	size_t nchain;
	int key_type; /* 0: none, BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	br_rsa_private_key rsa;
	br_ec_private_key ec;
};

static void client_free(struct client_id *c)
{
	for (size_t i = 0; i < c->nchain; i++)
		free(c->chain[i].data);
	if (c->key_type == BR_KEYTYPE_RSA) {
		free(c->rsa.p);
		free(c->rsa.q);
		free(c->rsa.dp);
		free(c->rsa.dq);
		free(c->rsa.iq);
	} else if (c->key_type == BR_KEYTYPE_EC) {
		if (c->ec.x)
			memset(c->ec.x, 0, c->ec.xlen);
		free(c->ec.x);
	}
	memset(c, 0, sizeof *c);
}

struct chain_ctx {
	struct client_id *c;
	const char *path;
	struct err *e;
};

static int chain_one(void *ctx, const char *name, const unsigned char *der, size_t len)
{
	struct chain_ctx *cc = ctx;
	if (!is_cert_name(name))
		return 0;
	if (cc->c->nchain >= TLS_MAX_CLIENT_CHAIN)
		return err_set(cc->e, ERR_NET, "%s: more than %d certificates", cc->path,
		               TLS_MAX_CLIENT_CHAIN);
	cc->c->chain[cc->c->nchain].data = dup_mem(der, len);
	if (!cc->c->chain[cc->c->nchain].data)
		return err_set(cc->e, ERR_NET, "out of memory");
	cc->c->chain[cc->c->nchain++].data_len = len;
	return 0;
}

static unsigned char *dup_secret(const unsigned char *p, size_t n, int *fail)
{
	unsigned char *q = dup_mem(p, n);
	if (!q)
		*fail = 1;
	return q;
}

static int key_one(void *ctx, const char *name, const unsigned char *der, size_t len)
{
	struct chain_ctx *cc = ctx;
	struct client_id *c = cc->c;
	br_skey_decoder_context dc;
	int err, fail = 0;

	if (strcmp(name, "RSA PRIVATE KEY") && strcmp(name, "EC PRIVATE KEY") &&
	    strcmp(name, "PRIVATE KEY"))
		return 0;
	if (c->key_type)
		return err_set(cc->e, ERR_NET, "%s: more than one private key", cc->path);
	br_skey_decoder_init(&dc);
	br_skey_decoder_push(&dc, der, len);
	err = br_skey_decoder_last_error(&dc);
	if (err)
		return err_set(cc->e, ERR_NET,
		               "%s: cannot read the private key (BearSSL reads unencrypted RSA "
		               "and EC keys, PKCS#1, SEC1 or PKCS#8; error %d)",
		               cc->path, err);
	if (br_skey_decoder_key_type(&dc) == BR_KEYTYPE_RSA) {
		const br_rsa_private_key *k = br_skey_decoder_get_rsa(&dc);
		c->key_type = BR_KEYTYPE_RSA;
		c->rsa.n_bitlen = k->n_bitlen;
		c->rsa.p = dup_secret(k->p, k->plen, &fail);
		c->rsa.plen = k->plen;
		c->rsa.q = dup_secret(k->q, k->qlen, &fail);
		c->rsa.qlen = k->qlen;
		c->rsa.dp = dup_secret(k->dp, k->dplen, &fail);
		c->rsa.dplen = k->dplen;
		c->rsa.dq = dup_secret(k->dq, k->dqlen, &fail);
		c->rsa.dqlen = k->dqlen;
		c->rsa.iq = dup_secret(k->iq, k->iqlen, &fail);
		c->rsa.iqlen = k->iqlen;
	} else {
		const br_ec_private_key *k = br_skey_decoder_get_ec(&dc);
		c->key_type = BR_KEYTYPE_EC;
		c->ec.curve = k->curve;
		c->ec.x = dup_secret(k->x, k->xlen, &fail);
		c->ec.xlen = k->xlen;
	}
	memset(&dc, 0, sizeof dc); /* the decoder held a copy of the key */
	return fail ? err_set(cc->e, ERR_NET, "out of memory") : 0;
}

/* Loads NAME.cert and NAME.key. 0, or ERR_NET saying what is wrong with which
 * file. */
static int client_load(struct client_id *c, const char *cert, const char *key, struct err *e)
{
	struct buf b = {0};
	struct chain_ctx cc = {c, cert, e};
	int rc;

	rc = read_file(cert, &b, e);
	if (rc < 0)
		goto out;
	rc = pem_each(cert, (const unsigned char *)b.p, b.len, chain_one, &cc, e);
	buf_free(&b);
	if (rc < 0)
		goto out;
	if (c->nchain == 0) {
		rc = err_set(e, ERR_NET, "%s: no certificate in it", cert);
		goto out;
	}
	rc = read_file(key, &b, e);
	if (rc < 0) {
		if (rc == ERR_NOTFOUND) {
			e->code = ERR_NET;
			err_hint(e, "a client certificate needs its key beside it: %s", key);
		}
		rc = ERR_NET;
		goto out;
	}
	if (memmem(b.p, b.len, "BEGIN ENCRYPTED", 15) ||
	    memmem(b.p, b.len, "Proc-Type: 4,ENCRYPTED", 22)) {
		rc = err_set(e, ERR_NET,
		             "%s: the private key is encrypted, and BearSSL cannot "
		             "read encrypted private keys",
		             key);
		err_hint(e,
		         "store it decrypted, mode 0600: openssl pkey -in %s -out %s.plain && "
		         "mv %s.plain %s",
		         key, key, key, key);
		goto out;
	}
	cc.path = key;
	rc = pem_each(key, (const unsigned char *)b.p, b.len, key_one, &cc, e);
	if (rc < 0)
		goto out;
	if (!c->key_type)
		rc = err_set(e, ERR_NET, "%s: no private key in it", key);
out:
	if (b.p) {
		memset(b.p, 0, b.len);
		buf_free(&b);
	}
	if (rc < 0)
		client_free(c);
	return rc < 0 ? ERR_NET : 0;
}

/* ---- the connection ---- */

struct tls_conn;

/* Wraps br_x509_minimal so that we see the certificates as they pass: the
 * end-entity one for the IP check and for messages, all of them for BearSSL's
 * limits. */
struct x509_wrap {
	const br_x509_class *vtable;
	struct tls_conn *t;
};

struct tls_conn {
	struct conn base; /* first: a struct conn * is a struct tls_conn * */
	struct conn *raw;
	br_ssl_client_context cc;
	br_x509_minimal_context xc;
	struct x509_wrap xw;
	struct ta_set local; /* certs.d and opts->ca_file anchors */
	br_x509_trust_anchor *anchors;
	size_t nanchors;
	struct client_id client;
	char host[TLS_MAX_HOST + 1];
	char certs_name[TLS_MAX_HOST + 16]; /* certs.d/<this>/ */
	char certs_dir[TLS_MAX_PATH];       /* the first certs.d folder that exists */
	unsigned char ip[16];
	int iplen;
	/* what the x509 wrapper saw */
	unsigned ncert;
	struct pem_sink ee, cur;
	int saw_pss, saw_name_constraints, saw_ed;
	int ip_mismatch;
	/* the first bytes the peer sent, to tell plain HTTP from TLS */
	unsigned char first[8];
	size_t nfirst;
	int raw_eof, handshake_done;
	int dead; /* the transport failed: no more I/O */
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

static struct tls_conn *wrap_conn(const br_x509_class **ctx)
{
	return ((struct x509_wrap *)(void *)ctx)->t;
}

static void xw_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct tls_conn *t = wrap_conn(ctx);
	t->ncert = 0;
	buf_reset(&t->ee.der);
	t->ee.over = 0;
	t->xc.vtable->start_chain(&t->xc.vtable, server_name);
}

static void xw_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct tls_conn *t = wrap_conn(ctx);
	buf_reset(&t->cur.der);
	t->cur.over = 0;
	t->xc.vtable->start_cert(&t->xc.vtable, length);
}

static void xw_append(const br_x509_class **ctx, const unsigned char *p, size_t n)
{
	struct tls_conn *t = wrap_conn(ctx);
	pem_append(&t->cur, p, n);
	t->xc.vtable->append(&t->xc.vtable, p, n);
}

static int has_bytes(const struct buf *b, const void *pat, size_t n)
{
	return b->len >= n && memmem(b->p, b->len, pat, n) != NULL;
}

static void xw_end_cert(const br_x509_class **ctx)
{
	/* id-RSASSA-PSS, and id-ce-nameConstraints marked critical, and
	 * id-Ed25519/Ed448 */
	static const unsigned char pss[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
	                                    0xf7, 0x0d, 0x01, 0x01, 0x0a};
	static const unsigned char nc[] = {0x06, 0x03, 0x55, 0x1d, 0x1e, 0x01, 0x01, 0xff};
	static const unsigned char ed[] = {0x06, 0x03, 0x2b, 0x65};
	struct tls_conn *t = wrap_conn(ctx);

	if (has_bytes(&t->cur.der, pss, sizeof pss))
		t->saw_pss = 1;
	if (has_bytes(&t->cur.der, nc, sizeof nc))
		t->saw_name_constraints = 1;
	if (has_bytes(&t->cur.der, ed, sizeof ed))
		t->saw_ed = 1;
	if (t->ncert == 0 && !t->cur.over) {
		struct buf tmp = t->ee.der;
		t->ee.der = t->cur.der;
		t->cur.der = tmp;
		t->ee.over = 0;
	}
	t->ncert++;
	t->xc.vtable->end_cert(&t->xc.vtable);
}

static unsigned xw_end_chain(const br_x509_class **ctx)
{
	struct tls_conn *t = wrap_conn(ctx);
	unsigned r = t->xc.vtable->end_chain(&t->xc.vtable);
	struct san_names s;

	if (r != 0 || t->iplen == 0) /* 0 is success here (BR_ERR_X509_OK only inside) */
		return r;
	/* BearSSL 0.6 matches no IP addresses: we do, on the end-entity certificate.
	 */
	memset(&s, 0, sizeof s);
	s.ip = t->ip;
	s.iplen = t->iplen;
	if (t->ee.der.len == 0 ||
	    tls_cert_san((const unsigned char *)t->ee.der.p, t->ee.der.len, san_visit, &s) < 0 ||
	    !s.matched) {
		t->ip_mismatch = 1;
		return BR_ERR_X509_BAD_SERVER_NAME;
	}
	return r;
}

static const br_x509_pkey *xw_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct tls_conn *t = ((const struct x509_wrap *)(const void *)ctx)->t;
	return t->xc.vtable->get_pkey(&t->xc.vtable, usages);
}

static const br_x509_class xw_vtable = {
    sizeof(struct x509_wrap),
    xw_start_chain,
    xw_start_cert,
    xw_append,
    xw_end_cert,
    xw_end_chain,
    xw_get_pkey,
};

/* ---- errors in words ---- */

static const struct {
	int code;
	const char *text;
} br_errors[] = {
    {BR_ERR_BAD_PARAM, "bad parameter"},
    {BR_ERR_BAD_STATE, "bad engine state"},
    {BR_ERR_UNSUPPORTED_VERSION, "the server chose a TLS version BearSSL does not speak"},
    {BR_ERR_BAD_VERSION, "the peer sent a record with a wrong version (not TLS?)"},
    {BR_ERR_BAD_LENGTH, "the peer sent a record of a wrong length (not TLS?)"},
    {BR_ERR_TOO_LARGE, "the peer sent a record that is too large"},
    {BR_ERR_BAD_MAC, "a record failed its integrity check"},
    {BR_ERR_NO_RANDOM, "no source of randomness"},
    {BR_ERR_UNKNOWN_TYPE, "the peer sent a record of an unknown type (not TLS?)"},
    {BR_ERR_UNEXPECTED, "the peer sent an unexpected message"},
    {BR_ERR_BAD_CCS, "bad ChangeCipherSpec message"},
    {BR_ERR_BAD_ALERT, "bad alert message"},
    {BR_ERR_BAD_HANDSHAKE, "bad handshake message"},
    {BR_ERR_OVERSIZED_ID, "oversized session ID"},
    {BR_ERR_BAD_CIPHER_SUITE, "the server chose a cipher suite BearSSL did not offer"},
    {BR_ERR_BAD_COMPRESSION, "the server chose compression"},
    {BR_ERR_BAD_FRAGLEN, "bad maximum fragment length"},
    {BR_ERR_BAD_SECRENEG, "secure renegotiation failed"},
    {BR_ERR_EXTRA_EXTENSION, "the server sent an extension BearSSL did not ask for"},
    {BR_ERR_BAD_SNI, "bad server name indication"},
    {BR_ERR_BAD_HELLO_DONE, "bad ServerHelloDone"},
    {BR_ERR_LIMIT_EXCEEDED, "a BearSSL limit was exceeded"},
    {BR_ERR_BAD_FINISHED, "bad Finished message"},
    {BR_ERR_RESUME_MISMATCH, "session resumption mismatch"},
    {BR_ERR_INVALID_ALGORITHM, "the server used an algorithm BearSSL does not support"},
    {BR_ERR_BAD_SIGNATURE, "the server's handshake signature is invalid"},
    {BR_ERR_WRONG_KEY_USAGE, "the server key does not allow this use"},
    {BR_ERR_NO_CLIENT_AUTH, "the server asked for a client certificate and none is set"},
    {BR_ERR_IO, "I/O error"},
    {BR_ERR_X509_INVALID_VALUE, "malformed certificate (invalid value)"},
    {BR_ERR_X509_TRUNCATED, "malformed certificate (truncated)"},
    {BR_ERR_X509_EMPTY_CHAIN, "the server sent no certificate"},
    {BR_ERR_X509_INNER_TRUNC, "malformed certificate (inner element truncated)"},
    {BR_ERR_X509_BAD_TAG_CLASS, "malformed certificate (tag class)"},
    {BR_ERR_X509_BAD_TAG_VALUE, "malformed certificate (tag value)"},
    {BR_ERR_X509_INDEFINITE_LENGTH, "malformed certificate (indefinite length)"},
    {BR_ERR_X509_EXTRA_ELEMENT, "malformed certificate (extra element)"},
    {BR_ERR_X509_UNEXPECTED, "malformed certificate (unexpected element)"},
    {BR_ERR_X509_NOT_CONSTRUCTED, "malformed certificate (not constructed)"},
    {BR_ERR_X509_NOT_PRIMITIVE, "malformed certificate (not primitive)"},
    {BR_ERR_X509_PARTIAL_BYTE, "malformed certificate (partial byte)"},
    {BR_ERR_X509_BAD_BOOLEAN, "malformed certificate (boolean)"},
    {BR_ERR_X509_OVERFLOW, "malformed certificate (overflow)"},
    {BR_ERR_X509_BAD_DN, "malformed certificate (distinguished name)"},
    {BR_ERR_X509_BAD_TIME, "malformed certificate (time)"},
    {BR_ERR_X509_UNSUPPORTED, "the certificate uses an algorithm or feature BearSSL 0.6 "
                              "does not support"},
    {BR_ERR_X509_LIMIT_EXCEEDED, "the certificate exceeds a BearSSL limit"},
    {BR_ERR_X509_WRONG_KEY_TYPE, "the certificate's key type is not the expected one"},
    {BR_ERR_X509_BAD_SIGNATURE, "a certificate signature is invalid"},
    {BR_ERR_X509_TIME_UNKNOWN, "the current time is unknown"},
    {BR_ERR_X509_EXPIRED, "certificate has expired or is not yet valid"},
    {BR_ERR_X509_DN_MISMATCH, "the certificate chain is out of order (issuer mismatch)"},
    {BR_ERR_X509_BAD_SERVER_NAME, "the certificate is not valid for this name"},
    {BR_ERR_X509_CRITICAL_EXTENSION, "a certificate has an unsupported critical extension"},
    {BR_ERR_X509_NOT_CA, "a certificate in the chain is not allowed to act as a CA"},
    {BR_ERR_X509_FORBIDDEN_KEY_USAGE, "the certificate's key usage forbids TLS server use"},
    {BR_ERR_X509_WEAK_PUBLIC_KEY, "the certificate's key is too weak"},
    {BR_ERR_X509_NOT_TRUSTED, "certificate signed by unknown authority"},
};

static const struct {
	int alert;
	const char *text;
} alerts[] = {
    {10, "unexpected message"},      {20, "bad record MAC"},
    {40, "handshake failure"},       {42, "bad certificate"},
    {43, "unsupported certificate"}, {44, "certificate revoked"},
    {45, "certificate expired"},     {46, "certificate unknown"},
    {47, "illegal parameter"},       {48, "unknown CA"},
    {49, "access denied"},           {50, "decode error"},
    {51, "decrypt error"},           {70, "protocol version"},
    {71, "insufficient security"},   {80, "internal error"},
    {86, "inappropriate fallback"},  {90, "user canceled"},
    {109, "missing extension"},      {112, "unrecognized name"},
    {116, "certificate required"},   {120, "no application protocol"},
};

const char *tls_strerror(int br_err)
{
	static _Thread_local char other[64]; /* only for alerts and unknown codes */
	int alert = -1;
	const char *dir = "";

	if (br_err >= BR_ERR_SEND_FATAL_ALERT) {
		alert = br_err - BR_ERR_SEND_FATAL_ALERT;
		dir = "sent";
	} else if (br_err >= BR_ERR_RECV_FATAL_ALERT) {
		alert = br_err - BR_ERR_RECV_FATAL_ALERT;
		dir = "received";
	}
	if (alert >= 0) {
		for (size_t i = 0; i < sizeof alerts / sizeof alerts[0]; i++)
			if (alerts[i].alert == alert) {
				snprintf(other, sizeof other, "%s TLS alert: %s", dir,
				         alerts[i].text);
				return other;
			}
		snprintf(other, sizeof other, "%s TLS alert %d", dir, alert);
		return other;
	}
	if (br_err == 0)
		return "no error";
	for (size_t i = 0; i < sizeof br_errors / sizeof br_errors[0]; i++)
		if (br_errors[i].code == br_err)
			return br_errors[i].text;
	snprintf(other, sizeof other, "BearSSL error %d", br_err);
	return other;
}

/* A TLS record starts with a type byte 20..23 and never with text. A status line, or a
 * bare HTML page (an HTTP/0.9-style answer to what looked like a garbled request line), is
 * a plain HTTP server. */
static int looks_plain_http(const struct tls_conn *t)
{
	return (t->nfirst >= 5 && memcmp(t->first, "HTTP/", 5) == 0) ||
	       (t->nfirst >= 2 && t->first[0] == '<' &&
	        (isalpha(t->first[1]) || t->first[1] == '!'));
}

/* Printable text where a TLS record should be: some other plain-text protocol. */
static int looks_text(const struct tls_conn *t)
{
	if (t->nfirst < 4)
		return 0;
	for (size_t i = 0; i < t->nfirst; i++)
		if (!isprint(t->first[i]) && !isspace(t->first[i]))
			return 0;
	return 1;
}

static void hint_certs_d(const struct tls_conn *t, struct err *e)
{
	err_hint(e,
	         "put the registry's CA certificate into "
	         "/etc/docker/certs.d/%s/ca.crt (or "
	         "/etc/containers/certs.d/%s/), or point SSL_CERT_FILE at a bundle "
	         "that holds it "
	         "(in use: %s)",
	         t->certs_name, t->certs_name, g_source);
}

/* Fills e for a failed handshake from BearSSL's error and what we saw. Returns
 * ERR_NET. */
static int fail_handshake(struct tls_conn *t, int br, struct err *e)
{
	const char *h = t->host;
	struct san_names s;
	int64_t nb, na, now = (int64_t)time(NULL);
	char when[64];

	if (looks_plain_http(t)) {
		err_set(e, ERR_NET, "%s: " TLS_MSG_PLAIN_HTTP " to a TLS handshake", h);
		err_hint(e,
		         "if this registry speaks only HTTP, name it with http:// or "
		         "--insecure-registry %s",
		         t->certs_name);
		return ERR_NET;
	}
	if (looks_text(t)) {
		char text[sizeof t->first + 1];
		memcpy(text, t->first, t->nfirst);
		text[t->nfirst] = 0;
		for (char *c = text; *c; c++)
			if (isspace((unsigned char)*c))
				*c = ' ';
		return err_set(e, ERR_NET, "%s: the server does not speak TLS (it sent \"%s...\")",
		               h, text);
	}
	switch (br) {
	case BR_ERR_X509_NOT_TRUSTED:
		err_set(e, ERR_NET, "%s: TLS: certificate signed by unknown authority", h);
		hint_certs_d(t, e);
		break;
	case BR_ERR_X509_EXPIRED:
		if (t->ee.der.len &&
		    cert_validity((const unsigned char *)t->ee.der.p, t->ee.der.len, &nb, &na) ==
		        0 &&
		    (now < nb || now > na)) {
			fmt_time(now < nb ? nb : na, when, sizeof when);
			err_set(e, ERR_NET, "%s: TLS: certificate %s %s", h,
			        now < nb ? "is not valid before" : "has expired on", when);
		} else {
			err_set(e, ERR_NET,
			        "%s: TLS: a certificate in the chain has expired or "
			        "is not yet valid",
			        h);
		}
		err_hint(e, "renew the registry's certificate, or check this host's clock");
		break;
	case BR_ERR_X509_BAD_SERVER_NAME:
		memset(&s, 0, sizeof s);
		if (t->ee.der.len)
			tls_cert_san((const unsigned char *)t->ee.der.p, t->ee.der.len, san_visit,
			             &s);
		err_set(e, ERR_NET, "%s: TLS: certificate is not valid for %s%s (it is for: %s)", h,
		        t->iplen ? "IP address " : "name ", h, s.len ? s.text : "no names");
		err_hint(e,
		         "connect with a name the certificate holds, or reissue it with "
		         "subjectAltName %s:%s",
		         t->iplen ? "IP" : "DNS", h);
		break;
	case BR_ERR_X509_CRITICAL_EXTENSION:
		if (t->saw_name_constraints)
			err_set(e, ERR_NET,
			        "%s: TLS: a certificate in the chain has a critical "
			        "nameConstraints extension, which BearSSL 0.6 rejects",
			        h);
		else
			err_set(e, ERR_NET, "%s: TLS: %s", h, tls_strerror(br));
		break;
	case BR_ERR_X509_UNSUPPORTED:
	case BR_ERR_X509_WRONG_KEY_TYPE:
	case BR_ERR_INVALID_ALGORITHM:
		if (t->saw_pss)
			err_set(e, ERR_NET,
			        "%s: TLS: the certificate uses RSA-PSS, which BearSSL "
			        "0.6 does not support",
			        h);
		else if (t->saw_ed)
			err_set(e, ERR_NET,
			        "%s: TLS: the certificate uses an Ed25519/Ed448 key, "
			        "which BearSSL 0.6 does not support",
			        h);
		else
			err_set(e, ERR_NET, "%s: TLS: %s", h, tls_strerror(br));
		err_hint(e, "BearSSL 0.6 verifies RSA (PKCS#1 v1.5) and ECDSA certificates");
		break;
	case BR_ERR_RECV_FATAL_ALERT + 70:
		err_set(e, ERR_NET,
		        "%s: TLS handshake failed: the server requires TLS 1.3, and "
		        "BearSSL 0.6 speaks at most TLS 1.2",
		        h);
		err_hint(e, "enable TLS 1.2 on the registry");
		break;
	case BR_ERR_RECV_FATAL_ALERT + 40:
	case BR_ERR_RECV_FATAL_ALERT + 116:
		err_set(e, ERR_NET, "%s: TLS handshake failed: %s", h, tls_strerror(br));
		if (!t->client.key_type)
			err_hint(e,
			         "if the registry requires a client certificate, put "
			         "client.cert and client.key into /etc/docker/certs.d/%s/",
			         t->certs_name);
		else
			err_hint(e, "the server and BearSSL (TLS 1.2, ECDHE/RSA, AES-GCM, "
			            "ChaCha20) found no parameters in common");
		break;
	case BR_ERR_RECV_FATAL_ALERT + 42:
	case BR_ERR_RECV_FATAL_ALERT + 43:
	case BR_ERR_RECV_FATAL_ALERT + 45:
	case BR_ERR_RECV_FATAL_ALERT + 46:
	case BR_ERR_RECV_FATAL_ALERT + 48:
		err_set(e, ERR_NET, "%s: TLS handshake failed: %s (the server %s)", h,
		        tls_strerror(br),
		        t->client.key_type ? "rejected our client certificate"
		                           : "wants a client certificate");
		err_hint(e,
		         "client.cert and client.key in /etc/docker/certs.d/%s/ must be "
		         "issued by a CA the registry trusts",
		         t->certs_name);
		break;
	case BR_ERR_IO:
		/* the transport's own message is already in e */
		err_set(e, ERR_NET, "%s: TLS handshake failed: %s", h,
		        t->raw_eof ? "the server closed the connection" : "I/O error");
		break;
	default:
		if (t->raw_eof)
			err_set(e, ERR_NET,
			        "%s: TLS handshake failed: the server closed the "
			        "connection",
			        h);
		else
			err_set(e, ERR_NET, "%s: TLS handshake failed: %s", h, tls_strerror(br));
		break;
	}
	return ERR_NET;
}

/* ---- the engine pump ---- */

/* Runs the engine until a state in want is there: that state (> 0), 0 when the
 * connection closed (cleanly, or the peer's EOF), or ERR_NET. */
static int run_until(struct tls_conn *t, unsigned want, struct err *e)
{
	br_ssl_engine_context *eng = &t->cc.eng;

	if (t->dead)
		return err_set(e, ERR_NET, "%s: TLS connection is broken", t->host);
	for (;;) {
		unsigned st = br_ssl_engine_current_state(eng);
		unsigned char *p;
		size_t len;

		if (st & BR_SSL_CLOSED) {
			int br = br_ssl_engine_last_error(eng);
			if (br == BR_ERR_OK)
				return 0;
			if (!t->handshake_done)
				return fail_handshake(t, br, e);
			return err_set(e, ERR_NET, "%s: TLS: %s", t->host, tls_strerror(br));
		}
		if (st & BR_SSL_SENDREC) {
			int r;
			p = br_ssl_engine_sendrec_buf(eng, &len);
			r = t->raw->ops->write(t->raw, p, len, e);
			if (r < 0) {
				t->dead = 1;
				if (!t->handshake_done)
					err_prefix(e, "%s: TLS handshake", t->host);
				return r;
			}
			br_ssl_engine_sendrec_ack(eng, len);
			continue;
		}
		if (st & want)
			return (int)st;
		if (st & BR_SSL_RECVREC) {
			ssize_t k;
			p = br_ssl_engine_recvrec_buf(eng, &len);
			k = t->raw->ops->read(t->raw, p, len, e);
			if (k < 0) {
				t->dead = 1;
				if (!t->handshake_done)
					err_prefix(e, "%s: TLS handshake", t->host);
				return (int)k;
			}
			if (k == 0) {
				t->raw_eof = 1;
				if (!t->handshake_done)
					return fail_handshake(t, BR_ERR_IO, e);
				/* EOF without close_notify: the HTTP framing above tells a cut
				 * body from a complete one. */
				log_trace("%s: TLS peer closed without close_notify", t->host);
				return 0;
			}
			if (t->nfirst < sizeof t->first) {
				size_t c = sizeof t->first - t->nfirst;
				if (c > (size_t)k)
					c = (size_t)k;
				memcpy(t->first + t->nfirst, p, c);
				t->nfirst += c;
			}
			br_ssl_engine_recvrec_ack(eng, (size_t)k);
			continue;
		}
		br_ssl_engine_flush(eng, 0);
		if (!(br_ssl_engine_current_state(eng) &
		      (BR_SSL_SENDREC | want | BR_SSL_RECVREC | BR_SSL_CLOSED)))
			return err_set(e, ERR_NET, "%s: TLS engine stalled", t->host);
	}
}

static ssize_t tls_read(struct conn *c, void *p, size_t n, struct err *e)
{
	struct tls_conn *t = (struct tls_conn *)c;
	br_ssl_engine_context *eng = &t->cc.eng;
	unsigned char *q;
	size_t len;
	int st;

	if (n == 0)
		return 0;
	t->raw->timeout_ms = c->timeout_ms;
	st = run_until(t, BR_SSL_RECVAPP, e);
	if (st <= 0)
		return st;
	q = br_ssl_engine_recvapp_buf(eng, &len);
	if (len > n)
		len = n;
	memcpy(p, q, len);
	br_ssl_engine_recvapp_ack(eng, len);
	return (ssize_t)len;
}

static int tls_write(struct conn *c, const void *p, size_t n, struct err *e)
{
	struct tls_conn *t = (struct tls_conn *)c;
	br_ssl_engine_context *eng = &t->cc.eng;
	const unsigned char *s = p;
	int st;

	t->raw->timeout_ms = c->timeout_ms;
	while (n > 0) {
		unsigned char *q;
		size_t len;
		st = run_until(t, BR_SSL_SENDAPP, e);
		if (st <= 0)
			return st < 0 ? st
			              : err_set(e, ERR_NET, "%s: TLS connection closed by the peer",
			                        t->host);
		q = br_ssl_engine_sendapp_buf(eng, &len);
		if (len > n)
			len = n;
		memcpy(q, s, len);
		br_ssl_engine_sendapp_ack(eng, len);
		s += len;
		n -= len;
	}
	/* conn_write promises the bytes are on their way, so flush the last record
	 * now. */
	br_ssl_engine_flush(eng, 0);
	st = run_until(t, BR_SSL_SENDAPP | BR_SSL_RECVAPP, e);
	if (st < 0)
		return st;
	return 0;
}

static void tls_free(struct tls_conn *t)
{
	if (t->raw)
		t->raw->ops->close(t->raw);
	ta_set_free(&t->local);
	free(t->anchors);
	client_free(&t->client);
	buf_free(&t->ee.der);
	buf_free(&t->cur.der);
	memset(&t->cc, 0, sizeof t->cc); /* session keys */
	free(t);
}

static void tls_close(struct conn *c)
{
	struct tls_conn *t = (struct tls_conn *)c;
	br_ssl_engine_context *eng;
	struct err scratch;

	if (!t)
		return;
	eng = &t->cc.eng;
	/* Best effort close_notify; the peer's answer is not waited for. */
	if (t->handshake_done && !t->dead && !(br_ssl_engine_current_state(eng) & BR_SSL_CLOSED)) {
		err_init(&scratch);
		br_ssl_engine_close(eng);
		while (br_ssl_engine_current_state(eng) & BR_SSL_SENDREC) {
			size_t len;
			unsigned char *p = br_ssl_engine_sendrec_buf(eng, &len);
			if (t->raw->ops->write(t->raw, p, len, &scratch) < 0)
				break;
			br_ssl_engine_sendrec_ack(eng, len);
		}
	}
	tls_free(t);
}

static const struct conn_ops tls_ops = {tls_read, tls_write, tls_close};

/* ---- certs.d ---- */

static int err_copy(struct err *e, const struct err *from)
{
	int rc = err_set(e, from->code ? from->code : ERR_NET, "%s", from->msg);
	if (from->hint[0])
		err_hint(e, "%s", from->hint);
	return rc;
}

/* The certs.d base folders: POLYCRATE_CERTS_D_ROOT (test hook) or docker's,
 * podman's system-wide and podman's per-user one. Count of roots written into
 * out. */
static int certs_d_roots(char out[][TLS_MAX_PATH], int max)
{
	const char *env = getenv("POLYCRATE_CERTS_D_ROOT"), *home = getenv("HOME");
	int n = 0;

	if (env && *env) {
		char list[TLS_MAX_PATH], *save = NULL, *d;
		snprintf(list, sizeof list, "%s", env);
		for (d = strtok_r(list, ":", &save); d && n < max; d = strtok_r(NULL, ":", &save))
			snprintf(out[n++], TLS_MAX_PATH, "%s", d);
		return n;
	}
	snprintf(out[n++], TLS_MAX_PATH, "/etc/docker/certs.d");
	snprintf(out[n++], TLS_MAX_PATH, "/etc/containers/certs.d");
	if (home && *home && n < max &&
	    snprintf(out[n], TLS_MAX_PATH, "%s/.config/containers/certs.d", home) < TLS_MAX_PATH)
		n++;
	return n;
}

/* One certs.d/<name>/ folder: *.crt are anchors, NAME.cert + NAME.key the
 * client identity (the first pair wins). 0 (also when the folder is missing) or
 * ERR_NET. */
static int certs_d_dir(struct tls_conn *t, const char *dir, struct err *e)
{
	char **names = NULL, path[TLS_MAX_PATH], key[TLS_MAX_PATH];
	struct err le;
	int n, rc = 0;

	err_init(&le);
	n = list_dir(dir, &names, &le);
	if (n < 0)
		return n == ERR_NOTFOUND ? 0 : err_copy(e, &le);
	if (!t->certs_dir[0])
		snprintf(t->certs_dir, sizeof t->certs_dir, "%s", dir);
	for (int i = 0; i < n; i++) {
		if (snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= (int)sizeof path)
			continue;
		if (has_suffix(names[i], ".crt")) {
			rc = load_pem_file(&t->local, path, e);
			if (rc < 0)
				goto out;
			log_debug("TLS: %d CA certificate(s) from %s", rc, path);
			rc = 0;
		} else if (has_suffix(names[i], ".cert")) {
			if (t->client.key_type) {
				log_debug("TLS: %s ignored: a client certificate is already set",
				          path);
				continue;
			}
			snprintf(key, sizeof key, "%.*s.key", (int)(strlen(path) - 5), path);
			rc = client_load(&t->client, path, key, e);
			if (rc < 0)
				goto out;
			log_debug("TLS: client certificate %s", path);
		}
	}
out:
	free_list(names, n);
	return rc;
}

static int certs_d_load(struct tls_conn *t, int port, struct err *e)
{
	char roots[TLS_MAX_ROOTS][TLS_MAX_PATH], dir[TLS_MAX_PATH];
	char names[2][TLS_MAX_HOST + 16];
	int nroots = certs_d_roots(roots, TLS_MAX_ROOTS), nnames = 1, rc;

	snprintf(names[0], sizeof names[0], "%s", t->certs_name);
	if (port == 443) /* both "host" and "host:443" are what users write */
		snprintf(names[nnames++], sizeof names[1], "%s%s%s:443", t->iplen == 16 ? "[" : "",
		         t->host, t->iplen == 16 ? "]" : "");
	for (int i = 0; i < nroots; i++)
		for (int j = 0; j < nnames; j++) {
			if (snprintf(dir, sizeof dir, "%s/%s", roots[i], names[j]) >=
			    (int)sizeof dir)
				continue;
			rc = certs_d_dir(t, dir, e);
			if (rc < 0)
				return rc;
		}
	return 0;
}

/* ---- connecting ---- */

static const struct {
	uint16_t id;
	const char *name;
} suites[] = {
    {BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
    {BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
    {BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
    {BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
    {BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    {BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {BR_TLS_ECDHE_ECDSA_WITH_AES_128_CCM, "ECDHE_ECDSA_WITH_AES_128_CCM"},
    {BR_TLS_ECDHE_ECDSA_WITH_AES_256_CCM, "ECDHE_ECDSA_WITH_AES_256_CCM"},
    {BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
    {BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
    {BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, "ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
    {BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, "ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
    {BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
    {BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "ECDHE_RSA_WITH_AES_128_CBC_SHA"},
    {BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
    {BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "ECDHE_RSA_WITH_AES_256_CBC_SHA"},
    {BR_TLS_RSA_WITH_AES_128_GCM_SHA256, "RSA_WITH_AES_128_GCM_SHA256"},
    {BR_TLS_RSA_WITH_AES_256_GCM_SHA384, "RSA_WITH_AES_256_GCM_SHA384"},
    {BR_TLS_RSA_WITH_AES_128_CBC_SHA256, "RSA_WITH_AES_128_CBC_SHA256"},
    {BR_TLS_RSA_WITH_AES_256_CBC_SHA256, "RSA_WITH_AES_256_CBC_SHA256"},
    {BR_TLS_RSA_WITH_AES_128_CBC_SHA, "RSA_WITH_AES_128_CBC_SHA"},
    {BR_TLS_RSA_WITH_AES_256_CBC_SHA, "RSA_WITH_AES_256_CBC_SHA"},
    {BR_TLS_RSA_WITH_3DES_EDE_CBC_SHA, "RSA_WITH_3DES_EDE_CBC_SHA"},
};

int tls_conn_info(struct conn *c, struct tls_info *info)
{
	struct tls_conn *t = (struct tls_conn *)c;
	br_ssl_session_parameters sp;
	const br_ssl_engine_context *eng;

	memset(info, 0, sizeof *info);
	if (!c || c->ops != &tls_ops)
		return ERR_FAIL;
	eng = &t->cc.eng;
	br_ssl_engine_get_session_parameters(eng, &sp);
	snprintf(info->suite, sizeof info->suite, "0x%04X", sp.cipher_suite);
	for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
		if (suites[i].id == sp.cipher_suite)
			snprintf(info->suite, sizeof info->suite, "%s", suites[i].name);
	snprintf(info->version, sizeof info->version, "%d.%d", (sp.version >> 8) - 2,
	         (sp.version & 0xff) - 1);
	if (!eng->iaes_ctr)
		info->aes = "none";
	else if (eng->iaes_ctr == br_aes_x86ni_ctr_get_vtable())
		info->aes = "x86ni";
	else if (eng->iaes_ctr == &br_aes_ct64_ctr_vtable)
		info->aes = "ct64";
	else if (eng->iaes_ctr == &br_aes_ct_ctr_vtable)
		info->aes = "ct";
	else
		info->aes = "other";
	if (!eng->ighash)
		info->ghash = "none";
	else if (eng->ighash == br_ghash_pclmul_get())
		info->ghash = "pclmul";
	else if (eng->ighash == &br_ghash_ctmul64)
		info->ghash = "ctmul64";
	else
		info->ghash = "other";
	return 0;
}

static int is_aes_gcm(uint16_t id)
{
	return id == BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 ||
	       id == BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 ||
	       id == BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 ||
	       id == BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384;
}

/* br_ssl_client_init_full offers ChaCha20 first, the right choice without AES hardware.
 * With AES-NI and PCLMUL, AES-GCM is faster (bench/results-tls.md), so it goes first. */
static void prefer_aes_gcm(br_ssl_engine_context *eng)
{
	uint16_t v[BR_MAX_CIPHER_SUITES];
	size_t n = 0, num = eng->suites_num;

	if (!br_aes_x86ni_ctr_get_vtable() || !br_ghash_pclmul_get() || num > BR_MAX_CIPHER_SUITES)
		return;
	for (size_t i = 0; i < num; i++)
		if (is_aes_gcm(eng->suites_buf[i]))
			v[n++] = eng->suites_buf[i];
	for (size_t i = 0; i < num; i++)
		if (!is_aes_gcm(eng->suites_buf[i]))
			v[n++] = eng->suites_buf[i];
	br_ssl_engine_set_suites(eng, v, n);
}

int tls_connect(struct conn *raw, const char *host, const struct tls_opts *opts, struct conn **out,
                struct err *e)
{
	struct tls_opts none = {0};
	struct tls_conn *t = NULL;
	unsigned char seed[32];
	size_t hn;
	int rc, port, st;

	*out = NULL;
	if (!opts)
		opts = &none;
	if (!raw)
		return err_set(e, ERR_NET, "%s: no connection to run TLS over", host);
	hn = host ? strlen(host) : 0;
	if (hn == 0 || hn > TLS_MAX_HOST) {
		raw->ops->close(raw);
		return err_set(e, ERR_NET, "TLS: bad host name \"%.64s\"", host ? host : "");
	}
	t = calloc(1, sizeof *t);
	if (!t) {
		raw->ops->close(raw);
		return err_set(e, ERR_NET, "out of memory");
	}
	t->raw = raw;
	t->base.ops = &tls_ops;
	t->base.fd = raw->fd;
	t->base.timeout_ms = raw->timeout_ms;
	buf_init(&t->ee.der, TLS_MAX_DER);
	buf_init(&t->cur.der, TLS_MAX_DER);
	t->iplen = tls_ip_literal(host, t->ip);
	if (t->iplen) {
		/* the address as text, without brackets or zone, for messages and SNI-less
		 * use */
		inet_ntop(t->iplen == 4 ? AF_INET : AF_INET6, t->ip, t->host, sizeof t->host);
	} else {
		memcpy(t->host, host, hn + 1);
	}
	port = opts->port > 0 ? opts->port : 443;
	if (port == 443)
		snprintf(t->certs_name, sizeof t->certs_name, "%s", t->host);
	else if (t->iplen == 16)
		snprintf(t->certs_name, sizeof t->certs_name, "[%s]:%d", t->host, port);
	else
		snprintf(t->certs_name, sizeof t->certs_name, "%s:%d", t->host, port);

	if (!opts->no_certs_d) {
		rc = certs_d_load(t, port, e);
		if (rc < 0)
			goto out;
	}
	if (opts->ca_file) {
		rc = load_pem_file(&t->local, opts->ca_file, e);
		if (rc < 0) {
			rc = as_net(e);
			goto out;
		}
	}
	/* The shared anchors are copied by value: their DN and key bytes stay where they
	 * are until tls_trust_reset, which callers do not run while connections are open. */
	pthread_mutex_lock(&g_lock);
	rc = load_trust(e);
	if (rc == 0) {
		t->nanchors = g_trust.n + t->local.n;
		t->anchors = calloc(t->nanchors ? t->nanchors : 1, sizeof *t->anchors);
		if (!t->anchors)
			rc = err_set(e, ERR_NET, "out of memory");
		else if (g_trust.n)
			memcpy(t->anchors, g_trust.v, g_trust.n * sizeof *t->anchors);
	}
	pthread_mutex_unlock(&g_lock);
	if (rc < 0)
		goto out;
	if (t->local.n)
		memcpy(t->anchors + (t->nanchors - t->local.n), t->local.v,
		       t->local.n * sizeof *t->anchors);

	br_ssl_client_init_full(&t->cc, &t->xc, t->anchors, t->nanchors);
	t->xw.vtable = &xw_vtable;
	t->xw.t = t;
	br_ssl_engine_set_x509(&t->cc.eng, &t->xw.vtable);
	br_ssl_engine_set_buffer(&t->cc.eng, t->iobuf, sizeof t->iobuf, 1);
	br_ssl_engine_add_flags(&t->cc.eng, BR_OPT_NO_RENEGOTIATION);
	prefer_aes_gcm(&t->cc.eng);
	if (t->client.key_type == BR_KEYTYPE_RSA)
		br_ssl_client_set_single_rsa(&t->cc, t->client.chain, t->client.nchain,
		                             &t->client.rsa, br_rsa_pkcs1_sign_get_default());
	else if (t->client.key_type == BR_KEYTYPE_EC)
		br_ssl_client_set_single_ec(&t->cc, t->client.chain, t->client.nchain,
		                            &t->client.ec, BR_KEYTYPE_SIGN, BR_KEYTYPE_EC,
		                            br_ec_get_default(), br_ecdsa_sign_asn1_get_default());
	/* Seed from the kernel ourselves: a chroot may have no /dev/urandom. */
	if (getrandom(seed, sizeof seed, 0) == (ssize_t)sizeof seed)
		br_ssl_engine_inject_entropy(&t->cc.eng, seed, sizeof seed);
	memset(seed, 0, sizeof seed);
	/* An IP literal gets no SNI (RFC 6066) and no BearSSL name check: end_chain
	 * does. */
	if (!br_ssl_client_reset(&t->cc, t->iplen ? NULL : t->host, 0)) {
		rc = fail_handshake(t, br_ssl_engine_last_error(&t->cc.eng), e);
		goto out;
	}
	st = run_until(t, BR_SSL_SENDAPP | BR_SSL_RECVAPP, e);
	if (st <= 0) {
		rc = st < 0 ? st : fail_handshake(t, br_ssl_engine_last_error(&t->cc.eng), e);
		goto out;
	}
	t->handshake_done = 1;
	if (log_level >= 2) {
		struct tls_info info;
		tls_conn_info(&t->base, &info);
		log_debug("TLS %s with %s (%s, AES %s, GHASH %s)", info.version, t->host,
		          info.suite, info.aes, info.ghash);
	}
	*out = &t->base;
	t = NULL;
	rc = 0;
out:
	if (t)
		tls_free(t);
	return rc;
}

int tls_err_plain_http(const struct err *e)
{
	return e && e->code == ERR_NET && strstr(e->msg, TLS_MSG_PLAIN_HTTP) != NULL;
}

/* host[:port] matches an --insecure-registry entry: "host:port" exactly, or
 * "host" for any port. Hosts compare case-insensitively; IPv6 entries may carry
 * brackets. */
static int insecure_match(const char *entry, size_t n, const char *host, int port)
{
	char want[TLS_MAX_HOST + 16], bare[TLS_MAX_HOST + 3];
	size_t hn = strlen(host);

	if (host[0] == '[' && hn >= 2 && hn - 2 < sizeof bare) {
		memcpy(bare, host + 1, hn - 2);
		bare[hn - 2] = 0;
		host = bare;
	}
	if (n == strlen(host) && strncasecmp(entry, host, n) == 0)
		return 1;
	snprintf(want, sizeof want, "%s%s%s:%d", strchr(host, ':') ? "[" : "", host,
	         strchr(host, ':') ? "]" : "", port > 0 ? port : 443);
	if (n == strlen(want) && strncasecmp(entry, want, n) == 0)
		return 1;
	if (strchr(host, ':') && n == strlen(host) + 2 && entry[0] == '[' &&
	    strncasecmp(entry + 1, host, n - 2) == 0 && entry[n - 1] == ']')
		return 1;
	return 0;
}

int tls_plain_http_allowed(const char *host, int port, const char *const *insecure, size_t n)
{
	unsigned char ip[16];
	int iplen;
	const char *env = getenv("POLYCRATE_INSECURE_REGISTRIES");

	if (!host || !*host)
		return 0;
	iplen = tls_ip_literal(host, ip);
	if (!strcasecmp(host, "localhost") || (iplen == 4 && ip[0] == 127))
		return 1;
	if (iplen == 16) {
		static const unsigned char lo6[16] = {[15] = 1};
		if (!memcmp(ip, lo6, 16))
			return 1;
	}
	for (size_t i = 0; i < n; i++)
		if (insecure[i] && insecure_match(insecure[i], strlen(insecure[i]), host, port))
			return 1;
	while (env && *env) {
		size_t k;
		env += strspn(env, ", \t\n");
		k = strcspn(env, ", \t\n");
		if (k && insecure_match(env, k, host, port))
			return 1;
		env += k;
	}
	return 0;
}

int tls_hook(void *arg, struct conn *raw, const char *host, int port, struct conn **out,
             struct err *e)
{
	struct tls_opts o = {0};
	if (arg)
		o = *(const struct tls_opts *)arg;
	o.port = port;
	return tls_connect(raw, host, &o, out, e);
}
