/* test_io.c - stream stages: sticky errors, chains, fd/file/memory/limit/atomic stages */
#include "t.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "io.h"

/* A test source: serves data in pieces of at most chunk bytes, fails after fail_at bytes
 * (when fail_at >= 0), and counts its closes. */
struct t_in {
	struct io_in in;
	const char *p;
	size_t n, off, chunk;
	long fail_at;
	int *closed;
};

static ssize_t t_in_read(struct io_in *in, void *p, size_t n)
{
	struct t_in *s = (struct t_in *)in;
	size_t left = s->n - s->off;
	if (s->fail_at >= 0 && s->off >= (size_t)s->fail_at)
		return io_in_fail(in, ERR_NET, "injected read error at %zu", s->off);
	if (n > s->chunk)
		n = s->chunk;
	if (n > left)
		n = left;
	if (s->fail_at >= 0 && s->off + n > (size_t)s->fail_at)
		n = (size_t)s->fail_at - s->off;
	memcpy(p, s->p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static int t_in_close(struct io_in *in)
{
	struct t_in *s = (struct t_in *)in;
	int rc = in->err;
	if (s->closed)
		(*s->closed)++;
	free(s);
	return rc;
}

static const struct io_in_ops t_in_ops = {t_in_read, t_in_close};

static struct io_in *t_in_new(const void *p, size_t n, size_t chunk, long fail_at, int *closed,
                              struct err *e)
{
	struct t_in *s = calloc(1, sizeof *s);
	s->in.ops = &t_in_ops;
	s->in.e = e;
	s->p = p;
	s->n = n;
	s->chunk = chunk;
	s->fail_at = fail_at;
	s->closed = closed;
	return &s->in;
}

/* A test sink: appends to b, fails once fail_at bytes were taken, records how it closed. */
struct t_out {
	struct io_out out;
	struct buf *b;
	long fail_at;
	int *committed, *aborted;
};

static int t_out_write(struct io_out *out, const void *p, size_t n)
{
	struct t_out *s = (struct t_out *)out;
	if (s->fail_at >= 0 && s->b->len + n > (size_t)s->fail_at)
		return io_out_fail(out, ERR_NET, "injected write error at %zu", s->b->len);
	buf_append(s->b, p, n);
	return 0;
}

static int t_out_close(struct io_out *out, int abort)
{
	struct t_out *s = (struct t_out *)out;
	int rc = out->err;
	(*(abort ? s->aborted : s->committed))++;
	free(s);
	return rc;
}

static const struct io_out_ops t_out_ops = {t_out_write, t_out_close};

static struct io_out *t_out_new(struct buf *b, long fail_at, int *committed, int *aborted,
                                struct err *e)
{
	struct t_out *s = calloc(1, sizeof *s);
	s->out.ops = &t_out_ops;
	s->out.e = e;
	s->b = b;
	s->fail_at = fail_at;
	s->committed = committed;
	s->aborted = aborted;
	return &s->out;
}

static char data[200000];

static void fill_data(void)
{
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof data; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (char)(x >> 16);
	}
}

/* Reads everything from in with reads of size step into b. */
static ssize_t drain(struct io_in *in, size_t step, struct buf *b)
{
	char tmp[4096];
	ssize_t total = 0;
	for (int guard = 0; guard < 10000000; guard++) {
		ssize_t r = io_read(in, tmp, step < sizeof tmp ? step : sizeof tmp);
		if (r <= 0)
			return r < 0 ? r : total;
		buf_append(b, tmp, (size_t)r);
		total += r;
	}
	return -100;
}

static void test_mem_and_read_full(void)
{
	static const size_t steps[] = {1, 2, 3, 7, 64, 4095, 4096};
	struct err e;
	fill_data();
	err_init(&e);
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct buf b;
		struct io_in *in = io_in_mem(data, 10007, &e);
		buf_init(&b, 0);
		T_EQ_INT(drain(in, steps[i], &b), 10007);
		T_CHECK(b.len == 10007 && memcmp(b.p, data, 10007) == 0);
		T_EQ_INT(io_read(in, b.p, 1), 0); /* the end stays the end */
		T_EQ_INT(io_in_close(in), 0);
		buf_free(&b);
	}
	/* read_full over a 1-byte trickle: full counts, then the short tail, then 0 */
	char out[100];
	struct io_in *in = t_in_new(data, 250, 1, -1, NULL, &e);
	T_EQ_INT(io_read_full(in, out, 100), 100);
	T_EQ_INT(io_read_full(in, out, 100), 100);
	T_EQ_INT(io_read_full(in, out, 100), 50);
	T_EQ_MEM(out, data + 200, 50);
	T_EQ_INT(io_read_full(in, out, 100), 0);
	T_EQ_INT(io_read(in, out, 0), 0);
	T_EQ_INT(io_in_close(in), 0);
	in = io_in_mem("", 0, &e);
	T_EQ_INT(io_read(in, out, sizeof out), 0);
	T_EQ_INT(io_in_close(in), 0);
	T_EQ_INT(e.code, 0);
}

