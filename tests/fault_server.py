#!/usr/bin/python3
"""fault_server.py - a scriptable HTTP/1.1 server (and reverse proxy) that misbehaves on request.

Usage: /usr/bin/python3 tests/fault_server.py [flags]

Flags:
  --port N             listen on this port (default 0: a free one)
  --host ADDR          IPv4 address to listen on (default 127.0.0.1)
  --ipv6               also listen on [::1] (same port; skipped silently when unavailable)
  --port-file FILE     write "PORT SECOND_PORT IPV6(0|1)" to FILE once listening
  --timeout SECONDS    exit after this long whatever happens (default 300)
  --upstream URL       reverse proxy: every path outside /_f/ goes to URL (http://h:p)
  --max-put BYTES      proxy mode: a PUT/PATCH body larger than this gets 413 (body read)
  --chunk-min-length N add "OCI-Chunk-Min-Length: N" to responses to upload POST/PATCH
  --drop-patch-after N proxy mode: the first --drop-times (1) upload PATCHes lose their
                       connection after N body bytes (nothing reaches the upstream)
  --root DIR           serve files of DIR under /_f/files/NAME (Range supported)
  --log FILE           one line per request (method, path, status)
  --tls-cert FILE      speak TLS on the main listeners (PEM certificate chain) ...
  --tls-key FILE       ... with this key; the second listener stays plain
It prints "PORT <port> <second_port>" on stdout. SIGTERM stops it. A second listener (on
SECOND_PORT, 127.0.0.1) answers everything like the first; it exists so that a redirect
to it is a redirect to another host:port, and it records the Authorization it receives.

Behaviours (all paths under /_f/, parameters in the query):
  /_f/stats            JSON: connections, requests, per "METHOD path" counts, the
                       Authorization values the second listener got ("second_auth"),
                       and per listener counts; /_f/stats is not counted itself
  /_f/reset            zero the counters and the per-id state
  /_f/data?size=N      N bytes of pattern (byte i = i % 251); Range honoured
                       &chunked=1 chunked (&trailer=1 adds a trailer), &norange=1 ignores
                       Range, &badrange=1 answers a Range one byte off, &close=1 no length
                       (body until close)
  /_f/drop?size=N&after=M&times=K&id=X   like data, but the first K requests (per id)
                       break the connection after M body bytes (&chunked=1: inside a chunk)
  /_f/status?code=C&times=K&id=X&retry_after=V   the first K requests get status C (with
                       Retry-After: V; V "date:S" gives an HTTP-date S seconds ahead), later
                       ones 200 "ok"
  /_f/headers?size=N   one header of N bytes; &count=N N headers; &endless=1 headers that
                       never end (stops after 64 MiB or the timeout)
  /_f/redirect?to=URL&code=C   C (302) with Location URL; /_f/loop redirects to itself;
                       /_f/chain?n=K redirects K times then says "done" (or, with
                       &to=URL, redirects there at the end)
  /_f/cross?code=C&path=P   C (302) to the second listener's P (default /_f/authcheck)
  /_f/authcheck        200, body "auth=<value>" or "auth=none"
  /_f/echo             200, body = the exact request bytes received (head and body)
  /_f/close            200 "bye" with keep-alive headers, then the connection is closed
  /_f/dropreused       closes without answering when the connection served a request before
  /_f/upload           reads the body (length or chunked); 201 JSON {"bytes", "sha256"};
                       &max=N: 413 for more than N bytes
  /_f/hangup?times=K&id=X   the first K requests (per id) get the connection closed
                       without an answer
  /_f/early?code=C     answers C at once, before reading the request body, then drains
                       it (&close=1: closes at once, the body unread)
  /_f/slow?delay=S     answers after S seconds
  /_f/garbage          answers bytes that are not HTTP
  CONNECT host:port    a tunnel to 127.0.0.1:port whatever the host (for HTTPS_PROXY tests)
"""
import hashlib
import json
import os
import signal
import socket
import ssl
import socketserver
import sys
import threading
import time
import urllib.parse
from email.utils import formatdate

