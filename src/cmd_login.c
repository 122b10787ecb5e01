/* cmd_login.c - polycrate login/logout: check credentials against a registry, store or remove them
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "auth.h"
#include "credstore.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "registry.h"
#include "tls.h"

#define LOGIN_STDIN_MAX AUTH_SECRET_MAX /* --password-stdin reads at most this */
#define HUB_API_HOST "registry-1.docker.io"

/* What the user named: the API host[:port] and whether http:// was written. */
struct target {
	char registry[HTTP_HOST_MAX + 16];
	char host[HTTP_HOST_MAX];
	int port;
	int http; /* http:// given: insecure */
};

static int parse_target(const char *arg, struct target *t, struct err *e)
{
	const char *p = arg;
	size_t n;
	memset(t, 0, sizeof *t);
	if (strncasecmp(p, "https://", 8) == 0) {
		p += 8;
	} else if (strncasecmp(p, "http://", 7) == 0) {
		p += 7;
		t->http = 1;
	}
	n = strcspn(p, "/");
	/* a path is allowed only as docker writes it for Docker Hub: /v1/ or /v2/ */
	if (p[n] && strcmp(p + n, "/") != 0 && strcmp(p + n, "/v1/") != 0 &&
	    strcmp(p + n, "/v2/") != 0)
		return err_set(e, ERR_USAGE, "registry \"%s\" must be host[:port], without a path",
		               arg);
	if (n == 0 || n >= sizeof t->registry)
		return err_set(e, ERR_USAGE, "bad registry \"%s\"", arg);
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !(ch >= '0' && ch <= '9') && !strchr(".-:[]_", ch))
			return err_set(e, ERR_USAGE, "bad registry \"%s\"", arg);
		t->registry[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	t->registry[n] = 0;
	char key[CREDSTORE_KEY_MAX];
	credstore_key(t->registry, key, sizeof key);
	if (strcmp(key, CREDSTORE_HUB_KEY) == 0)
		snprintf(t->registry, sizeof t->registry, "%s", HUB_API_HOST);
	/* host and port for the scheme rules */
	char url[HTTP_HOST_MAX + 32];
	struct http_url u;
	snprintf(url, sizeof url, "https://%s/", t->registry);
	if (http_url_parse(url, &u, e) < 0) {
		err_prefix(e, "registry \"%s\"", arg);
		return ERR_USAGE;
	}
	snprintf(t->host, sizeof t->host, "%s", u.host);
	t->port = u.port;
	return 0;
}

/* One line from stdin without its newline, echo off when it is a terminal. */
static int read_line(const char *prompt, int noecho, char *out, size_t n, struct err *e)
{
	struct termios old, quiet;
	int tty = isatty(0), restore = 0, rc = 0;
	size_t len = 0;
	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		if (noecho && tcgetattr(0, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			quiet.c_lflag |= ECHONL;
			restore = tcsetattr(0, TCSAFLUSH, &quiet) == 0;
		}
	}
	for (;;) {
		char ch;
		ssize_t r = read(0, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || ch == '\n')
			break;
		if (len + 1 >= n) {
			rc = err_set(e, ERR_USAGE, "input longer than %zu bytes", n - 1);
			break;
		}
		out[len++] = ch;
	}
	if (len > 0 && out[len - 1] == '\r')
		len--;
	out[len] = 0;
	if (restore)
		tcsetattr(0, TCSAFLUSH, &old);
	return rc;
}

