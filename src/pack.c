/* pack.c - block folder -> reproducible tar+gzip layer: sorted walk, .polyignore, digests */
#include "pack.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gz.h"
#include "io.h"
#include "tar.h"

#define IGNORE_FILE ".polyignore"
#define IGNORE_LINE_MAX 4096 /* bytes in one .polyignore line */

/* ---- gitignore-style globs ---- */

/* One bracket class at p ('['); *end is set to its ']'. -1 when p holds no class (then
 * '[' is a literal), else 1 when c is in it, 0 when not. */
static int glob_class(const char *p, unsigned char c, const char **end)
{
	const char *q = p + 1;
	int neg = 0, in = 0;
	if (*q == '!' || *q == '^') {
		neg = 1;
		q++;
	}
	for (const char *first = q; *q && (*q != ']' || q == first); q++) {
		unsigned char lo = (unsigned char)*q, hi;
		if (lo == '\\' && q[1])
			lo = (unsigned char)*++q;
		hi = lo;
		if (q[1] == '-' && q[2] && q[2] != ']') {
			q += 2;
			if (*q == '\\' && q[1])
				q++;
			hi = (unsigned char)*q;
		}
		if (c >= lo && c <= hi)
			in = 1;
	}
	if (*q != ']')
		return -1;
	*end = q;
	return in != neg;
}

static int glob_at(const char *pat, const char *p, const char *s)
{
	for (; *p; p++, s++) {
		const char *q, *end;
		int in;
		switch (*p) {
		case '?':
			if (!*s || *s == '/')
				return 0;
			break;
		case '*':
			for (q = p; *q == '*'; q++)
				;
			if (q - p >= 2 && (p == pat || p[-1] == '/') && (*q == '/' || !*q)) {
				if (!*q)
					return 1; /* a trailing double star: everything below */
				/* double star and slash: zero or more folders */
				for (const char *t = s;;) {
					if (glob_at(pat, q + 1, t))
						return 1;
					if (!(t = strchr(t, '/')))
						return 0;
					t++;
				}
			}
			for (const char *t = s;; t++) {
				if (glob_at(pat, q, t))
					return 1;
				if (!*t || *t == '/')
					return 0;
			}
		case '[':
			if (!*s || *s == '/')
				return 0;
			in = glob_class(p, (unsigned char)*s, &end);
			if (in < 0) {
				if (*s != '[')
					return 0;
				break;
			}
			if (!in)
				return 0;
			p = end;
			break;
		case '\\':
			if (p[1])
				p++;
			/* fall through */
		default:
			if (*p != *s)
				return 0;
		}
	}
	return !*s;
}

int pack_glob(const char *pat, const char *s)
{
	return glob_at(pat, pat, s);
}

/* ---- .polyignore ---- */

static int add_rule(struct pack_ignore *ig, const char *line, size_t n, struct err *e)
{
	struct pack_ignore_rule r = {0}, *nr;
	/* trailing spaces go unless escaped */
	while (n && line[n - 1] == ' ' && !(n >= 2 && line[n - 2] == '\\'))
		n--;
	if (!n || line[0] == '#')
		return 0;
	if (line[0] == '!') {
		r.negate = 1;
		line++;
		n--;
	}
	while (n && line[n - 1] == '/') {
		r.dir = 1;
		n--;
	}
	if (n && line[0] == '/') {
		r.anchor = 1;
		line++;
		n--;
	}
	if (!n)
		return 0;
	if (memchr(line, '/', n))
		r.anchor = 1;
	if (ig->n >= PACK_IGNORE_RULES_MAX)
		return err_set(e, ERR_USAGE, IGNORE_FILE ": more than %d patterns",
		               PACK_IGNORE_RULES_MAX);
	nr = realloc(ig->rules, (ig->n + 1) * sizeof *nr);
	if (!nr)
		return err_set(e, ERR_FAIL, "out of memory");
	ig->rules = nr;
	r.pat = malloc(n + 1);
	if (!r.pat)
		return err_set(e, ERR_FAIL, "out of memory");
	memcpy(r.pat, line, n);
	r.pat[n] = 0;
	ig->rules[ig->n++] = r;
	return 0;
}

