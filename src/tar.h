/* tar.h - tar archives: a reproducible ustar/PAX writer and a strict, bounded reader */
#ifndef POLYCRATE_TAR_H
#define POLYCRATE_TAR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct io_in;
struct io_out;

#define TAR_BLOCK 512
#define TAR_NAME_LEN 100                   /* ustar name field */
#define TAR_PREFIX_LEN 155                 /* ustar prefix field */
#define TAR_OCTAL_SIZE_MAX 077777777777ULL /* 11 octal digits: larger sizes need PAX */
#define TAR_PAX_MAX (1024 * 1024)          /* largest PAX or GNU long-name record accepted */
#define TAR_SKIP_MAX (16ULL * 1024 * 1024) /* bytes drained after the end-of-archive mark */
#define TAR_EXT_MAX 16                     /* PAX, GNU and label headers in a row before an entry */

/* Entry types (the typeflag byte). Readers map '\0' and '7' to TAR_FILE. */
enum {
	TAR_FILE = '0',
	TAR_HARDLINK = '1',
	TAR_SYMLINK = '2',
	TAR_CHAR = '3',
	TAR_BLOCKDEV = '4',
	TAR_DIR = '5',
	TAR_FIFO = '6',
};

/*
 * One entry. path is relative, without a "./" prefix and without a trailing '/' (a
 * folder is told by type); "" is the archive's root entry ("." or "./"). link is the
 * symlink or hardlink target ("" for other types). mode holds the permission bits as
 * the archive has them (including setuid/setgid/sticky: the extractor strips them).
 */
struct tar_entry {
	const char *path;
	const char *link;
	int type;
	uint32_t mode;
	uint64_t size;
	int64_t mtime;
};

/*
 * The writer. Headers are reproducible (DESIGN.md §1.5): uid/gid 0, empty user and group
 * names, the mtime given at init for every entry, mode 0755 for folders and for files
 * with any executable bit, 0644 for other files, 0777 for symlinks; folders get a trailing
 * '/'. Names that do not fit ustar's prefix/name split, long link targets and sizes of
 * 8 GiB and more get a PAX extended header ("x") before the entry.
 */
struct tar_writer {
	struct io_out *out; /* not owned */
	struct err *e;
	int64_t mtime;
	uint64_t remain; /* data bytes the current entry still expects */
	uint64_t size;   /* the current entry's size (for the padding) */
	uint64_t total;  /* bytes written so far */
	int err;
};

void tar_writer_init(struct tar_writer *w, struct io_out *out, int64_t mtime, struct err *e);

/* Writes the header(s) for ent (path relative, no trailing '/' needed; ent->size is the
 * number of data bytes tar_write_data must then be given, 0 for non-files). 0 or an
 * error (ERR_FAIL for a previous entry's missing data or a bad entry, else the stream's
 * error). Errors are sticky. */
int tar_write_header(struct tar_writer *w, const struct tar_entry *ent);
/* Data of the current entry; more than announced is ERR_FAIL. */
int tar_write_data(struct tar_writer *w, const void *p, size_t n);
/* Pads the last entry and writes the two zero blocks. Does not close out. */
int tar_write_finish(struct tar_writer *w);

/* Encodes one raw 512-byte ustar header (no PAX), for tests and tools that build
 * archives by hand: name and prefix are copied as given (truncated to their fields),
 * the checksum is computed. */
void tar_raw_header(uint8_t h[TAR_BLOCK], const char *prefix, const char *name, int type,
                    uint32_t mode, uint64_t size, int64_t mtime, const char *link);

/*
 * The reader. It understands ustar, POSIX PAX ("x": path, linkpath, size; "g" global
 * headers are read and ignored), GNU (././@LongLink 'L' names and 'K' links, base-256
 * numbers), old GNU and v7 headers; checksums are verified (unsigned and signed sums).
 * Sparse files and multi-volume archives are refused. A bad header, a truncated archive
 * or data after a short read is ERR_INTEGRITY naming the entry (or the byte offset).
 * After the end-of-archive mark the rest of the stream (at most TAR_SKIP_MAX bytes) is
 * read and dropped, so the stages below (digest checks) see their end.
 */
struct tar_reader {
	struct io_in *in; /* not owned */
	struct err *e;
	uint64_t offset;   /* bytes consumed from in */
	uint64_t remain;   /* data bytes of the current entry not yet read */
	uint64_t pad;      /* padding after them */
	char *path, *link; /* owned: the current entry's names */
	size_t path_cap, link_cap;
	struct tar_entry ent;
	int done, err;
};

void tar_reader_init(struct tar_reader *r, struct io_in *in, struct err *e);
/* Moves to the next entry, skipping the unread data of the current one. 1 with *ent set
 * (valid until the next call), 0 at the end of the archive, or a negative error (sticky). */
int tar_next(struct tar_reader *r, const struct tar_entry **ent);
/* Data of the current entry: up to n bytes, 0 at its end, or an error. */
ssize_t tar_read_data(struct tar_reader *r, void *p, size_t n);
/* Frees the names; does not close in. */
void tar_reader_free(struct tar_reader *r);

#define TAR_QUOTE_MAX 128 /* out size for tar_quote */
/* A printable, shortened copy of an entry name for messages: hostile names may hold
 * control bytes and be 64 KiB long. Returns out. */
const char *tar_quote(const char *s, char out[TAR_QUOTE_MAX]);

#endif