static void test_sticky_read_error(void)
{
	struct err e;
	char out[64];
	int closed = 0;
	err_init(&e);
	struct io_in *in = t_in_new(data, 1000, 7, 20, &closed, &e);
	T_EQ_INT(io_read_full(in, out, 64), ERR_NET);
	T_EQ_INT(in->err, ERR_NET);
	T_EQ_STR(e.msg, "injected read error at 20");
	/* Later calls return the first error and do not reach the stage. */
	T_EQ_INT(io_read(in, out, 1), ERR_NET);
	T_EQ_INT(io_in_fail(in, ERR_FAIL, "second"), ERR_NET);
	T_EQ_STR(e.msg, "injected read error at 20");
	T_EQ_INT(io_in_close(in), ERR_NET);
	T_EQ_INT(closed, 1);
	T_EQ_INT(io_in_close(NULL), 0);
	io_out_abort(NULL);
	T_EQ_INT(io_out_close(NULL), 0);
}

static void test_limit(void)
{
	static const struct {
		size_t n;
		uint64_t max;
		size_t chunk;
		int ok;
	} cases[] = {
	    {0, 0, 1, 1},
	    {1, 0, 1, 0},
	    {100, 100, 1, 1},
	    {100, 100, 4096, 1},
	    {101, 100, 1, 0},
	    {101, 100, 3, 0},
	    {5000, 100, 4096, 0},
	    {5000, 4999, 7, 0},
	    {5000, 5001, 7, 1},
	    {5000, UINT64_MAX, 4096, 1},
	    {5000, UINT64_MAX - 1, 1, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct err e;
		struct buf b;
		int closed = 0;
		err_init(&e);
		buf_init(&b, 0);
		struct io_in *in = io_in_limit(
		    t_in_new(data, cases[i].n, cases[i].chunk, -1, &closed, &e), cases[i].max, &e);
		ssize_t r = drain(in, cases[i].chunk, &b);
		int rc = io_in_close(in);
		if (cases[i].ok) {
			T_CHECKF(r == (ssize_t)cases[i].n && rc == 0, "case %zu: %zd %d", i, r, rc);
			T_CHECK(memcmp(b.p ? b.p : "", data, b.len) == 0);
		} else {
			T_CHECKF(r == ERR_FAIL && rc == ERR_FAIL, "case %zu: %zd %d", i, r, rc);
			T_CHECKF(strstr(e.msg, "larger than the limit") != NULL, "case %zu: %s", i,
			         e.msg);
			T_CHECK(b.len <= cases[i].max);
		}
		T_EQ_INT(closed, 1);
		buf_free(&b);
	}
	/* An error from below passes through with its own message. */
	struct err e;
	char out[16];
	err_init(&e);
	struct io_in *in = io_in_limit(t_in_new(data, 100, 5, 3, NULL, &e), 50, &e);
	T_EQ_INT(io_read_full(in, out, 16), ERR_NET);
	T_EQ_INT(io_in_close(in), ERR_NET);
	T_EQ_STR(e.msg, "injected read error at 3");
	T_CHECK(io_in_limit(NULL, 10, &e) == NULL);
}

static void test_buf_sink(void)
{
	struct err e;
	struct buf b;
	err_init(&e);
	buf_init(&b, 1000);
	buf_puts(&b, "keep:");
	struct io_out *out = io_out_buf(&b, &e);
	for (int i = 0; i < 500; i++)
		T_CHECK(io_write(out, data + i, 1) == 0);
	T_EQ_INT(io_write(out, data, 0), 0);
	T_EQ_INT(io_out_close(out), 0);
	T_EQ_INT(b.len, 505);
	T_EQ_MEM(b.p + 5, data, 500);
	/* Abort discards only what this stage added. */
	out = io_out_buf(&b, &e);
	T_EQ_INT(io_write(out, data, 300), 0);
	io_out_abort(out);
	T_EQ_INT(b.len, 505);
	/* Past the buffer's limit: a clear error, and nothing added. */
	out = io_out_buf(&b, &e);
	T_EQ_INT(io_write(out, data, 400), 0);
	T_EQ_INT(io_write(out, data, 200), ERR_FAIL);
	T_CHECKF(strstr(e.msg, "limit of 1000 bytes") != NULL, "%s", e.msg);
	T_EQ_INT(io_write(out, data, 1), ERR_FAIL);
	T_EQ_INT(io_out_close(out), ERR_FAIL); /* failed: close discards */
	T_EQ_INT(b.len, 505);
	T_CHECK(memcmp(b.p, "keep:", 5) == 0 && b.p[505] == 0);
	buf_free(&b);
}

static void test_count_null_chain(void)
{
	struct err e;
	struct buf b;
	uint64_t n1 = 99, n2 = 99;
	int com = 0, ab = 0;
	err_init(&e);
	buf_init(&b, 0);
	/* count -> count -> test sink, fed by io_copy from a 3-byte trickle */
	struct io_out *out =
	    io_out_count(io_out_count(t_out_new(&b, -1, &com, &ab, &e), &n2, &e), &n1, &e);
	struct io_in *in = t_in_new(data, 100003, 3, -1, NULL, &e);
	T_EQ_INT(n1, 0);
	T_EQ_INT(io_copy(in, out), 100003);
	T_EQ_INT(io_in_close(in), 0);
	T_EQ_INT(io_out_close(out), 0);
	T_EQ_INT(n1, 100003);
	T_EQ_INT(n2, 100003);
	T_EQ_INT(com, 1);
	T_EQ_INT(ab, 0);
	T_CHECK(b.len == 100003 && memcmp(b.p, data, b.len) == 0);
	/* count without next; null sink */
	out = io_out_count(NULL, &n1, &e);
	T_EQ_INT(io_write(out, data, 17), 0);
	T_EQ_INT(io_write(out, data, 1), 0);
	T_EQ_INT(io_out_close(out), 0);
	T_EQ_INT(n1, 18);
	out = io_out_null(&e);
	T_EQ_INT(io_write(out, data, sizeof data), 0);
	T_EQ_INT(io_out_close(out), 0);
	/* aborting the outermost aborts the chain */
	out = io_out_count(t_out_new(&b, -1, &com, &ab, &e), &n1, &e);
	T_EQ_INT(io_write(out, "x", 1), 0);
	io_out_abort(out);
	T_EQ_INT(ab, 1);
	T_EQ_INT(com, 1);
	T_EQ_INT(e.code, 0);
	buf_free(&b);
}

static void test_in_count(void)
{
	struct err e;
	uint64_t n = 99;
	unsigned char tmp[4096];
	ssize_t r;
	err_init(&e);
	/* counts what passes, in a 3-byte trickle */
	struct io_in *in = io_in_count(t_in_new(data, 10001, 3, -1, NULL, &e), &n, &e);
	T_EQ_INT(n, 0);
	while ((r = io_read(in, tmp, sizeof tmp)) > 0)
		;
	T_EQ_INT(r, 0);
	T_EQ_INT(n, 10001);
	T_EQ_INT(io_in_close(in), 0);
	/* a read error stops the count where it was, and is the source's */
	in = io_in_count(t_in_new(data, 5000, 7, 70, NULL, &e), &n, &e);
	while ((r = io_read(in, tmp, sizeof tmp)) > 0)
		;
	T_EQ_INT(r, ERR_NET);
	T_CHECKF(n <= 70, "%llu counted", (unsigned long long)n);
	T_EQ_INT(io_in_close(in), ERR_NET);
	/* NULL in, NULL out */
	T_CHECK(io_in_count(NULL, &n, &e) == NULL);
}

static void test_sticky_write_error(void)
{
	struct err e;
	struct buf b;
	uint64_t n = 0;
	int com = 0, ab = 0;
	err_init(&e);
	buf_init(&b, 0);
	struct io_out *out = io_out_count(t_out_new(&b, 1000, &com, &ab, &e), &n, &e);
	struct io_in *in = t_in_new(data, 5000, 7, -1, NULL, &e);
	T_EQ_INT(io_copy(in, out), ERR_NET);
	T_EQ_INT(out->err, ERR_NET);
	T_EQ_STR(e.msg, "injected write error at 994");
	T_EQ_INT(io_write(out, "y", 1), ERR_NET);
	T_EQ_INT(io_out_fail(out, ERR_FAIL, "later"), ERR_NET);
	T_EQ_INT(n, 994);
	/* committing a failed chain aborts it and returns the first error */
	T_EQ_INT(io_out_close(out), ERR_NET);
	T_EQ_INT(com, 0);
	T_EQ_INT(ab, 1);
	T_EQ_INT(io_in_close(in), 0);
	/* an error on the read side of io_copy */
	err_init(&e);
	out = io_out_count(NULL, &n, &e);
	in = t_in_new(data, 5000, 1, 77, NULL, &e);
	T_EQ_INT(io_copy(in, out), ERR_NET);
	T_EQ_INT(n, 77);
	T_EQ_INT(io_out_close(out), 0);
	T_EQ_INT(io_in_close(in), ERR_NET);
	buf_free(&b);
}

static char tmpdir[64];

static void make_tmpdir(void)
{
	if (tmpdir[0])
		return;
	strcpy(tmpdir, "/tmp/test_io.XXXXXX");
	if (!mkdtemp(tmpdir))
		abort();
}

/* Number of entries in tmpdir whose name contains ".tmp-". */
static int count_temps(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	int n = 0;
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".tmp-"))
			n++;
	closedir(d);
	return n;
}

