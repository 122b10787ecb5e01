/* http_server.c - a minimal fast HTTP/1.1 peer for bench/http.sh: GET /N sends N bytes,
 * PUT/POST read and drop the body; keep-alive; one connection at a time on 127.0.0.1 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSZ (1 << 20)
#define HEAD_MAX 16384

static char data[BUFSZ], in[BUFSZ];

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Serves requests on fd until the peer closes. */
static void serve(int fd)
{
	size_t have = 0;
	for (;;) {
		char *end;
		while (!(end = memmem(in, have, "\r\n\r\n", 4))) {
			if (have >= HEAD_MAX)
				return;
			ssize_t r = recv(fd, in + have, HEAD_MAX - have, 0);
			if (r <= 0)
				return;
			have += (size_t)r;
		}
		size_t hl = (size_t)(end + 4 - in);
		in[hl - 1] = 0;
		unsigned long long n = 0, cl = 0;
		char *p = strcasestr(in, "\r\ncontent-length:");
		if (p)
			cl = strtoull(p + 17, NULL, 10);
		int get = strncmp(in, "GET ", 4) == 0;
		if (get)
			n = strtoull(in + 5, NULL, 10);
		/* the body: what came with the head, then the rest */
		size_t extra = have - hl;
		unsigned long long left = cl > extra ? cl - extra : 0;
		size_t keep = cl < extra ? extra - (size_t)cl : 0;
		memmove(in, in + hl + (extra - keep), keep);
		have = keep;
		while (left) {
			ssize_t r = recv(fd, data, left < BUFSZ ? (size_t)left : BUFSZ, 0);
			if (r <= 0)
				return;
			left -= (unsigned long long)r;
		}
		char head[256];
		int k = snprintf(head, sizeof head,
				 "HTTP/1.1 %d OK\r\nContent-Length: %llu\r\n\r\n", get ? 200 : 201,
				 get ? n : 0ULL);
		if (send_all(fd, head, (size_t)k) < 0)
			return;
		while (n) {
			size_t c = n < BUFSZ ? (size_t)n : BUFSZ;
			if (send_all(fd, data, c) < 0)
				return;
			n -= c;
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {0};
	socklen_t sl = sizeof sa;
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);
	signal(SIGPIPE, SIG_IGN);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 16) < 0) {
		perror("http_server");
		return 1;
	}
	getsockname(lfd, (struct sockaddr *)&sa, &sl);
	printf("%d\n", ntohs(sa.sin_port));
	fflush(stdout);
	memset(data, 'x', sizeof data);
	/* bounded: the script kills it, and it stops by itself after many connections */
	for (int i = 0; i < 10000; i++) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		serve(fd);
		close(fd);
	}
	return 0;
}
