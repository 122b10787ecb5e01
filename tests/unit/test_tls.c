/* test_tls.c - TLS helpers without a network: SAN walker, IP literals, trust loading, words */
#include "t.h"

#include <bearssl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "tls.h"

/* A self-signed EC certificate, SAN DNS:localhost, DNS:*.example.org, IP:127.0.0.1,
 * IP:::1, email:a@b.c; valid for 100 years. */
static const unsigned char cert_der[] = {
    0x30, 0x82, 0x01, 0xba, 0x30, 0x82, 0x01, 0x61, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x14, 0x1b,
    0xa3, 0xa9, 0x75, 0xc3, 0x48, 0xe9, 0x5c, 0x47, 0x9a, 0x8e, 0x64, 0x01, 0x0d, 0xf1, 0x23, 0xc6,
    0x56, 0xa0, 0xd5, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30,
    0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x04, 0x75, 0x6e, 0x69, 0x74,
    0x30, 0x20, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x32, 0x30, 0x33, 0x31, 0x34, 0x33, 0x33, 0x33, 0x36,
    0x5a, 0x18, 0x0f, 0x32, 0x31, 0x32, 0x36, 0x31, 0x31, 0x30, 0x39, 0x31, 0x34, 0x33, 0x33, 0x33,
    0x36, 0x5a, 0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x04, 0x75,
    0x6e, 0x69, 0x74, 0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0xf7, 0xae,
    0x2c, 0xc6, 0xbc, 0xaa, 0x49, 0x5c, 0x98, 0xab, 0x52, 0x9d, 0xc8, 0x3f, 0xd2, 0xf7, 0x80, 0xa0,
    0x30, 0x69, 0xc0, 0xe5, 0x3d, 0xf7, 0x99, 0x3e, 0xb5, 0x09, 0xaf, 0xea, 0xde, 0x60, 0xbd, 0xd6,
    0x87, 0x53, 0x3f, 0x48, 0xb6, 0x16, 0x93, 0x0f, 0x5f, 0x48, 0xe9, 0x2a, 0xb2, 0xa1, 0xfb, 0xfd,
    0x33, 0xe6, 0xad, 0xa2, 0x8f, 0x34, 0x44, 0xf1, 0x89, 0xd8, 0x4a, 0xa2, 0x85, 0xcf, 0xa3, 0x81,
    0x98, 0x30, 0x81, 0x95, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04, 0x14, 0xbb,
    0xa8, 0x13, 0x81, 0x2e, 0xe4, 0xaa, 0x10, 0x02, 0xb1, 0x59, 0xd4, 0x57, 0x6a, 0xac, 0x74, 0x02,
    0x2d, 0x3b, 0x61, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18, 0x30, 0x16, 0x80, 0x14,
    0xbb, 0xa8, 0x13, 0x81, 0x2e, 0xe4, 0xaa, 0x10, 0x02, 0xb1, 0x59, 0xd4, 0x57, 0x6a, 0xac, 0x74,
    0x02, 0x2d, 0x3b, 0x61, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x05,
    0x30, 0x03, 0x01, 0x01, 0xff, 0x30, 0x42, 0x06, 0x03, 0x55, 0x1d, 0x11, 0x04, 0x3b, 0x30, 0x39,
    0x82, 0x09, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x68, 0x6f, 0x73, 0x74, 0x82, 0x0d, 0x2a, 0x2e, 0x65,
    0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x87, 0x04, 0x7f, 0x00, 0x00, 0x01,
    0x87, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x81, 0x05, 0x61, 0x40, 0x62, 0x2e, 0x63, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
    0xce, 0x3d, 0x04, 0x03, 0x02, 0x03, 0x47, 0x00, 0x30, 0x44, 0x02, 0x20, 0x0c, 0x0c, 0xfc, 0x65,
    0x09, 0xdb, 0xb0, 0x4a, 0xec, 0x20, 0xa5, 0x1d, 0x1a, 0x6d, 0xc3, 0x99, 0x86, 0x6a, 0x12, 0xd9,
    0x6b, 0x7b, 0xac, 0x0c, 0x8d, 0x57, 0xdf, 0x46, 0xe2, 0xf2, 0xfe, 0x58, 0x02, 0x20, 0x2a, 0x2a,
    0x5b, 0x8f, 0x1a, 0x87, 0xca, 0x1c, 0x3c, 0x54, 0x56, 0x2f, 0x00, 0x5e, 0x90, 0xb8, 0x12, 0xe2,
    0xa6, 0x13, 0xd8, 0x42, 0x59, 0x1a, 0x7b, 0xa4, 0x24, 0x85, 0x2b, 0x47, 0x3f, 0x26};

