/* json.h - strict RFC 8259 JSON: a tokenizer over the caller's buffer, lookups, a writer */
#ifndef POLYCRATE_JSON_H
#define POLYCRATE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct buf;

#define JSON_MAX_SIZE (8u * 1024 * 1024) /* bytes of one document (OCI manifests: 4 MiB) */
#define JSON_MAX_DEPTH 64                /* nested arrays/objects, parser and writer */
#define JSON_MAX_TOKENS (1u << 20)       /* tokens json_parse allocates at most */

/*
 * Parsing. A document is a flat array of tokens in document order (jsmn-style); a
 * container's children follow it, and each token knows where its subtree ends, so lookups
 * skip whole subtrees. Object members are a key token (a string) followed by the value's
 * tokens. Nothing is allocated per token and nothing is copied: tokens are offsets into
 * the caller's text, which must outlive the document.
 *
 * Strict: exactly one value with optional whitespace (space, tab, CR, LF) around it; no
 * BOM, comments, trailing commas, single quotes, NaN/Infinity, leading zeros, control
 * characters or invalid escapes in strings; \u escapes must pair surrogates correctly;
 * the text must be valid UTF-8 (no overlong forms, no encoded surrogates, nothing above
 * U+10FFFF). An object with two members whose keys are equal after unescaping is
 * rejected: a duplicate key is an error, so a lookup never depends on which one wins.
 * Errors are ERR_FAIL with a message "invalid JSON at byte N: what".
 */
enum json_type {
	JSON_NULL = 1,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_tok {
	uint8_t type;   /* enum json_type */
	uint8_t escape; /* string: holds a backslash escape (else its raw bytes are its value) */
	uint32_t start; /* string: after the opening quote; other types: first byte */
	uint32_t end;   /* string: at the closing quote; other types: after the last byte */
	uint32_t size;  /* array: elements; object: members; scalars: 0 */
	uint32_t next;  /* index of the first token after this one's subtree */
};

struct json_doc {
	const char *text;
	size_t len;
	struct json_tok *toks;
	size_t ntok, cap;
	int owned; /* toks was allocated by json_parse */
};

/* Parses text[0..len) (no NUL needed). The token array grows as needed, up to
 * JSON_MAX_TOKENS. Returns 0 (the root is token 0) or ERR_FAIL with *e set; on error the
 * document holds no tokens. Either way json_free releases it. */
int json_parse(struct json_doc *d, const char *text, size_t len, struct err *e);
/* Same with the caller's token array (cap tokens); more tokens than that is an error.
 * json_free then releases nothing. */
int json_parse_into(struct json_doc *d, const char *text, size_t len, struct json_tok *toks,
                    size_t cap, struct err *e);
void json_free(struct json_doc *d);

/* The type of token t (0 when t is out of range, e.g. -1 from a failed lookup). */
int json_type(const struct json_doc *d, int t);
/* "null", "false", "true", "number", "string", "array", "object", or "missing". */
const char *json_type_name(int type);
/* The value of member key of object obj, or -1 (no such member, or obj no object). */
int json_get(const struct json_doc *d, int obj, const char *key);
/* The raw text of t: a string's bytes inside its quotes (escapes not decoded), a
 * container's from bracket to bracket. NULL when t is out of range. */
const char *json_raw(const struct json_doc *d, int t, size_t *len);

/* Iterates the elements of an array or the members of an object:
 *     struct json_iter it; int v, k;
 *     json_iter_init(&it, d, obj);
 *     while ((v = json_iter_next(&it, &k)) >= 0) ...   (k: the key token, objects only)
 * json_iter_next returns -1 at the end (at once for a scalar or a missing t). */
struct json_iter {
	const struct json_doc *d;
	int cur;
	uint32_t left;
	int object;
};
void json_iter_init(struct json_iter *it, const struct json_doc *d, int t);
int json_iter_next(struct json_iter *it, int *key);

/* 1 when t is a string whose unescaped value is s; decodes on the fly, no copy. */
int json_str_eq(const struct json_doc *d, int t, const char *s);
/* Unescapes string t into out (n bytes, NUL included). Returns the length, or ERR_FAIL
 * when t is no string, holds U+0000 (a C string cannot carry it) or does not fit; out is
 * then "" (when n > 0). */
int json_str(const struct json_doc *d, int t, char *out, size_t n, struct err *e);
/* Same into a malloc'ed string the caller frees; NULL on error. */
char *json_strdup(const struct json_doc *d, int t, struct err *e);
/* A number token that is an integer (no fraction, no exponent) in range. ERR_FAIL for
 * anything else, *out untouched. json_uint64 refuses a minus sign. */
int json_int64(const struct json_doc *d, int t, int64_t *out, struct err *e);
int json_uint64(const struct json_doc *d, int t, uint64_t *out, struct err *e);
/* true/false into *out (1/0); ERR_FAIL for other types. */
int json_bool(const struct json_doc *d, int t, int *out, struct err *e);

/* 0 when p[0..n) is valid UTF-8 by the rules above, else the offset of the first bad
 * byte plus one. */
size_t json_utf8_check(const void *p, size_t n);

/*
 * Writing compact JSON into a buf, in exactly the order the caller writes it (what we
 * hash is what we send). The first error sticks: every later call returns it, and
 * json_w_finish reports it. Misuse (a value where a key is due, unbalanced ends, a second
 * top-level value), invalid UTF-8 in a string, nesting past JSON_MAX_DEPTH and the buf's
 * limit are errors (ERR_FAIL). On error the buf holds a partial document: discard it.
 */
struct json_writer {
	struct buf *b;
	struct err *e;
	int err;
	int depth;
	int key_due; /* in an object, after json_w_key: the value is due */
	int done;    /* a complete top-level value was written */
	uint8_t object[JSON_MAX_DEPTH];
	uint32_t count[JSON_MAX_DEPTH];
};

void json_w_init(struct json_writer *w, struct buf *b, struct err *e);
int json_w_obj_begin(struct json_writer *w);
int json_w_obj_end(struct json_writer *w);
int json_w_arr_begin(struct json_writer *w);
int json_w_arr_end(struct json_writer *w);
int json_w_key(struct json_writer *w, const char *key);
int json_w_str(struct json_writer *w, const char *s);
int json_w_strn(struct json_writer *w, const char *s, size_t n); /* may hold U+0000 */
int json_w_int(struct json_writer *w, int64_t v);
int json_w_uint(struct json_writer *w, uint64_t v);
int json_w_bool(struct json_writer *w, int v);
int json_w_null(struct json_writer *w);
/* A value already in JSON form (e.g. bytes received and to be passed on unchanged):
 * written as it is, not checked. */
int json_w_raw(struct json_writer *w, const char *s, size_t n);
/* Text from outside (file names, YAML values) for people and scripts to read: NULL is
 * null, and bytes that are not UTF-8 become U+FFFD each instead of an error. */
int json_w_text(struct json_writer *w, const char *s);
/* Shorthands for a key and its value. */
int json_w_kstr(struct json_writer *w, const char *key, const char *s);
int json_w_ktext(struct json_writer *w, const char *key, const char *s);
int json_w_kint(struct json_writer *w, const char *key, int64_t v);
int json_w_kuint(struct json_writer *w, const char *key, uint64_t v);
int json_w_kbool(struct json_writer *w, const char *key, int v);
/* 0 when exactly one complete value was written, else the first error. */
int json_w_finish(struct json_writer *w);

#endif
