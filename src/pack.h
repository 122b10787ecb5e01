/* pack.h - block folder <-> layer: reproducible packing, .polyignore, safe extraction */
#ifndef POLYCRATE_PACK_H
#define POLYCRATE_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"

struct io_in;
struct io_out;
struct tar_entry;

/* Extraction bounds (docs/archive.md). The CLI overrides entries and bytes with
 * --max-entries / --max-bytes. */
#define PACK_MAX_ENTRIES 100000ULL        /* tar entries per pull, all layers together */
#define PACK_MAX_BYTES (4ULL << 30)       /* file bytes per pull, all layers together */
#define PACK_MAX_PATH 4096                /* bytes in an entry's path or link target */
#define PACK_MAX_DEPTH 128                /* folder nesting when packing */
#define PACK_IGNORE_FILE_MAX (256 * 1024) /* bytes of a .polyignore */
#define PACK_IGNORE_RULES_MAX 4096        /* patterns in a .polyignore */

struct pack_limits {
	uint64_t max_entries;
	uint64_t max_bytes;
	size_t max_path;
};

/* The defaults above. */
void pack_limits_default(struct pack_limits *l);

/* ---- .polyignore (gitignore syntax) ---- */

struct pack_ignore_rule {
	char *pat;  /* without '!', leading '/' and trailing '/' */
	int negate; /* '!' */
	int dir;    /* trailing '/': folders only */
	int anchor; /* has a '/' (other than trailing): matched against the full path */
};

struct pack_ignore {
	struct pack_ignore_rule *rules;
	size_t n;
};

/* Adds the rules of a .polyignore text (n bytes) after the ones ig has. 0, or ERR_USAGE
 * for more than PACK_IGNORE_RULES_MAX rules or a line with a NUL byte (naming the
 * line). A zeroed struct is an empty list. */
int pack_ignore_parse(struct pack_ignore *ig, const char *text, size_t n, struct err *e);
/* The built-in exclusions (.git, artifacts/, .logs/, .polycrate/, *~, *.swp, *.tmp,
 * .DS_Store) as rules, so a .polyignore can re-include one with '!'. */
int pack_ignore_defaults(struct pack_ignore *ig, struct err *e);
/* 1 when path (relative, no trailing '/') is excluded: the last matching rule wins. The
 * caller skips the contents of excluded folders (as git does, a file in an excluded
 * folder cannot be re-included). */
int pack_ignore_match(const struct pack_ignore *ig, const char *path, int is_dir);
void pack_ignore_free(struct pack_ignore *ig);

/* gitignore-style glob: '*' and '?' stop at '/', "**" spans folders, [a-z] classes,
 * '\' escapes. 1 on a match. */
int pack_glob(const char *pat, const char *s);

/*
 * The symlink rule of both packing and extraction: a link at path (relative, normalised)
 * may point at target when the target, read from the link's folder, stays inside the
 * root; it must not be absolute and may have ".." only before its first name (then no
 * other symlink can turn this lexical check into an escape). NULL when fine, else the
 * rule broken (static text).
 */
const char *pack_link_rule(const char *path, const char *target);

/* ---- packing ---- */

/* Called for every entry packed (or that would be packed), in archive order; a non-zero
 * return stops packing with that code. */
typedef int (*pack_list_fn)(void *arg, const struct tar_entry *ent);

struct pack_opts {
	int level;     /* gzip level 0..9 */
	int64_t mtime; /* every entry's mtime: 0 or SOURCE_DATE_EPOCH (the caller reads it) */
	pack_list_fn list;
	void *arg;
};

struct pack_result {
	char diff_id[DIGEST_STR_MAX]; /* sha256 of the uncompressed tar */
	char digest[DIGEST_STR_MAX];  /* sha256 of the gzip blob */
	uint64_t size;                /* blob bytes */
	uint64_t tar_size;            /* tar bytes */
	uint64_t entries;             /* entries packed */
};

/*
 * Packs the block folder dir into a gzip'd tar written to blob (DESIGN.md §1.5: sorted,
 * exclusions, reproducible headers). blob is owned from the call on: closed (committed)
 * on success, aborted on failure. blob NULL is a dry run: everything is computed (the
 * list callback, the digests, the sizes) and nothing is written. o NULL: level
 * GZ_DEFAULT_LEVEL, mtime 0, no callback. Returns 0 with *res
 * filled, or an error: ERR_USAGE naming the path for a symlink whose target leaves the
 * block or a special file; ERR_FAIL for I/O errors.
 */
int pack_block(const char *dir, struct io_out *blob, const struct pack_opts *o,
               struct pack_result *res, struct err *e);

/* ---- safe extraction ---- */

/*
 * Extraction into a fresh, empty folder the caller made (a temp folder beside the
 * target). Nothing is ever created outside it: paths are walked component by component
 * with openat(O_NOFOLLOW), so a symlink planted by an earlier entry is never followed.
 * Refused (ERR_INTEGRITY naming the entry and the rule): absolute paths, ".." components,
 * symlinks whose target leaves the folder (resolved lexically from the link's folder;
 * ".." only at the start of a target), entries below a symlink, hardlinks to anything
 * but a regular file extracted before, devices, fifos, sockets, unknown types, and
 * passing any limit. setuid/setgid/sticky bits are dropped. Layers are applied in order;
 * ".wh.NAME" removes NAME, ".wh..wh..opq" empties its folder (the lower layers' part).
 */
struct pack_extract {
	int rootfd;
	char *root;
	struct pack_limits lim;
	uint64_t entries, bytes;
	struct err *e;
	char *path, *link; /* scratch, lim.max_path + 1 bytes each */
	char *cache;       /* the folder whose fd is cached (relative path) */
	int cache_fd;
	unsigned char *data; /* copy buffer */
	int failed;
};

/* dir must exist and be empty. lim NULL, or a field of it 0: the defaults (max_path at
 * most 16 * PACK_MAX_PATH). 0 or an error (nothing changed).
 * Call pack_extract_end afterwards in every case. */
int pack_extract_begin(struct pack_extract *x, const char *dir, const struct pack_limits *lim,
                       struct err *e);
/* Applies one uncompressed tar read from tar (read to its end; not closed). On error the
 * folder is removed with everything in it (pack_extract_end still frees). */
int pack_extract_layer(struct pack_extract *x, struct io_in *tar);
/* Frees x. ok == 0 (or an earlier failure): removes the folder and what is in it.
 * Returns 0 or the error of that removal. */
int pack_extract_end(struct pack_extract *x, int ok);

/* One layer into dir: begin, layer, end. On error dir is gone. */
int pack_unpack(struct io_in *tar, const char *dir, const struct pack_limits *lim, struct err *e);

#endif