static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBujCCAWGgAwIBAgIUG6OpdcNI6VxHmo5kAQ3xI8ZWoNUwCgYIKoZIzj0EAwIw\n"
                               "DzENMAsGA1UEAwwEdW5pdDAgFw0yNjEyMDMxNDMzMzZaGA8yMTI2MTEwOTE0MzMz\n"
                               "NlowDzENMAsGA1UEAwwEdW5pdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABPeu\n"
                               "LMa8qklcmKtSncg/0veAoDBpwOU995k+tQmv6t5gvdaHUz9IthaTD19I6Sqyofv9\n"
                               "M+atoo80RPGJ2Eqihc+jgZgwgZUwHQYDVR0OBBYEFLuoE4Eu5KoQArFZ1FdqrHQC\n"
                               "LTthMB8GA1UdIwQYMBaAFLuoE4Eu5KoQArFZ1FdqrHQCLTthMA8GA1UdEwEB/wQF\n"
                               "MAMBAf8wQgYDVR0RBDswOYIJbG9jYWxob3N0gg0qLmV4YW1wbGUub3JnhwR/AAAB\n"
                               "hxAAAAAAAAAAAAAAAAAAAAABgQVhQGIuYzAKBggqhkjOPQQDAgNHADBEAiAMDPxl\n"
                               "CduwSuwgpR0abcOZhmoS2Wt7rAyNV99G4vL+WAIgKipbjxqHyhw8VFYvAF6QuBLi\n"
                               "phPYQlkae6QkhStHPyY=\n"
                               "-----END CERTIFICATE-----\n";

/* Another one, no CA (basicConstraints CA:FALSE), no SAN. */
static const char cert2_pem[] = "-----BEGIN CERTIFICATE-----\n"
                                "MIIBczCCARqgAwIBAgIUa5MmhriPJ4sMSl/37HbyvJ/DnGowCgYIKoZIzj0EAwIw\n"
                                "EDEOMAwGA1UEAwwFdW5pdDIwIBcNMjYxMjAzMTQzMzM2WhgPMjEyNjExMDkxNDMz\n"
                                "MzZaMBAxDjAMBgNVBAMMBXVuaXQyMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
                                "vmWzXqh+PgY4aRdie9YGUNE7zxpbjql4ARiLu8tNDoLfiDKPYSqo+1d000JSsQTr\n"
                                "/CVCPz9RoRfIq5jh7quu/6NQME4wHQYDVR0OBBYEFJE9B9uPrwj9QOak0EbzjM49\n"
                                "gdM+MB8GA1UdIwQYMBaAFJE9B9uPrwj9QOak0EbzjM49gdM+MAwGA1UdEwEB/wQC\n"
                                "MAAwCgYIKoZIzj0EAwIDRwAwRAIgENKSquzATvc64PovE45wiY6wHwosymsy8qGF\n"
                                "iRZlYhUCIFpgGS+zoreoPIH1+kUNfE6I7TpyJxLKY4jGyfmBrTSO\n"
                                "-----END CERTIFICATE-----\n";

struct seen {
	char names[256];
	int ips4, ips6, calls;
	int stop_at;
};

static int collect(void *ctx, int type, const unsigned char *p, size_t n)
{
	struct seen *s = ctx;
	s->calls++;
	if (type == 2) {
		size_t k = strlen(s->names);
		if (k + n + 2 < sizeof s->names) {
			memcpy(s->names + k, p, n);
			s->names[k + n] = ' ';
			s->names[k + n + 1] = 0;
		}
	} else if (type == 7 && n == 4) {
		s->ips4++;
	} else if (type == 7 && n == 16) {
		s->ips6++;
	}
	return s->stop_at && s->calls >= s->stop_at ? 42 : 0;
}

