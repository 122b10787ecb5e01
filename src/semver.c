/* semver.c - SemVer 2.0 parsing and precedence, and the '+' -> '_' tag rule */
#include "semver.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int ident_char(int c)
{
	return isalnum(c) || c == '-';
}

/* A dot-separated identifier list of n bytes; numeric ones without leading zeros when
 * strict (pre-release), any when not (build). NULL or what is wrong. */
static const char *check_idents(const char *s, size_t n, int strict)
{
	size_t i = 0;
	if (n == 0)
		return "empty identifier";
	while (i <= n) {
		size_t st = i;
		int digits = 1;
		while (i < n && s[i] != '.') {
			if (!ident_char((unsigned char)s[i]))
				return "identifiers may hold only [0-9A-Za-z-]";
			if (!isdigit((unsigned char)s[i]))
				digits = 0;
			i++;
		}
		if (i == st)
			return "empty identifier";
		if (strict && digits && i - st > 1 && s[st] == '0')
			return "numeric identifier with a leading zero";
		i++;
	}
	return NULL;
}

static const char *number(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	if (!isdigit((unsigned char)*s))
		return "major.minor.patch must be numbers";
	if (s[0] == '0' && isdigit((unsigned char)s[1]))
		return "number with a leading zero";
	for (; isdigit((unsigned char)*s); s++) {
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return "number too large";
		v = v * 10 + d;
	}
	*out = v;
	*p = s;
	return NULL;
}

static int parse(const char *s, int tag, struct semver *v, struct err *e)
{
	const char *p = s, *why = NULL, *plus, *end;
	size_t n;
	memset(v, 0, sizeof *v);
	if (!s || !*s) {
		why = "empty version";
		goto bad;
	}
	n = strlen(s);
	if (n > SEMVER_MAX) {
		why = "longer than 128 characters";
		goto bad;
	}
	if ((why = number(&p, &v->major)))
		goto bad;
	if (*p++ != '.' || (why = number(&p, &v->minor)))
		goto expect;
	if (*p++ != '.' || (why = number(&p, &v->patch)))
		goto expect;
	plus = strchr(p, tag ? '_' : '+');
	if (tag && !plus)
		plus = strchr(p, '+');
	end = plus ? plus : s + n;
	if (*p == '-') {
		p++;
		if ((why = check_idents(p, (size_t)(end - p), 1)))
			goto bad;
		memcpy(v->pre, p, (size_t)(end - p));
		p = end;
	}
	if (p != end) {
		why = "expected '-' or '+' after major.minor.patch";
		goto bad;
	}
	if (plus) {
		p = plus + 1;
		if ((why = check_idents(p, strlen(p), 0)))
			goto bad;
		strcpy(v->build, p);
	}
	return 0;
expect:
	if (!why)
		why = "expected major.minor.patch";
bad:
	memset(v, 0, sizeof *v);
	return err_set(e, ERR_USAGE, "invalid version \"%.200s\": %s (SemVer 2.0 expected)",
	               s ? s : "", why);
}

int semver_parse(const char *s, struct semver *v, struct err *e)
{
	return parse(s, 0, v, e);
}

int semver_parse_tag(const char *tag, struct semver *v, struct err *e)
{
	return parse(tag, 1, v, e);
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Pre-release precedence, identifier by identifier (SemVer §11.4). */
static int cmp_pre(const char *a, const char *b)
{
	if (!*a || !*b)
		return !*a && !*b ? 0 : !*a ? 1 : -1; /* a release outranks a pre-release */
	for (;;) {
		size_t an = strcspn(a, "."), bn = strcspn(b, ".");
		int ad = all_digits(a, an), bd = all_digits(b, bn), c;
		if (ad && bd) {
			/* no leading zeros, so the longer number is the larger */
			c = an != bn ? (an < bn ? -1 : 1) : memcmp(a, b, an);
		} else if (ad || bd) {
			c = ad ? -1 : 1;
		} else {
			c = memcmp(a, b, an < bn ? an : bn);
			if (!c)
				c = an < bn ? -1 : an > bn;
		}
		if (c)
			return c < 0 ? -1 : 1;
		a += an;
		b += bn;
		if (!*a || !*b)
			return !*a && !*b ? 0 : !*a ? -1 : 1;
		a++;
		b++;
	}
}

int semver_cmp(const struct semver *a, const struct semver *b)
{
	int c;
	if ((c = cmp_u64(a->major, b->major)) || (c = cmp_u64(a->minor, b->minor)) ||
	    (c = cmp_u64(a->patch, b->patch)))
		return c;
	return cmp_pre(a->pre, b->pre);
}

int semver_tag(const char *version, char *out, size_t n, struct err *e)
{
	struct semver v;
	int rc;
	if ((rc = semver_parse(version, &v, e)) < 0)
		return rc;
	if (strlen(version) >= n)
		return err_set(e, ERR_USAGE, "version \"%.200s\" does not fit a tag", version);
	strcpy(out, version);
	for (char *p = out; *p; p++)
		if (*p == '+')
			*p = '_';
	return 0;
}

int semver_cmp_tags(const char *a, const char *b)
{
	struct semver va, vb;
	int sa = semver_parse_tag(a, &va, NULL) == 0, sb = semver_parse_tag(b, &vb, NULL) == 0;
	int c;
	if (sa && sb && (c = semver_cmp(&va, &vb)))
		return c;
	if (sa != sb)
		return sa ? -1 : 1;
	c = strcmp(a, b);
	return c < 0 ? -1 : c > 0;
}
