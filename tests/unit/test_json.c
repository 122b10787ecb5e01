/* test_json.c - strict parsing (accept/reject tables), lookups, numbers, the writer */
#include "t.h"

#include "buf.h"
#include "err.h"
#include "json.h"

#include <stdint.h>

struct doc_case {
	const char *name;
	const char *text;
	size_t len; /* 0: strlen(text) */
};

/* Modelled on JSONTestSuite's y_ cases: each must parse. */
static const struct doc_case valid[] = {
    {"y_empty_object", "{}", 0},
    {"y_empty_array", "[]", 0},
    {"y_ws_around", " \t\r\n[ ] \n", 0},
    {"y_scalar_string", "\"x\"", 0},
    {"y_scalar_number", "-0", 0},
    {"y_scalar_true", "true", 0},
    {"y_scalar_false", "false", 0},
    {"y_scalar_null", "null", 0},
    {"y_nested", "{\"a\":[1,{\"b\":null}],\"c\":{}}", 0},
    {"y_number_frac_exp", "[0.5,-1.25e+10,3E-2,1e5,0e0,-0.0]", 0},
    {"y_number_huge", "[1e999999,123456789012345678901234567890]", 0},
    {"y_number_neg_zero", "[-0]", 0},
    {"y_escapes", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", 0},
    {"y_u_escape", "[\"\\u0041\\u00e9\\u20AC\"]", 0},
    {"y_surrogate_pair", "[\"\\uD834\\uDD1E\"]", 0},
    {"y_u_escape_nul", "[\"a\\u0000b\"]", 0},
    {"y_utf8_2_3_4", "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]", 0},
    {"y_utf8_max", "[\"\xf4\x8f\xbf\xbf\"]", 0},
    {"y_del_char", "[\"\x7f\"]", 0},
    {"y_u2028", "[\"\xe2\x80\xa8\"]", 0},
    {"y_keys_differ_by_escape_only_once", "{\"a\":1,\"\\u0062\":2}", 0},
    {"y_key_prefix", "{\"ab\":1,\"a\":2,\"abc\":3}", 0},
    {"y_many_keys_distinct",
     "{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,"
     "\"k9\":9,\"k10\":10}",
     0},
    {"y_same_key_in_sibling_objects", "[{\"a\":1},{\"a\":2}]", 0},
    {"y_same_key_nested", "{\"a\":{\"a\":{\"a\":1}}}", 0},
};

/* Modelled on JSONTestSuite's n_ cases: each must be rejected. */
static const struct doc_case invalid[] = {
    {"n_empty", "", 0},
    {"n_ws_only", "  \n", 0},
    {"n_trailing_comma_array", "[1,]", 0},
    {"n_trailing_comma_object", "{\"a\":1,}", 0},
    {"n_leading_comma", "[,1]", 0},
    {"n_double_comma", "[1,,2]", 0},
    {"n_missing_comma", "[1 2]", 0},
    {"n_missing_colon", "{\"a\" 1}", 0},
    {"n_missing_value", "{\"a\":}", 0},
    {"n_unquoted_key", "{a:1}", 0},
    {"n_single_quotes", "['a']", 0},
    {"n_number_key", "{1:1}", 0},
    {"n_unclosed_array", "[1", 0},
    {"n_unclosed_object", "{\"a\":1", 0},
    {"n_unclosed_string", "[\"abc", 0},
    {"n_close_mismatch", "[1}", 0},
    {"n_extra_close", "[1]]", 0},
    {"n_two_values", "1 2", 0},
    {"n_trailing_garbage", "{}x", 0},
    {"n_trailing_nul", "{}\0", 3},
    {"n_leading_garbage", "x{}", 0},
    {"n_bom", "\xef\xbb\xbf{}", 0},
    {"n_leading_zero", "[01]", 0},
    {"n_neg_leading_zero", "[-012]", 0},
    {"n_plus_sign", "[+1]", 0},
    {"n_dot_first", "[.5]", 0},
    {"n_dot_last", "[1.]", 0},
    {"n_exp_empty", "[1e]", 0},
    {"n_exp_sign_only", "[1e+]", 0},
    {"n_minus_only", "[-]", 0},
    {"n_hex_number", "[0x10]", 0},
    {"n_nan", "[NaN]", 0},
    {"n_infinity", "[Infinity]", 0},
    {"n_neg_infinity", "[-Infinity]", 0},
    {"n_true_caps", "[True]", 0},
    {"n_truncated_true", "[tru]", 0},
    {"n_nul_literal", "[nulll]", 0},
    {"n_comment_line", "[1] // c", 0},
    {"n_comment_block", "[/* c */ 1]", 0},
    {"n_bad_escape", "[\"\\x41\"]", 0},
    {"n_escape_apostrophe", "[\"\\'\"]", 0},
    {"n_escape_at_end", "[\"\\", 0},
    {"n_u_escape_short", "[\"\\u12\"]", 0},
    {"n_u_escape_nonhex", "[\"\\u12G4\"]", 0},
    {"n_lone_high_surrogate", "[\"\\uD800\"]", 0},
    {"n_lone_high_then_char", "[\"\\uD800x\"]", 0},
    {"n_high_high", "[\"\\uD800\\uD800\"]", 0},
    {"n_lone_low_surrogate", "[\"\\uDC00\"]", 0},
    {"n_reversed_pair", "[\"\\uDC00\\uD800\"]", 0},
    {"n_control_char_tab", "[\"a\tb\"]", 0},
    {"n_control_char_newline", "[\"a\nb\"]", 0},
    {"n_raw_nul_in_string", "[\"a\0b\"]", 6},
    {"n_utf8_overlong_slash", "[\"\xc0\xaf\"]", 0},
    {"n_utf8_overlong_3", "[\"\xe0\x80\xaf\"]", 0},
    {"n_utf8_overlong_4", "[\"\xf0\x80\x80\xaf\"]", 0},
    {"n_utf8_surrogate", "[\"\xed\xa0\x80\"]", 0},
    {"n_utf8_too_big", "[\"\xf4\x90\x80\x80\"]", 0},
    {"n_utf8_f5", "[\"\xf5\x80\x80\x80\"]", 0},
    {"n_utf8_lone_continuation", "[\"\x80\"]", 0},
    {"n_utf8_truncated", "[\"\xe2\x82\"]", 0},
    {"n_utf8_ff", "[\"\xff\"]", 0},
    {"n_latin1_outside_string", "[\xe9]", 0},
    {"n_duplicate_key", "{\"a\":1,\"a\":2}", 0},
    {"n_duplicate_key_escaped", "{\"a\":1,\"\\u0061\":2}", 0},
    {"n_duplicate_key_nested", "{\"x\":{\"b\":1,\"c\":2,\"b\":3}}", 0},
    {"n_duplicate_key_large",
     "{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,"
     "\"k9\":9,\"k3\":10}",
     0},
    {"n_duplicate_key_pair_escape", "{\"\\uD834\\uDD1E\":1,\"\xf0\x9d\x84\x9e\":2}", 0},
    {"n_vertical_tab_ws", "[\v1]", 0},
    {"n_form_feed_ws", "[\f1]", 0},
    {"n_nbsp_ws",
     "[\xc2\xa0"
     "1]",
     0},
    {"n_colon_in_array", "[1:2]", 0},
    {"n_object_in_key", "{{}:1}", 0},
    {"n_array_as_key", "{[]:1}", 0},
};

static size_t case_len(const struct doc_case *c)
{
	return c->len ? c->len : strlen(c->text);
}

static void test_valid_table(void)
{
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		struct json_doc d;
		struct err e;
		err_init(&e);
		int rc = json_parse(&d, valid[i].text, case_len(&valid[i]), &e);
		T_CHECKF(rc == 0, "%s rejected: %s", valid[i].name, e.msg);
		json_free(&d);
	}
}

