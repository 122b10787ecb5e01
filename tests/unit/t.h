/* t.h - the unit test harness: checks that count, a closing "N passed, N failed" line */
#ifndef POLYCRATE_T_H
#define POLYCRATE_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A test file defines test functions and lists them in T_MAIN(f1, f2, ...). Every check
 * counts as one case; a failed check prints file:line and what differed, and the run goes
 * on. t_skip() counts a case this machine cannot run (no IPv6, no SHA-NI, ...).
 */
static int t_pass_, t_fail_, t_skip_;
static const char *t_name_;

#define T_CHECK(cond) t_check_((cond) != 0, __FILE__, __LINE__, "%s", #cond)
#define T_CHECKF(cond, ...) t_check_((cond) != 0, __FILE__, __LINE__, __VA_ARGS__)
#define T_EQ_INT(a, b)                                                                             \
	do {                                                                                       \
		long long t_a_ = (long long)(a), t_b_ = (long long)(b);                            \
		t_check_(t_a_ == t_b_, __FILE__, __LINE__, "%s == %s (%lld != %lld)", #a, #b,      \
		         t_a_, t_b_);                                                              \
	} while (0)
#define T_EQ_STR(a, b)                                                                             \
	do {                                                                                       \
		const char *t_a_ = (a), *t_b_ = (b);                                               \
		t_check_(t_a_ &&t_b_ &&strcmp(t_a_, t_b_) == 0, __FILE__, __LINE__,                \
		         "%s == %s (\"%s\" != \"%s\")", #a, #b, t_a_ ? t_a_ : "(null)",            \
		         t_b_ ? t_b_ : "(null)");                                                  \
	} while (0)
#define T_EQ_MEM(a, b, n)                                                                          \
	t_check_(memcmp((a), (b), (n)) == 0, __FILE__, __LINE__, "%s == %s (%zu bytes)", #a, #b,   \
	         (size_t)(n))

__attribute__((format(printf, 4, 5))) static int t_check_(int ok, const char *file, int line,
                                                          const char *fmt, ...);
#include <stdarg.h>
static int t_check_(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	if (ok) {
		t_pass_++;
		return 1;
	}
	t_fail_++;
	fprintf(stderr, "FAIL %s:%d [%s] ", file, line, t_name_ ? t_name_ : "?");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 0;
}

/* stderr into a temp file while a test looks at what was logged: t_stderr_begin() (0, or
 * -1 when it could not), then t_stderr_end() puts stderr back and gives the text (at most
 * 8191 bytes; valid until the next capture). */
#include <unistd.h>
struct t_cap_ {
	FILE *f;
	int saved;
	char text[8192];
};
static inline struct t_cap_ *t_cap_(void)
{
	static struct t_cap_ c = {NULL, -1, {0}};
	return &c;
}

static inline int t_stderr_begin(void)
{
	struct t_cap_ *c = t_cap_();
	fflush(stderr);
	c->f = tmpfile();
	c->saved = dup(2);
	if (c->f)
		dup2(fileno(c->f), 2);
	return c->f && c->saved >= 0 ? 0 : -1;
}

static inline const char *t_stderr_end(void)
{
	struct t_cap_ *c = t_cap_();
	size_t n = 0;
	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	if (c->f) {
		rewind(c->f);
		n = fread(c->text, 1, sizeof c->text - 1, c->f);
		fclose(c->f);
	}
	c->text[n] = 0;
	return c->text;
}

static inline void t_skip(const char *why)
{
	t_skip_++;
	fprintf(stderr, "SKIP [%s] %s\n", t_name_ ? t_name_ : "?", why);
}

typedef void (*t_fn_)(void);
struct t_entry_ {
	const char *name;
	t_fn_ fn;
};
#define T_ENTRY_(f) {#f, f},
#define T_MAP_(M, ...)                                                                             \
	T_MAP_N_(__VA_ARGS__, T_M20_, T_M19_, T_M18_, T_M17_, T_M16_, T_M15_, T_M14_, T_M13_,      \
	         T_M12_, T_M11_, T_M10_, T_M9_, T_M8_, T_M7_, T_M6_, T_M5_, T_M4_, T_M3_, T_M2_,   \
	         T_M1_)                                                                            \
	(M, __VA_ARGS__)
#define T_MAP_N_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18,  \
                 _19, _20, N, ...)                                                                 \
	N
#define T_M1_(M, a) M(a)
#define T_M2_(M, a, ...) M(a) T_M1_(M, __VA_ARGS__)
#define T_M3_(M, a, ...) M(a) T_M2_(M, __VA_ARGS__)
#define T_M4_(M, a, ...) M(a) T_M3_(M, __VA_ARGS__)
#define T_M5_(M, a, ...) M(a) T_M4_(M, __VA_ARGS__)
#define T_M6_(M, a, ...) M(a) T_M5_(M, __VA_ARGS__)
#define T_M7_(M, a, ...) M(a) T_M6_(M, __VA_ARGS__)
#define T_M8_(M, a, ...) M(a) T_M7_(M, __VA_ARGS__)
#define T_M9_(M, a, ...) M(a) T_M8_(M, __VA_ARGS__)
#define T_M10_(M, a, ...) M(a) T_M9_(M, __VA_ARGS__)
#define T_M11_(M, a, ...) M(a) T_M10_(M, __VA_ARGS__)
#define T_M12_(M, a, ...) M(a) T_M11_(M, __VA_ARGS__)
#define T_M13_(M, a, ...) M(a) T_M12_(M, __VA_ARGS__)
#define T_M14_(M, a, ...) M(a) T_M13_(M, __VA_ARGS__)
#define T_M15_(M, a, ...) M(a) T_M14_(M, __VA_ARGS__)
#define T_M16_(M, a, ...) M(a) T_M15_(M, __VA_ARGS__)
#define T_M17_(M, a, ...) M(a) T_M16_(M, __VA_ARGS__)
#define T_M18_(M, a, ...) M(a) T_M17_(M, __VA_ARGS__)
#define T_M19_(M, a, ...) M(a) T_M18_(M, __VA_ARGS__)
#define T_M20_(M, a, ...) M(a) T_M19_(M, __VA_ARGS__)

/* Up to 20 test functions; split a larger file into groups. */
#define T_MAIN(...)                                                                                \
	int main(void)                                                                             \
	{                                                                                          \
		static const struct t_entry_ t_list_[] = {T_MAP_(T_ENTRY_, __VA_ARGS__)};          \
		for (size_t i = 0; i < sizeof t_list_ / sizeof t_list_[0]; i++) {                  \
			t_name_ = t_list_[i].name;                                                 \
			t_list_[i].fn();                                                           \
		}                                                                                  \
		if (t_skip_)                                                                       \
			printf("%d passed, %d failed, %d skipped\n", t_pass_, t_fail_, t_skip_);   \
		else                                                                               \
			printf("%d passed, %d failed\n", t_pass_, t_fail_);                        \
		return t_fail_ ? 1 : 0;                                                            \
	}

#endif