static void test_file_source(void)
{
	struct err e;
	struct buf b;
	char path[128];
	make_tmpdir();
	snprintf(path, sizeof path, "%s/src", tmpdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	T_EQ_INT(write(fd, data, 70001), 70001);
	close(fd);
	err_init(&e);
	buf_init(&b, 0);
	struct io_in *in = io_in_file(path, &e);
	T_EQ_INT(drain(in, 1000, &b), 70001);
	T_EQ_INT(io_in_close(in), 0);
	T_CHECK(b.len == 70001 && memcmp(b.p, data, b.len) == 0);
	snprintf(path, sizeof path, "%s/missing", tmpdir);
	T_CHECK(io_in_file(path, &e) == NULL);
	T_EQ_INT(e.code, ERR_NOTFOUND);
	T_CHECKF(strstr(e.msg, "missing") != NULL, "%s", e.msg);
	/* reading a folder fails at read time, naming it */
	err_init(&e);
	in = io_in_file(tmpdir, &e);
	T_CHECK(in != NULL);
	T_EQ_INT(drain(in, 10, &b), ERR_FAIL);
	T_CHECKF(strstr(e.msg, tmpdir) != NULL, "%s", e.msg);
	T_EQ_INT(io_in_close(in), ERR_FAIL);
	buf_free(&b);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Interrupting timer without SA_RESTART: blocking read/write return EINTR or short. */
static void timer_on(int on)
{
	struct sigaction sa;
	struct itimerval it;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on ? on_alarm : SIG_DFL;
	sigaction(SIGALRM, &sa, NULL);
	memset(&it, 0, sizeof it);
	if (on) {
		it.it_interval.tv_usec = 500;
		it.it_value.tv_usec = 500;
	}
	setitimer(ITIMER_REAL, &it, NULL);
}

static uint32_t sum32(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 16777619u;
	return h;
}

static void test_fd_eintr_short_writes(void)
{
	static char big[4 << 20];
	int p[2], q[2];
	struct err e;
	pid_t pid;
	uint32_t want, got = 0;
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = data[i % sizeof data] ^ (char)(i >> 12);
	want = sum32(big, sizeof big);
	T_EQ_INT(pipe(p), 0);
	T_EQ_INT(pipe(q), 0);
	pid = fork();
	if (pid == 0) { /* slow reader: small reads, reports a hash of what came */
		static char rb[sizeof big];
		size_t n = 0;
		ssize_t r;
		close(p[1]);
		usleep(
		    20000); /* the writer blocks on a full pipe meanwhile: EINTR with 0 written */
		while (n < sizeof rb && (r = read(p[0], rb + n, 1 + n % 5000)) > 0)
			n += (size_t)r;
		uint32_t h = n == sizeof rb ? sum32(rb, n) : 0;
		if (write(q[1], &h, sizeof h) != sizeof h)
			_exit(2);
		_exit(0);
	}
	close(p[0]);
	close(q[1]);
	err_init(&e);
	timer_on(1);
	struct io_out *out = io_out_fd(p[1], 1, &e);
	T_EQ_INT(io_write(out, big, sizeof big), 0);
	T_EQ_INT(io_out_close(out), 0);
	timer_on(0);
	T_EQ_INT(read(q[0], &got, sizeof got), sizeof got);
	close(q[0]);
	T_CHECK(got == want);
	waitpid(pid, NULL, 0);

	/* the reading side: a slow writer, an interrupting timer, 1-byte and odd reads */
	T_EQ_INT(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (size_t off = 0; off < 300000;) {
			size_t n = 300000 - off < 9973 ? 300000 - off : 9973;
			if (write(p[1], big + off, n) != (ssize_t)n)
				_exit(2);
			off += n;
			usleep(200);
		}
		_exit(0);
	}
	close(p[1]);
	struct buf b;
	buf_init(&b, 0);
	timer_on(1);
	struct io_in *in = io_in_fd(p[0], 1, &e);
	for (int i = 0; i < 150000; i++) {
		char c1;
		if (io_read(in, &c1, 1) != 1)
			break;
		buf_append(&b, &c1, 1);
	}
	T_EQ_INT(b.len, 150000);
	T_EQ_INT(drain(in, 4093, &b), 150000);
	timer_on(0);
	T_CHECK(b.len == 300000 && memcmp(b.p, big, b.len) == 0);
	T_EQ_INT(io_in_close(in), 0);
	waitpid(pid, NULL, 0);
	buf_free(&b);
	T_EQ_INT(e.code, 0);
}

static void test_atomic_commit_abort(void)
{
	struct err e;
	struct buf b;
	char path[128];
	struct stat st;
	make_tmpdir();
	snprintf(path, sizeof path, "%s/target", tmpdir);
	err_init(&e);
	buf_init(&b, 0);
	struct io_out *out = io_out_atomic(path, 0640, &e);
	T_CHECK(out != NULL);
	T_EQ_INT(count_temps(), 1);
	T_CHECK(access(path, F_OK) != 0); /* nothing at the target before commit */
	for (int i = 0; i < 1000; i++)
		T_CHECK(io_write(out, data + i * 13, 13) == 0);
	T_EQ_INT(io_out_close(out), 0);
	T_EQ_INT(count_temps(), 0);
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_mode & 07777, 0640);
	T_EQ_INT(st.st_size, 13000);
	struct io_in *in = io_in_file(path, &e);
	T_EQ_INT(drain(in, 4096, &b), 13000);
	T_EQ_INT(io_in_close(in), 0);
	T_EQ_MEM(b.p, data, 13000);
	/* abort: old content stays, no temp file */
	out = io_out_atomic(path, 0600, &e);
	T_EQ_INT(io_write(out, "new", 3), 0);
	io_out_abort(out);
	T_EQ_INT(count_temps(), 0);
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_size, 13000);
	/* a stage that failed (here: by a caller's verdict) discards on close */
	out = io_out_atomic(path, 0600, &e);
	T_EQ_INT(io_write(out, "new", 3), 0);
	T_EQ_INT(io_out_fail(out, ERR_INTEGRITY, "digest mismatch"), ERR_INTEGRITY);
	T_EQ_INT(io_out_close(out), ERR_INTEGRITY);
	T_EQ_INT(count_temps(), 0);
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_size, 13000);
	/* replace works, and the chain's close commits through count */
	uint64_t n = 0;
	err_init(&e);
	out = io_out_count(io_out_atomic(path, 0644, &e), &n, &e);
	T_EQ_INT(io_write(out, "new", 3), 0);
	T_EQ_INT(io_out_close(out), 0);
	T_EQ_INT(stat(path, &st), 0);
	T_EQ_INT(st.st_size, 3);
	T_EQ_INT(count_temps(), 0);
	/* 1-byte writes */
	out = io_out_atomic(path, 0644, &e);
	for (int i = 0; i < 3001; i++)
		T_CHECK(io_write(out, data + i, 1) == 0);
	T_EQ_INT(io_out_close(out), 0);
	buf_reset(&b);
	in = io_in_file(path, &e);
	T_EQ_INT(drain(in, 7, &b), 3001);
	T_EQ_INT(io_in_close(in), 0);
	T_EQ_MEM(b.p, data, 3001);
	/* a symlink at the target is replaced, not followed */
	char link[128], aim[128];
	snprintf(link, sizeof link, "%s/link", tmpdir);
	snprintf(aim, sizeof aim, "%s/aim", tmpdir);
	T_EQ_INT(symlink(aim, link), 0);
	out = io_out_atomic(link, 0644, &e);
	T_EQ_INT(io_write(out, "xy", 2), 0);
	T_EQ_INT(io_out_close(out), 0);
	T_EQ_INT(lstat(link, &st), 0);
	T_CHECK(S_ISREG(st.st_mode) && st.st_size == 2);
	T_CHECK(access(aim, F_OK) != 0);
	/* a folder that does not exist */
	snprintf(path, sizeof path, "%s/no/such/file", tmpdir);
	T_CHECK(io_out_atomic(path, 0644, &e) == NULL);
	T_EQ_INT(e.code, ERR_NOTFOUND);
	T_CHECK(io_out_atomic("", 0644, &e) == NULL);
	buf_free(&b);
}