static void test_invalid_table(void)
{
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		struct json_doc d;
		struct err e;
		err_init(&e);
		int rc = json_parse(&d, invalid[i].text, case_len(&invalid[i]), &e);
		T_CHECKF(rc == ERR_FAIL && strstr(e.msg, "at byte") && d.ntok == 0,
		         "%s accepted or bad error (rc %d, \"%s\")", invalid[i].name, rc, e.msg);
		json_free(&d);
	}
}

/* Errors name the offending byte and what is wrong. */
static void test_error_messages(void)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
	    {"[1,]", "invalid JSON at byte 3: unexpected character ']'"},
	    {"{\"a\":1,\"a\":2}", "invalid JSON at byte 7: duplicate key \"a\""},
	    {"[01]", "invalid JSON at byte 2: leading zero in number"},
	    {"[\"\\uD800\"]", "invalid JSON at byte 2: lone high surrogate \\ud800"},
	    {"[\"\xc0\xaf\"]", "invalid JSON at byte 2: invalid UTF-8 in string"},
	    {"{} {}", "invalid JSON at byte 3: garbage after the document"},
	    {"\xef\xbb\xbf[]", "invalid JSON at byte 0: byte order mark not allowed"},
	    {"[\"a\tb\"]", "invalid JSON at byte 3: control character 0x09 in string"},
	    {"[1", "invalid JSON at byte 2: unexpected end, ']' expected"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct json_doc d;
		struct err e;
		err_init(&e);
		json_parse(&d, cases[i].text, strlen(cases[i].text), &e);
		T_EQ_STR(e.msg, cases[i].msg);
		json_free(&d);
	}
}