static void test_san_walker(void)
{
	struct seen s = {0};
	T_EQ_INT(tls_cert_san(cert_der, sizeof cert_der, collect, &s), 0);
	T_EQ_STR(s.names, "localhost *.example.org ");
	T_EQ_INT(s.ips4, 1);
	T_EQ_INT(s.ips6, 1);
	T_EQ_INT(s.calls, 4); /* the rfc822Name is not reported */

	memset(&s, 0, sizeof s);
	s.stop_at = 2;
	T_EQ_INT(tls_cert_san(cert_der, sizeof cert_der, collect, &s), 42);
	T_EQ_INT(s.calls, 2);

	memset(&s, 0, sizeof s);
	T_EQ_INT(tls_cert_san(NULL, 0, collect, &s), ERR_FAIL);
	T_EQ_INT(tls_cert_san(cert_der, 0, collect, &s), ERR_FAIL);
	static const unsigned char junk[][8] = {
	    {0x30, 0x80, 0, 0},                   /* indefinite length */
	    {0x30, 0x85, 1, 1, 1, 1, 1},          /* 5 length bytes */
	    {0x30, 0x84, 0xff, 0xff, 0xff, 0xff}, /* longer than the input */
	    {0x1f, 0x01, 0x00},                   /* multi-byte tag */
	    {0x30, 0x02, 0x30, 0x00},             /* empty TBSCertificate */
	};
	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
		T_CHECKF(tls_cert_san(junk[i], sizeof junk[i], collect, &s) == ERR_FAIL, "junk %zu",
		         i);
}

/* Every truncation and every single-byte change of a real certificate: the walker must
 * stay inside the buffer (ASan checks that) and never report more than the original. */
static void test_san_hostile(void)
{
	unsigned char *p = malloc(sizeof cert_der);
	int bad = 0;
	for (size_t n = 0; n < sizeof cert_der; n++) {
		struct seen s = {0};
		unsigned char *q = malloc(n ? n : 1);
		memcpy(q, cert_der, n);
		int r = tls_cert_san(q, n, collect, &s);
		if (!(r == 0 || r == ERR_FAIL) || s.calls > 4)
			bad++;
		free(q);
	}
	T_EQ_INT(bad, 0);
	for (size_t i = 0; i < sizeof cert_der; i++)
		for (int v = 0; v < 256; v += 51) {
			struct seen s = {0};
			memcpy(p, cert_der, sizeof cert_der);
			p[i] = (unsigned char)(p[i] ^ (v | 1));
			int r = tls_cert_san(p, sizeof cert_der, collect, &s);
			if (!(r == 0 || r == ERR_FAIL) || s.calls > 16)
				bad++;
		}
	T_EQ_INT(bad, 0);
	free(p);
}

static void test_ip_literal(void)
{
	static const struct {
		const char *in;
		int want;
		unsigned char first;
	} cases[] = {
	    {"127.0.0.1", 4, 127},
	    {"10.0.0.5", 4, 10},
	    {"[::1]", 16, 0},
	    {"::1", 16, 0},
	    {"fe80::1%eth0", 16, 0xfe},
	    {"[2001:db8::7]", 16, 0x20},
	    {"localhost", 0, 0},
	    {"1.2.3", 0, 0},
	    {"999.1.1.1", 0, 0},
	    {"", 0, 0},
	    {"[::1", 0, 0},
	    {"::1]", 0, 0},
	    {"[]", 0, 0},
	    {"127.0.0.1.nip.io", 0, 0},
	    {"0x7f.1", 0, 0},
	};
	unsigned char ip[16];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int n = tls_ip_literal(cases[i].in, ip);
		T_CHECKF(n == cases[i].want, "%s: %d, want %d", cases[i].in, n, cases[i].want);
		if (n && n == cases[i].want)
			T_CHECKF(ip[0] == cases[i].first, "%s: first byte %d", cases[i].in, ip[0]);
	}
	T_EQ_INT(tls_ip_literal(NULL, ip), 0);
	char longname[200];
	memset(longname, '1', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	T_EQ_INT(tls_ip_literal(longname, ip), 0);
}

