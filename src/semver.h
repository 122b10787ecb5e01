/* semver.h - SemVer 2.0 versions: parse, compare, and the version <-> tag rule */
#ifndef POLYCRATE_SEMVER_H
#define POLYCRATE_SEMVER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SEMVER_MAX 128 /* a version must fit a tag (REF_TAG_MAX) */

/* pre and build are "" when absent; they hold the text after '-' and '+'. */
struct semver {
	uint64_t major, minor, patch;
	char pre[SEMVER_MAX + 1];
	char build[SEMVER_MAX + 1];
};

/* Strict SemVer 2.0 (no leading 'v', no leading zeros in numbers, non-empty identifiers).
 * 0, or ERR_USAGE with *e quoting s and saying what is wrong (v is then zeroed). */
int semver_parse(const char *s, struct semver *v, struct err *e);
/* Parses a tag: as semver_parse, with '_' accepted in place of '+' (helm's rule). */
int semver_parse_tag(const char *tag, struct semver *v, struct err *e);
/* Precedence (SemVer §11): <0, 0, >0. Build metadata is ignored. */
int semver_cmp(const struct semver *a, const struct semver *b);
/* The tag for a version: the version with '+' replaced by '_' (1.0.0+b1 -> 1.0.0_b1).
 * 0, or ERR_USAGE when version is no SemVer or out does not hold it (n > SEMVER_MAX). */
int semver_tag(const char *version, char *out, size_t n, struct err *e);
/* Orders tags for listing: SemVer tags by precedence (ties by text), then the others by
 * text. A qsort-style result. */
int semver_cmp_tags(const char *a, const char *b);

#endif