static void test_depth_and_limits(void)
{
	char deep[2 * (JSON_MAX_DEPTH + 1) + 1];
	struct json_doc d;
	struct json_tok toks[4];
	struct err e;
	int n;
	/* exactly the limit parses; one more level fails */
	for (n = 0; n < JSON_MAX_DEPTH; n++) {
		deep[n] = '[';
		deep[JSON_MAX_DEPTH * 2 - 1 - n] = ']';
	}
	err_init(&e);
	T_EQ_INT(json_parse(&d, deep, 2 * JSON_MAX_DEPTH, &e), 0);
	T_EQ_INT(d.ntok, JSON_MAX_DEPTH);
	T_EQ_INT(d.toks[0].next, JSON_MAX_DEPTH);
	json_free(&d);
	for (n = 0; n <= JSON_MAX_DEPTH; n++) {
		deep[n] = '[';
		deep[(JSON_MAX_DEPTH + 1) * 2 - 1 - n] = ']';
	}
	err_init(&e);
	T_EQ_INT(json_parse(&d, deep, 2 * (JSON_MAX_DEPTH + 1), &e), ERR_FAIL);
	T_CHECK(strstr(e.msg, "nested deeper than 64") != NULL);
	json_free(&d);

	/* caller's token array: 4 tokens fit, 5 do not */
	err_init(&e);
	T_EQ_INT(json_parse_into(&d, "[1,2,3]", 7, toks, 4, &e), 0);
	T_EQ_INT(d.ntok, 4);
	json_free(&d);
	err_init(&e);
	T_EQ_INT(json_parse_into(&d, "[1,2,3,4]", 9, toks, 4, &e), ERR_FAIL);
	T_CHECK(strstr(e.msg, "more than 4 tokens") != NULL);

	/* document size: checked before anything is read (text need not exist) */
	err_init(&e);
	T_EQ_INT(json_parse(&d, "[]", (size_t)JSON_MAX_SIZE + 1, &e), ERR_FAIL);
	T_CHECK(strstr(e.msg, "larger than limit") != NULL);
	json_free(&d);
}

/* The allocated token array stops at JSON_MAX_TOKENS. */
static void test_token_limit(void)
{
	size_t n = JSON_MAX_TOKENS; /* "[" + n-1 times "0," + "0]" gives n+1 tokens */
	char *s = malloc(2 * n + 2);
	struct json_doc d;
	struct err e;
	size_t i, o = 0;
	s[o++] = '[';
	for (i = 0; i < n; i++) {
		s[o++] = '0';
		s[o++] = i + 1 < n ? ',' : ']';
	}
	err_init(&e);
	T_EQ_INT(json_parse(&d, s, o, &e), ERR_FAIL);
	T_CHECK(strstr(e.msg, "more than 1048576 tokens") != NULL);
	json_free(&d);
	/* one token fewer fits */
	o = 0;
	s[o++] = '[';
	for (i = 0; i + 1 < n; i++) {
		s[o++] = '0';
		s[o++] = i + 2 < n ? ',' : ']';
	}
	err_init(&e);
	T_EQ_INT(json_parse(&d, s, o, &e), 0);
	T_EQ_INT(d.ntok, n);
	T_EQ_INT(d.toks[0].size, n - 1);
	json_free(&d);
	free(s);
}

/* Big hostile shapes end in a clear error (or a value), quickly and without recursion. */
static void test_hostile_sizes(void)
{
	size_t n = 1 << 20;
	char *s = malloc(n + 2);
	struct json_doc d;
	struct err e;
	uint64_t u;
	/* a million open brackets: stops at the depth limit */
	memset(s, '[', n);
	err_init(&e);
	T_EQ_INT(json_parse(&d, s, n, &e), ERR_FAIL);
	T_EQ_STR(e.msg, "invalid JSON at byte 64: nested deeper than 64");
	json_free(&d);
	/* a million-digit number is valid JSON, but no integer */
	memset(s, '7', n);
	err_init(&e);
	T_EQ_INT(json_parse(&d, s, n, &e), 0);
	T_EQ_INT(json_uint64(&d, 0, &u, &e), ERR_FAIL);
	T_EQ_STR(e.msg, "integer at byte 0 out of range");
	json_free(&d);
	/* a megabyte string of every escape, then unterminated */
	s[0] = '"';
	for (size_t i = 1; i + 1 < n; i += 2)
		memcpy(s + i, "\\\\", 2);
	s[n - 1] = '"';
	err_init(&e);
	T_EQ_INT(json_parse(&d, s, n, &e), 0);
	char *dup = json_strdup(&d, 0, &e);
	T_CHECK(dup && strlen(dup) == (n - 2) / 2 && dup[0] == '\\');
	free(dup);
	json_free(&d);
	err_init(&e);
	T_EQ_INT(json_parse(&d, s, n - 1, &e), ERR_FAIL);
	T_EQ_STR(e.msg, "invalid JSON at byte 0: unterminated string");
	json_free(&d);
	free(s);
}

