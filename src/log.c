/* log.c - levelled stderr messages, redaction helpers, TTY progress */
#include "log.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int log_level = 1;

__attribute__((format(printf, 3, 0))) static void vlog(int level, const char *prefix,
                                                       const char *fmt, va_list ap)
{
	char line[4096];
	if (log_level < level)
		return;
	vsnprintf(line, sizeof line, fmt, ap);
	fprintf(stderr, "%s%s\n", prefix, line);
}

#define LOGFN(name, level, prefix)                                                                 \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		vlog(level, prefix, fmt, ap);                                                      \
		va_end(ap);                                                                        \
	}

LOGFN(log_warn, 0, "Warning: ")
LOGFN(log_note, 1, "")
LOGFN(log_info, 2, "INFO: ")
LOGFN(log_debug, 2, "DEBUG: ")
LOGFN(log_trace, 3, "TRACE: ")

static int has_word_ci(const char *s, const char *w)
{
	size_t n = strlen(w);
	for (; *s; s++)
		if (strncasecmp(s, w, n) == 0)
			return 1;
	return 0;
}

int log_secret_header(const char *name)
{
	return strcasecmp(name, "Authorization") == 0 ||
	       strcasecmp(name, "Proxy-Authorization") == 0 || strcasecmp(name, "Cookie") == 0 ||
	       strcasecmp(name, "Set-Cookie") == 0 || has_word_ci(name, "token");
}

static int secret_param(const char *k, size_t n)
{
	static const char *const names[] = {"token",     "access_token", "refresh_token",
	                                    "password",  "secret",       "sig",
	                                    "signature", "code",         NULL};
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == n && strncasecmp(k, names[i], n) == 0)
			return 1;
	return n > 6 && strncasecmp(k, "X-Amz-", 6) == 0;
}

void log_redact_url(const char *url, char *out, size_t n)
{
	size_t o = 0;
	const char *p = url, *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : url;
	const char *slash = strchr(host, '/');
	const char *at = strchr(host, '@');
	if (!n)
		return;
#define PUT(c)                                                                                     \
	do {                                                                                       \
		if (o + 1 < n)                                                                     \
			out[o++] = (c);                                                            \
	} while (0)
	if (at && (!slash || at < slash)) {
		for (; p < host; p++)
			PUT(*p);
		for (const char *s = "***"; *s; s++)
			PUT(*s);
		p = at;
	}
	for (; *p && *p != '?'; p++)
		PUT(*p);
	if (*p == '?') {
		PUT(*p); /* PUT skips its argument when out is full: advance outside it */
		p++;
		while (*p) {
			const char *k = p, *eq = NULL;
			while (*p && *p != '&') {
				if (*p == '=' && !eq)
					eq = p;
				p++;
			}
			if (eq && secret_param(k, (size_t)(eq - k))) {
				for (const char *s = k; s <= eq; s++)
					PUT(*s);
				for (const char *s = "***"; *s; s++)
					PUT(*s);
			} else {
				for (const char *s = k; s < p; s++)
					PUT(*s);
			}
			if (*p == '&') {
				PUT(*p);
				p++;
			}
		}
	}
#undef PUT
	out[o] = 0;
}

void log_redact_json(char *t)
{
	static const char *const keys[] = {
	    "token",    "access_token", "refresh_token", "identitytoken",
	    "password", "secret",       "auth",          NULL};
	for (char *p = t; (p = strchr(p, '"'));) {
		char *k = ++p, *q;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			p++;
		}
		if (!*p)
			return;
		size_t kn = (size_t)(p - k);
		q = p + 1;
		while (isspace((unsigned char)*q))
			q++;
		int secret = 0;
		for (int i = 0; keys[i]; i++)
			if (strlen(keys[i]) == kn && strncasecmp(k, keys[i], kn) == 0)
				secret = 1;
		p++;
		if (*q != ':' || !secret)
			continue;
		q++;
		while (isspace((unsigned char)*q))
			q++;
		if (*q != '"')
			continue;
		char *v = ++q;
		while (*q && *q != '"') {
			if (*q == '\\' && q[1])
				q++;
			q++;
		}
		/* overwrite the value with *** and shift the rest left */
		size_t vn = (size_t)(q - v);
		if (vn >= 3) {
			memcpy(v, "***", 3);
			memmove(v + 3, q, strlen(q) + 1);
		} else {
			for (size_t i = 0; i < vn; i++)
				v[i] = '*';
		}
		p = v + 3 < t + strlen(t) ? v + 3 : t + strlen(t);
	}
}

int64_t log_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void human(uint64_t v, char *out, size_t n)
{
	const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double d = (double)v;
	int i = 0;
	while (d >= 1024 && i < 4) {
		d /= 1024;
		i++;
	}
	snprintf(out, n, i ? "%.1f %s" : "%.0f %s", d, u[i]);
}

static void draw(struct log_progress *p, int final)
{
	char done[32], total[32], rate[32], eta[32] = "";
	int64_t el = log_now_ms() - p->start_ms;
	uint64_t bps = el > 0 ? p->done * 1000 / (uint64_t)el : 0;
	human(p->done, done, sizeof done);
	human(bps, rate, sizeof rate);
	if (p->total) {
		human(p->total, total, sizeof total);
		if (!final && bps && p->total > p->done)
			snprintf(eta, sizeof eta, " ETA %llus",
			         (unsigned long long)((p->total - p->done) / bps));
		fprintf(stderr, "\r\033[K%s  %s / %s  %s/s%s", p->label, done, total, rate, eta);
	} else {
		fprintf(stderr, "\r\033[K%s  %s  %s/s", p->label, done, rate);
	}
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

void log_progress_begin(struct log_progress *p, const char *label, uint64_t total)
{
	memset(p, 0, sizeof *p);
	p->on = log_level >= 1 && isatty(2);
	p->label = label;
	p->total = total;
	p->start_ms = p->last_ms = log_now_ms();
}

void log_progress_update(struct log_progress *p, uint64_t done)
{
	int64_t now;
	if (!p->on)
		return;
	p->done = done;
	now = log_now_ms();
	if (now - p->last_ms < 100)
		return;
	p->last_ms = now;
	draw(p, 0);
}

void log_progress_end(struct log_progress *p)
{
	if (!p->on)
		return;
	draw(p, 1);
	p->on = 0;
}
