/* tar.c - tar archives: reproducible ustar/PAX writer, strict bounded reader */
#include "tar.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"

/* Field offsets and sizes of the ustar header. */
enum {
	H_NAME = 0,
	H_MODE = 100,
	H_UID = 108,
	H_GID = 116,
	H_SIZE = 124,
	H_MTIME = 136,
	H_CHKSUM = 148,
	H_TYPE = 156,
	H_LINK = 157,
	H_MAGIC = 257,
	H_VERSION = 263,
	H_UNAME = 265,
	H_GNAME = 297,
	H_DEVMAJOR = 329,
	H_DEVMINOR = 337,
	H_PREFIX = 345,
};

#define PAX_NAME "././@PaxHeader"
#define MSG_NAME_MAX (TAR_QUOTE_MAX - 8) /* how much of a name an error message quotes */

const char *tar_quote(const char *s, char out[TAR_QUOTE_MAX])
{
	size_t o = 0;
	for (size_t i = 0; s && s[i] && o < MSG_NAME_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (s && strlen(s) > MSG_NAME_MAX) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
	return out;
}

/* ---- writer ---- */

static void put_octal(uint8_t *f, size_t len, uint64_t v)
{
	/* len-1 digits, zero padded, then NUL: what GNU tar and Go write */
	f[len - 1] = 0;
	for (size_t i = len - 1; i-- > 0;) {
		f[i] = (uint8_t)('0' + (v & 7));
		v >>= 3;
	}
}

static void put_str(uint8_t *f, size_t len, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	memcpy(f, s ? s : "", n < len ? n : len);
}

static void set_checksum(uint8_t h[TAR_BLOCK])
{
	unsigned sum = 0;
	memset(h + H_CHKSUM, ' ', 8);
	for (size_t i = 0; i < TAR_BLOCK; i++)
		sum += h[i];
	/* six digits, NUL, space (the traditional layout) */
	put_octal(h + H_CHKSUM, 7, sum);
	h[H_CHKSUM + 7] = ' ';
}

void tar_raw_header(uint8_t h[TAR_BLOCK], const char *prefix, const char *name, int type,
                    uint32_t mode, uint64_t size, int64_t mtime, const char *link)
{
	memset(h, 0, TAR_BLOCK);
	put_str(h + H_NAME, TAR_NAME_LEN, name);
	put_octal(h + H_MODE, 8, mode & 07777777);
	put_octal(h + H_UID, 8, 0);
	put_octal(h + H_GID, 8, 0);
	put_octal(h + H_SIZE, 12, size);
	put_octal(h + H_MTIME, 12, (uint64_t)mtime);
	h[H_TYPE] = (uint8_t)type;
	put_str(h + H_LINK, TAR_NAME_LEN, link);
	memcpy(h + H_MAGIC, "ustar", 6);
	memcpy(h + H_VERSION, "00", 2);
	/* device numbers stay empty (NUL), as Python's tarfile writes them for non-devices */
	put_str(h + H_PREFIX, TAR_PREFIX_LEN, prefix);
	set_checksum(h);
}

void tar_writer_init(struct tar_writer *w, struct io_out *out, int64_t mtime, struct err *e)
{
	memset(w, 0, sizeof *w);
	w->out = out;
	w->e = e;
	w->mtime = mtime;
}

/* "tar: <what> '<name>'" (ERR_FAIL: the writer only fails on its caller's mistakes). */
static int w_fail(struct tar_writer *w, const char *what, const char *name)
{
	char q[TAR_QUOTE_MAX];
	if (!w->err && name[0])
		w->err = err_set(w->e, ERR_FAIL, "tar: %s '%s'", what, tar_quote(name, q));
	else if (!w->err)
		w->err = err_set(w->e, ERR_FAIL, "tar: %s", what);
	return w->err;
}

static int w_out(struct tar_writer *w, const void *p, size_t n)
{
	int rc = io_write(w->out, p, n);
	if (rc < 0) {
		if (!w->err)
			w->err = rc;
		return rc;
	}
	w->total += n;
	return 0;
}

static int w_pad(struct tar_writer *w)
{
	static const uint8_t zero[TAR_BLOCK];
	size_t r = (size_t)(w->size % TAR_BLOCK);
	w->size = 0;
	return r ? w_out(w, zero, TAR_BLOCK - r) : 0;
}

struct buf_pax {
	char *p;
	size_t len, cap;
};

/* Appends one "LEN key=value\n" record; LEN counts the whole record, its own digits too. */
static int pax_record(struct buf_pax *b, const char *key, const char *val)
{
	size_t base = strlen(key) + strlen(val) + 3; /* ' ' '=' '\n' */
	size_t total = base + 1;
	char num[24];
	while (snprintf(num, sizeof num, "%zu", total) > 0 && base + strlen(num) != total)
		total = base + strlen(num);
	if (b->len + total + 1 > b->cap) {
		size_t cap = (b->len + total + 1) * 2;
		char *np = realloc(b->p, cap);
		if (!np)
			return ERR_FAIL;
		b->p = np;
		b->cap = cap;
	}
	b->len += (size_t)snprintf(b->p + b->len, b->cap - b->len, "%s %s=%s\n", num, key, val);
	return 0;
}

/* Splits name (at most 255 bytes) into ustar prefix and name at a '/'; 0 when it does not
 * fit, else 1 with *cut the index of the '/' (or -1 when name fits alone). */
static int ustar_split(const char *name, size_t len, long *cut)
{
	if (len <= TAR_NAME_LEN) {
		*cut = -1;
		return 1;
	}
	if (len > TAR_PREFIX_LEN + 1 + TAR_NAME_LEN)
		return 0;
	/* the rightmost '/' that leaves a prefix of at most 155 bytes; then the rest must fit */
	for (size_t i = len - 2; i > 0; i--) {
		if (name[i] != '/' || i > TAR_PREFIX_LEN)
			continue;
		if (len - i - 1 > TAR_NAME_LEN)
			return 0;
		*cut = (long)i;
		return 1;
	}
	return 0;
}

int tar_write_header(struct tar_writer *w, const struct tar_entry *ent)
{
	uint8_t h[TAR_BLOCK];
	struct buf_pax pax = {0};
	char *name = NULL;
	const char *link = ent->link ? ent->link : "";
	uint32_t mode;
	uint64_t size = 0;
	size_t len;
	long cut = -1;
	int rc = 0;

	if (w->err)
		return w->err;
	if (w->remain)
		return w_fail(w, "missing data before entry", ent->path);
	if ((rc = w_pad(w)) < 0)
		return rc;
	if (w->mtime < 0 || (uint64_t)w->mtime > TAR_OCTAL_SIZE_MAX)
		return w_fail(w, "mtime out of range for", ent->path);
	len = strlen(ent->path);
	if (!len || ent->path[0] == '/')
		return w_fail(w, "bad entry name", ent->path);
	name = malloc(len + 2);
	if (!name)
		return w_fail(w, "out of memory for", ent->path);
	memcpy(name, ent->path, len + 1);
	switch (ent->type) {
	case TAR_DIR:
		mode = 0755;
		if (name[len - 1] != '/') {
			name[len++] = '/';
			name[len] = 0;
		}
		break;
	case TAR_FILE:
		mode = (ent->mode & 0111) ? 0755 : 0644;
		size = ent->size;
		break;
	case TAR_SYMLINK:
		mode = 0777;
		break;
	case TAR_HARDLINK:
		mode = (ent->mode & 0111) ? 0755 : 0644;
		break;
	default:
		rc = w_fail(w, "unsupported entry type for", ent->path);
		goto out;
	}
	if (!ustar_split(name, len, &cut) && pax_record(&pax, "path", name) < 0)
		goto oom;
	if (strlen(link) > TAR_NAME_LEN && pax_record(&pax, "linkpath", link) < 0)
		goto oom;
	if (size > TAR_OCTAL_SIZE_MAX) {
		char num[24];
		snprintf(num, sizeof num, "%" PRIu64, size);
		if (pax_record(&pax, "size", num) < 0)
			goto oom;
	}
	if (pax.len) {
		tar_raw_header(h, NULL, PAX_NAME, 'x', 0644, pax.len, w->mtime, NULL);
		if ((rc = w_out(w, h, TAR_BLOCK)) < 0 || (rc = w_out(w, pax.p, pax.len)) < 0)
			goto out;
		w->size = pax.len;
		if ((rc = w_pad(w)) < 0)
			goto out;
	}
	if (cut >= 0) {
		name[cut] = 0;
		tar_raw_header(h, name, name + cut + 1, ent->type, mode,
		               size > TAR_OCTAL_SIZE_MAX ? 0 : size, w->mtime, link);
	} else {
		/* a PAX path: the ustar name holds its first 100 bytes, as Python writes */
		tar_raw_header(h, NULL, name, ent->type, mode, size > TAR_OCTAL_SIZE_MAX ? 0 : size,
		               w->mtime, link);
	}
	if ((rc = w_out(w, h, TAR_BLOCK)) < 0)
		goto out;
	w->remain = w->size = size;
	goto out;
oom:
	rc = w_fail(w, "out of memory for", ent->path);
out:
	free(pax.p);
	free(name);
	return rc;
}

int tar_write_data(struct tar_writer *w, const void *p, size_t n)
{
	if (w->err)
		return w->err;
	if (n > w->remain)
		return w_fail(w, "more data than announced for the current entry", "");
	w->remain -= n;
	return w_out(w, p, n);
}

int tar_write_finish(struct tar_writer *w)
{
	static const uint8_t zero[2 * TAR_BLOCK];
	int rc;
	if (w->err)
		return w->err;
	if (w->remain)
		return w_fail(w, "missing data in the last entry", "");
	if ((rc = w_pad(w)) < 0)
		return rc;
	return w_out(w, zero, sizeof zero);
}

/* ---- reader ---- */

void tar_reader_init(struct tar_reader *r, struct io_in *in, struct err *e)
{
	memset(r, 0, sizeof *r);
	r->in = in;
	r->e = e;
}

void tar_reader_free(struct tar_reader *r)
{
	free(r->path);
	free(r->link);
	r->path = r->link = NULL;
	r->path_cap = r->link_cap = 0;
}

static int r_fail(struct tar_reader *r, const char *what)
{
	char q[TAR_QUOTE_MAX];
	if (!r->err) {
		if (r->path && r->path[0])
			r->err = err_set(r->e, ERR_INTEGRITY,
			                 "tar: %s (at byte %" PRIu64 ", after entry '%s')", what,
			                 r->offset, tar_quote(r->path, q));
		else
			r->err = err_set(r->e, ERR_INTEGRITY, "tar: %s (at byte %" PRIu64 ")", what,
			                 r->offset);
	}
	return r->err;
}

/* Exactly n bytes, or ERR_INTEGRITY "truncated" (or the stream's own error). */
static int r_read(struct tar_reader *r, void *p, size_t n, int *eof_at_start)
{
	ssize_t got = io_read_full(r->in, p, n);
	if (got < 0) {
		if (!r->err)
			r->err = (int)got;
		return (int)got;
	}
	r->offset += (uint64_t)got;
	if (eof_at_start && got == 0) {
		*eof_at_start = 1;
		return 0;
	}
	if ((size_t)got < n)
		return r_fail(r, "truncated archive");
	return 0;
}

static int r_skip(struct tar_reader *r, uint64_t n)
{
	char tmp[4096];
	while (n) {
		size_t k = n < sizeof tmp ? (size_t)n : sizeof tmp;
		int rc = r_read(r, tmp, k, NULL);
		if (rc < 0)
			return rc;
		n -= k;
	}
	return 0;
}

/* A numeric field: octal (leading spaces allowed, ended by NUL or space) or GNU base-256
 * (first byte 0x80 positive, 0xff negative). 0 or -1 when malformed. */
static int parse_num(const uint8_t *f, size_t len, int64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	if (f[0] & 0x80) {
		int neg = f[0] == 0xff;
		if (f[0] != 0x80 && !neg)
			return -1;
		for (i = 1; i < len; i++) {
			uint8_t b = neg ? (uint8_t)~f[i] : f[i];
			if (v >> 55)
				return -1;
			v = (v << 8) | b;
		}
		if (v > INT64_MAX)
			return -1;
		*out = neg ? -(int64_t)v - 1 : (int64_t)v;
		return 0;
	}
	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = (v << 3) | (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != ' ' && f[i] != 0)
			return -1;
	*out = (int64_t)v;
	return 0;
}

static int checksum_ok(const uint8_t h[TAR_BLOCK])
{
	int64_t want;
	uint64_t us = 0;
	int64_t ss = 0;
	if (parse_num(h + H_CHKSUM, 8, &want) < 0)
		return 0;
	for (size_t i = 0; i < TAR_BLOCK; i++) {
		uint8_t c = (i >= H_CHKSUM && i < H_CHKSUM + 8) ? ' ' : h[i];
		us += c;
		ss += (signed char)c;
	}
	return want == (int64_t)us || want == ss;
}

static int is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static int set_str(char **dst, size_t *cap, const char *s, size_t n)
{
	if (n + 1 > *cap) {
		char *np = realloc(*dst, n + 1);
		if (!np)
			return ERR_FAIL;
		*dst = np;
		*cap = n + 1;
	}
	memcpy(*dst, s, n);
	(*dst)[n] = 0;
	return 0;
}

/* What PAX and GNU headers carry over to the next real entry. */
struct pending {
	char *path, *link; /* malloc'd or NULL */
	int64_t size;      /* -1: none */
};

static void pending_free(struct pending *pd)
{
	free(pd->path);
	free(pd->link);
	pd->path = pd->link = NULL;
	pd->size = -1;
}

/* Reads an extension header's data (at most TAR_PAX_MAX bytes) into a fresh malloc'd,
 * NUL-terminated buffer. */
static int read_ext(struct tar_reader *r, int64_t size, char **out)
{
	uint64_t padded;
	char *p;
	if (size < 0 || size > TAR_PAX_MAX)
		return r_fail(r, "extension header larger than its limit (1 MiB)");
	p = malloc((size_t)size + 1);
	if (!p)
		return r_fail(r, "out of memory");
	if (r_read(r, p, (size_t)size, NULL) < 0) {
		free(p);
		return r->err;
	}
	p[size] = 0;
	padded = ((uint64_t)size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
	if (r_skip(r, padded - (uint64_t)size) < 0) {
		free(p);
		return r->err;
	}
	*out = p;
	return 0;
}

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

/* Parses PAX records "LEN key=value\n"; global (g) headers only get validated. */
static int parse_pax(struct tar_reader *r, const char *p, size_t n, struct pending *pd, int global)
{
	size_t pos = 0;
	while (pos < n) {
		size_t len = 0, i = pos, klen;
		const char *rec, *eq, *val;
		size_t vlen;
		while (i < n && p[i] >= '0' && p[i] <= '9' && i - pos < 8)
			len = len * 10 + (size_t)(p[i++] - '0');
		if (i == pos || i >= n || p[i] != ' ' || len < 5 || len > n - pos)
			return r_fail(r, "bad PAX record");
		rec = p + i + 1;
		if (p[pos + len - 1] != '\n')
			return r_fail(r, "bad PAX record");
		eq = memchr(rec, '=', (size_t)(p + pos + len - 1 - rec));
		if (!eq)
			return r_fail(r, "bad PAX record");
		klen = (size_t)(eq - rec);
		val = eq + 1;
		vlen = (size_t)(p + pos + len - 1 - val);
		pos += len;
		if (global)
			continue;
		if (klen == 4 && !memcmp(rec, "path", 4)) {
			free(pd->path);
			pd->path = NULL;
			if (memchr(val, 0, vlen))
				return r_fail(r, "NUL byte in a PAX path");
			if (vlen && !(pd->path = dup_n(val, vlen)))
				return r_fail(r, "out of memory");
		} else if (klen == 8 && !memcmp(rec, "linkpath", 8)) {
			free(pd->link);
			pd->link = NULL;
			if (memchr(val, 0, vlen))
				return r_fail(r, "NUL byte in a PAX linkpath");
			if (vlen && !(pd->link = dup_n(val, vlen)))
				return r_fail(r, "out of memory");
		} else if (klen == 4 && !memcmp(rec, "size", 4)) {
			uint64_t v = 0;
			if (!vlen || vlen > 19)
				return r_fail(r, "bad PAX size");
			for (size_t k = 0; k < vlen; k++) {
				if (val[k] < '0' || val[k] > '9')
					return r_fail(r, "bad PAX size");
				v = v * 10 + (uint64_t)(val[k] - '0');
			}
			pd->size = (int64_t)v;
		} else if (klen > 11 && !memcmp(rec, "GNU.sparse.", 11)) {
			return r_fail(r, "sparse files are not supported");
		}
	}
	return 0;
}

/* Normalises a name in place: trailing '/' removed (reported in *slash), "." -> "",
 * leading "./" removed. */
static void normalise(char *s, int *slash)
{
	size_t n = strlen(s), skip = 0;
	*slash = 0;
	while (n > 1 && s[n - 1] == '/') {
		s[--n] = 0;
		*slash = 1;
	}
	while (s[skip] == '.' && s[skip + 1] == '/') {
		skip += 2;
		while (s[skip] == '/')
			skip++;
	}
	if (skip)
		memmove(s, s + skip, n - skip + 1);
	if (!strcmp(s, "."))
		s[0] = 0;
}

static int header_only(int type)
{
	return type == TAR_HARDLINK || type == TAR_SYMLINK || type == TAR_CHAR ||
	       type == TAR_BLOCKDEV || type == TAR_DIR || type == TAR_FIFO;
}

/* Reads and drops what follows the end-of-archive mark (record padding). */
static int drain(struct tar_reader *r)
{
	char tmp[4096];
	uint64_t total = 0;
	for (;;) {
		ssize_t got = io_read(r->in, tmp, sizeof tmp);
		if (got < 0) {
			if (!r->err)
				r->err = (int)got;
			return (int)got;
		}
		if (got == 0)
			return 0;
		total += (uint64_t)got;
		r->offset += (uint64_t)got;
		if (total > TAR_SKIP_MAX)
			return r_fail(r, "too much data after the end of the archive");
	}
}

int tar_next(struct tar_reader *r, const struct tar_entry **ent)
{
	uint8_t h[TAR_BLOCK];
	struct pending pd = {NULL, NULL, -1};
	int rc = 0;

	if (r->err)
		return r->err;
	if (r->done)
		return 0;
	if ((rc = r_skip(r, r->remain + r->pad)) < 0)
		goto out;
	r->remain = r->pad = 0;
	for (int ext_count = 0;; ext_count++) {
		int eof = 0, slash = 0, type, posix;
		int64_t size, mode, mtime;
		char *ext = NULL;

		if ((rc = r_read(r, h, TAR_BLOCK, &eof)) < 0)
			goto out;
		if (eof) {
			rc = r_fail(r, pd.path || pd.link || pd.size >= 0
			                   ? "truncated archive after an extension header"
			                   : "truncated archive (no end-of-archive mark)");
			goto out;
		}
		if (is_zero(h, TAR_BLOCK)) {
			if ((rc = r_read(r, h, TAR_BLOCK, &eof)) < 0)
				goto out;
			if (!eof && !is_zero(h, TAR_BLOCK)) {
				rc = r_fail(r, "zero block inside the archive");
				goto out;
			}
			if (pd.path || pd.link || pd.size >= 0) {
				rc = r_fail(r, "extension header without an entry");
				goto out;
			}
			r->done = 1;
			rc = eof ? 0 : drain(r);
			goto out;
		}
		if (!checksum_ok(h)) {
			rc = r_fail(r, "bad header checksum");
			goto out;
		}
		if (ext_count >= TAR_EXT_MAX) {
			rc = r_fail(r, "too many extension headers in a row");
			goto out;
		}
		posix = !memcmp(h + H_MAGIC, "ustar\0", 6);
		type = h[H_TYPE];
		if (parse_num(h + H_SIZE, 12, &size) < 0 || size < 0 ||
		    parse_num(h + H_MODE, 8, &mode) < 0 || parse_num(h + H_MTIME, 12, &mtime) < 0) {
			rc = r_fail(r, "bad number in header");
			goto out;
		}
		switch (type) {
		case 'x':
		case 'g':
			if ((rc = read_ext(r, size, &ext)) < 0)
				goto out;
			rc = parse_pax(r, ext, (size_t)size, &pd, type == 'g');
			free(ext);
			if (rc < 0)
				goto out;
			continue;
		case 'L':
		case 'K':
			if ((rc = read_ext(r, size, &ext)) < 0)
				goto out;
			if (type == 'L') {
				free(pd.path);
				pd.path = ext;
			} else {
				free(pd.link);
				pd.link = ext;
			}
			continue;
		case 'V': /* a volume label: no entry */
			if ((rc = r_skip(r, ((uint64_t)size + TAR_BLOCK - 1) / TAR_BLOCK *
			                        TAR_BLOCK)) < 0)
				goto out;
			continue;
		case 'S':
			rc = r_fail(r, "sparse files are not supported");
			goto out;
		case 'M':
			rc = r_fail(r, "multi-volume archives are not supported");
			goto out;
		case 0:
		case '7':
			type = TAR_FILE;
			break;
		default:
			break;
		}
		/* the entry's names */
		if (pd.path) {
			rc = set_str(&r->path, &r->path_cap, pd.path, strlen(pd.path));
		} else {
			char full[TAR_PREFIX_LEN + 1 + TAR_NAME_LEN + 1];
			size_t pl = posix ? strnlen((char *)h + H_PREFIX, TAR_PREFIX_LEN) : 0;
			size_t nl = strnlen((char *)h + H_NAME, TAR_NAME_LEN), o = 0;
			if (pl) {
				memcpy(full, h + H_PREFIX, pl);
				full[pl] = '/';
				o = pl + 1;
			}
			memcpy(full + o, h + H_NAME, nl);
			rc = set_str(&r->path, &r->path_cap, full, o + nl);
		}
		if (rc == 0) {
			if (pd.link)
				rc = set_str(&r->link, &r->link_cap, pd.link, strlen(pd.link));
			else
				rc = set_str(&r->link, &r->link_cap, (char *)h + H_LINK,
				             strnlen((char *)h + H_LINK, TAR_NAME_LEN));
		}
		if (rc < 0) {
			rc = r_fail(r, "out of memory");
			goto out;
		}
		normalise(r->path, &slash);
		if (type == TAR_FILE && slash)
			type = TAR_DIR; /* old archives mark folders by the trailing '/' */
		if (pd.size >= 0)
			size = pd.size;
		if (header_only(type))
			size = 0;
		r->ent.path = r->path;
		r->ent.link = (type == TAR_SYMLINK || type == TAR_HARDLINK) ? r->link : "";
		r->ent.type = type;
		r->ent.mode = (uint32_t)mode & 07777;
		r->ent.size = (uint64_t)size;
		r->ent.mtime = mtime;
		r->remain = (uint64_t)size;
		r->pad = (TAR_BLOCK - (uint64_t)size % TAR_BLOCK) % TAR_BLOCK;
		*ent = &r->ent;
		rc = 1;
		goto out;
	}
out:
	pending_free(&pd);
	return rc;
}

ssize_t tar_read_data(struct tar_reader *r, void *p, size_t n)
{
	ssize_t got;
	char q[TAR_QUOTE_MAX];
	if (r->err)
		return r->err;
	if (!r->remain)
		return 0;
	if (n > r->remain)
		n = (size_t)r->remain;
	got = io_read(r->in, p, n);
	if (got < 0) {
		if (!r->err)
			r->err = (int)got;
		return got;
	}
	if (got == 0) {
		r->err = err_set(r->e, ERR_INTEGRITY, "tar: entry '%s': truncated data",
		                 tar_quote(r->path, q));
		return r->err;
	}
	r->offset += (uint64_t)got;
	r->remain -= (uint64_t)got;
	return got;
}
