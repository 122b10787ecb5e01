/* lock.h - blocks.lock (what is installed, from where, by digest) and the workspace lock */
#ifndef POLYCRATE_LOCK_H
#define POLYCRATE_LOCK_H

#include <stddef.h>

#include "err.h"

struct buf;

#define LOCK_FILE "blocks.lock"               /* at the workspace root */
#define LOCK_WORKSPACE_LOCK ".polycrate/lock" /* below the workspace root */
#define LOCK_VERSION 1                        /* the format written; others are refused */
#define LOCK_FILE_MAX (4 * 1024 * 1024)       /* bytes of blocks.lock */
#define LOCK_ENTRIES_MAX 4096
#define LOCK_LAYERS_MAX 128
#define LOCK_STRING_MAX 1024 /* any one string in an entry */
#define LOCK_TIME_MAX 32     /* "2026-12-03T14:00:00Z" + NUL, rounded */
#define LOCK_WAIT_STEP_MS 50

/*
 * One installed block. Strings are malloc'ed and owned by the entry's lock_file; NULL when
 * absent. install_path, ref and manifest_digest are always set in a file that was read.
 */
struct lock_entry {
	char *install_path;   /* below the blocks root: "ayedo/k8s/nginx" */
	char *name, *version; /* block.poly name and version */
	char *ref;            /* the reference as written: "ayedo/k8s/nginx:1.0.0" */
	char *resolved; /* fetched as, after rewrites: "reg.io/mirror/ayedo/k8s/nginx:1.0.0" */
	char *registry; /* the registry it came from: "reg.io" */
	char *manifest_digest; /* sha256:... */
	char *config_digest;
	char **layers; /* layer digests in order */
	size_t nlayers;
	char *pulled_at; /* RFC 3339 UTC, "2026-12-03T14:00:00Z" */
};

struct lock_file {
	struct lock_entry *entries; /* sorted by install_path */
	size_t n;
};

/* Parses blocks.lock text (name for messages). Strict: JSON, lock_version 1, every entry an
 * object with string fields, digests sha256:<64 hex>, install paths relative without "..",
 * no install path twice; unknown keys are ignored (a later format may add some). Returns
 * 0, or ERR_USAGE naming the file, the entry and the field; *lf is then empty. */
int lock_parse(const char *name, const char *text, size_t n, struct lock_file *lf, struct err *e);
/* Reads path; a missing file is an empty lock file (0). More than LOCK_FILE_MAX bytes is
 * an error. */
int lock_read(const char *path, struct lock_file *lf, struct err *e);
/* Appends the file text: one entry per line, sorted by install path, keys in a fixed order,
 * so that diffs of a committed blocks.lock stay small. 0 or ERR_FAIL. */
int lock_format(const struct lock_file *lf, struct buf *out, struct err *e);
/* Writes lock_format's text to path atomically (temp file, fsync, rename). */
int lock_write(const char *path, const struct lock_file *lf, struct err *e);
void lock_free(struct lock_file *lf);

/* Copies en into lf, replacing an entry of the same install path, keeping the order. 0, or
 * ERR_USAGE for an entry lock_parse would refuse, or ERR_FAIL (memory); lf unchanged then. */
int lock_put(struct lock_file *lf, const struct lock_entry *en, struct err *e);
/* Removes the entry of install_path: 1 when there was one, else 0. */
int lock_remove(struct lock_file *lf, const char *install_path);
const struct lock_entry *lock_find(const struct lock_file *lf, const char *install_path);
/* The current UTC time as RFC 3339 (SOURCE_DATE_EPOCH is not used: this records a pull). */
void lock_time_now(char out[LOCK_TIME_MAX]);

/*
 * Takes the workspace lock: flock(LOCK_EX) on <root>/.polycrate/lock (created as needed),
 * our pid written into it. wait_ms 0 tries once; otherwise it retries for up to wait_ms.
 * Returns an fd (>= 0) to pass to lock_workspace_release, or ERR_FAIL with "another
 * polycrate is changing this workspace (pid N)" when another process holds it.
 */
int lock_workspace(const char *root, int wait_ms, struct err *e);
void lock_workspace_release(int fd); /* a negative fd is fine */

#endif
