/* err.h - error codes and the message buffer that library code fills on failure */
#ifndef POLYCRATE_ERR_H
#define POLYCRATE_ERR_H

/*
 * Library functions return 0 (or a count) on success and one of these negative codes on
 * failure. The codes are the negated exit codes of DESIGN.md §1.7, so main.c exits with
 * -code and nothing has to translate between layers.
 */
enum {
	ERR_FAIL = -1,      /* anything else */
	ERR_USAGE = -2,     /* bad arguments or references */
	ERR_NOTFOUND = -3,  /* block, manifest, blob, tag or file not found */
	ERR_AUTH = -4,      /* authentication or permission */
	ERR_NET = -5,       /* network or TLS */
	ERR_CONFLICT = -6,  /* tag exists with other content */
	ERR_INTEGRITY = -7, /* digest mismatch, unsafe archive */
};

#define ERR_MSG_MAX 1024
#define ERR_HINT_MAX 512

/*
 * The first failure writes code, message and (optionally) hint; later failures leave them
 * alone, so the message names the root cause and not its echoes up the stack.
 */
struct err {
	int code;
	char msg[ERR_MSG_MAX];
	char hint[ERR_HINT_MAX];
};

void err_init(struct err *e);

/* Records the failure when e is set and holds none yet. Returns code, always, so that
 * callers can write `return err_set(e, ERR_NET, "...")`. */
int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Same as err_set, with ": strerror(errno_value)" appended. */
int err_sys(struct err *e, int code, int errno_value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Sets the hint (the "what to do" line) when none is set yet. */
void err_hint(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends "what: " to the message (context added on the way up). */
void err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The exit status for a code (1..7; 0 for 0). */
int err_exit_status(int code);

#endif
