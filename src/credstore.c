/* credstore.c - docker's credential sources: config.json auths, credential helpers, auth files */
#include "credstore.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "fs.h"
#include "json.h"
#include "log.h"
#include "net.h"

#define HELPER_PREFIX "docker-credential-"
#define HELPER_NOT_FOUND "credentials not found" /* the helpers' own phrase, in any case */
#define HELPER_MSG_MAX 400                       /* a helper's message we quote */

static const char *const hub_names[] = {"docker.io", "index.docker.io", "registry-1.docker.io"};

static int is_hub(const char *host)
{
	for (size_t i = 0; i < sizeof hub_names / sizeof hub_names[0]; i++)
		if (strcasecmp(host, hub_names[i]) == 0)
			return 1;
	return 0;
}

/* The host[:port] an auths key names: scheme and path dropped, lowercased; Docker Hub's
 * names all become "docker.io". */
static void key_host(const char *key, char *out, size_t n)
{
	size_t o = 0;
	if (strncasecmp(key, "https://", 8) == 0)
		key += 8;
	else if (strncasecmp(key, "http://", 7) == 0)
		key += 7;
	for (; *key && *key != '/' && o + 1 < n; key++)
		out[o++] = (char)tolower((unsigned char)*key);
	out[o] = 0;
	if (is_hub(out))
		snprintf(out, n, "docker.io");
}

void credstore_key(const char *registry, char *out, size_t n)
{
	char h[CREDSTORE_KEY_MAX];
	key_host(registry, h, sizeof h);
	if (strcmp(h, "docker.io") == 0)
		snprintf(out, n, "%s", CREDSTORE_HUB_KEY);
	else
		snprintf(out, n, "%s", h);
}

int credstore_config_path(char *out, size_t n, struct err *e)
{
	const char *dc = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	int w;
	if (dc && *dc)
		w = snprintf(out, n, "%s/config.json", dc);
	else if (home && *home)
		w = snprintf(out, n, "%s/.docker/config.json", home);
	else
		return err_set(e, ERR_FAIL,
		               "neither DOCKER_CONFIG nor HOME is set: no docker "
		               "config to use");
	if (w < 0 || (size_t)w >= n)
		return err_set(e, ERR_FAIL, "docker config path too long");
	return 0;
}

/* ---- helpers (docker-credential-*) ---- */

static int helper_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > CREDSTORE_HELPER_NAME_MAX)
		return 0;
	for (; *name; name++)
		if (!isalnum((unsigned char)*name) && !strchr("._-", *name))
			return 0;
	return 1;
}

/* The helper's path from PATH into out; 0, or ERR_NOTFOUND. */
static int helper_find(const char *name, char *out, size_t n)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t l = end ? (size_t)(end - path) : strlen(path);
		int w = snprintf(out, n, "%.*s%s" HELPER_PREFIX "%s", (int)l, l ? path : ".", "/",
		                 name);
		if (w > 0 && (size_t)w < n && access(out, X_OK) == 0 && !fs_is_dir(out))
			return 0;
		path += l;
		if (*path == ':')
			path++;
	}
	return ERR_NOTFOUND;
}

