#!/usr/bin/python3
# tests/tls_proxy.py PORT [USER:PASS] - a CONNECT-only proxy on 127.0.0.1 for the TLS tests:
# tunnels only to names that resolve to loopback, optionally demands Proxy-Authorization
# Basic, and logs one line per CONNECT ("CONNECT host:port auth=ok|none|bad") to stdout.
import base64
import ipaddress
import select
import socket
import socketserver
import sys

PORT = int(sys.argv[1])
CRED = sys.argv[2] if len(sys.argv) > 2 else None


def loopback_only(host):
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def log(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        c = self.request
        c.settimeout(30)
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 16384:
            d = c.recv(4096)
            if not d:
                return
            head += d
        lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or parts[0] != "CONNECT":
            c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        auth = "none"
        for h in lines[1:]:
            k, _, v = h.partition(":")
            if k.strip().lower() == "proxy-authorization":
                v = v.strip()
                ok = CRED and v.startswith("Basic ") and \
                    base64.b64decode(v[6:]).decode() == CRED
                auth = "ok" if ok else "bad"
        log("CONNECT %s auth=%s" % (parts[1], auth))
        if CRED and auth != "ok":
            c.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                      b"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
            return
        host, _, port = parts[1].rpartition(":")
        host = host.strip("[]")
        if not loopback_only(host):
            c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        try:
            u = socket.create_connection((host, int(port)), timeout=10)
        except OSError:
            c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        rest = head.split(b"\r\n\r\n", 1)[1]
        if rest:
            u.sendall(rest)
        socks = [c, u]
        while True:
            r, _, _ = select.select(socks, [], [], 30)
            if not r:
                break
            done = False
            for s in r:
                d = s.recv(65536)
                if not d:
                    done = True
                    break
                (u if s is c else c).sendall(d)
            if done:
                break
        u.close()


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(("127.0.0.1", PORT), Handler).serve_forever()