/* Every control character is escaped by the writer and read back unchanged. */
static void test_control_chars(void)
{
	char in[33], out[40];
	struct buf b;
	struct json_writer w;
	struct json_doc d;
	struct err e;
	for (int i = 0; i < 32; i++)
		in[i] = (char)(i + 1 == 32 ? 0x7f : i + 1);
	in[32] = 0;
	buf_init(&b, 0);
	err_init(&e);
	json_w_init(&w, &b, &e);
	json_w_str(&w, in);
	T_EQ_INT(json_w_finish(&w), 0);
	for (size_t i = 0; i < b.len; i++)
		T_CHECKF((unsigned char)b.p[i] >= 0x20, "raw control byte at %zu", i);
	T_EQ_INT(json_parse(&d, b.p, b.len, &e), 0);
	T_EQ_INT(json_str(&d, 0, out, sizeof out, &e), 32);
	T_EQ_STR(out, in);
	json_free(&d);
	buf_free(&b);
}

/* A large object with many distinct keys (sorted duplicate check), then one duplicate. */
static void test_many_keys(void)
{
	struct buf b;
	struct json_doc d;
	struct err e;
	buf_init(&b, 0);
	buf_putc(&b, '{');
	for (int i = 0; i < 5000; i++)
		buf_printf(&b, "%s\"key-%d\":%d", i ? "," : "", (i * 7919) % 5000, i);
	buf_putc(&b, '}');
	err_init(&e);
	T_EQ_INT(json_parse(&d, b.p, b.len, &e), 0);
	T_EQ_INT(d.toks[0].size, 5000);
	T_CHECK(json_get(&d, 0, "key-4999") > 0);
	json_free(&d);
	b.len--;
	buf_puts(&b, ",\"key-\\u0031\\u0032\":1}"); /* "key-12" again, escaped */
	err_init(&e);
	T_EQ_INT(json_parse(&d, b.p, b.len, &e), ERR_FAIL);
	T_CHECK(strstr(e.msg, "duplicate key") != NULL);
	json_free(&d);
	buf_free(&b);
}