/* Drains fd into b (nonblocking read); 1 at EOF, 0 more to come, <0 too much. */
static int drain(int fd, struct buf *b)
{
	char tmp[4096];
	ssize_t r = read(fd, tmp, sizeof tmp);
	if (r == 0)
		return 1;
	if (r < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : 1;
	if (b->len + (size_t)r > CREDSTORE_HELPER_OUT_MAX || buf_append(b, tmp, (size_t)r) < 0)
		return -1;
	return 0;
}

static int helper_exec(const char *name, const char *action, const char *input, struct buf *out,
                       struct buf *errb, int timeout_ms, struct err *e)
{
	char path[CREDSTORE_PATH_MAX];
	int in[2] = {-1, -1}, op[2] = {-1, -1}, ep[2] = {-1, -1};
	int rc = 0, status = 0, eof_out = 0, eof_err = 0;
	pid_t pid = -1;
	int64_t deadline;
	if (!helper_name_ok(name))
		return err_set(e, ERR_FAIL, "bad credential helper name \"%.64s\"", name);
	if (helper_find(name, path, sizeof path) < 0)
		return err_set(e, ERR_FAIL,
		               "credential helper " HELPER_PREFIX "%s not found on PATH", name);
	net_init(); /* a helper that exits early must not kill us with SIGPIPE */
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		rc = err_sys(e, ERR_FAIL, errno, "pipe");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = err_sys(e, ERR_FAIL, errno, "fork");
		goto out;
	}
	if (pid == 0) {
		char *argv[] = {path, (char *)action, NULL};
		if (dup2(in[0], 0) < 0 || dup2(op[1], 1) < 0 || dup2(ep[1], 2) < 0)
			_exit(127);
		execv(path, argv);
		_exit(127);
	}
	close(in[0]);
	close(op[1]);
	close(ep[1]);
	in[0] = op[1] = ep[1] = -1;
	/* input is small (a URL or a credential), far below a pipe's buffer */
	size_t left = strlen(input);
	const char *p = input;
	while (left > 0) {
		ssize_t w = write(in[1], p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* the helper did not read: its status tells */
		p += w;
		left -= (size_t)w;
	}
	close(in[1]);
	in[1] = -1;
	fcntl(op[0], F_SETFL, O_NONBLOCK);
	fcntl(ep[0], F_SETFL, O_NONBLOCK);
	deadline = log_now_ms() + (timeout_ms > 0 ? timeout_ms : CREDSTORE_HELPER_TIMEOUT_MS);
	while (!eof_out || !eof_err) {
		struct pollfd pf[2] = {{eof_out ? -1 : op[0], POLLIN, 0},
		                       {eof_err ? -1 : ep[0], POLLIN, 0}};
		int64_t wait = deadline - log_now_ms();
		if (wait <= 0) {
			rc = err_set(
			    e, ERR_FAIL,
			    "credential helper " HELPER_PREFIX "%s %s took longer than %d ms", name,
			    action, timeout_ms > 0 ? timeout_ms : CREDSTORE_HELPER_TIMEOUT_MS);
			goto out;
		}
		int pr = poll(pf, 2, (int)(wait > 1000 ? 1000 : wait));
		if (pr < 0 && errno != EINTR) {
			rc = err_sys(e, ERR_FAIL, errno, "poll");
			goto out;
		}
		int d;
		if (!eof_out && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if ((d = drain(op[0], out)) < 0)
				goto toomuch;
			eof_out = d;
		}
		if (!eof_err && (pf[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			if ((d = drain(ep[0], errb)) < 0)
				goto toomuch;
			eof_err = d;
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rc = err_sys(e, ERR_FAIL, errno, "waitpid");
			goto out;
		}
	}
	pid = -1;
	if (WIFSIGNALED(status))
		rc = err_set(e, ERR_FAIL,
		             "credential helper " HELPER_PREFIX "%s %s killed by signal %d", name,
		             action, WTERMSIG(status));
	else
		rc = WEXITSTATUS(status);
	goto out;
toomuch:
	rc = err_set(e, ERR_FAIL, "credential helper " HELPER_PREFIX "%s wrote more than %d bytes",
	             name, CREDSTORE_HELPER_OUT_MAX);
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (op[i] >= 0)
			close(op[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	return rc;
}

int credstore_helper_run(const char *name, const char *action, const char *input, struct buf *out,
                         int timeout_ms, struct err *e)
{
	struct buf eb;
	buf_init(&eb, 0);
	int rc = helper_exec(name, action, input, out, &eb, timeout_ms, e);
	buf_free(&eb);
	return rc;
}

/* The helper's message: its stdout, else its stderr, one line, bounded. */
static void helper_msg(const struct buf *out, const struct buf *eb, char *msg, size_t n)
{
	const char *s = out->len ? buf_cstr(out) : buf_cstr(eb);
	size_t o = 0;
	while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
		s++;
	for (; *s && o + 1 < n && o < HELPER_MSG_MAX; s++)
		msg[o++] = (unsigned char)*s < 0x20 ? ' ' : *s;
	while (o > 0 && msg[o - 1] == ' ')
		o--;
	msg[o] = 0;
}

/* Runs action with input and turns a failure into an error in the helper's words.
 * 0 ok (stdout in out), 1 "credentials not found", or an ERR_ code. */
static int helper_call(const char *name, const char *action, const char *input, struct buf *out,
                       struct err *e)
{
	struct buf eb;
	char msg[HELPER_MSG_MAX + 1];
	int rc;
	buf_init(&eb, 0);
	rc = helper_exec(name, action, input, out, &eb, 0, e);
	if (rc <= 0)
		goto out;
	helper_msg(out, &eb, msg, sizeof msg);
	if (strcasestr(msg, HELPER_NOT_FOUND)) {
		rc = 1;
		goto out;
	}
	rc = err_set(e, ERR_AUTH, HELPER_PREFIX "%s %s: %s", name, action,
	             msg[0] ? msg : "failed without a message");
out:
	if (eb.p)
		auth_wipe(eb.p, eb.len);
	buf_free(&eb);
	return rc;
}

/* `get` through helper name for key: 1 found, 0 not, or an error. */
static int helper_get(const char *name, const char *key, struct auth_creds *c, struct err *e)
{
	struct buf out;
	struct json_doc d;
	struct err e2;
	int rc;
	buf_init(&out, 0);
	memset(&d, 0, sizeof d);
	log_debug("Asking credential helper " HELPER_PREFIX "%s for %s", name, key);
	rc = helper_call(name, "get", key, &out, e);
	if (rc != 0) {
		rc = rc == 1 ? 0 : rc;
		goto out;
	}
	err_init(&e2);
	if (json_parse(&d, out.p ? out.p : "", out.len, &e2) < 0 ||
	    json_type(&d, 0) != JSON_OBJECT) {
		rc = err_set(e, ERR_AUTH, HELPER_PREFIX "%s get: its answer is no JSON object",
		             name);
		goto out;
	}
	int u = json_get(&d, 0, "Username"), s = json_get(&d, 0, "Secret");
	char user[AUTH_USER_MAX];
	user[0] = 0;
	if ((u >= 0 && json_str(&d, u, user, sizeof user, &e2) < 0) ||
	    (s >= 0 && json_type(&d, s) != JSON_STRING)) {
		rc = err_set(e, ERR_AUTH, HELPER_PREFIX "%s get: bad Username or Secret", name);
		goto out;
	}
	if (s < 0 || d.toks[s].start == d.toks[s].end) {
		rc = 0; /* nothing usable */
		goto out;
	}
	if (strcmp(user, "<token>") == 0) {
		rc = json_str(&d, s, c->identity_token, sizeof c->identity_token, &e2);
	} else {
		snprintf(c->username, sizeof c->username, "%s", user);
		rc = json_str(&d, s, c->password, sizeof c->password, &e2);
	}
	if (rc < 0) {
		rc = err_set(e, ERR_AUTH, HELPER_PREFIX "%s get: Secret too long", name);
		goto out;
	}
	rc = 1;
out:
	json_free(&d);
	if (out.p)
		auth_wipe(out.p, out.len);
	buf_free(&out);
	return rc;
}

/* ---- config files ---- */

struct cfg {
	char path[CREDSTORE_PATH_MAX];
	struct buf text;
	struct json_doc d;
	int loaded; /* 1: parsed; 0: missing */
};

static void cfg_free(struct cfg *c)
{
	json_free(&c->d);
	if (c->text.p)
		auth_wipe(c->text.p, c->text.len);
	buf_free(&c->text);
}

/* Loads path: 0 (c->loaded tells whether it exists) or ERR_FAIL naming it. */
static int cfg_load(struct cfg *c, const char *path, struct err *e)
{
	int rc;
	memset(c, 0, sizeof *c);
	snprintf(c->path, sizeof c->path, "%s", path);
	buf_init(&c->text, CREDSTORE_FILE_MAX);
	rc = fs_read_file(path, &c->text, CREDSTORE_FILE_MAX, e);
	if (rc == ERR_NOTFOUND) {
		/* fs_read_file set *e; a missing file is no failure here */
		return 0;
	}
	if (rc < 0)
		return rc;
	if (json_parse(&c->d, c->text.p ? c->text.p : "", c->text.len, e) < 0) {
		err_prefix(e, "%s", path);
		return ERR_FAIL;
	}
	if (json_type(&c->d, 0) != JSON_OBJECT)
		return err_set(e, ERR_FAIL, "%s: not a JSON object", path);
	c->loaded = 1;
	return 0;
}

/* fs_read_file fills *e for a missing file; this keeps *e clean for that case. */
static int cfg_load_quiet(struct cfg *c, const char *path, struct err *e)
{
	struct err e2;
	err_init(&e2);
	int rc = cfg_load(c, path, &e2);
	if (rc < 0) {
		err_set(e, e2.code, "%s", e2.msg);
		return rc;
	}
	return 0;
}

/* The helper named for registry in credHelpers, or credsStore; "" when none. */
static int cfg_helper(const struct cfg *c, const char *registry, char *name, size_t n,
                      struct err *e)
{
	struct err e2;
	char host[CREDSTORE_KEY_MAX], kh[CREDSTORE_KEY_MAX], k[CREDSTORE_KEY_MAX];
	struct json_iter it;
	int v, kt;
	name[0] = 0;
	if (!c->loaded)
		return 0;
	err_init(&e2);
	key_host(registry, host, sizeof host);
	int ch = json_get(&c->d, 0, "credHelpers");
	json_iter_init(&it, &c->d, ch);
	while (json_type(&c->d, ch) == JSON_OBJECT && (v = json_iter_next(&it, &kt)) >= 0) {
		if (json_str(&c->d, kt, k, sizeof k, &e2) < 0)
			continue;
		key_host(k, kh, sizeof kh);
		if (strcmp(kh, host) != 0)
			continue;
		if (json_str(&c->d, v, name, n, &e2) < 0)
			return err_set(e, ERR_FAIL, "%s: credHelpers[\"%s\"] is no helper name",
			               c->path, k);
		return 0;
	}
	int cs = json_get(&c->d, 0, "credsStore");
	if (cs >= 0 && json_str(&c->d, cs, name, n, &e2) < 0)
		return err_set(e, ERR_FAIL, "%s: credsStore is no helper name", c->path);
	return 0;
}

/* An auths entry into *out: 1 when it holds credentials, 0 when not, or an error. */
static int entry_creds(const struct cfg *c, int ent, const char *k, struct auth_creds *out,
                       struct err *e)
{
	struct err e2;
	char *dec = NULL;
	int rc = 0;
	err_init(&e2);
	if (json_type(&c->d, ent) != JSON_OBJECT)
		return err_set(e, ERR_FAIL, "%s: auths[\"%s\"] is no object", c->path, k);
	int a = json_get(&c->d, ent, "auth"), u = json_get(&c->d, ent, "username"),
	    p = json_get(&c->d, ent, "password"), it = json_get(&c->d, ent, "identitytoken");
	if (a >= 0 && json_type(&c->d, a) == JSON_STRING && c->d.toks[a].end > c->d.toks[a].start) {
		char enc[(AUTH_USER_MAX + AUTH_SECRET_MAX) * 2];
		size_t cap = AUTH_USER_MAX + AUTH_SECRET_MAX + 2;
		dec = malloc(cap);
		if (!dec)
			return err_set(e, ERR_FAIL, "out of memory");
		if (json_str(&c->d, a, enc, sizeof enc, &e2) < 0 ||
		    auth_base64_decode(enc, dec, cap) < 0) {
			rc = err_set(e, ERR_FAIL, "%s: auths[\"%s\"].auth is no valid base64",
			             c->path, k);
			goto out;
		}
		char *colon = strchr(dec, ':');
		if (!colon) {
			rc = err_set(e, ERR_FAIL, "%s: auths[\"%s\"].auth holds no user:password",
			             c->path, k);
			goto out;
		}
		*colon = 0;
		if (strlen(dec) >= AUTH_USER_MAX || strlen(colon + 1) >= AUTH_SECRET_MAX) {
			rc = err_set(e, ERR_FAIL, "%s: auths[\"%s\"].auth too long", c->path, k);
			goto out;
		}
		strcpy(out->username, dec);
		strcpy(out->password, colon + 1);
	} else {
		if ((u >= 0 && json_str(&c->d, u, out->username, sizeof out->username, &e2) < 0) ||
		    (p >= 0 && json_str(&c->d, p, out->password, sizeof out->password, &e2) < 0)) {
			rc = err_set(e, ERR_FAIL, "%s: auths[\"%s\"]: bad username or password",
			             c->path, k);
			goto out;
		}
	}
	if (it >= 0 &&
	    json_str(&c->d, it, out->identity_token, sizeof out->identity_token, &e2) < 0) {
		rc = err_set(e, ERR_FAIL, "%s: auths[\"%s\"].identitytoken is bad", c->path, k);
		goto out;
	}
	rc = out->password[0] || out->identity_token[0];
out:
	if (dec) {
		auth_wipe(dec, AUTH_USER_MAX + AUTH_SECRET_MAX + 2);
		free(dec);
	}
	if (rc <= 0)
		auth_wipe(out, sizeof *out);
	return rc;
}

/* Finds registry in auths: the exact key first, then any key form naming the host. */
static int cfg_auths(const struct cfg *c, const char *registry, struct auth_creds *out,
                     struct err *e)
{
	struct err e2;
	char host[CREDSTORE_KEY_MAX], key[CREDSTORE_KEY_MAX], k[CREDSTORE_KEY_MAX],
	    kh[CREDSTORE_KEY_MAX];
	struct json_iter it;
	int v, kt, pass;
	if (!c->loaded)
		return 0;
	err_init(&e2);
	int au = json_get(&c->d, 0, "auths");
	if (au < 0)
		return 0;
	if (json_type(&c->d, au) != JSON_OBJECT)
		return err_set(e, ERR_FAIL, "%s: auths is no object", c->path);
	key_host(registry, host, sizeof host);
	credstore_key(registry, key, sizeof key);
	for (pass = 0; pass < 2; pass++) {
		json_iter_init(&it, &c->d, au);
		while ((v = json_iter_next(&it, &kt)) >= 0) {
			if (json_str(&c->d, kt, k, sizeof k, &e2) < 0)
				continue;
			if (pass == 0 && strcasecmp(k, key) != 0)
				continue;
			key_host(k, kh, sizeof kh);
			if (pass == 1 && strcmp(kh, host) != 0)
				continue;
			int rc = entry_creds(c, v, k, out, e);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* One file's answer (credHelpers/credsStore, then auths). */
static int cfg_lookup(const struct cfg *c, const char *registry, struct auth_creds *out,
                      struct err *e)
{
	char helper[CREDSTORE_HELPER_NAME_MAX + 2];
	char key[CREDSTORE_KEY_MAX];
	int rc = cfg_helper(c, registry, helper, sizeof helper, e);
	if (rc < 0)
		return rc;
	if (helper[0]) {
		credstore_key(registry, key, sizeof key);
		rc = helper_get(helper, key, out, e);
		if (rc != 0)
			return rc;
	}
	return cfg_auths(c, registry, out, e);
}

int credstore_lookup(void *arg, const char *registry, struct auth_creds *out, struct err *e)
{
	char path[CREDSTORE_PATH_MAX];
	struct err e2;
	const char *src[3] = {NULL, NULL, NULL};
	char p1[CREDSTORE_PATH_MAX], p3[CREDSTORE_PATH_MAX];
	const char *raf = getenv("REGISTRY_AUTH_FILE"), *xdg = getenv("XDG_RUNTIME_DIR");
	int rc = 0;
	(void)arg;
	memset(out, 0, sizeof *out);
	err_init(&e2);
	if (credstore_config_path(p1, sizeof p1, &e2) == 0)
		src[0] = p1;
	if (raf && *raf)
		src[1] = raf;
	if (xdg && *xdg && snprintf(p3, sizeof p3, "%s/containers/auth.json", xdg) < (int)sizeof p3)
		src[2] = p3;
	for (int i = 0; i < 3 && rc == 0; i++) {
		struct cfg c;
		if (!src[i])
			continue;
		snprintf(path, sizeof path, "%s", src[i]);
		rc = cfg_load_quiet(&c, path, e);
		if (rc == 0 && c.loaded) {
			rc = cfg_lookup(&c, registry, out, e);
			if (rc > 0)
				log_debug("Credentials for %s from %s", registry, path);
		}
		cfg_free(&c);
	}
	if (rc <= 0)
		auth_wipe(out, sizeof *out);
	return rc;
}

/* ---- writing ---- */

/* The raw JSON text of value t (a string with its quotes). */
static const char *raw_value(const struct json_doc *d, int t, size_t *len)
{
	const char *p = json_raw(d, t, len);
	if (p && json_type(d, t) == JSON_STRING) {
		p--;
		*len += 2;
	}
	return p;
}

/* Writes key token kt as a key (unescaped, then written again by the writer). */
static int write_key(struct json_writer *w, const struct json_doc *d, int kt, struct err *e)
{
	char *k = json_strdup(d, kt, e);
	if (!k)
		return ERR_FAIL;
	int rc = json_w_key(w, k);
	free(k);
	return rc;
}

/* Writes c's document with auths[*] naming registry removed and, when ent is set,
 * auths[key] = ent (raw JSON). *removed counts the entries dropped. */
static int cfg_rewrite(const struct cfg *c, const char *registry, const char *key, const char *ent,
                       struct buf *out, int *removed, struct err *e)
{
	struct json_writer w;
	struct json_iter it, ia;
	struct err e2;
	char host[CREDSTORE_KEY_MAX], k[CREDSTORE_KEY_MAX], kh[CREDSTORE_KEY_MAX];
	int v, kt, av, akt, seen_auths = 0;
	size_t len;
	const char *raw;
	err_init(&e2);
	*removed = 0;
	key_host(registry, host, sizeof host);
	json_w_init(&w, out, e);
	json_w_obj_begin(&w);
	if (c->loaded) {
		json_iter_init(&it, &c->d, 0);
		while ((v = json_iter_next(&it, &kt)) >= 0) {
			if (write_key(&w, &c->d, kt, e) < 0)
				return ERR_FAIL;
			if (!json_str_eq(&c->d, kt, "auths") ||
			    json_type(&c->d, v) != JSON_OBJECT) {
				raw = raw_value(&c->d, v, &len);
				json_w_raw(&w, raw, len);
				continue;
			}
			seen_auths = 1;
			json_w_obj_begin(&w);
			json_iter_init(&ia, &c->d, v);
			while ((av = json_iter_next(&ia, &akt)) >= 0) {
				if (json_str(&c->d, akt, k, sizeof k, &e2) >= 0) {
					key_host(k, kh, sizeof kh);
					if (strcmp(kh, host) == 0) {
						(*removed)++;
						continue;
					}
				}
				if (write_key(&w, &c->d, akt, e) < 0)
					return ERR_FAIL;
				raw = raw_value(&c->d, av, &len);
				json_w_raw(&w, raw, len);
			}
			if (ent) {
				json_w_key(&w, key);
				json_w_raw(&w, ent, strlen(ent));
			}
			json_w_obj_end(&w);
		}
	}
	if (!seen_auths && ent) {
		json_w_key(&w, "auths");
		json_w_obj_begin(&w);
		json_w_key(&w, key);
		json_w_raw(&w, ent, strlen(ent));
		json_w_obj_end(&w);
	}
	json_w_obj_end(&w);
	return json_w_finish(&w) < 0 ? ERR_FAIL : 0;
}

static int cfg_write(const char *path, const struct buf *b, struct err *e)
{
	char dir[CREDSTORE_PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (fs_mkdirs(dir, 0700, e) < 0)
			return ERR_FAIL;
	}
	if (fs_write_atomic(path, b->p, b->len, 0600, e) < 0) {
		err_prefix(e, "writing %s", path);
		return ERR_FAIL;
	}
	return 0;
}

/* A helper's JSON for `store`. */
static int helper_input(const char *key, const struct auth_creds *c, struct buf *b, struct err *e)
{
	struct json_writer w;
	json_w_init(&w, b, e);
	json_w_obj_begin(&w);
	json_w_kstr(&w, "ServerURL", key);
	if (c->identity_token[0]) {
		json_w_kstr(&w, "Username", "<token>");
		json_w_kstr(&w, "Secret", c->identity_token);
	} else {
		json_w_kstr(&w, "Username", c->username);
		json_w_kstr(&w, "Secret", c->password);
	}
	json_w_obj_end(&w);
	return json_w_finish(&w);
}

int credstore_store(const char *registry, const struct auth_creds *cr, char *where, size_t wn,
                    struct err *e)
{
	struct cfg c;
	struct buf out, in;
	char path[CREDSTORE_PATH_MAX], key[CREDSTORE_KEY_MAX];
	char helper[CREDSTORE_HELPER_NAME_MAX + 2];
	char *up = NULL, *ent = NULL;
	int rc, removed;
	memset(&c, 0, sizeof c);
	buf_init(&out, CREDSTORE_FILE_MAX);
	buf_init(&in, 0);
	credstore_key(registry, key, sizeof key);
	if ((rc = credstore_config_path(path, sizeof path, e)) < 0)
		goto out;
	if ((rc = cfg_load_quiet(&c, path, e)) < 0)
		goto out;
	if ((rc = cfg_helper(&c, registry, helper, sizeof helper, e)) < 0)
		goto out;
	if (helper[0]) {
		if ((rc = helper_input(key, cr, &in, e)) < 0)
			goto out;
		rc = helper_call(helper, "store", buf_cstr(&in), &out, e);
		if (rc == 1)
			rc = err_set(e, ERR_AUTH, HELPER_PREFIX "%s store failed", helper);
		snprintf(where, wn, HELPER_PREFIX "%s", helper);
		goto out;
	}
	/* auths[key] = {"auth": base64(user:password)[, "identitytoken": ...]} */
	size_t ul = strlen(cr->username) + strlen(cr->password) + 2;
	size_t bl = ul * 4 / 3 + 8;
	up = malloc(ul);
	ent = malloc(bl + 2 * AUTH_SECRET_MAX + 64);
	if (!up || !ent) {
		rc = err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	snprintf(up, ul, "%s:%s", cr->username, cr->identity_token[0] ? "" : cr->password);
	{
		struct buf eb;
		struct json_writer w;
		buf_init(&eb, 0);
		json_w_init(&w, &eb, e);
		json_w_obj_begin(&w);
		char *b64 = malloc(bl);
		if (!b64 || auth_base64_encode(up, strlen(up), b64, bl) < 0) {
			free(b64);
			buf_free(&eb);
			rc = err_set(e, ERR_FAIL, "credentials too long");
			goto out;
		}
		json_w_kstr(&w, "auth", b64);
		auth_wipe(b64, strlen(b64));
		free(b64);
		if (cr->identity_token[0])
			json_w_kstr(&w, "identitytoken", cr->identity_token);
		json_w_obj_end(&w);
		rc = json_w_finish(&w);
		if (rc == 0)
			snprintf(ent, bl + 2 * AUTH_SECRET_MAX + 64, "%s", buf_cstr(&eb));
		if (eb.p)
			auth_wipe(eb.p, eb.len);
		buf_free(&eb);
		if (rc < 0)
			goto out;
	}
	if ((rc = cfg_rewrite(&c, registry, key, ent, &out, &removed, e)) < 0)
		goto out;
	rc = cfg_write(path, &out, e);
	snprintf(where, wn, "%s", path);
out:
	if (up) {
		auth_wipe(up, strlen(up));
		free(up);
	}
	if (ent) {
		auth_wipe(ent, strlen(ent));
		free(ent);
	}
	if (out.p)
		auth_wipe(out.p, out.len);
	if (in.p)
		auth_wipe(in.p, in.len);
	buf_free(&out);
	buf_free(&in);
	cfg_free(&c);
	return rc < 0 ? rc : 0;
}

int credstore_erase(const char *registry, struct err *e)
{
	struct cfg c;
	struct buf out;
	char path[CREDSTORE_PATH_MAX], key[CREDSTORE_KEY_MAX];
	char helper[CREDSTORE_HELPER_NAME_MAX + 2];
	int rc, removed = 0, found = 0;
	memset(&c, 0, sizeof c);
	buf_init(&out, CREDSTORE_FILE_MAX);
	credstore_key(registry, key, sizeof key);
	if ((rc = credstore_config_path(path, sizeof path, e)) < 0)
		goto out;
	if ((rc = cfg_load_quiet(&c, path, e)) < 0)
		goto out;
	if ((rc = cfg_helper(&c, registry, helper, sizeof helper, e)) < 0)
		goto out;
	if (helper[0]) {
		rc = helper_call(helper, "erase", key, &out, e);
		if (rc < 0)
			goto out;
		found = rc == 0;
		buf_reset(&out);
	}
	if (!c.loaded)
		goto out;
	if ((rc = cfg_rewrite(&c, registry, key, NULL, &out, &removed, e)) < 0)
		goto out;
	if (removed) {
		found = 1;
		rc = cfg_write(path, &out, e);
	}
out:
	if (out.p)
		auth_wipe(out.p, out.len);
	buf_free(&out);
	cfg_free(&c);
	return rc < 0 ? rc : found;
}