/* All of stdin (bounded), trailing newlines dropped, as docker's --password-stdin. */
static int read_stdin_secret(char *out, size_t n, struct err *e)
{
	size_t len = 0;
	for (;;) {
		ssize_t r = read(0, out + len, n - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_sys(e, ERR_FAIL, errno, "reading the password from stdin");
		if (r == 0)
			break;
		len += (size_t)r;
		if (len >= n - 1) {
			char extra;
			if (read(0, &extra, 1) > 0)
				return err_set(e, ERR_USAGE, "password longer than %zu bytes",
				               n - 2);
			break;
		}
	}
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		len--;
	out[len] = 0;
	return 0;
}

/* The credentials from the flags, stdin or prompts. */
static int get_creds(struct cli *c, struct auth_creds *cr, struct err *e)
{
	int rc = 0;
	if (c->set[F_PASSWORD] && c->set[F_PASSWORD_STDIN])
		return err_set(e, ERR_USAGE,
		               "--password and --password-stdin are mutually exclusive");
	if (c->val[F_USERNAME]) {
		if (strlen(c->val[F_USERNAME]) >= sizeof cr->username)
			return err_set(e, ERR_USAGE, "user name too long");
		snprintf(cr->username, sizeof cr->username, "%s", c->val[F_USERNAME]);
	} else if (c->set[F_PASSWORD_STDIN]) {
		return err_set(e, ERR_USAGE, "--password-stdin needs --username");
	} else if (isatty(0)) {
		if ((rc = read_line("Username: ", 0, cr->username, sizeof cr->username, e)) < 0)
			return rc;
	} else {
		return err_set(e, ERR_USAGE,
		               "no user name: give --username (stdin is no terminal)");
	}
	if (!cr->username[0])
		return err_set(e, ERR_USAGE, "the user name is empty");
	if (strchr(cr->username, ':'))
		return err_set(e, ERR_USAGE, "the user name may not contain ':'");
	if (c->val[F_PASSWORD]) {
		log_warn("--password on the command line is visible to other users; use "
		         "--password-stdin");
		if (strlen(c->val[F_PASSWORD]) >= sizeof cr->password)
			return err_set(e, ERR_USAGE, "password too long");
		snprintf(cr->password, sizeof cr->password, "%s", c->val[F_PASSWORD]);
	} else if (c->set[F_PASSWORD_STDIN]) {
		rc = read_stdin_secret(cr->password, sizeof cr->password, e);
	} else if (isatty(0)) {
		rc = read_line("Password: ", 1, cr->password, sizeof cr->password, e);
	} else {
		return err_set(e, ERR_USAGE,
		               "no password: give --password-stdin (stdin is no terminal)");
	}
	if (rc == 0 && !cr->password[0])
		rc = err_set(e, ERR_USAGE, "the password is empty");
	return rc;
}

static struct http_client *client_for(struct cli *c, struct err *e)
{
	int bad = 0;
	long cto = cli_long(c, F_CONNECT_TIMEOUT, 30, 1, 3600, &bad);
	long ito = cli_long(c, F_TIMEOUT, 60, 1, 86400, &bad);
	struct http_client *h;
	if (bad) {
		err_set(e, ERR_USAGE, "bad timeout");
		return NULL;
	}
	h = http_client_new();
	if (!h) {
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	http_client_set_tls(h, tls_hook, NULL);
	http_client_set_timeouts(h, (int)cto * 1000, (int)ito * 1000);
	http_client_set_retry(h, 200, 2);
	return h;
}

int cmd_login(struct cli *c)
{
	struct target t;
	struct auth_creds cr;
	struct err e;
	struct http_client *h = NULL;
	struct auth_ctx *a = NULL;
	struct registry *reg = NULL;
	char base[HTTP_HOST_MAX + 32], where[CREDSTORE_PATH_MAX];
	int rc;
	err_init(&e);
	memset(&cr, 0, sizeof cr);
	if (c->argc != 1) {
		rc = cli_failf(
		    2, "login takes one REGISTRY (host[:port], https://host or http://host)");
		goto done;
	}
	if ((rc = parse_target(c->argv[0], &t, &e)) < 0 || (rc = get_creds(c, &cr, &e)) < 0)
		goto out;
	net_init();
	if (!(h = client_for(c, &e)) || !(a = auth_new(h))) {
		rc = err_set(&e, ERR_FAIL, "out of memory");
		goto out;
	}
	/* the registry module settles the scheme as for every other command: HTTPS first,
	 * plain HTTP only where DESIGN.md §3 allows it and the server showed that it speaks it */
	struct registry_opts ro;
	memset(&ro, 0, sizeof ro);
	ro.insecure = t.http;
	ro.insecure_hosts = c->multi;
	ro.n_insecure_hosts = (size_t)c->nmulti;
	ro.http = h;
	char identity[AUTH_SECRET_MAX];
	identity[0] = 0;
	if (!(reg = registry_open(t.registry, &ro, &e))) {
		rc = e.code ? e.code : ERR_FAIL;
		goto out;
	}
	if ((rc = registry_ping(reg, &e)) < 0) {
		if (tls_err_plain_http(&e))
			err_hint(&e, "for a registry without TLS: --insecure-registry %s",
			         t.registry);
		goto out;
	}
	snprintf(base, sizeof base, "%s", registry_base(reg));
	rc = auth_login_check(a, base, t.registry, &cr, identity, sizeof identity, &e);
	if (rc < 0)
		goto out;
	if (identity[0]) {
		/* as docker does: the refresh token replaces the password */
		snprintf(cr.identity_token, sizeof cr.identity_token, "%s", identity);
		auth_wipe(cr.password, sizeof cr.password);
	}
	auth_wipe(identity, sizeof identity);
	if ((rc = credstore_store(t.registry, &cr, where, sizeof where, &e)) < 0)
		goto out;
	log_info("Stored credentials for %s in %s", t.registry, where);
	printf("Login Succeeded\n");
	rc = 0;
	goto done;
out:
	rc = cli_fail(&e);
done:
	auth_wipe(&cr, sizeof cr);
	registry_close(reg);
	auth_free(a);
	http_client_free(h);
	return rc;
}

int cmd_logout(struct cli *c)
{
	struct target t;
	struct err e;
	char key[CREDSTORE_KEY_MAX];
	int rc;
	err_init(&e);
	if (c->argc != 1)
		return cli_failf(2, "logout takes one REGISTRY");
	if (parse_target(c->argv[0], &t, &e) < 0)
		return cli_fail(&e);
	credstore_key(t.registry, key, sizeof key);
	rc = credstore_erase(t.registry, &e);
	if (rc < 0)
		return cli_fail(&e);
	if (rc == 0) {
		printf("Not logged in to %s\n", key);
		return 0;
	}
	printf("Removing login credentials for %s\n", key);
	return 0;
}
