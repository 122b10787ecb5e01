/* test_buf.c - growable buffers, their limit, and error messages */
#include "t.h"

#include "buf.h"
#include "err.h"

static void test_append_and_limit(void)
{
	struct buf b;
	buf_init(&b, 10);
	T_EQ_STR(buf_cstr(&b), "");
	T_EQ_INT(buf_puts(&b, "hello"), 0);
	T_EQ_INT(buf_printf(&b, "%d", 1234), 0);
	T_EQ_STR(buf_cstr(&b), "hello1234");
	T_EQ_INT(buf_puts(&b, "ab"), ERR_FAIL); /* 11 > 10: refused whole */
	T_EQ_STR(buf_cstr(&b), "hello1234");
	T_EQ_INT(buf_putc(&b, '!'), 0);
	T_EQ_INT(b.len, 10);
	T_EQ_INT(buf_putc(&b, '!'), ERR_FAIL);
	buf_reset(&b);
	T_EQ_INT(b.len, 0);
	T_EQ_STR(buf_cstr(&b), "");
	buf_free(&b);
}

static void test_large_printf(void)
{
	struct buf b;
	char big[1000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	buf_init(&b, 0);
	for (int i = 0; i < 100; i++)
		T_CHECK(buf_printf(&b, "%s%d", big, i) == 0);
	T_EQ_INT(b.len, 100 * 999 + 10 + 90 * 2);
	char *s = buf_steal(&b);
	T_CHECK(s && s[0] == 'x');
	T_EQ_INT(b.len, 0);
	free(s);
	s = buf_steal(&b);
	T_EQ_STR(s, "");
	free(s);
}

static void test_err_first_wins(void)
{
	struct err e;
	err_init(&e);
	T_EQ_INT(err_set(&e, ERR_NET, "connect to %s", "x"), ERR_NET);
	T_EQ_INT(err_set(&e, ERR_FAIL, "later"), ERR_FAIL);
	T_EQ_INT(e.code, ERR_NET);
	T_EQ_STR(e.msg, "connect to x");
	err_prefix(&e, "pull %s", "a");
	T_EQ_STR(e.msg, "pull a: connect to x");
	err_hint(&e, "first");
	err_hint(&e, "second");
	T_EQ_STR(e.hint, "first");
	T_EQ_INT(err_exit_status(ERR_NET), 5);
	T_EQ_INT(err_exit_status(ERR_INTEGRITY), 7);
	T_EQ_INT(err_exit_status(-42), 1);
	T_EQ_INT(err_exit_status(0), 0);
	T_EQ_INT(err_set(NULL, ERR_AUTH, "no buffer"), ERR_AUTH);
}

T_MAIN(test_append_and_limit, test_large_printf, test_err_first_wins)
