/* json.c - strict JSON tokenizer over the caller's buffer, lookups, compact writer */
#include "json.h"
#include "buf.h"
#include "err.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_TOKS_INITIAL 64
#define JSON_DUP_PAIRWISE 8 /* objects up to this size check keys pairwise, larger sort */

struct parser {
	struct json_doc *d;
	const unsigned char *s;
	size_t len, pos;
	struct err *e;
	int grow; /* may realloc toks */
};

__attribute__((format(printf, 3, 4))) static int fail(struct parser *p, size_t at, const char *fmt,
                                                      ...);
static int fail(struct parser *p, size_t at, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return err_set(p->e, ERR_FAIL, "invalid JSON at byte %zu: %s", at, what);
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0; /* continuation byte, overlong lead C0/C1, or beyond U+10FFFF */
	if (n < len)
		return 0;
	/* The second byte's range rules out overlong forms, surrogates and > U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

size_t json_utf8_check(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0, k;
	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_seq(s + i, n - i);
		if (!k)
			return i + 1;
		i += k;
	}
	return 0;
}

static int hexval(unsigned c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (int)(c - 'A' + 10);
	return -1;
}

/* The 4 hex digits at s (bounds checked by the caller), or -1. */
static long hex4(const unsigned char *s)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(s[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static int new_tok(struct parser *p, int type, size_t start)
{
	struct json_doc *d = p->d;
	struct json_tok *t;
	if (d->ntok == d->cap) {
		size_t ncap;
		struct json_tok *nt;
		if (!p->grow)
			return fail(p, start, "more than %zu tokens", d->cap);
		if (d->cap >= JSON_MAX_TOKENS)
			return fail(p, start, "more than %u tokens", JSON_MAX_TOKENS);
		ncap = d->cap ? d->cap * 2 : JSON_TOKS_INITIAL;
		if (ncap > JSON_MAX_TOKENS)
			ncap = JSON_MAX_TOKENS;
		nt = realloc(d->toks, ncap * sizeof *nt);
		if (!nt)
			return err_set(p->e, ERR_FAIL, "out of memory parsing JSON");
		d->toks = nt;
		d->cap = ncap;
	}
	t = &d->toks[d->ntok];
	memset(t, 0, sizeof *t);
	t->type = (uint8_t)type;
	t->start = t->end = (uint32_t)start;
	t->next = (uint32_t)d->ntok + 1;
	return (int)d->ntok++;
}

/* A string starting at the opening quote at p->pos. */
static int parse_string(struct parser *p)
{
	const unsigned char *s = p->s;
	size_t i = p->pos + 1, n = p->len;
	int escape = 0, t;
	for (;;) {
		unsigned c;
		if (i >= n)
			return fail(p, p->pos, "unterminated string");
		c = s[i];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(p, i, "control character 0x%02x in string", c);
		if (c == '\\') {
			escape = 1;
			if (i + 1 >= n)
				return fail(p, i, "unterminated string");
			c = s[i + 1];
			if (strchr("\"\\/bfnrt", (int)c) && c) {
				i += 2;
				continue;
			}
			if (c != 'u')
				return fail(p, i, "invalid escape \\%c",
				            c >= 0x20 && c < 0x7f ? c : '?');
			long u = i + 6 <= n ? hex4(s + i + 2) : -1;
			if (u < 0)
				return fail(p, i, "invalid \\u escape");
			if (u >= 0xdc00 && u <= 0xdfff)
				return fail(p, i, "lone low surrogate \\u%04lx", u);
			if (u >= 0xd800 && u <= 0xdbff) {
				long lo = -1;
				if (i + 12 <= n && s[i + 6] == '\\' && s[i + 7] == 'u')
					lo = hex4(s + i + 8);
				if (lo < 0xdc00 || lo > 0xdfff)
					return fail(p, i, "lone high surrogate \\u%04lx", u);
				i += 12;
			} else {
				i += 6;
			}
			continue;
		}
		if (c >= 0x80) {
			size_t k = utf8_seq(s + i, n - i);
			if (!k)
				return fail(p, i, "invalid UTF-8 in string");
			i += k;
			continue;
		}
		i++;
	}
	t = new_tok(p, JSON_STRING, p->pos + 1);
	if (t < 0)
		return t;
	p->d->toks[t].end = (uint32_t)i;
	p->d->toks[t].escape = (uint8_t)escape;
	p->pos = i + 1;
	return t;
}

static int parse_number(struct parser *p)
{
	const unsigned char *s = p->s;
	size_t i = p->pos, n = p->len, start = p->pos;
	int t;
	if (i < n && s[i] == '-')
		i++;
	if (i >= n || s[i] < '0' || s[i] > '9')
		return fail(p, i, "digit expected in number");
	if (s[i] == '0') {
		i++;
		if (i < n && s[i] >= '0' && s[i] <= '9')
			return fail(p, i, "leading zero in number");
	} else {
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return fail(p, i, "digit expected after '.'");
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return fail(p, i, "digit expected in exponent");
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	t = new_tok(p, JSON_NUMBER, start);
	if (t < 0)
		return t;
	p->d->toks[t].end = (uint32_t)i;
	p->pos = i;
	return t;
}

static int parse_literal(struct parser *p, const char *word, int type)
{
	size_t n = strlen(word);
	int t;
	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, p->pos, "unexpected character '%c'",
		            p->s[p->pos] >= 0x20 && p->s[p->pos] < 0x7f ? p->s[p->pos] : '?');
	t = new_tok(p, type, p->pos);
	if (t < 0)
		return t;
	p->d->toks[t].end = (uint32_t)(p->pos + n);
	p->pos += n;
	return t;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		unsigned char c = p->s[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

/* Yields the unescaped bytes of a string token one at a time (the token is valid). */
struct sdec {
	const unsigned char *s;
	size_t i, end;
	unsigned char pend[4];
	int npend, ipend;
};

static void sdec_init(struct sdec *z, const struct json_doc *d, const struct json_tok *t)
{
	z->s = (const unsigned char *)d->text;
	z->i = t->start;
	z->end = t->end;
	z->npend = z->ipend = 0;
}

static int sdec_byte(struct sdec *z)
{
	unsigned c;
	unsigned long u;
	if (z->ipend < z->npend)
		return z->pend[z->ipend++];
	if (z->i >= z->end)
		return -1;
	c = z->s[z->i];
	if (c != '\\') {
		z->i++;
		return (int)c;
	}
	c = z->s[z->i + 1];
	z->i += 2;
	switch (c) {
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	case 'u':
		break;
	default:
		return (int)c; /* " \ / */
	}
	u = (unsigned long)hex4(z->s + z->i);
	z->i += 4;
	if (u >= 0xd800 && u <= 0xdbff) {
		unsigned long lo = (unsigned long)hex4(z->s + z->i + 2);
		z->i += 6;
		u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
	}
	z->ipend = z->npend = 0;
	if (u < 0x80) {
		return (int)u;
	} else if (u < 0x800) {
		z->pend[0] = (unsigned char)(0xc0 | (u >> 6));
		z->pend[1] = (unsigned char)(0x80 | (u & 0x3f));
		z->npend = 2;
	} else if (u < 0x10000) {
		z->pend[0] = (unsigned char)(0xe0 | (u >> 12));
		z->pend[1] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
		z->pend[2] = (unsigned char)(0x80 | (u & 0x3f));
		z->npend = 3;
	} else {
		z->pend[0] = (unsigned char)(0xf0 | (u >> 18));
		z->pend[1] = (unsigned char)(0x80 | ((u >> 12) & 0x3f));
		z->pend[2] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
		z->pend[3] = (unsigned char)(0x80 | (u & 0x3f));
		z->npend = 4;
	}
	return z->pend[z->ipend++];
}

/* Orders two string tokens by their unescaped bytes (memcmp order, shorter first). */
static int str_cmp(const struct json_doc *d, const struct json_tok *a, const struct json_tok *b)
{
	struct sdec x, y;
	if (!a->escape && !b->escape) {
		size_t la = a->end - a->start, lb = b->end - b->start;
		int c = memcmp(d->text + a->start, d->text + b->start, la < lb ? la : lb);
		if (c)
			return c;
		return la < lb ? -1 : la > lb;
	}
	sdec_init(&x, d, a);
	sdec_init(&y, d, b);
	for (;;) {
		int cx = sdec_byte(&x), cy = sdec_byte(&y);
		if (cx != cy)
			return cx < cy ? -1 : 1;
		if (cx < 0)
			return 0;
	}
}

/* Merge sort of key token indices (no qsort_r in every libc we build with). */
static void sort_keys(const struct json_doc *d, uint32_t *k, uint32_t *tmp, size_t n)
{
	size_t h, i, j, o;
	if (n < 2)
		return;
	h = n / 2;
	sort_keys(d, k, tmp, h);
	sort_keys(d, k + h, tmp, n - h);
	for (i = 0, j = h, o = 0; i < h && j < n;)
		tmp[o++] = str_cmp(d, &d->toks[k[i]], &d->toks[k[j]]) <= 0 ? k[i++] : k[j++];
	while (i < h)
		tmp[o++] = k[i++];
	while (j < n)
		tmp[o++] = k[j++];
	memcpy(k, tmp, n * sizeof *k);
}

static int dup_found(struct parser *p, uint32_t key)
{
	const struct json_tok *t = &p->d->toks[key];
	int n = (int)(t->end - t->start);
	return fail(p, t->start - 1, "duplicate key \"%.*s\"", n > 64 ? 64 : n,
	            p->d->text + t->start);
}

/* Duplicate keys in the object at token obj (closed, so its subtree is complete). */
static int check_dups(struct parser *p, int obj)
{
	const struct json_doc *d = p->d;
	uint32_t n = d->toks[obj].size, keys_small[JSON_DUP_PAIRWISE];
	uint32_t *keys = keys_small, cur = (uint32_t)obj + 1;
	int rc = 0;
	if (n < 2)
		return 0;
	if (n > JSON_DUP_PAIRWISE) {
		keys = malloc(2 * (size_t)n * sizeof *keys);
		if (!keys)
			return err_set(p->e, ERR_FAIL, "out of memory parsing JSON");
	}
	for (uint32_t i = 0; i < n; i++) {
		keys[i] = cur;
		cur = d->toks[cur + 1].next; /* skip the value's subtree */
	}
	if (n <= JSON_DUP_PAIRWISE) {
		for (uint32_t i = 1; i < n; i++)
			for (uint32_t j = 0; j < i; j++)
				if (str_cmp(d, &d->toks[keys[i]], &d->toks[keys[j]]) == 0) {
					rc = dup_found(p, keys[i]);
					goto out;
				}
		goto out;
	}
	sort_keys(d, keys, keys + n, n);
	for (uint32_t i = 1; i < n; i++)
		if (str_cmp(d, &d->toks[keys[i]], &d->toks[keys[i - 1]]) == 0) {
			rc = dup_found(p, keys[i]);
			goto out;
		}
out:
	if (keys != keys_small)
		free(keys);
	return rc;
}

/* A key and its colon; the key token is not counted in the object's size. */
static int parse_key(struct parser *p)
{
	int t;
	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, p->pos, "unexpected end, key expected");
	if (p->s[p->pos] != '"')
		return fail(p, p->pos, "object key (a string) expected");
	t = parse_string(p);
	if (t < 0)
		return t;
	skip_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != ':')
		return fail(p, p->pos, "':' expected after object key");
	p->pos++;
	return 0;
}

/* Iterative, so depth costs a bounded stack of token indices, not C stack frames. */
static int parse(struct parser *p)
{
	int stack[JSON_MAX_DEPTH];
	int depth = 0, rc, t;
	struct json_tok *toks;
	for (;;) {
		unsigned char c;
		skip_ws(p);
		if (p->pos >= p->len)
			return fail(p, p->pos, "unexpected end, value expected");
		c = p->s[p->pos];
		if (c == '{' || c == '[') {
			if (depth == JSON_MAX_DEPTH)
				return fail(p, p->pos, "nested deeper than %d", JSON_MAX_DEPTH);
			t = new_tok(p, c == '{' ? JSON_OBJECT : JSON_ARRAY, p->pos);
			if (t < 0)
				return t;
			stack[depth++] = t;
			p->pos++;
			skip_ws(p);
			if (p->pos < p->len && p->s[p->pos] == (c == '{' ? '}' : ']')) {
				p->pos++;
				toks = p->d->toks;
				toks[t].end = (uint32_t)p->pos;
				toks[t].next = (uint32_t)p->d->ntok;
				depth--;
				goto value_done;
			}
			if (c == '{' && (rc = parse_key(p)) < 0)
				return rc;
			continue;
		}
		if (c == '"')
			t = parse_string(p);
		else if (c == '-' || (c >= '0' && c <= '9'))
			t = parse_number(p);
		else if (c == 't')
			t = parse_literal(p, "true", JSON_TRUE);
		else if (c == 'f')
			t = parse_literal(p, "false", JSON_FALSE);
		else if (c == 'n')
			t = parse_literal(p, "null", JSON_NULL);
		else if (c == 0xef && p->pos == 0)
			return fail(p, 0, "byte order mark not allowed");
		else
			return fail(p, p->pos, "unexpected character '%c'",
			            c >= 0x20 && c < 0x7f ? c : '?');
		if (t < 0)
			return t;
	value_done:
		/* A value is complete; it belongs to the container on top, if any. */
		for (;;) {
			int top, obj;
			if (depth == 0) {
				skip_ws(p);
				if (p->pos != p->len)
					return fail(p, p->pos, "garbage after the document");
				return 0;
			}
			top = stack[depth - 1];
			toks = p->d->toks;
			obj = toks[top].type == JSON_OBJECT;
			toks[top].size++;
			skip_ws(p);
			if (p->pos >= p->len)
				return fail(p, p->pos, "unexpected end, '%c' expected",
				            obj ? '}' : ']');
			c = p->s[p->pos];
			if (c == ',') {
				p->pos++;
				if (obj && (rc = parse_key(p)) < 0)
					return rc;
				break; /* the next value */
			}
			if (c != (obj ? '}' : ']'))
				return fail(p, p->pos, "',' or '%c' expected", obj ? '}' : ']');
			p->pos++;
			toks[top].end = (uint32_t)p->pos;
			toks[top].next = (uint32_t)p->d->ntok;
			if (obj && (rc = check_dups(p, top)) < 0)
				return rc;
			depth--;
		}
	}
}

static int parse_common(struct json_doc *d, const char *text, size_t len, struct err *e)
{
	struct parser p = {d, (const unsigned char *)text, len, 0, e, d->owned};
	int rc;
	d->text = text;
	d->len = len;
	d->ntok = 0;
	if (len > JSON_MAX_SIZE)
		return err_set(e, ERR_FAIL, "JSON document of %zu bytes larger than limit %u", len,
		               JSON_MAX_SIZE);
	rc = parse(&p);
	if (rc < 0)
		d->ntok = 0;
	return rc < 0 ? rc : 0;
}

int json_parse(struct json_doc *d, const char *text, size_t len, struct err *e)
{
	d->toks = NULL;
	d->cap = 0;
	d->owned = 1;
	return parse_common(d, text, len, e);
}

int json_parse_into(struct json_doc *d, const char *text, size_t len, struct json_tok *toks,
                    size_t cap, struct err *e)
{
	d->toks = toks;
	d->cap = cap;
	d->owned = 0;
	return parse_common(d, text, len, e);
}

void json_free(struct json_doc *d)
{
	if (d->owned)
		free(d->toks);
	d->toks = NULL;
	d->ntok = d->cap = 0;
}

static const struct json_tok *tok(const struct json_doc *d, int t)
{
	if (t < 0 || (size_t)t >= d->ntok)
		return NULL;
	return &d->toks[t];
}

int json_type(const struct json_doc *d, int t)
{
	const struct json_tok *k = tok(d, t);
	return k ? k->type : 0;
}

const char *json_type_name(int type)
{
	static const char *const names[] = {"missing", "null",   "false", "true",
	                                    "number",  "string", "array", "object"};
	if (type < 0 || type > JSON_OBJECT)
		return "missing";
	return names[type];
}

const char *json_raw(const struct json_doc *d, int t, size_t *len)
{
	const struct json_tok *k = tok(d, t);
	if (!k)
		return NULL;
	if (len)
		*len = k->end - k->start;
	return d->text + k->start;
}

void json_iter_init(struct json_iter *it, const struct json_doc *d, int t)
{
	const struct json_tok *k = tok(d, t);
	it->d = d;
	it->cur = t + 1;
	it->left = k && (k->type == JSON_ARRAY || k->type == JSON_OBJECT) ? k->size : 0;
	it->object = k && k->type == JSON_OBJECT;
}

int json_iter_next(struct json_iter *it, int *key)
{
	int v;
	if (!it->left)
		return -1;
	it->left--;
	if (it->object) {
		if (key)
			*key = it->cur;
		v = it->cur + 1;
	} else {
		v = it->cur;
	}
	it->cur = (int)it->d->toks[v].next;
	return v;
}

int json_str_eq(const struct json_doc *d, int t, const char *s)
{
	const struct json_tok *k = tok(d, t);
	struct sdec z;
	size_t i = 0;
	int c;
	if (!k || k->type != JSON_STRING)
		return 0;
	if (!k->escape) {
		size_t n = k->end - k->start;
		/* raw text holds no NUL (control characters are rejected) */
		return strncmp(d->text + k->start, s, n) == 0 && s[n] == 0;
	}
	sdec_init(&z, d, k);
	while ((c = sdec_byte(&z)) >= 0) {
		if (c == 0 || (unsigned char)s[i] != c)
			return 0;
		i++;
	}
	return s[i] == 0;
}

int json_get(const struct json_doc *d, int obj, const char *key)
{
	struct json_iter it;
	int v, k = -1;
	if (json_type(d, obj) != JSON_OBJECT)
		return -1;
	json_iter_init(&it, d, obj);
	while ((v = json_iter_next(&it, &k)) >= 0)
		if (json_str_eq(d, k, key))
			return v;
	return -1;
}

static int want(const struct json_doc *d, int t, int type, struct err *e)
{
	const struct json_tok *k = tok(d, t);
	if (!k)
		return err_set(e, ERR_FAIL, "%s expected, value missing", json_type_name(type));
	if (k->type != type)
		return err_set(e, ERR_FAIL, "%s expected, found %s at byte %u",
		               json_type_name(type), json_type_name(k->type), k->start);
	return 0;
}

int json_str(const struct json_doc *d, int t, char *out, size_t n, struct err *e)
{
	struct sdec z;
	size_t i = 0;
	int c, rc;
	if (n)
		out[0] = 0;
	if ((rc = want(d, t, JSON_STRING, e)) < 0)
		return rc;
	sdec_init(&z, d, &d->toks[t]);
	while ((c = sdec_byte(&z)) >= 0) {
		if (c == 0) {
			rc = err_set(e, ERR_FAIL, "string at byte %u holds U+0000",
			             d->toks[t].start);
			goto fail;
		}
		if (i + 1 >= n) {
			rc = err_set(e, ERR_FAIL, "string at byte %u longer than %zu bytes",
			             d->toks[t].start, n ? n - 1 : 0);
			goto fail;
		}
		out[i++] = (char)c;
	}
	out[i] = 0;
	return (int)i;
fail:
	if (n)
		out[0] = 0;
	return rc;
}

char *json_strdup(const struct json_doc *d, int t, struct err *e)
{
	char *s;
	size_t n;
	if (want(d, t, JSON_STRING, e) < 0)
		return NULL;
	n = d->toks[t].end - d->toks[t].start + 1; /* unescaping never lengthens */
	s = malloc(n);
	if (!s) {
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	if (json_str(d, t, s, n, e) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* The digits of integer token t (sign stripped into *neg), or ERR_FAIL. */
static int int_digits(const struct json_doc *d, int t, const char **p, size_t *n, int *neg,
                      struct err *e)
{
	const struct json_tok *k;
	int rc = want(d, t, JSON_NUMBER, e);
	if (rc < 0)
		return rc;
	k = &d->toks[t];
	*p = d->text + k->start;
	*n = k->end - k->start;
	*neg = **p == '-';
	if (*neg) {
		(*p)++;
		(*n)--;
	}
	for (size_t i = 0; i < *n; i++)
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return err_set(e, ERR_FAIL, "integer expected, found %.*s at byte %u",
			               (int)(k->end - k->start > 40 ? 40 : k->end - k->start),
			               d->text + k->start, k->start);
	return 0;
}

/* Accumulates digits into *v, failing past max. */
static int accumulate(const char *p, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned dg = (unsigned)(p[i] - '0');
		if (x > (max - dg) / 10)
			return -1;
		x = x * 10 + dg;
	}
	*v = x;
	return 0;
}

int json_uint64(const struct json_doc *d, int t, uint64_t *out, struct err *e)
{
	const char *p;
	size_t n;
	int neg, rc;
	uint64_t v;
	if ((rc = int_digits(d, t, &p, &n, &neg, e)) < 0)
		return rc;
	if (neg)
		return err_set(e, ERR_FAIL, "unsigned integer expected, found negative at byte %u",
		               d->toks[t].start);
	if (accumulate(p, n, UINT64_MAX, &v) < 0)
		return err_set(e, ERR_FAIL, "integer at byte %u out of range", d->toks[t].start);
	*out = v;
	return 0;
}

int json_int64(const struct json_doc *d, int t, int64_t *out, struct err *e)
{
	const char *p;
	size_t n;
	int neg, rc;
	uint64_t v;
	if ((rc = int_digits(d, t, &p, &n, &neg, e)) < 0)
		return rc;
	if (accumulate(p, n, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &v) < 0)
		return err_set(e, ERR_FAIL, "integer at byte %u out of range", d->toks[t].start);
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	return 0;
}

int json_bool(const struct json_doc *d, int t, int *out, struct err *e)
{
	int ty = json_type(d, t);
	if (!ty)
		return err_set(e, ERR_FAIL, "boolean expected, value missing");
	if (ty != JSON_TRUE && ty != JSON_FALSE)
		return err_set(e, ERR_FAIL, "boolean expected, found %s at byte %u",
		               json_type_name(ty), d->toks[t].start);
	*out = ty == JSON_TRUE;
	return 0;
}

/* Writer. */

void json_w_init(struct json_writer *w, struct buf *b, struct err *e)
{
	memset(w, 0, sizeof *w);
	w->b = b;
	w->e = e;
}

__attribute__((format(printf, 2, 3))) static int wfail(struct json_writer *w, const char *fmt, ...);
static int wfail(struct json_writer *w, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	if (w->err)
		return w->err;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	w->err = err_set(w->e, ERR_FAIL, "writing JSON: %s", what);
	return w->err;
}

static int put(struct json_writer *w, const void *p, size_t n)
{
	if (buf_append(w->b, p, n) < 0)
		return wfail(w, "output larger than its limit of %zu bytes", w->b->max);
	return 0;
}

/* Before a value: the comma and the checks of where a value may stand. */
static int before_value(struct json_writer *w)
{
	if (w->err)
		return w->err;
	if (w->depth == 0) {
		if (w->done)
			return wfail(w, "a second top-level value");
		return 0;
	}
	if (w->object[w->depth - 1]) {
		if (!w->key_due)
			return wfail(w, "value without a key in an object");
		w->key_due = 0;
		return 0;
	}
	if (w->count[w->depth - 1]++)
		return put(w, ",", 1);
	return 0;
}

static void after_value(struct json_writer *w)
{
	if (w->depth == 0)
		w->done = 1;
}

static int begin(struct json_writer *w, int object)
{
	int rc = before_value(w);
	if (rc < 0)
		return rc;
	if (w->depth == JSON_MAX_DEPTH)
		return wfail(w, "nested deeper than %d", JSON_MAX_DEPTH);
	if ((rc = put(w, object ? "{" : "[", 1)) < 0)
		return rc;
	w->object[w->depth] = (uint8_t)object;
	w->count[w->depth] = 0;
	w->depth++;
	return 0;
}

static int end(struct json_writer *w, int object)
{
	int rc;
	if (w->err)
		return w->err;
	if (w->depth == 0 || w->object[w->depth - 1] != object)
		return wfail(w, "%s end without its begin", object ? "object" : "array");
	if (w->key_due)
		return wfail(w, "object ends after a key without a value");
	if ((rc = put(w, object ? "}" : "]", 1)) < 0)
		return rc;
	w->depth--;
	after_value(w);
	return 0;
}

int json_w_obj_begin(struct json_writer *w)
{
	return begin(w, 1);
}

int json_w_obj_end(struct json_writer *w)
{
	return end(w, 1);
}

int json_w_arr_begin(struct json_writer *w)
{
	return begin(w, 0);
}

int json_w_arr_end(struct json_writer *w)
{
	return end(w, 0);
}

static int put_string(struct json_writer *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0, bad;
	int rc;
	if ((bad = json_utf8_check(s, n)) != 0)
		return wfail(w, "invalid UTF-8 at byte %zu of a string", bad - 1);
	if ((rc = put(w, "\"", 1)) < 0)
		return rc;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t en = 2;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (i > run && (rc = put(w, s + run, i - run)) < 0)
			return rc;
		run = i + 1;
		esc[0] = '\\';
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			en = 6;
		}
		if ((rc = put(w, esc, en)) < 0)
			return rc;
	}
	if (i > run && (rc = put(w, s + run, i - run)) < 0)
		return rc;
	return put(w, "\"", 1);
}

int json_w_key(struct json_writer *w, const char *key)
{
	int rc;
	if (w->err)
		return w->err;
	if (w->depth == 0 || !w->object[w->depth - 1])
		return wfail(w, "key \"%.64s\" outside an object", key);
	if (w->key_due)
		return wfail(w, "key \"%.64s\" where a value is due", key);
	if (w->count[w->depth - 1]++ && (rc = put(w, ",", 1)) < 0)
		return rc;
	if ((rc = put_string(w, key, strlen(key))) < 0)
		return rc;
	if ((rc = put(w, ":", 1)) < 0)
		return rc;
	w->key_due = 1;
	return 0;
}

int json_w_strn(struct json_writer *w, const char *s, size_t n)
{
	int rc = before_value(w);
	if (rc < 0 || (rc = put_string(w, s, n)) < 0)
		return rc;
	after_value(w);
	return 0;
}

int json_w_str(struct json_writer *w, const char *s)
{
	return json_w_strn(w, s, strlen(s));
}

int json_w_text(struct json_writer *w, const char *s)
{
	struct buf t;
	size_t n, bad;
	int rc;
	if (!s)
		return json_w_null(w);
	n = strlen(s);
	if (!json_utf8_check(s, n))
		return json_w_strn(w, s, n);
	buf_init(&t, 0);
	for (;;) {
		bad = json_utf8_check(s, n);
		size_t ok = bad ? bad - 1 : n;
		if (buf_append(&t, s, ok) < 0 || (bad && buf_append(&t, "\xef\xbf\xbd", 3) < 0)) {
			buf_free(&t);
			return wfail(w, "out of memory");
		}
		if (!bad)
			break;
		s += ok + 1;
		n -= ok + 1;
	}
	rc = json_w_strn(w, t.p, t.len);
	buf_free(&t);
	return rc;
}

int json_w_ktext(struct json_writer *w, const char *key, const char *s)
{
	int rc = json_w_key(w, key);
	return rc < 0 ? rc : json_w_text(w, s);
}

int json_w_kbool(struct json_writer *w, const char *key, int v)
{
	int rc = json_w_key(w, key);
	return rc < 0 ? rc : json_w_bool(w, v);
}

int json_w_kuint(struct json_writer *w, const char *key, uint64_t v)
{
	int rc = json_w_key(w, key);
	return rc < 0 ? rc : json_w_uint(w, v);
}

int json_w_raw(struct json_writer *w, const char *s, size_t n)
{
	int rc = before_value(w);
	if (rc < 0 || (rc = put(w, s, n)) < 0)
		return rc;
	after_value(w);
	return 0;
}

int json_w_int(struct json_writer *w, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%" PRId64, v);
	return json_w_raw(w, num, (size_t)n);
}

int json_w_uint(struct json_writer *w, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%" PRIu64, v);
	return json_w_raw(w, num, (size_t)n);
}

int json_w_bool(struct json_writer *w, int v)
{
	return v ? json_w_raw(w, "true", 4) : json_w_raw(w, "false", 5);
}

int json_w_null(struct json_writer *w)
{
	return json_w_raw(w, "null", 4);
}

int json_w_kstr(struct json_writer *w, const char *key, const char *s)
{
	int rc = json_w_key(w, key);
	return rc < 0 ? rc : json_w_str(w, s);
}

int json_w_kint(struct json_writer *w, const char *key, int64_t v)
{
	int rc = json_w_key(w, key);
	return rc < 0 ? rc : json_w_int(w, v);
}

int json_w_finish(struct json_writer *w)
{
	if (w->err)
		return w->err;
	if (w->depth || !w->done)
		return wfail(w, "document incomplete (%d open)", w->depth);
	return 0;
}