/* A real write error (the file size limit) in a child: the temp file is removed. */
static void test_atomic_write_error(void)
{
	char path[128];
	int st = 0;
	make_tmpdir();
	snprintf(path, sizeof path, "%s/big", tmpdir);
	pid_t pid = fork();
	if (pid == 0) {
		struct err e;
		struct rlimit rl = {100000, 100000};
		int rc1 = 0, rc2;
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		err_init(&e);
		struct io_out *out = io_out_atomic(path, 0644, &e);
		if (!out)
			_exit(10);
		for (int i = 0; i < 10 && rc1 == 0; i++)
			rc1 = io_write(out, data, sizeof data);
		rc2 = io_out_close(out);
		if (rc1 != ERR_FAIL || rc2 != ERR_FAIL || !strstr(e.msg, "write"))
			_exit(11);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	T_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	T_EQ_INT(count_temps(), 0);
	T_CHECK(access(path, F_OK) != 0);
}

static void test_cleanup(void)
{
	char cmd[128];
	if (!tmpdir[0])
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	T_EQ_INT(system(cmd), 0);
}

T_MAIN(test_mem_and_read_full, test_sticky_read_error, test_limit, test_buf_sink,
       test_count_null_chain, test_in_count, test_sticky_write_error, test_file_source,
       test_fd_eintr_short_writes, test_atomic_commit_abort, test_atomic_write_error, test_cleanup)