int pack_ignore_parse(struct pack_ignore *ig, const char *text, size_t n, struct err *e)
{
	size_t pos = 0, lineno = 0;
	while (pos < n) {
		const char *nl = memchr(text + pos, '\n', n - pos);
		size_t full = nl ? (size_t)(nl - (text + pos)) : n - pos, len = full;
		int rc;
		lineno++;
		if (len && text[pos + len - 1] == '\r')
			len--;
		if (memchr(text + pos, 0, len))
			return err_set(e, ERR_USAGE, IGNORE_FILE " line %zu: NUL byte", lineno);
		if (len > IGNORE_LINE_MAX)
			return err_set(e, ERR_USAGE, IGNORE_FILE " line %zu: longer than %d bytes",
			               lineno, IGNORE_LINE_MAX);
		if ((rc = add_rule(ig, text + pos, len, e)) < 0)
			return rc;
		pos += full + (nl ? 1 : 0);
	}
	return 0;
}

int pack_ignore_defaults(struct pack_ignore *ig, struct err *e)
{
	/* folders at the block root are upstream's own; editor files anywhere */
	static const char text[] = ".git\n/artifacts/\n/.logs/\n/.polycrate/\n*~\n*.swp\n*.tmp\n"
	                           ".DS_Store\n";
	return pack_ignore_parse(ig, text, sizeof text - 1, e);
}

int pack_ignore_match(const struct pack_ignore *ig, const char *path, int is_dir)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = ig->n; i-- > 0;) {
		const struct pack_ignore_rule *r = &ig->rules[i];
		if (r->dir && !is_dir)
			continue;
		if (pack_glob(r->pat, r->anchor ? path : base))
			return !r->negate;
	}
	return 0;
}

void pack_ignore_free(struct pack_ignore *ig)
{
	for (size_t i = 0; i < ig->n; i++)
		free(ig->rules[i].pat);
	free(ig->rules);
	ig->rules = NULL;
	ig->n = 0;
}

/* ---- the walk ---- */

struct walker {
	struct pack_ignore ig;
	struct tar_writer w;
	const struct pack_opts *o;
	struct err *e;
	char path[PACK_MAX_PATH + 2];
	unsigned char *buf;
	uint64_t entries;
	struct io_out *gz; /* the gzip stage, for a level change around incompressible data */
};

/* Files of at least this size whose first IO_BUFSZ bytes do not compress are stored
 * (level 0): deflating random or already compressed data costs much and gains nothing.
 * The choice depends on the bytes alone, so packing stays reproducible. */
#define PACK_STORE_MIN (1u << 20)

struct item {
	char *name;
	struct stat st;
};

/* Bytewise order of the full paths, a folder counting as "name/" (so "a-b" < "a/" <
 * "a0"): sorting siblings this way gives the archive order DESIGN.md §1.5 asks for. */
static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	const unsigned char *p = (const unsigned char *)x->name,
	                    *q = (const unsigned char *)y->name;
	for (;; p++, q++) {
		int c1 = *p ? *p : (S_ISDIR(x->st.st_mode) ? '/' : 0);
		int c2 = *q ? *q : (S_ISDIR(y->st.st_mode) ? '/' : 0);
		if (c1 != c2 || !*p || !*q) {
			if (c1 != c2)
				return c1 - c2;
			/* equal so far and one ended: names are unique in a folder */
			return *p ? 1 : *q ? -1 : 0;
		}
	}
}

static int list_entry(struct walker *wk, const struct tar_entry *ent)
{
	int rc;
	wk->entries++;
	if ((rc = tar_write_header(&wk->w, ent)) < 0)
		return rc;
	if (wk->o->list && (rc = wk->o->list(wk->o->arg, ent)) != 0)
		return rc < 0 ? rc : err_set(wk->e, ERR_FAIL, "packing stopped");
	return 0;
}

