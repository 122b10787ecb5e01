#!/usr/bin/python3
"""oci_push.py - push a hand-made artifact to a plain-HTTP registry on loopback, for tests.

Usage: oci_push.py REGISTRY REPO TAG KIND [--docker] [--bad-digest] [--user U:P]

REGISTRY is host:port (plain HTTP). KIND picks the layer:
  good        block.poly + a file, as Go's archive/tar writes it ("./" first entry)
  traversal   an entry "../escape.txt"
  absolute    an entry "/tmp/polycrate-absolute.txt"
  symlink     a symlink "link -> ../../outside" then a file "link/x"
  hardlink    a hardlink to "/etc/passwd"
  device      a character device entry
  setuid      a setuid executable (the bit must be dropped)
--docker      Docker schema2 media types (as upstream Polycrate pushes)
--bad-digest  the manifest names the layer by a digest that does not match its bytes
--big N       add a file of N MiB of random data (for interrupted-pull tests)
"""
import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.request


def entry(tf, name, data=b"", **kw):
    ti = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(ti, k, v)
    if ti.type == tarfile.REGTYPE:
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
    else:
        tf.addfile(ti)


def layer(kind, big):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tf:
        entry(tf, "./", type=tarfile.DIRTYPE, mode=0o755)
        entry(tf, "./block.poly", b"name: raw-block\nversion: 1.0.0\nkind: generic\n", mode=0o644)
        entry(tf, "./files/", type=tarfile.DIRTYPE, mode=0o755)
        entry(tf, "./files/hello.txt", b"hello\n", mode=0o644)
        if kind == "traversal":
            entry(tf, "../escape.txt", b"escaped\n", mode=0o644)
        elif kind == "absolute":
            entry(tf, "/tmp/polycrate-absolute.txt", b"absolute\n", mode=0o644)
        elif kind == "symlink":
            entry(tf, "link", type=tarfile.SYMTYPE, linkname="../../outside")
            entry(tf, "link/x", b"through the link\n", mode=0o644)
        elif kind == "hardlink":
            entry(tf, "pw", type=tarfile.LNKTYPE, linkname="/etc/passwd")
        elif kind == "device":
            entry(tf, "dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
        elif kind == "setuid":
            entry(tf, "files/suid.sh", b"#!/bin/sh\necho hi\n", mode=0o4755)
        if big:
            data = os.urandom(big << 20)
            entry(tf, "files/big.bin", data, mode=0o644)
    tar = raw.getvalue()
    gz = gzip.compress(tar, compresslevel=1, mtime=0)
    return tar, gz


def req(method, url, data=None, headers=None, auth=None):
    r = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if auth:
        r.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    with urllib.request.urlopen(r, timeout=30) as resp:
        return resp.status, resp.headers, resp.read()


def upload(base, repo, data, auth):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    _, h, _ = req("POST", f"{base}/v2/{repo}/blobs/uploads/", b"", auth=auth)
    loc = h["Location"]
    if loc.startswith("/"):
        loc = base + loc
    sep = "&" if "?" in loc else "?"
    req("PUT", f"{loc}{sep}digest={digest}", data,
        {"Content-Type": "application/octet-stream"}, auth)
    return digest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("registry")
    ap.add_argument("repo")
    ap.add_argument("tag")
    ap.add_argument("kind")
    ap.add_argument("--docker", action="store_true")
    ap.add_argument("--bad-digest", action="store_true")
    ap.add_argument("--big", type=int, default=0)
    ap.add_argument("--user")
    a = ap.parse_args()
    base = "http://" + a.registry
    tar, gz = layer(a.kind, a.big)
    diff_id = "sha256:" + hashlib.sha256(tar).hexdigest()
    ldigest = upload(base, a.repo, gz, a.user)
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "config": {"Labels": {"blocks.polycrate.io/name": "raw-block",
                                            "polycrate.block.version": "1.0.0"}},
                      "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    cdigest = upload(base, a.repo, cfg, a.user)
    if a.bad_digest:
        # a blob that exists but is not the layer: its bytes do not hash to the name we
        # give it, so the pull must refuse it (the registry serves another blob's bytes
        # only if we lie about the digest, which we do by uploading other bytes first)
        other = upload(base, a.repo, gzip.compress(b"not the layer", mtime=0), a.user)
        ldigest_named = ldigest
        ldigest = other
        del ldigest_named
    if a.docker:
        mt = "application/vnd.docker.distribution.manifest.v2+json"
        cmt = "application/vnd.docker.container.image.v1+json"
        lmt = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    else:
        mt = "application/vnd.oci.image.manifest.v1+json"
        cmt = "application/vnd.oci.image.config.v1+json"
        lmt = "application/vnd.oci.image.layer.v1.tar+gzip"
    man = {"schemaVersion": 2, "mediaType": mt,
           "config": {"mediaType": cmt, "digest": cdigest, "size": len(cfg)},
           "layers": [{"mediaType": lmt, "digest": ldigest,
                       "size": len(gz) if not a.bad_digest else None}]}
    if a.bad_digest:
        # the other blob's real size, so only the digest chain can catch it
        man["layers"][0]["size"] = len(gzip.compress(b"not the layer", mtime=0))
    body = json.dumps(man).encode()
    req("PUT", f"{base}/v2/{a.repo}/manifests/{a.tag}", body, {"Content-Type": mt}, a.user)
    print("sha256:" + hashlib.sha256(body).hexdigest())


if __name__ == "__main__":
    sys.exit(main())
