/* lock.c - blocks.lock read/write (JSON, one entry per line) and the workspace flock */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "fs.h"
#include "json.h"
#include "log.h"

/* The string fields of an entry, in the order they are written. */
struct field {
	const char *key;
	size_t off;
	int required, digest;
};
#define F(name, req, dig)                                                                          \
	{                                                                                          \
#name, offsetof(struct lock_entry, name), req, dig                                 \
	}
static const struct field fields[] = {
    F(install_path, 1, 0), F(name, 0, 0),     F(version, 0, 0),         F(ref, 1, 0),
    F(resolved, 0, 0),     F(registry, 0, 0), F(manifest_digest, 1, 1), F(config_digest, 0, 1),
};
#undef F
#define NFIELDS (sizeof fields / sizeof fields[0])

static char **field_ptr(struct lock_entry *en, const struct field *f)
{
	return (char **)((char *)en + f->off);
}

static const char *field_get(const struct lock_entry *en, const struct field *f)
{
	return *(char *const *)((const char *)en + f->off);
}

static void entry_free(struct lock_entry *en)
{
	for (size_t i = 0; i < NFIELDS; i++)
		free(*field_ptr(en, &fields[i]));
	for (size_t i = 0; i < en->nlayers; i++)
		free(en->layers[i]);
	free(en->layers);
	free(en->pulled_at);
	memset(en, 0, sizeof *en);
}

void lock_free(struct lock_file *lf)
{
	if (!lf)
		return;
	for (size_t i = 0; i < lf->n; i++)
		entry_free(&lf->entries[i]);
	free(lf->entries);
	memset(lf, 0, sizeof *lf);
}

/* Relative, no empty, "." or ".." components: the path stays below the blocks root. */
static const char *check_install_path(const char *p)
{
	if (!*p || *p == '/')
		return "must be a relative path";
	while (*p) {
		size_t l = strcspn(p, "/");
		if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return "must not hold empty, '.' or '..' components";
		p += l;
		if (*p && !*++p)
			return "must not end with '/'";
	}
	return NULL;
}

/* What is wrong with en (NULL when fine); *which names the field. */
static const char *check_entry(const struct lock_entry *en, const char **which)
{
	const char *why;
	struct err de;
	for (size_t i = 0; i < NFIELDS; i++) {
		const char *v = field_get(en, &fields[i]);
		*which = fields[i].key;
		if (!v) {
			if (fields[i].required)
				return "is required";
			continue;
		}
		if (strlen(v) > LOCK_STRING_MAX)
			return "is too long";
		err_init(&de);
		if (fields[i].digest && digest_parse(v, NULL, &de) < 0)
			return "must be sha256:<64 hex digits>";
	}
	*which = "install_path";
	if ((why = check_install_path(en->install_path)))
		return why;
	*which = "layers";
	if (en->nlayers > LOCK_LAYERS_MAX)
		return "has too many entries";
	for (size_t i = 0; i < en->nlayers; i++) {
		err_init(&de);
		if (!en->layers[i] || digest_parse(en->layers[i], NULL, &de) < 0)
			return "entries must be sha256:<64 hex digits>";
	}
	*which = "pulled_at";
	if (en->pulled_at && strlen(en->pulled_at) >= LOCK_TIME_MAX)
		return "is too long";
	return NULL;
}

static int cmp_entries(const void *a, const void *b)
{
	return strcmp(((const struct lock_entry *)a)->install_path,
	              ((const struct lock_entry *)b)->install_path);
}

