#!/usr/bin/python3
"""token_server.py - a Bearer token server for docker-registry's `auth: token` mode.

Issues RS256 JWTs that carry their certificate in the x5c header; the registry trusts
that certificate through its `rootcertbundle`. Every request is recorded as one JSON line
in the log file, so tests can assert which scopes were asked for, by whom and how.

Usage: token_server.py --dir DIR [--users FILE] [--port-file FILE] [--post 200|404|405]
                       [--anonymous none|pull] [--expires-in N] [--lifetime SECONDS]

  DIR/cert.pem, DIR/key.pem   made on first start (the registry's rootcertbundle)
  DIR/requests.jsonl          one line per request: method, path, scopes, user, grant
  --users FILE                lines "user:password" (Basic auth for GET, password grant)
  --post 405                  answer OAuth2 POSTs with 405 (as GHCR does) or 404
  --anonymous pull            grant pull to anonymous requests (default: refuse them)
  --token-field token|access_token|both   which field(s) carry the token (default both)
  --lifetime N                stop by itself after N seconds (default 600)

GET  /token?service=S&scope=repository:NAME:ACTIONS[&scope=...]  (Basic auth or none)
POST /token  grant_type=password|refresh_token, service, scope, username/password or
             refresh_token (form-encoded); answers access_token and refresh_token.
"""
import argparse
import base64
import datetime
import json
import os
import secrets
import signal
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

ISSUER = "polycrate-test-issuer"


def make_keys(d):
    cert_p, key_p = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    if os.path.exists(cert_p) and os.path.exists(key_p):
        return cert_p, key_p
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "polycrate test tokens")])
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    with open(key_p, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(cert_p, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return cert_p, key_p


class State:
    def __init__(self, args):
        self.args = args
        cert_p, key_p = make_keys(args.dir)
        with open(key_p, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        with open(cert_p, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        self.x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]
        self.users = {}
        if args.users:
            with open(args.users) as f:
                for line in f:
                    line = line.strip()
                    if ":" in line:
                        u, p = line.split(":", 1)
                        self.users[u] = p
        self.refresh = {}
        self.lock = threading.Lock()
        self.log = open(os.path.join(args.dir, "requests.jsonl"), "a", buffering=1)

    def record(self, entry):
        with self.lock:
            self.log.write(json.dumps(entry) + "\n")

    def token(self, service, scopes, user):
        access = []
        for s in scopes:
            parts = s.split(":")
            if len(parts) < 3:
                continue
            typ, name, actions = parts[0], ":".join(parts[1:-1]), parts[-1]
            acts = [a for a in actions.split(",") if a]
            if not user:
                acts = [a for a in acts if a == "pull"] if self.args.anonymous == "pull" else []
            access.append({"type": typ, "name": name, "actions": acts})
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": user or "", "aud": service, "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": secrets.token_hex(8), "access": access}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"x5c": self.x5c})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, body, extra=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def basic_user(self):
        h = self.headers.get("Authorization", "")
        if not h.lower().startswith("basic "):
            return None, False
        try:
            u, p = base64.b64decode(h[6:]).decode().split(":", 1)
        except Exception:
            return None, True
        return (u, True) if st.users.get(u) == p else (None, True)

    def issue(self, service, scopes, user, refresh=None):
        tok = st.token(service, scopes, user)
        body = {"expires_in": st.args.expires_in, "issued_at":
                datetime.datetime.utcnow().isoformat() + "Z"}
        if st.args.token_field in ("token", "both"):
            body["token"] = tok
        if st.args.token_field in ("access_token", "both"):
            body["access_token"] = tok
        if refresh:
            body["refresh_token"] = refresh
        return body

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        user, tried = self.basic_user()
        scopes = q.get("scope", [])
        st.record({"method": "GET", "path": u.path, "service": q.get("service", [""])[0],
                   "scopes": scopes, "user": user, "basic": tried,
                   "offline_token": q.get("offline_token", [""])[0]})
        if u.path != "/token":
            return self.reply(404, {"error": "not found"})
        if tried and not user:
            return self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                                "message": "invalid username or password"}]},
                              {"WWW-Authenticate": 'Basic realm="token"'})
        if not user and st.args.anonymous == "none":
            return self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                                "message": "authentication required"}]})
        refresh = None
        if user and q.get("offline_token", [""])[0] == "true":
            refresh = secrets.token_hex(16)
            st.refresh[refresh] = user
        self.reply(200, self.issue(q.get("service", [""])[0], scopes, user, refresh))

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(min(n, 65536)).decode())
        grant = form.get("grant_type", [""])[0]
        scopes = " ".join(form.get("scope", [])).split()
        st.record({"method": "POST", "path": self.path, "grant": grant, "scopes": scopes,
                   "service": form.get("service", [""])[0]})
        if st.args.post != "200":
            return self.reply(int(st.args.post), {"error": "unsupported"})
        user = None
        if grant == "password":
            u, p = form.get("username", [""])[0], form.get("password", [""])[0]
            user = u if st.users.get(u) == p else None
        elif grant == "refresh_token":
            user = st.refresh.get(form.get("refresh_token", [""])[0])
        if not user:
            return self.reply(401, {"error": "invalid_grant"})
        refresh = secrets.token_hex(16)
        st.refresh[refresh] = user
        self.reply(200, self.issue(form.get("service", [""])[0], scopes, user, refresh))


def main():
    global st
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--users")
    ap.add_argument("--port-file")
    ap.add_argument("--post", default="200", choices=["200", "404", "405"])
    ap.add_argument("--anonymous", default="none", choices=["none", "pull"])
    ap.add_argument("--token-field", default="both", choices=["token", "access_token", "both"])
    ap.add_argument("--expires-in", type=int, default=300)
    ap.add_argument("--lifetime", type=int, default=600)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    st = State(args)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    stopper = threading.Timer(args.lifetime, lambda: os._exit(0))
    stopper.daemon = True
    stopper.start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
