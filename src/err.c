/* err.c - first-failure-wins error messages */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void err_init(struct err *e)
{
	e->code = 0;
	e->msg[0] = 0;
	e->hint[0] = 0;
}

__attribute__((format(printf, 4, 0))) static int vset(struct err *e, int code, int errno_value,
                                                      const char *fmt, va_list ap)
{
	if (!e || e->code)
		return code;
	e->code = code ? code : ERR_FAIL;
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	if (errno_value) {
		size_t n = strlen(e->msg);
		snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(errno_value));
	}
	return code;
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(e, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

int err_sys(struct err *e, int code, int errno_value, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(e, code, errno_value, fmt, ap);
	va_end(ap);
	return code;
}

void err_hint(struct err *e, const char *fmt, ...)
{
	va_list ap;
	if (!e || e->hint[0])
		return;
	va_start(ap, fmt);
	vsnprintf(e->hint, sizeof e->hint, fmt, ap);
	va_end(ap);
}

void err_prefix(struct err *e, const char *fmt, ...)
{
	char pre[ERR_MSG_MAX];
	size_t pn, mn;
	va_list ap;
	if (!e || !e->code)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre - 2, fmt, ap);
	va_end(ap);
	strcat(pre, ": ");
	pn = strlen(pre);
	mn = strlen(e->msg);
	if (pn + mn >= sizeof e->msg)
		mn = sizeof e->msg - 1 - pn;
	memmove(e->msg + pn, e->msg, mn);
	memcpy(e->msg, pre, pn);
	e->msg[pn + mn] = 0;
}

int err_exit_status(int code)
{
	if (code >= 0)
		return 0;
	if (code < ERR_INTEGRITY)
		return 1;
	return -code;
}