/* One entry object of the file into *en. */
static int parse_entry(const char *name, const struct json_doc *d, int t, size_t idx,
                       struct lock_entry *en, struct err *e)
{
	struct json_iter it;
	int v, k;
	const char *which = "", *why;
	struct err je;
	memset(en, 0, sizeof *en);
	if (json_type(d, t) != JSON_OBJECT)
		return err_set(e, ERR_USAGE, "%s: blocks[%zu]: expected an object", name, idx);
	json_iter_init(&it, d, t);
	while ((v = json_iter_next(&it, &k)) >= 0) {
		char **dst = NULL;
		err_init(&je);
		for (size_t i = 0; i < NFIELDS && !dst; i++)
			if (json_str_eq(d, k, fields[i].key))
				dst = field_ptr(en, &fields[i]), which = fields[i].key;
		if (!dst && json_str_eq(d, k, "pulled_at"))
			dst = &en->pulled_at, which = "pulled_at";
		if (dst) {
			if (json_type(d, v) != JSON_STRING)
				return err_set(e, ERR_USAGE,
				               "%s: blocks[%zu].%s: expected a string", name, idx,
				               which);
			if (!(*dst = json_strdup(d, v, &je)))
				return err_set(e, ERR_USAGE, "%s: blocks[%zu].%s: %s", name, idx,
				               which, je.msg);
			continue;
		}
		if (json_str_eq(d, k, "layers")) {
			struct json_iter li;
			int l;
			if (json_type(d, v) != JSON_ARRAY)
				return err_set(e, ERR_USAGE,
				               "%s: blocks[%zu].layers: expected an "
				               "array",
				               name, idx);
			if (d->toks[v].size > LOCK_LAYERS_MAX)
				return err_set(e, ERR_USAGE,
				               "%s: blocks[%zu].layers: more than %d layers", name,
				               idx, LOCK_LAYERS_MAX);
			if (d->toks[v].size &&
			    !(en->layers = calloc(d->toks[v].size, sizeof *en->layers)))
				return err_set(e, ERR_FAIL, "out of memory");
			json_iter_init(&li, d, v);
			while ((l = json_iter_next(&li, NULL)) >= 0) {
				if (json_type(d, l) != JSON_STRING ||
				    !(en->layers[en->nlayers] = json_strdup(d, l, &je)))
					return err_set(e, ERR_USAGE,
					               "%s: blocks[%zu].layers[%zu]: expected a "
					               "digest string",
					               name, idx, en->nlayers);
				en->nlayers++;
			}
		}
		/* other keys: a later format's additions */
	}
	if ((why = check_entry(en, &which)))
		return err_set(e, ERR_USAGE, "%s: blocks[%zu].%s %s", name, idx, which, why);
	return 0;
}