static int pack_file(struct walker *wk, int dirfd, const char *name, const char *rel)
{
	struct stat st;
	struct tar_entry ent = {rel, NULL, TAR_FILE, 0, 0, 0};
	uint64_t left;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = 0, stored = 0;
	if (fd < 0)
		return err_sys(wk->e, ERR_FAIL, errno, "pack '%s'", rel);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = err_set(wk->e, ERR_FAIL, "pack '%s': changed while packing", rel);
		goto out;
	}
	ent.mode = st.st_mode & 0777;
	ent.size = (uint64_t)st.st_size;
	if ((rc = list_entry(wk, &ent)) < 0)
		goto out;
	if (wk->gz && wk->o->level > 0 && ent.size >= PACK_STORE_MIN) {
		/* a fixed first piece, read in full, decides: the same bytes, the same choice */
		size_t got = 0;
		while (got < IO_BUFSZ) {
			ssize_t n = read(fd, wk->buf + got, IO_BUFSZ - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				rc = err_sys(wk->e, ERR_FAIL, errno, "pack '%s'", rel);
				goto out;
			}
			if (n == 0)
				break;
			got += (size_t)n;
		}
		if (got < IO_BUFSZ) {
			rc = err_set(wk->e, ERR_FAIL, "pack '%s': file shrank while packing", rel);
			goto out;
		}
		stored = gz_incompressible(wk->buf, got);
		if (stored && (rc = gz_out_level(wk->gz, 0)) < 0)
			goto out;
		if ((rc = tar_write_data(&wk->w, wk->buf, got)) < 0)
			goto out;
		left = ent.size - got;
	} else {
		left = ent.size;
	}
	while (left) {
		ssize_t n = read(fd, wk->buf, left < IO_BUFSZ ? (size_t)left : IO_BUFSZ);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_sys(wk->e, ERR_FAIL, errno, "pack '%s'", rel);
			goto out;
		}
		if (n == 0) {
			rc = err_set(wk->e, ERR_FAIL, "pack '%s': file shrank while packing", rel);
			goto out;
		}
		if ((rc = tar_write_data(&wk->w, wk->buf, (size_t)n)) < 0)
			goto out;
		left -= (uint64_t)n;
	}
	if (read(fd, wk->buf, 1) > 0)
		rc = err_set(wk->e, ERR_FAIL, "pack '%s': file grew while packing", rel);
	/* back to the level asked for; the data's last block padding is still level 0's */
	if (!rc && stored)
		rc = gz_out_level(wk->gz, wk->o->level);
out:
	close(fd);
	return rc;
}

static int walk(struct walker *wk, int dirfd, size_t plen, int depth)
{
	struct item *items = NULL;
	size_t n = 0, cap = 0;
	DIR *d = NULL;
	struct dirent *de;
	int fd, rc = 0;

	if (depth > PACK_MAX_DEPTH)
		return err_set(wk->e, ERR_FAIL, "pack '%s': folders nested deeper than %d",
		               wk->path, PACK_MAX_DEPTH);
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		rc = err_sys(wk->e, ERR_FAIL, errno, "pack '%s'", plen ? wk->path : ".");
		if (fd >= 0)
			close(fd);
		return rc;
	}
	/* collect what is packed, then sort */
	while ((errno = 0, de = readdir(d))) {
		struct item it;
		size_t nl = strlen(de->d_name);
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (plen + nl + 1 > PACK_MAX_PATH) {
			rc = err_set(wk->e, ERR_FAIL, "pack '%s/%s': path longer than %d bytes",
			             wk->path, de->d_name, PACK_MAX_PATH);
			goto out;
		}
		if (fstatat(dirfd, de->d_name, &it.st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = err_sys(wk->e, ERR_FAIL, errno, "pack '%s'", de->d_name);
			goto out;
		}
		if (plen)
			snprintf(wk->path + plen, sizeof wk->path - plen, "/%s", de->d_name);
		else
			snprintf(wk->path, sizeof wk->path, "%s", de->d_name);
		if (pack_ignore_match(&wk->ig, wk->path, S_ISDIR(it.st.st_mode)))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			struct item *ni = realloc(items, nc * sizeof *ni);
			if (!ni) {
				rc = err_set(wk->e, ERR_FAIL, "out of memory");
				goto out;
			}
			items = ni;
			cap = nc;
		}
		if (!(it.name = strdup(de->d_name))) {
			rc = err_set(wk->e, ERR_FAIL, "out of memory");
			goto out;
		}
		items[n++] = it;
	}
	if (errno) {
		rc = err_sys(wk->e, ERR_FAIL, errno, "pack '%s'", plen ? wk->path : ".");
		goto out;
	}
	if (n)
		qsort(items, n, sizeof *items, item_cmp);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *name = items[i].name;
		mode_t m = items[i].st.st_mode;
		size_t len;
		if (plen)
			len = plen + (size_t)snprintf(wk->path + plen, sizeof wk->path - plen,
			                              "/%s", name);
		else
			len = (size_t)snprintf(wk->path, sizeof wk->path, "%s", name);
		if (S_ISDIR(m)) {
			struct tar_entry ent = {wk->path, NULL, TAR_DIR, 0755, 0, 0};
			int sub;
			if ((rc = list_entry(wk, &ent)) < 0)
				break;
			sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				rc = err_sys(wk->e, ERR_FAIL, errno, "pack '%s'", wk->path);
				break;
			}
			rc = walk(wk, sub, len, depth + 1);
			close(sub);
		} else if (S_ISREG(m)) {
			rc = pack_file(wk, dirfd, name, wk->path);
		} else if (S_ISLNK(m)) {
			char target[PACK_MAX_PATH + 1];
			const char *why;
			ssize_t tl = readlinkat(dirfd, name, target, sizeof target);
			if (tl < 0 || (size_t)tl >= sizeof target) {
				rc = tl < 0
				         ? err_sys(wk->e, ERR_FAIL, errno, "pack '%s'", wk->path)
				         : err_set(wk->e, ERR_FAIL,
				                   "pack '%s': symlink target too long", wk->path);
				break;
			}
			target[tl] = 0;
			if ((why = pack_link_rule(wk->path, target))) {
				rc = err_set(wk->e, ERR_USAGE,
				             "cannot pack symlink '%s' -> '%s': %s (it must point "
				             "inside the block)",
				             wk->path, target, why);
				break;
			}
			struct tar_entry ent = {wk->path, target, TAR_SYMLINK, 0777, 0, 0};
			rc = list_entry(wk, &ent);
		} else {
			rc = err_set(wk->e, ERR_USAGE,
			             "cannot pack '%s': a device, fifo or socket is not a file",
			             wk->path);
		}
	}