static void test_plain_http_allowed(void)
{
	static const char *const list[] = {"10.0.0.5:5000", "reg.example", "[fd00::5]:5000", NULL};
	static const struct {
		const char *host;
		int port, want;
	} cases[] = {
	    {"localhost", 5000, 1},
	    {"LOCALHOST", 443, 1},
	    {"127.0.0.1", 80, 1},
	    {"127.9.8.7", 5000, 1},
	    {"::1", 5000, 1},
	    {"[::1]", 5000, 1},
	    {"10.0.0.5", 5000, 1},
	    {"10.0.0.5", 5001, 0},
	    {"reg.example", 1234, 1},
	    {"REG.example", 443, 1},
	    {"sub.reg.example", 443, 0},
	    {"fd00::5", 5000, 1},
	    {"[fd00::5]", 5000, 1},
	    {"fd00::5", 443, 0},
	    {"localhost.evil.com", 443, 0},
	    {"127.0.0.1.nip.io", 443, 0},
	    {"128.0.0.1", 443, 0},
	    {"::2", 443, 0},
	    {"a.example", 5000, 1},
	    {"a.example", 5001, 0},
	    {"b.example", 9, 1},
	    {"", 443, 0},
	};
	setenv("POLYCRATE_INSECURE_REGISTRIES", " a.example:5000,b.example ,", 1);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int r = tls_plain_http_allowed(cases[i].host, cases[i].port, list, 4);
		T_CHECKF(r == cases[i].want, "%s:%d -> %d", cases[i].host, cases[i].port, r);
	}
	unsetenv("POLYCRATE_INSECURE_REGISTRIES");
	T_EQ_INT(tls_plain_http_allowed("a.example", 5000, NULL, 0), 0);
	T_EQ_INT(tls_plain_http_allowed(NULL, 5000, NULL, 0), 0);
}

static void test_words(void)
{
	struct err e;
	T_EQ_STR(tls_strerror(BR_ERR_X509_NOT_TRUSTED), "certificate signed by unknown authority");
	T_CHECK(strstr(tls_strerror(BR_ERR_X509_EXPIRED), "expired") != NULL);
	T_EQ_STR(tls_strerror(BR_ERR_RECV_FATAL_ALERT + 70),
	         "received TLS alert: protocol version");
	T_EQ_STR(tls_strerror(BR_ERR_SEND_FATAL_ALERT + 42), "sent TLS alert: bad certificate");
	T_EQ_STR(tls_strerror(BR_ERR_RECV_FATAL_ALERT + 200), "received TLS alert 200");
	T_EQ_STR(tls_strerror(9999 - 10000 + 100), "BearSSL error 99");
	T_EQ_STR(tls_strerror(0), "no error");

	err_init(&e);
	err_set(&e, ERR_NET, "x: " TLS_MSG_PLAIN_HTTP " to a TLS handshake");
	T_EQ_INT(tls_err_plain_http(&e), 1);
	err_prefix(&e, "GET https://x/v2/");
	T_EQ_INT(tls_err_plain_http(&e), 1);
	err_init(&e);
	err_set(&e, ERR_NET, "x: TLS: certificate signed by unknown authority");
	T_EQ_INT(tls_err_plain_http(&e), 0);
	err_init(&e);
	err_set(&e, ERR_FAIL, TLS_MSG_PLAIN_HTTP);
	T_EQ_INT(tls_err_plain_http(&e), 0);
	T_EQ_INT(tls_err_plain_http(NULL), 0);
}

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int trust_with(const char *file, const char *dir, struct err *e)
{
	char fp[256], dp[256];
	snprintf(fp, sizeof fp, "%s/%s", tmpdir, file ? file : "");
	snprintf(dp, sizeof dp, "%s/%s", tmpdir, dir ? dir : "");
	if (file)
		setenv("SSL_CERT_FILE", fp, 1);
	else
		unsetenv("SSL_CERT_FILE");
	if (dir)
		setenv("SSL_CERT_DIR", dp, 1);
	else
		unsetenv("SSL_CERT_DIR");
	tls_trust_reset();
	err_init(e);
	return tls_trust_count(e);
}