int lock_parse(const char *name, const char *text, size_t n, struct lock_file *lf, struct err *e)
{
	struct json_doc d;
	struct json_iter it;
	struct err je;
	int64_t ver;
	int blocks, v, rc = 0;
	size_t count;
	memset(lf, 0, sizeof *lf);
	memset(&d, 0, sizeof d);
	err_init(&je);
	if (n > LOCK_FILE_MAX)
		return err_set(e, ERR_USAGE, "%s: larger than the limit of %d bytes", name,
		               LOCK_FILE_MAX);
	if (json_parse(&d, text, n, &je) < 0) {
		rc = err_set(e, ERR_USAGE, "%s: %s", name, je.msg);
		goto out;
	}
	if (json_type(&d, 0) != JSON_OBJECT) {
		rc = err_set(e, ERR_USAGE, "%s: expected a JSON object", name);
		goto out;
	}
	v = json_get(&d, 0, "lock_version");
	if (v < 0 || json_int64(&d, v, &ver, &je) < 0) {
		rc = err_set(e, ERR_USAGE, "%s: lock_version: expected a number", name);
		goto out;
	}
	if (ver != LOCK_VERSION) {
		rc = err_set(e, ERR_USAGE,
		             "%s: lock_version %lld is not supported (this polycrate "
		             "reads version %d)",
		             name, (long long)ver, LOCK_VERSION);
		err_hint(e, "use the polycrate that wrote it, or remove %s and pull again", name);
		goto out;
	}
	blocks = json_get(&d, 0, "blocks");
	if (json_type(&d, blocks) != JSON_ARRAY) {
		rc = err_set(e, ERR_USAGE, "%s: blocks: expected an array", name);
		goto out;
	}
	count = d.toks[blocks].size;
	if (count > LOCK_ENTRIES_MAX) {
		rc = err_set(e, ERR_USAGE, "%s: more than %d blocks", name, LOCK_ENTRIES_MAX);
		goto out;
	}
	if (count && !(lf->entries = calloc(count, sizeof *lf->entries))) {
		rc = err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	json_iter_init(&it, &d, blocks);
	while ((v = json_iter_next(&it, NULL)) >= 0) {
		rc = parse_entry(name, &d, v, lf->n, &lf->entries[lf->n], e);
		lf->n++;
		if (rc < 0)
			goto out;
	}
	if (lf->n > 1)
		qsort(lf->entries, lf->n, sizeof *lf->entries, cmp_entries);
	for (size_t i = 1; i < lf->n; i++)
		if (strcmp(lf->entries[i - 1].install_path, lf->entries[i].install_path) == 0) {
			rc = err_set(e, ERR_USAGE, "%s: install path %s is listed twice", name,
			             lf->entries[i].install_path);
			goto out;
		}
out:
	json_free(&d);
	if (rc < 0)
		lock_free(lf);
	return rc;
}

int lock_read(const char *path, struct lock_file *lf, struct err *e)
{
	struct buf b;
	struct err local;
	int rc;
	memset(lf, 0, sizeof *lf);
	buf_init(&b, 0);
	if (!e) {
		err_init(&local);
		e = &local;
	}
	rc = fs_read_file(path, &b, LOCK_FILE_MAX, e);
	if (rc == ERR_NOTFOUND) {
		err_init(e);
		rc = 0;
	} else if (rc == 0) {
		rc = lock_parse(path, b.p ? b.p : "", b.len, lf, e);
	}
	buf_free(&b);
	return rc;
}

static int format_entry(const struct lock_entry *en, struct buf *out, struct err *e)
{
	struct json_writer w;
	json_w_init(&w, out, e);
	json_w_obj_begin(&w);
	for (size_t i = 0; i < NFIELDS; i++)
		if (field_get(en, &fields[i]))
			json_w_kstr(&w, fields[i].key, field_get(en, &fields[i]));
	json_w_key(&w, "layers");
	json_w_arr_begin(&w);
	for (size_t i = 0; i < en->nlayers; i++)
		json_w_str(&w, en->layers[i]);
	json_w_arr_end(&w);
	if (en->pulled_at)
		json_w_kstr(&w, "pulled_at", en->pulled_at);
	json_w_obj_end(&w);
	return json_w_finish(&w);
}

int lock_format(const struct lock_file *lf, struct buf *out, struct err *e)
{
	const struct lock_entry **order = NULL;
	int rc = 0;
	if (lf->n && !(order = calloc(lf->n, sizeof *order)))
		return err_set(e, ERR_FAIL, "out of memory");
	for (size_t i = 0; i < lf->n; i++)
		order[i] = &lf->entries[i];
	/* entries are kept sorted; sorting pointers again costs nothing and guards callers
	 * that filled the array themselves */
	for (size_t i = 1; i < lf->n; i++)
		for (size_t j = i;
		     j > 0 && strcmp(order[j - 1]->install_path, order[j]->install_path) > 0; j--) {
			const struct lock_entry *t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	if (buf_printf(out, "{\n  \"lock_version\": %d,\n  \"blocks\": [", LOCK_VERSION) < 0)
		goto full;
	for (size_t i = 0; i < lf->n; i++) {
		if (buf_puts(out, i ? ",\n    " : "\n    ") < 0)
			goto full;
		if ((rc = format_entry(order[i], out, e)) < 0)
			goto out;
	}
	if (buf_puts(out, lf->n ? "\n  ]\n}\n" : "]\n}\n") < 0)
		goto full;
	goto out;
full:
	rc = err_set(e, ERR_FAIL, "blocks.lock: output limit reached");
out:
	free(order);
	return rc;
}

int lock_write(const char *path, const struct lock_file *lf, struct err *e)
{
	struct buf b;
	int rc;
	buf_init(&b, LOCK_FILE_MAX);
	if ((rc = lock_format(lf, &b, e)) == 0)
		rc = fs_write_atomic(path, b.p, b.len, 0644, e);
	buf_free(&b);
	return rc;
}

static char *dup_or_null(const char *s, int *fail)
{
	char *d;
	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*fail = 1;
	return d;
}

int lock_put(struct lock_file *lf, const struct lock_entry *en, struct err *e)
{
	struct lock_entry copy;
	const char *which, *why;
	int fail = 0;
	size_t at;
	if ((why = check_entry(en, &which)))
		return err_set(e, ERR_USAGE, "blocks.lock entry %s: %s %s",
		               en->install_path ? en->install_path : "?", which, why);
	memset(&copy, 0, sizeof copy);
	for (size_t i = 0; i < NFIELDS; i++)
		*field_ptr(&copy, &fields[i]) = dup_or_null(field_get(en, &fields[i]), &fail);
	copy.pulled_at = dup_or_null(en->pulled_at, &fail);
	if (en->nlayers && !(copy.layers = calloc(en->nlayers, sizeof *copy.layers)))
		fail = 1;
	for (size_t i = 0; !fail && i < en->nlayers; i++) {
		copy.layers[i] = dup_or_null(en->layers[i], &fail);
		copy.nlayers = i + 1;
	}
	if (fail)
		goto oom;
	for (at = 0; at < lf->n; at++) {
		int c = strcmp(lf->entries[at].install_path, en->install_path);
		if (c == 0) {
			entry_free(&lf->entries[at]);
			lf->entries[at] = copy;
			return 0;
		}
		if (c > 0)
			break;
	}
	if (lf->n >= LOCK_ENTRIES_MAX) {
		entry_free(&copy);
		return err_set(e, ERR_USAGE, "blocks.lock: more than %d blocks", LOCK_ENTRIES_MAX);
	}
	{
		void *p = realloc(lf->entries, (lf->n + 1) * sizeof *lf->entries);
		if (!p)
			goto oom;
		lf->entries = p;
	}
	memmove(&lf->entries[at + 1], &lf->entries[at], (lf->n - at) * sizeof *lf->entries);
	lf->entries[at] = copy;
	lf->n++;
	return 0;
oom:
	entry_free(&copy);
	return err_set(e, ERR_FAIL, "out of memory");
}

int lock_remove(struct lock_file *lf, const char *install_path)
{
	for (size_t i = 0; i < lf->n; i++) {
		if (strcmp(lf->entries[i].install_path, install_path) != 0)
			continue;
		entry_free(&lf->entries[i]);
		memmove(&lf->entries[i], &lf->entries[i + 1],
		        (lf->n - i - 1) * sizeof *lf->entries);
		lf->n--;
		return 1;
	}
	return 0;
}

const struct lock_entry *lock_find(const struct lock_file *lf, const char *install_path)
{
	for (size_t i = 0; i < lf->n; i++)
		if (strcmp(lf->entries[i].install_path, install_path) == 0)
			return &lf->entries[i];
	return NULL;
}

void lock_time_now(char out[LOCK_TIME_MAX])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, LOCK_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int lock_workspace(const char *root, int wait_ms, struct err *e)
{
	char dir[4096], path[4200], pidtext[32];
	int fd, rc, waited = 0;
	ssize_t n;
	if (snprintf(dir, sizeof dir, "%s/.polycrate", root) >= (int)sizeof dir)
		return err_set(e, ERR_FAIL, "%s: path too long", root);
	if ((rc = fs_mkdirs(dir, 0755, e)) < 0)
		return rc;
	snprintf(path, sizeof path, "%s/%s", root, LOCK_WORKSPACE_LOCK);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0)
		return err_sys(e, ERR_FAIL, errno, "open %s", path);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			rc = err_sys(e, ERR_FAIL, errno, "lock %s", path);
			close(fd);
			return rc;
		}
		if (waited < wait_ms) {
			sleep_ms(LOCK_WAIT_STEP_MS);
			waited += LOCK_WAIT_STEP_MS;
			continue;
		}
		n = pread(fd, pidtext, sizeof pidtext - 1, 0);
		pidtext[n > 0 ? n : 0] = 0;
		pidtext[strcspn(pidtext, "\n")] = 0;
		close(fd);
		if (strspn(pidtext, "0123456789") != strlen(pidtext) || !*pidtext)
			snprintf(pidtext, sizeof pidtext, "unknown");
		rc = err_set(e, ERR_FAIL, "another polycrate is changing this workspace (pid %s)",
		             pidtext);
		err_hint(e, "wait for it to finish; the lock is %s", path);
		return rc;
	}
	n = snprintf(pidtext, sizeof pidtext, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pidtext, (size_t)n, 0) != n)
		log_debug("cannot write the pid into %s: %s", path, strerror(errno));
	return fd;
}

void lock_workspace_release(int fd)
{
	if (fd >= 0)
		close(fd); /* closing the last descriptor releases the flock */
}