out:
	for (size_t i = 0; i < n; i++)
		free(items[i].name);
	free(items);
	wk->path[plen] = 0;
	closedir(d);
	return rc;
}

static int load_ignore(struct walker *wk, int rootfd)
{
	struct stat st;
	char *text = NULL;
	int fd, rc;
	if ((rc = pack_ignore_defaults(&wk->ig, wk->e)) < 0)
		return rc;
	fd = openat(rootfd, IGNORE_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : err_sys(wk->e, ERR_FAIL, errno, "read " IGNORE_FILE);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > PACK_IGNORE_FILE_MAX) {
		rc = err_set(wk->e, ERR_USAGE, IGNORE_FILE " is not a file of at most %d bytes",
		             PACK_IGNORE_FILE_MAX);
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		rc = err_set(wk->e, ERR_FAIL, "out of memory");
		goto out;
	}
	{
		size_t got = 0;
		while (got < (size_t)st.st_size) {
			ssize_t r = read(fd, text + got, (size_t)st.st_size - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				rc = err_sys(wk->e, ERR_FAIL, r < 0 ? errno : EIO,
				             "read " IGNORE_FILE);
				goto out;
			}
			got += (size_t)r;
		}
	}
	rc = pack_ignore_parse(&wk->ig, text, (size_t)st.st_size, wk->e);
out:
	free(text);
	close(fd);
	return rc;
}

int pack_block(const char *dir, struct io_out *blob, const struct pack_opts *o,
               struct pack_result *res, struct err *e)
{
	struct digest_result tres = {{0}, 0}, bres = {{0}, 0};
	struct io_out *chain;
	struct walker *wk = NULL;
	int rootfd = -1, rc = 0;

	static const struct pack_opts defaults = {GZ_DEFAULT_LEVEL, 0, NULL, NULL};
	if (!o)
		o = &defaults;
	memset(res, 0, sizeof *res);
	chain = blob ? blob : io_out_null(e);
	if (chain)
		chain = digest_out(chain, &bres, e);
	if (chain)
		chain = gz_out(chain, o->level, e);
	struct io_out *gzs = chain;
	if (chain)
		chain = digest_out(chain, &tres, e);
	if (!chain)
		return e && e->code ? e->code : ERR_FAIL;
	wk = calloc(1, sizeof *wk);
	if (!wk || !(wk->buf = malloc(IO_BUFSZ))) {
		rc = err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	wk->o = o;
	wk->e = e;
	wk->gz = gzs;
	rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		rc = err_sys(e, errno == ENOENT ? ERR_NOTFOUND : ERR_FAIL, errno, "pack '%s'", dir);
		goto out;
	}
	if ((rc = load_ignore(wk, rootfd)) < 0)
		goto out;
	tar_writer_init(&wk->w, chain, o->mtime, e);
	if ((rc = walk(wk, rootfd, 0, 0)) < 0 || (rc = tar_write_finish(&wk->w)) < 0)
		goto out;
	rc = io_out_close(chain);
	chain = NULL;
	if (rc < 0)
		goto out;
	memcpy(res->diff_id, tres.digest, sizeof res->diff_id);
	memcpy(res->digest, bres.digest, sizeof res->digest);
	res->size = bres.size;
	res->tar_size = tres.size;
	res->entries = wk->entries;
out:
	if (chain)
		io_out_abort(chain);
	if (rootfd >= 0)
		close(rootfd);
	if (wk) {
		pack_ignore_free(&wk->ig);
		free(wk->buf);
		free(wk);
	}
	return rc;
}