static void test_trust_loading(void)
{
	struct err e;
	char both[4096], path[256], link[256];

	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_tls.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		t_skip("no temp dir");
		return;
	}
	snprintf(both, sizeof both, "junk before\n%s# comment\n%s\ntrailing", cert_pem, cert2_pem);
	write_file("both.pem", both);
	write_file("one.pem", cert_pem);
	write_file("empty.pem", "");
	snprintf(both, sizeof both, "%.*s", (int)(strlen(cert_pem) - 30), cert_pem);
	write_file("cut.pem", both);
	write_file("bad.pem", "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
	snprintf(both, sizeof both,
	         "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END "
	         "CERTIFICATE-----\n%s",
	         cert2_pem);
	write_file("onebad.pem", both);

	T_EQ_INT(trust_with("both.pem", NULL, &e), 2);
	T_EQ_INT(trust_with("one.pem", NULL, &e), 1);
	T_EQ_INT(trust_with("empty.pem", NULL, &e), 0);
	T_EQ_INT(trust_with("onebad.pem", NULL, &e), 1); /* the broken one is skipped */
	T_EQ_INT(trust_with("missing.pem", NULL, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "SSL_CERT_FILE") && strstr(e.msg, "missing.pem"), "%s", e.msg);
	T_EQ_INT(trust_with("cut.pem", NULL, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "cut.pem") && strstr(e.msg, "PEM"), "%s", e.msg);
	T_EQ_INT(trust_with("bad.pem", NULL, &e), ERR_NET);

	/* A cert dir with a hash-style link to one file: each certificate once. */
	snprintf(path, sizeof path, "%s/dir", tmpdir);
	mkdir(path, 0755);
	write_file("dir/a.pem", cert_pem);
	write_file("dir/b.crt", cert2_pem);
	write_file("dir/README", "not a certificate\n");
	snprintf(path, sizeof path, "%s/dir/a.pem", tmpdir);
	snprintf(link, sizeof link, "%s/dir/0a1b2c3d.0", tmpdir);
	T_EQ_INT(symlink(path, link), 0);
	T_EQ_INT(trust_with(NULL, "dir", &e), 2);
	T_EQ_INT(trust_with("one.pem", "dir", &e), 2); /* file and dir add up, once each */
	snprintf(both, sizeof both, "%s%s%s", cert_pem, cert2_pem, cert_pem);
	write_file("twice.pem", both);
	T_EQ_INT(trust_with("twice.pem", NULL, &e), 2);
	T_EQ_INT(trust_with(NULL, "nodir", &e), ERR_NET);

	/* The same from memory, without touching the process-wide set. */
	T_EQ_INT(tls_pem_count(both, strlen(both), &e), 2);
	T_EQ_INT(tls_pem_count("", 0, &e), 0);
	err_init(&e);
	T_EQ_INT(tls_pem_count("-----BEGIN CERTIFICATE-----\n!!\n", 31, &e), ERR_NET);
	T_CHECK(e.msg[0] != 0);

	/* Cached: a changed environment counts only after a reset. */
	T_EQ_INT(trust_with("both.pem", NULL, &e), 2);
	setenv("SSL_CERT_FILE", "/nonexistent", 1);
	T_EQ_INT(tls_trust_count(&e), 2);

	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
	tls_trust_reset();
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	T_EQ_INT(system(cmd), 0);
}

/* The system bundle, when this host has one: loads, and many anchors. */
static void test_system_bundle(void)
{
	struct err e;
	int n;
	if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) != 0) {
		t_skip("no /etc/ssl/certs/ca-certificates.crt");
		return;
	}
	unsetenv("SSL_CERT_FILE");
	unsetenv("SSL_CERT_DIR");
	tls_trust_reset();
	err_init(&e);
	n = tls_trust_count(&e);
	T_CHECKF(n > 50, "%d anchors: %s", n, e.msg);
	tls_trust_reset();
}

T_MAIN(test_san_walker, test_san_hostile, test_ip_literal, test_plain_http_allowed, test_words,
       test_trust_loading, test_system_bundle)
