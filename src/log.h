/* log.h - levelled messages on stderr, secret redaction, progress lines */
#ifndef POLYCRATE_LOG_H
#define POLYCRATE_LOG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Levels (DESIGN.md §1.1): 0 errors and warnings only; 1 (default) results and progress;
 * 2 how references were resolved (INFO:/DEBUG: lines); 3 adds the HTTP trace.
 * Every line goes to stderr. Library code may log at 2 and 3; only main.c and cmd_*.c
 * print results (stdout) and errors.
 */
extern int log_level;

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* "Warning: " */
void log_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* level 1 */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* 2, "INFO: " */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* 2, "DEBUG: " */
void log_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* 3, "TRACE: " */

/* 1 for header names whose values are secrets: Authorization, Proxy-Authorization,
 * Cookie, Set-Cookie, and any name containing "token" (case-insensitive). */
int log_secret_header(const char *name);

/* Copies url into out with any user:password@ replaced by "***@" and the values of
 * query parameters that look like secrets (token, access_token, refresh_token, password,
 * secret, sig, signature, X-Amz-*) replaced by "***". Always NUL-terminates. */
void log_redact_url(const char *url, char *out, size_t n);

/* Removes JSON string values of keys named token, access_token, refresh_token,
 * identitytoken, password, secret (case-insensitive) from text in place ("***"). */
void log_redact_json(char *text);

/* Progress on a TTY (stderr). log_progress_begin returns 0 when stderr is no terminal or
 * the level is below 1; then the other calls do nothing. */
struct log_progress {
	int on;
	const char *label;
	uint64_t total, done;
	int64_t start_ms, last_ms;
};
void log_progress_begin(struct log_progress *p, const char *label, uint64_t total);
void log_progress_update(struct log_progress *p, uint64_t done);
void log_progress_end(struct log_progress *p);

int64_t log_now_ms(void); /* monotonic milliseconds */

#endif