MAX_HEAD = 65536
MAX_LINES = 200
MAX_REQS_PER_CONN = 100000
MAX_BODY = 1 << 34
IO_TIMEOUT = 60
PIECE = 65536
RAW_MAX = 1 << 20

lock = threading.Lock()
stats = {}
state = {}
opts = {}


def reset():
    with lock:
        stats.clear()
        stats.update({"connections": 0, "requests": 0, "paths": {}, "second_auth": [],
                      "listeners": {"main": 0, "second": 0}})
        state.clear()


def bump(key, n=1):
    with lock:
        stats[key] += n


def pattern(off, n):
    base = bytes(range(251)) * ((n // 251) + 2)
    s = off % 251
    return base[s:s + n]


def times_left(qid):
    """True while the per-id counter has not reached 'times'."""
    with lock:
        n = state.get(qid, 0)
        state[qid] = n + 1
        return n


class Closed(Exception):
    pass


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        self.sock = self.request
        self.sock.settimeout(IO_TIMEOUT)
        ctx = self.server.tls
        if ctx is not None:
            try:
                self.sock = ctx.wrap_socket(self.sock, server_side=True)
            except (ssl.SSLError, OSError):
                self.sock = None
        self.buf = b""
        self.raw = b""
        self.second = self.server.second
        bump("connections")
        with lock:
            stats["listeners"]["second" if self.second else "main"] += 1

    def recv_more(self):
        d = self.sock.recv(PIECE)
        if not d:
            raise Closed()
        self.buf += d

    def read_line(self):
        while b"\n" not in self.buf:
            if len(self.buf) > MAX_HEAD:
                raise Closed()
            self.recv_more()
        line, self.buf = self.buf.split(b"\n", 1)
        self.keep_raw(line + b"\n")
        return line.rstrip(b"\r").decode("latin-1")

    def keep_raw(self, d):
        """Body bytes for /_f/echo; only the first RAW_MAX, so big uploads stay linear."""
        if len(self.raw) < RAW_MAX:
            self.raw += d[:RAW_MAX - len(self.raw)]

    def read_exact(self, n):
        out = []
        while n > 0:
            if not self.buf:
                self.recv_more()
            take = self.buf[:n]
            self.buf = self.buf[n:]
            n -= len(take)
            out.append(take)
        return b"".join(out)

    def read_body(self, hdrs, sink):
        """Reads a request body into sink(bytes); returns its length."""
        total = 0
        if "chunked" in hdrs.get("transfer-encoding", "").lower():
            for _ in range(1 << 24):
                size = int(self.read_line().split(";")[0].strip() or "x", 16)
                if size == 0:
                    for _ in range(MAX_LINES):
                        if self.read_line() == "":
                            return total
                    raise Closed()
                d = self.read_exact(size)
                self.keep_raw(d)
                sink(d)
                total += size
                if self.read_line() != "":
                    raise Closed()
            raise Closed()
        n = int(hdrs.get("content-length", "0"))
        if n > MAX_BODY:
            raise Closed()
        while n > 0:
            d = self.read_exact(min(n, PIECE))
            self.keep_raw(d)
            sink(d)
            total += len(d)
            n -= len(d)
        return total

    def send(self, data):
        self.sock.sendall(data)

    def respond(self, code, body=b"", headers=None, reason="X"):
        h = [f"HTTP/1.1 {code} {reason}"]
        headers = dict(headers or {})
        if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
            headers["Content-Length"] = str(len(body))
        for k, v in headers.items():
            h.append(f"{k}: {v}")
        self.send(("\r\n".join(h) + "\r\n\r\n").encode("latin-1") + body)

    def handle(self):
        served = 0
        if self.sock is None:
            return
        if self.server.tls is None:
            # a TLS hello on a plain listener gets a plain-HTTP answer, as Go's servers
            # (docker-registry among them) give one
            try:
                self.recv_more()
            except (Closed, OSError):
                return
            if self.buf[:1] == b"\x16":
                self.sock.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n"
                                  b"Content-Length: 0\r\n\r\n")
                return
        try:
            for _ in range(MAX_REQS_PER_CONN):
                self.raw = b""
                line = self.read_line()
                if not line:
                    continue
                method, target, _ver = line.split(" ", 2)
                hdrs, order = {}, []
                for _ in range(MAX_LINES):
                    l = self.read_line()
                    if l == "":
                        break
                    k, v = l.split(":", 1)
                    hdrs[k.strip().lower()] = v.strip()
                    order.append((k.strip(), v.strip()))
                else:
                    raise Closed()
                if method == "CONNECT":
                    bump("requests")
                    with lock:
                        key = f"CONNECT {target}"
                        stats["paths"][key] = stats["paths"].get(key, 0) + 1
                    self.tunnel(target)
                    break
                u = urllib.parse.urlsplit(target)
                path = u.path
                q = dict(urllib.parse.parse_qsl(u.query))
                if path not in ("/_f/stats", "/_f/reset"):
                    bump("requests")
                    with lock:
                        key = f"{method} {path}"
                        stats["paths"][key] = stats["paths"].get(key, 0) + 1
                if self.second:
                    with lock:
                        stats["second_auth"].append(hdrs.get("authorization", ""))
                keep = self.dispatch(method, path, q, hdrs, order, served)
                served += 1
                if opts.get("log"):
                    with lock, open(opts["log"], "a") as f:
                        f.write(f"{method} {target}\n")
                if not keep:
                    break
        except (Closed, ConnectionError, socket.timeout, ValueError, OSError):
            pass
        finally:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except (OSError, ValueError):
                pass

    def tunnel(self, target):
        """CONNECT host:port: a tunnel to 127.0.0.1:port, whatever the host (never off the
        machine), piped both ways until one side closes."""
        port = int(target.rsplit(":", 1)[1])
        up = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        self.send(b"HTTP/1.1 200 Connection established\r\n\r\n")
        pending = self.buf
        self.buf = b""

        def pipe(src, dst, first=b""):
            try:
                if first:
                    dst.sendall(first)
                for _ in range(1 << 30):
                    d = src.recv(PIECE)
                    if not d:
                        break
                    dst.sendall(d)
            except OSError:
                pass
            for sk in (src, dst):
                try:
                    sk.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        t = threading.Thread(target=pipe, args=(up, self.sock), daemon=True)
        t.start()
        pipe(self.sock, up, pending)
        t.join(IO_TIMEOUT)
        up.close()

    # Each behaviour returns True to keep the connection.
    def dispatch(self, method, path, q, hdrs, order, served):
        if path.startswith("/_f/") or not opts.get("upstream"):
            fn = getattr(self, "f_" + path[4:].split("/")[0], None) if path.startswith(
                "/_f/") else None
            if fn is None:
                self.read_body(hdrs, lambda d: None)
                self.respond(404, b"no such behaviour\n")
                return True
            return fn(method, q, hdrs, served)
        return self.proxy(method, path, hdrs, order)

    def f_stats(self, method, q, hdrs, served):
        with lock:
            body = json.dumps(stats).encode()
        self.respond(200, body, {"Content-Type": "application/json"})
        return True

    def f_reset(self, method, q, hdrs, served):
        reset()
        self.respond(200, b"ok")
        return True

    def serve_pattern(self, method, q, hdrs, drop_after=None):
        size = int(q.get("size", "0"))
        start, end = 0, size - 1
        code, extra = 200, {}
        rng = hdrs.get("range", "")
        if rng.startswith("bytes=") and not q.get("norange") and size > 0:
            a, _, b = rng[6:].partition("-")
            start = int(a)
            end = int(b) if b else size - 1
            if start >= size:
                self.respond(416, b"", {"Content-Range": f"bytes */{size}"})
                return True
            code = 206
            off = 1 if q.get("badrange") else 0
            extra["Content-Range"] = f"bytes {start + off}-{end}/{size}"
        n = end - start + 1 if size else 0
        chunked = q.get("chunked") == "1"
        close = q.get("close") == "1"
        if chunked:
            extra["Transfer-Encoding"] = "chunked"
        elif close:
            extra["Connection"] = "close"
            extra["Content-Length"] = None
        else:
            extra["Content-Length"] = str(n)
        head = [f"HTTP/1.1 {code} X"] + [f"{k}: {v}" for k, v in extra.items() if v is not None]
        self.send(("\r\n".join(head) + "\r\n\r\n").encode())
        if method == "HEAD":
            return True
        sent, off = 0, start
        piece = 4096 if chunked else PIECE
        while sent < n:
            k = min(piece, n - sent)
            data = pattern(off, k)
            if drop_after is not None and sent + k > drop_after:
                cut = data[:drop_after - sent]
                if chunked:
                    self.send(b"%x\r\n" % k + cut)
                else:
                    self.send(cut)
                return False
            self.send(b"%x\r\n" % k + data + b"\r\n" if chunked else data)
            sent += k
            off += k
        if chunked:
            self.send(b"0\r\nX-Trailer: yes\r\n\r\n" if q.get("trailer") else b"0\r\n\r\n")
        return not close

    def f_data(self, method, q, hdrs, served):
        return self.serve_pattern(method, q, hdrs)

    def f_drop(self, method, q, hdrs, served):
        qid = "drop:" + q.get("id", "")
        if times_left(qid) < int(q.get("times", "1")):
            return self.serve_pattern(method, q, hdrs, int(q.get("after", "0")))
        return self.serve_pattern(method, q, hdrs)

    def f_status(self, method, q, hdrs, served):
        self.read_body(hdrs, lambda d: None)
        qid = "status:" + q.get("id", "")
        if times_left(qid) < int(q.get("times", "1")):
            h = {}
            ra = q.get("retry_after")
            if ra and ra.startswith("date:"):
                h["Retry-After"] = formatdate(time.time() + int(ra[5:]), usegmt=True)
            elif ra:
                h["Retry-After"] = ra
            self.respond(int(q.get("code", "503")), b"try later\n", h)
        else:
            self.respond(200, b"ok")
        return True

    def f_headers(self, method, q, hdrs, served):
        if q.get("endless"):
            self.send(b"HTTP/1.1 200 X\r\n")
            for i in range(1 << 20):
                self.send(b"X-Endless-%d: %s\r\n" % (i, b"y" * 50))
            return False
        h = {}
        if "size" in q:
            h["X-Big"] = "b" * int(q["size"])
        for i in range(int(q.get("count", "0"))):
            h[f"X-Many-{i}"] = "m"
        self.respond(200, b"ok", h)
        return True

    def f_redirect(self, method, q, hdrs, served):
        self.read_body(hdrs, lambda d: None)
        self.respond(int(q.get("code", "302")), b"", {"Location": q.get("to", "/")})
        return True

    def f_loop(self, method, q, hdrs, served):
        self.respond(302, b"", {"Location": "/_f/loop"})
        return True

    def f_chain(self, method, q, hdrs, served):
        self.read_body(hdrs, lambda d: None)
        n = int(q.get("n", "0"))
        if n <= 0 and q.get("to"):
            self.respond(int(q.get("code", "302")), b"", {"Location": q["to"]})
        elif n <= 0:
            self.respond(200, f"done {method}".encode())
        else:
            to = urllib.parse.quote(q.get("to", ""), safe="")
            self.respond(int(q.get("code", "302")), b"",
                         {"Location": f"chain?n={n - 1}&code={q.get('code', '302')}"
                                      + (f"&to={to}" if to else "")})
        return True

    def f_cross(self, method, q, hdrs, served):
        port = opts["second_port"]
        to = f"http://127.0.0.1:{port}{q.get('path', '/_f/authcheck')}"
        self.respond(int(q.get("code", "302")), b"", {"Location": to})
        return True

    def f_authcheck(self, method, q, hdrs, served):
        self.respond(200, ("auth=" + hdrs.get("authorization", "none")).encode())
        return True

    def f_echo(self, method, q, hdrs, served):
        self.read_body(hdrs, lambda d: None)
        self.respond(200, self.raw, {"Content-Type": "application/octet-stream"})
        return True

    def f_close(self, method, q, hdrs, served):
        self.respond(200, b"bye", {"Connection": "keep-alive"})
        return False

    def f_dropreused(self, method, q, hdrs, served):
        if served > 0:
            return False
        self.respond(200, b"first")
        return True

    def f_upload(self, method, q, hdrs, served):
        h = hashlib.sha256()
        n = self.read_body(hdrs, h.update)
        if "max" in q and n > int(q["max"]):
            self.respond(413, b"too large\n")
            return True
        self.respond(201, json.dumps({"bytes": n, "sha256": h.hexdigest()}).encode())
        return True

    def f_hangup(self, method, q, hdrs, served):
        self.read_body(hdrs, lambda d: None)
        if times_left("hangup:" + q.get("id", "")) < int(q.get("times", "1")):
            return False
        self.respond(200, b"answered")
        return True

    def f_early(self, method, q, hdrs, served):
        self.respond(int(q.get("code", "413")), b"early answer\n", {"Connection": "close"})
        if q.get("close"):
            return False  # closes with the body unread: the peer may see a reset
        self.sock.shutdown(socket.SHUT_WR)
        for _ in range(1 << 12):  # drain (bounded) so the client can finish sending
            if not self.sock.recv(PIECE):
                break
        return False

    def f_slow(self, method, q, hdrs, served):
        time.sleep(float(q.get("delay", "1")))
        self.respond(200, b"slow")
        return True

    def f_garbage(self, method, q, hdrs, served):
        self.send(b"SSH-2.0-OpenSSH_9.2\r\n\x00\x01\x02 not http\r\n\r\n")
        return False

    def f_files(self, method, q, hdrs, served):
        root = opts.get("root")
        name = os.path.basename(self.raw.split(b" ")[1].decode().split("?")[0])
        p = os.path.join(root, name) if root else ""
        if not root or not os.path.isfile(p):
            self.respond(404, b"not found\n")
            return True
        size = os.path.getsize(p)
        start = 0
        rng = hdrs.get("range", "")
        h = {"Content-Length": str(size)}
        code = 200
        if rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
            code = 206
            h = {"Content-Length": str(size - start),
                 "Content-Range": f"bytes {start}-{size - 1}/{size}"}
        head = [f"HTTP/1.1 {code} X"] + [f"{k}: {v}" for k, v in h.items()]
        self.send(("\r\n".join(head) + "\r\n\r\n").encode())
        if method != "HEAD":
            with open(p, "rb") as f:
                f.seek(start)
                for _ in range(1 << 30):
                    d = f.read(PIECE)
                    if not d:
                        break
                    self.send(d)
        return True

    def proxy(self, method, path, hdrs, order):
        up = urllib.parse.urlsplit(opts["upstream"])
        if opts.get("drop_after") is not None and method == "PATCH" and "/blobs/uploads/" in path:
            with lock:
                n = state.get("patch_drops", 0)
                drop = n < opts["drop_times"]
                if drop:
                    state["patch_drops"] = n + 1
            if drop:
                got = [0]

                def sink(d):
                    got[0] += len(d)
                    if got[0] >= opts["drop_after"]:
                        raise Closed()
                try:
                    self.read_body(hdrs, sink)
                except Closed:
                    pass
                return False
        clen = int(hdrs.get("content-length", "0") or 0)
        if opts.get("max_put") is not None and method in ("PUT", "PATCH"):
            body = []
            n = self.read_body(hdrs, body.append)
            if n > opts["max_put"]:
                self.respond(413, b'{"errors":[{"code":"SIZE_INVALID","message":"too large"}]}',
                             {"Content-Type": "application/json"})
                return True
            payload = b"".join(body)
        else:
            body = []
            self.read_body(hdrs, body.append)
            payload = b"".join(body)
        del clen
        target = self.raw.split(b" ", 2)[1].decode("latin-1")
        s = socket.create_connection((up.hostname, up.port or 80), timeout=IO_TIMEOUT)
        try:
            lines = [f"{method} {target} HTTP/1.1"]
            for k, v in order:
                if k.lower() in ("content-length", "transfer-encoding", "connection", "expect"):
                    continue
                lines.append(f"{k}: {v}")
            lines.append(f"Content-Length: {len(payload)}")
            lines.append("Connection: close")
            s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
            f = s.makefile("rb")
            for _ in range(8):  # 1xx answers are not the response
                status = f.readline(MAX_HEAD).decode("latin-1").rstrip("\r\n")
                rh = []
                for _ in range(MAX_LINES):
                    l = f.readline(MAX_HEAD).decode("latin-1").rstrip("\r\n")
                    if not l:
                        break
                    k, v = l.split(":", 1)
                    rh.append((k.strip(), v.strip()))
                code = int(status.split(" ")[1])
                if code >= 200:
                    break
            length = None
            out = [status]
            chunked = False
            for k, v in rh:
                kl = k.lower()
                if kl == "connection":
                    continue
                if kl == "content-length":
                    length = int(v)
                if kl == "transfer-encoding":
                    chunked = True
                    continue
                out.append(f"{k}: {v}")
            if opts.get("chunk_min") and "/blobs/uploads/" in path and method in ("POST",
                                                                               "PATCH"):
                out.append(f"OCI-Chunk-Min-Length: {opts['chunk_min']}")
            no_body = method == "HEAD" or code in (204, 304) or code < 200
            if chunked or (length is None and not no_body):
                data = f.read(MAX_BODY) if not chunked else read_chunked(f)
                out.append(f"Content-Length: {len(data)}")
                self.send(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + data)
                return True
            self.send(("\r\n".join(out) + "\r\n\r\n").encode("latin-1"))
            if not no_body and length:
                left = length
                while left > 0:
                    d = f.read(min(left, PIECE))
                    if not d:
                        return False
                    self.send(d)
                    left -= len(d)
            return True
        finally:
            s.close()


def read_chunked(f):
    out = []
    for _ in range(1 << 24):
        size = int(f.readline(MAX_HEAD).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            for _ in range(MAX_LINES):
                if f.readline(MAX_HEAD).strip() == b"":
                    break
            return b"".join(out)
        out.append(f.read(size))
        f.readline(MAX_HEAD)
    return b"".join(out)


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, second, family=socket.AF_INET, tls=None):
        self.address_family = family
        self.second = second
        self.tls = tls
        super().__init__(addr, Handler)


def main():
    args = sys.argv[1:]
    flags = {"--port": "0", "--host": "127.0.0.1", "--timeout": "300"}
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--ipv6":
            flags[a] = "1"
            i += 1
            continue
        if i + 1 >= len(args):
            sys.exit(f"fault_server: {a} needs a value")
        flags[a] = args[i + 1]
        i += 2
    known = {"--port", "--host", "--ipv6", "--port-file", "--timeout", "--upstream",
             "--max-put", "--chunk-min-length", "--root", "--log", "--tls-cert",
             "--tls-key", "--drop-patch-after", "--drop-times"}
    for k in flags:
        if k not in known:
            sys.exit(f"fault_server: unknown flag {k}")
    opts["upstream"] = flags.get("--upstream")
    opts["max_put"] = int(flags["--max-put"]) if "--max-put" in flags else None
    opts["chunk_min"] = flags.get("--chunk-min-length")
    opts["drop_after"] = int(flags["--drop-patch-after"]) if "--drop-patch-after" in flags else None
    opts["drop_times"] = int(flags.get("--drop-times", "1"))
    opts["root"] = flags.get("--root")
    opts["log"] = flags.get("--log")
    reset()
    tls = None
    if "--tls-cert" in flags:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(flags["--tls-cert"], flags.get("--tls-key"))
    main_srv = Server((flags["--host"], int(flags["--port"])), False, tls=tls)
    port = main_srv.server_address[1]
    second = Server(("127.0.0.1", 0), True)
    opts["second_port"] = second.server_address[1]
    servers = [main_srv, second]
    v6 = 0
    if flags.get("--ipv6"):
        try:
            servers.append(Server(("::1", port), False, socket.AF_INET6, tls))
            v6 = 1
        except OSError:
            pass
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()

    def stop(*_):
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if "--port-file" in flags:
        tmp = flags["--port-file"] + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port} {opts['second_port']} {v6}\n")
        os.rename(tmp, flags["--port-file"])
    print(f"PORT {port} {opts['second_port']}", flush=True)
    deadline = time.monotonic() + float(flags["--timeout"])
    while time.monotonic() < deadline:
        time.sleep(0.2)
    os._exit(0)


if __name__ == "__main__":
    main()