static const char manifest[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
    "\"digest\":\"sha256:aa\",\"size\":123},"
    "\"layers\":[{\"digest\":\"sha256:bb\",\"size\":9007199254740993},"
    "{\"digest\":\"sha\\u0032\\u00356:cc\",\"size\":0}],"
    "\"annotations\":{\"org.opencontainers.image.title\":\"n\\u00e9\\/x\",\"e\":\"\"},"
    "\"flag\":true,\"off\":false,\"none\":null,\"neg\":-42,\"f\":1.5}";

static void test_lookup_and_iterate(void)
{
	struct json_doc d;
	struct err e;
	struct json_iter it;
	char s[64];
	int v, k, n;
	uint64_t u;
	int64_t i64;
	err_init(&e);
	T_EQ_INT(json_parse(&d, manifest, strlen(manifest), &e), 0);
	T_EQ_INT(json_type(&d, 0), JSON_OBJECT);
	T_EQ_INT(d.toks[0].size, 10);
	T_EQ_INT(d.toks[0].next, d.ntok);
	v = json_get(&d, 0, "schemaVersion");
	T_EQ_INT(json_int64(&d, v, &i64, &e), 0);
	T_EQ_INT(i64, 2);
	T_CHECK(json_str_eq(&d, json_get(&d, 0, "mediaType"),
	                    "application/vnd.oci.image.manifest.v1+json"));
	T_CHECK(!json_str_eq(&d, json_get(&d, 0, "mediaType"), "application/vnd.oci"));
	T_CHECK(!json_str_eq(&d, json_get(&d, 0, "schemaVersion"), "2"));
	T_EQ_INT(json_get(&d, 0, "missing"), -1);
	T_EQ_INT(json_get(&d, 0, "schemaversion"), -1);
	T_EQ_INT(json_get(&d, v, "x"), -1); /* not an object */
	T_EQ_INT(json_get(&d, -1, "x"), -1);
	/* keys of nested objects are not members of the outer one */
	T_EQ_INT(json_get(&d, 0, "digest"), -1);
	v = json_get(&d, json_get(&d, 0, "config"), "size");
	T_EQ_INT(json_uint64(&d, v, &u, &e), 0);
	T_EQ_INT(u, 123);

	/* arrays: elements in order, subtrees skipped */
	v = json_get(&d, 0, "layers");
	T_EQ_INT(json_type(&d, v), JSON_ARRAY);
	json_iter_init(&it, &d, v);
	n = 0;
	while ((k = json_iter_next(&it, NULL)) >= 0) {
		int dg = json_get(&d, k, "digest");
		T_EQ_INT(json_type(&d, k), JSON_OBJECT);
		T_EQ_INT(json_str(&d, dg, s, sizeof s, &e), 9);
		T_EQ_STR(s, n == 0 ? "sha256:bb" : "sha256:cc");
		T_CHECK(json_str_eq(&d, dg, n == 0 ? "sha256:bb" : "sha256:cc"));
		n++;
	}
	T_EQ_INT(n, 2);
	json_iter_init(&it, &d, json_get(&d, 0, "layers"));
	k = json_iter_next(&it, NULL);
	T_EQ_INT(json_uint64(&d, json_get(&d, k, "size"), &u, &e), 0);
	T_CHECK(u == 9007199254740993ull); /* above 2^53: exact, numbers stay text */

	/* objects: keys and values */
	json_iter_init(&it, &d, json_get(&d, 0, "annotations"));
	v = json_iter_next(&it, &k);
	T_CHECK(json_str_eq(&d, k, "org.opencontainers.image.title"));
	T_EQ_INT(json_str(&d, v, s, sizeof s, &e), 5);
	T_EQ_STR(s, "n\xc3\xa9/x");
	T_CHECK(json_str_eq(&d, v, "n\xc3\xa9/x"));
	T_CHECK(!json_str_eq(&d, v, "n\xc3\xa9/"));
	T_CHECK(!json_str_eq(&d, v, "n\xc3\xa9/xy"));
	v = json_iter_next(&it, &k);
	T_CHECK(json_str_eq(&d, v, ""));
	T_EQ_INT(json_iter_next(&it, &k), -1);
	T_EQ_INT(json_iter_next(&it, &k), -1);
	json_iter_init(&it, &d, json_get(&d, 0, "flag")); /* scalar: nothing */
	T_EQ_INT(json_iter_next(&it, &k), -1);

	T_EQ_INT(json_bool(&d, json_get(&d, 0, "flag"), &n, &e), 0);
	T_EQ_INT(n, 1);
	T_EQ_INT(json_bool(&d, json_get(&d, 0, "off"), &n, &e), 0);
	T_EQ_INT(n, 0);
	T_EQ_INT(json_type(&d, json_get(&d, 0, "none")), JSON_NULL);
	err_init(&e);
	T_EQ_INT(json_bool(&d, json_get(&d, 0, "none"), &n, &e), ERR_FAIL);
	T_CHECK(strstr(e.msg, "boolean expected, found null at byte") != NULL);
	err_init(&e);
	T_EQ_INT(json_bool(&d, -1, &n, &e), ERR_FAIL);
	T_EQ_STR(e.msg, "boolean expected, value missing");
	err_init(&e);
	T_EQ_INT(json_str(&d, json_get(&d, 0, "neg"), s, sizeof s, &e), ERR_FAIL);
	T_CHECK(strstr(e.msg, "string expected, found number at byte") != NULL);
	err_init(&e);
	T_EQ_INT(json_str(&d, json_get(&d, 0, "nope"), s, sizeof s, &e), ERR_FAIL);
	T_EQ_STR(e.msg, "string expected, value missing");
	err_init(&e);
	T_EQ_INT(json_uint64(&d, json_get(&d, 0, "neg"), &u, &e), ERR_FAIL);
	T_CHECK(strstr(e.msg, "negative") != NULL);
	T_EQ_INT(json_int64(&d, json_get(&d, 0, "neg"), &i64, &e), 0);
	T_EQ_INT(i64, -42);
	err_init(&e);
	T_EQ_INT(json_int64(&d, json_get(&d, 0, "f"), &i64, &e), ERR_FAIL);
	T_CHECK(strstr(e.msg, "integer expected, found 1.5") != NULL);

	size_t rl;
	const char *raw = json_raw(&d, json_get(&d, 0, "config"), &rl);
	T_CHECK(raw && rl > 2 && raw[0] == '{' && raw[rl - 1] == '}');
	raw = json_raw(&d, json_get(&d, 0, "mediaType"), &rl);
	T_CHECK(raw && rl == 42 && memcmp(raw, "application/", 12) == 0);
	T_CHECK(json_raw(&d, 999999, &rl) == NULL);
	T_EQ_STR(json_type_name(json_type(&d, -1)), "missing");
	json_free(&d);
}

static void test_strings(void)
{
	static const char text[] =
	    "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"\\u0041\\u00e9\\u20ac\\ud83d\\ude00\","
	    "\"a\\u0000b\",\"12345678\",\"plain\"]";
	struct json_doc d;
	struct err e;
	char s[16], *dup;
	err_init(&e);
	T_EQ_INT(json_parse(&d, text, strlen(text), &e), 0);
	T_EQ_INT(json_str(&d, 1, s, sizeof s, &e), 8);
	T_EQ_STR(s, "\"\\/\b\f\n\r\t");
	T_EQ_INT(json_str(&d, 2, s, sizeof s, &e), 10);
	T_EQ_STR(s, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	T_CHECK(json_str_eq(&d, 2, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
	/* U+0000 cannot be carried by a C string: refused, never truncated */
	err_init(&e);
	T_EQ_INT(json_str(&d, 3, s, sizeof s, &e), ERR_FAIL);
	T_EQ_STR(s, "");
	T_CHECK(strstr(e.msg, "U+0000") != NULL);
	T_CHECK(!json_str_eq(&d, 3, "a"));
	T_CHECK(!json_str_eq(&d, 3, "ab"));
	/* exact fit and one byte short */
	T_EQ_INT(json_str(&d, 4, s, 9, &e), 8);
	err_init(&e);
	T_EQ_INT(json_str(&d, 4, s, 8, &e), ERR_FAIL);
	T_EQ_STR(s, "");
	T_CHECK(strstr(e.msg, "longer than 7 bytes") != NULL);
	T_EQ_INT(json_str(&d, 4, s, 0, &e), ERR_FAIL);
	dup = json_strdup(&d, 2, &e);
	T_EQ_STR(dup, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	free(dup);
	dup = json_strdup(&d, 5, &e);
	T_EQ_STR(dup, "plain");
	free(dup);
	T_CHECK(json_strdup(&d, 0, &e) == NULL);
	T_EQ_INT(d.toks[5].escape, 0);
	T_EQ_INT(d.toks[2].escape, 1);
	json_free(&d);
}

static void test_integers(void)
{
	static const struct {
		const char *text;
		int ok64, oku64;
		int64_t v64;
		uint64_t vu64;
	} cases[] = {
	    {"0", 1, 1, 0, 0},
	    {"-0", 1, 0, 0, 0},
	    {"9223372036854775807", 1, 1, INT64_MAX, 9223372036854775807ull},
	    {"9223372036854775808", 0, 1, 0, 9223372036854775808ull},
	    {"-9223372036854775808", 1, 0, INT64_MIN, 0},
	    {"-9223372036854775809", 0, 0, 0, 0},
	    {"18446744073709551615", 0, 1, 0, UINT64_MAX},
	    {"18446744073709551616", 0, 0, 0, 0},
	    {"99999999999999999999999", 0, 0, 0, 0},
	    {"1e3", 0, 0, 0, 0},
	    {"1.0", 0, 0, 0, 0},
	    {"\"1\"", 0, 0, 0, 0},
	    {"-17", 1, 0, -17, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct json_doc d;
		struct err e;
		int64_t v = 77;
		uint64_t u = 77;
		err_init(&e);
		T_EQ_INT(json_parse(&d, cases[i].text, strlen(cases[i].text), &e), 0);
		int r64 = json_int64(&d, 0, &v, &e), ru64 = json_uint64(&d, 0, &u, &e);
		T_CHECKF((r64 == 0) == cases[i].ok64 && (!cases[i].ok64 || v == cases[i].v64) &&
		             (cases[i].ok64 || v == 77),
		         "int64 %s: rc %d v %lld", cases[i].text, r64, (long long)v);
		T_CHECKF((ru64 == 0) == cases[i].oku64 && (!cases[i].oku64 || u == cases[i].vu64) &&
		             (cases[i].oku64 || u == 77),
		         "uint64 %s: rc %d v %llu", cases[i].text, ru64, (unsigned long long)u);
		json_free(&d);
	}
}

static void test_writer(void)
{
	struct buf b;
	struct json_writer w;
	struct err e;
	buf_init(&b, 0);
	err_init(&e);
	json_w_init(&w, &b, &e);
	json_w_obj_begin(&w);
	json_w_kint(&w, "schemaVersion", 2);
	json_w_kstr(&w, "mediaType", "application/vnd.oci.image.manifest.v1+json");
	json_w_key(&w, "layers");
	json_w_arr_begin(&w);
	json_w_obj_begin(&w);
	json_w_kstr(&w, "digest", "sha256:x");
	json_w_key(&w, "size");
	json_w_uint(&w, UINT64_MAX);
	json_w_obj_end(&w);
	json_w_int(&w, INT64_MIN);
	json_w_bool(&w, 1);
	json_w_bool(&w, 0);
	json_w_null(&w);
	json_w_raw(&w, "{\"r\":[]}", 8);
	json_w_arr_begin(&w);
	json_w_arr_end(&w);
	json_w_obj_begin(&w);
	json_w_obj_end(&w);
	json_w_arr_end(&w);
	json_w_kstr(&w, "z", "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f\xc3\xa9");
	json_w_obj_end(&w);
	T_EQ_INT(json_w_finish(&w), 0);
	T_EQ_STR(
	    buf_cstr(&b),
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	    "\"layers\":[{\"digest\":\"sha256:x\",\"size\":18446744073709551615},"
	    "-9223372036854775808,true,false,null,{\"r\":[]},[],{}],"
	    "\"z\":\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xc3\xa9\"}");
	buf_free(&b);

	/* strings with U+0000 through json_w_strn */
	buf_init(&b, 0);
	json_w_init(&w, &b, &e);
	json_w_strn(&w, "a\0b", 3);
	T_EQ_INT(json_w_finish(&w), 0);
	T_EQ_STR(buf_cstr(&b), "\"a\\u0000b\"");
	buf_free(&b);
}

/* json_w_text: outside text is never an error; bytes that are not UTF-8 become U+FFFD. */
static void test_writer_text(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"plain", "\"plain\""},
	    {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
	    {"a\xff"
	     "b",
	     "\"a\xef\xbf\xbd"
	     "b\""},
	    {"\xff\xfe", "\"\xef\xbf\xbd\xef\xbf\xbd\""},
	    {"cut \xc3", "\"cut \xef\xbf\xbd\""},
	    {"\xc0\xaf"
	     "x",
	     "\"\xef\xbf\xbd\xef\xbf\xbd"
	     "x\""}, /* overlong '/' */
	    {"tab\tq\"", "\"tab\\tq\\\"\""},
	    {NULL, "null"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b;
		struct json_writer w;
		struct err e;
		struct json_doc d;
		buf_init(&b, 0);
		err_init(&e);
		json_w_init(&w, &b, &e);
		T_EQ_INT(json_w_text(&w, cases[i].in), 0);
		T_EQ_INT(json_w_finish(&w), 0);
		T_CHECKF(b.len == strlen(cases[i].out) && memcmp(b.p, cases[i].out, b.len) == 0,
		         "case %zu: %.*s", i, (int)b.len, b.p);
		/* and it parses back */
		T_EQ_INT(json_parse(&d, b.p, b.len, &e), 0);
		json_free(&d);
		buf_free(&b);
	}
	/* the keyed shorthands */
	struct buf b;
	struct json_writer w;
	struct err e;
	buf_init(&b, 0);
	err_init(&e);
	json_w_init(&w, &b, &e);
	json_w_obj_begin(&w);
	json_w_ktext(&w, "t", "x\x80");
	json_w_kuint(&w, "u", UINT64_MAX);
	json_w_kbool(&w, "b", 1);
	json_w_ktext(&w, "n", NULL);
	json_w_obj_end(&w);
	T_EQ_INT(json_w_finish(&w), 0);
	const char *want =
	    "{\"t\":\"x\xef\xbf\xbd\",\"u\":18446744073709551615,\"b\":true,\"n\":null}";
	T_CHECKF(b.len == strlen(want) && memcmp(b.p, want, b.len) == 0, "%.*s", (int)b.len, b.p);
	buf_free(&b);
}

/* Misuse and bad input are sticky errors, never silently bad output. */
static void test_writer_errors(void)
{
	static const char *const expect[] = {
	    "writing JSON: invalid UTF-8 at byte 1 of a string",
	    "writing JSON: value without a key in an object",
	    "writing JSON: key \"k\" outside an object",
	    "writing JSON: key \"k2\" where a value is due",
	    "writing JSON: a second top-level value",
	    "writing JSON: array end without its begin",
	    "writing JSON: object ends after a key without a value",
	    "writing JSON: document incomplete (1 open)",
	    "writing JSON: document incomplete (0 open)",
	    "writing JSON: output larger than its limit of 8 bytes",
	    "writing JSON: nested deeper than 64",
	    "writing JSON: invalid UTF-8 at byte 0 of a string",
	};
	for (int i = 0; i < (int)(sizeof expect / sizeof expect[0]); i++) {
		struct buf b;
		struct json_writer w;
		struct err e;
		int rc = 0;
		buf_init(&b, i == 9 ? 8 : 0);
		err_init(&e);
		json_w_init(&w, &b, &e);
		switch (i) {
		case 0:
			json_w_str(&w, "a\xc3(");
			break;
		case 1:
			json_w_obj_begin(&w);
			json_w_int(&w, 1);
			break;
		case 2:
			json_w_arr_begin(&w);
			json_w_key(&w, "k");
			break;
		case 3:
			json_w_obj_begin(&w);
			json_w_key(&w, "k");
			json_w_key(&w, "k2");
			break;
		case 4:
			json_w_null(&w);
			json_w_null(&w);
			break;
		case 5:
			json_w_obj_begin(&w);
			json_w_arr_end(&w);
			break;
		case 6:
			json_w_obj_begin(&w);
			json_w_key(&w, "k");
			json_w_obj_end(&w);
			break;
		case 7:
			json_w_arr_begin(&w);
			break;
		case 8:
			break;
		case 9:
			json_w_str(&w, "123456789");
			break;
		case 10:
			for (int j = 0; j <= JSON_MAX_DEPTH; j++)
				json_w_arr_begin(&w);
			break;
		case 11:
			json_w_obj_begin(&w);
			json_w_key(&w, "\xed\xa0\x80"); /* an encoded surrogate */
			break;
		}
		rc = json_w_finish(&w);
		T_CHECKF(rc == ERR_FAIL && strcmp(e.msg, expect[i]) == 0, "case %d: rc %d \"%s\"",
		         i, rc, e.msg);
		/* sticky: later calls keep failing with the first error */
		T_EQ_INT(json_w_null(&w), ERR_FAIL);
		T_EQ_STR(e.msg, expect[i]);
		buf_free(&b);
	}
}

/* Parse → write back through the writer → the same bytes (compact input). */
static int rewrite(const struct json_doc *d, int t, struct json_writer *w)
{
	struct json_iter it;
	int v, k;
	char *s;
	size_t n;
	const char *raw;
	switch (json_type(d, t)) {
	case JSON_OBJECT:
		json_w_obj_begin(w);
		json_iter_init(&it, d, t);
		while ((v = json_iter_next(&it, &k)) >= 0) {
			s = json_strdup(d, k, w->e);
			json_w_key(w, s ? s : "");
			free(s);
			rewrite(d, v, w);
		}
		return json_w_obj_end(w);
	case JSON_ARRAY:
		json_w_arr_begin(w);
		json_iter_init(&it, d, t);
		while ((v = json_iter_next(&it, NULL)) >= 0)
			rewrite(d, v, w);
		return json_w_arr_end(w);
	case JSON_STRING:
		s = json_strdup(d, t, w->e);
		json_w_str(w, s ? s : "");
		free(s);
		return w->err;
	default:
		raw = json_raw(d, t, &n);
		return json_w_raw(w, raw, n);
	}
}

static void test_round_trip(void)
{
	static const char *const docs[] = {
	    "{\"a\":[1,-2.5e3,true,false,null,{}],\"b\":{\"c\":\"d\"},\"\":\"\"}",
	    "[\"\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\",\"/\xc3\xa9\xf0\x9f\x98\x80\x7f\"]",
	    "\"x\"",
	    "123456789012345678901234567890",
	    "[[[[[]]]],{\"k\":{\"k\":{\"k\":[]}}}]",
	};
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		struct json_doc d, d2;
		struct json_writer w;
		struct buf b;
		struct err e;
		err_init(&e);
		buf_init(&b, 0);
		T_EQ_INT(json_parse(&d, docs[i], strlen(docs[i]), &e), 0);
		json_w_init(&w, &b, &e);
		rewrite(&d, 0, &w);
		T_EQ_INT(json_w_finish(&w), 0);
		T_EQ_STR(buf_cstr(&b), docs[i]);
		/* and what the writer made parses to the same token structure */
		T_EQ_INT(json_parse(&d2, b.p, b.len, &e), 0);
		T_EQ_INT(d2.ntok, d.ntok);
		json_free(&d2);
		json_free(&d);
		buf_free(&b);
	}
	/* escaped input is written back in the writer's own (canonical) escaping */
	{
		static const char in[] = "{\"\\u0041\":\"\\/\\u00e9\\u0007\"}";
		struct json_doc d;
		struct json_writer w;
		struct buf b;
		struct err e;
		err_init(&e);
		buf_init(&b, 0);
		T_EQ_INT(json_parse(&d, in, strlen(in), &e), 0);
		json_w_init(&w, &b, &e);
		rewrite(&d, 0, &w);
		T_EQ_INT(json_w_finish(&w), 0);
		T_EQ_STR(buf_cstr(&b), "{\"A\":\"/\xc3\xa9\\u0007\"}");
		json_free(&d);
		buf_free(&b);
	}
}

static void test_utf8_check(void)
{
	static const struct {
		const char *s;
		size_t want;
	} cases[] = {
	    {"", 0},
	    {"plain", 0},
	    {"\xc3\xa9", 0},
	    {"\xef\xbb\xbf", 0},
	    {"a\xc3", 2},
	    {"ab\xc1\xbf", 3},
	    {"\xe0\x9f\xbf", 1},
	    {"\xed\xbf\xbf", 1},
	    {"\xf0\x8f\xbf\xbf", 1},
	    {"\xf4\x90\x80\x80", 1},
	    {"\xf8\x88\x80\x80\x80", 1},
	    {"\xe2\x82\xac\xe2\x28\xa1", 4},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		T_CHECKF(json_utf8_check(cases[i].s, strlen(cases[i].s)) == cases[i].want,
		         "case %zu: %zu", i, json_utf8_check(cases[i].s, strlen(cases[i].s)));
}

T_MAIN(test_writer_text, test_valid_table, test_invalid_table, test_error_messages,
       test_depth_and_limits, test_hostile_sizes, test_control_chars, test_token_limit,
       test_many_keys, test_lookup_and_iterate, test_strings, test_integers, test_writer,
       test_writer_errors, test_round_trip, test_utf8_check)
