#!/usr/bin/env python3
"""memcached's own CPU per multi-get of 100 keys of 100 B, by command form (change (s), 2026-12-05).

Starts a private memcached (-t 2 -m 128) on a free loopback port, stores 1,000 items, then sends N
batches of 100 keys in each form, one at a time, and reads memcached's utime+stime from /proc
around each form: the classic multi-key get, quiet meta gets with a place (what our text getAll
sent before change (s)), quiet meta gets with the key, and binary quiet gets (getq with an opaque,
then a noop: what our binary getAll sends). Prints clock ticks (1/100 s) per 1,000 batches; the
client is this script, whose own cost is not counted. Usage: multiget_server_cpu.py [N]
"""
import os
import socket
import struct
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(port):
    deadline = time.time() + 10
    while True:
        try:
            c = socket.create_connection(("127.0.0.1", port))
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return c
        except ConnectionRefusedError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    port = free_port()
    cmd = ["memcached", "-p", str(port), "-l", "127.0.0.1", "-t", "2", "-m", "128", "-U", "0"]
    if os.geteuid() == 0:
        cmd += ["-u", "root"]
    server = subprocess.Popen(cmd)
    try:
        text = connect(port)
        binary = connect(port)  # memcached fixes a connection's protocol at its first byte
        keys = ["1-bench-%032x" % (i * 7919) for i in range(1000)]
        value = os.urandom(100)
        for k in keys:
            text.sendall(b"set %s 0 0 100\r\n" % k.encode() + value + b"\r\n")
            assert text.recv(100).startswith(b"STORED")

        def cpu_ticks():
            fields = open("/proc/%d/stat" % server.pid).read().split(")")[1].split()
            return int(fields[11]) + int(fields[12])

        def read_until(conn, done):
            buf = b""
            while not done(buf):
                chunk = conn.recv(1 << 20)
                if not chunk:
                    raise IOError("memcached closed the connection")
                buf += chunk
            return buf

        def classic(batch):
            return text, ("get " + " ".join(batch) + "\r\n").encode(), lambda b: b.endswith(b"END\r\n")

        def meta_place(batch):
            req = "".join("mg %s v q O%d\r\n" % (k, i) for i, k in enumerate(batch)) + "mn\r\n"
            return text, req.encode(), lambda b: b.endswith(b"MN\r\n")

        def meta_key(batch):
            req = "".join("mg %s v q k\r\n" % k for k in batch) + "mn\r\n"
            return text, req.encode(), lambda b: b.endswith(b"MN\r\n")

        def binary_getq(batch):
            req = b""
            for i, k in enumerate(batch):
                kb = k.encode()
                req += struct.pack(">BBHBBHIIQ", 0x80, 0x09, len(kb), 0, 0, 0, len(kb), i, 0) + kb
            req += struct.pack(">BBHBBHIIQ", 0x80, 0x0A, 0, 0, 0, 0, 0, 1 << 20, 0)
            return binary, req, lambda b: len(b) >= 24 and b[-24] == 0x81 and b[-23] == 0x0A

        for round_ in range(2):
            for name, form in (("classic get", classic), ("mg v q O<i>", meta_place),
                               ("mg v q k", meta_key), ("binary getq", binary_getq)):
                requests = [form(keys[j * 100:j * 100 + 100]) for j in range(10)]
                before = cpu_ticks()
                started = time.time()
                for j in range(n):
                    conn, req, done = requests[j % 10]
                    conn.sendall(req)
                    read_until(conn, done)
                ticks = cpu_ticks() - before
                print("round %d  %-12s server CPU ticks per 1,000 batches: %5.2f   wall us per batch: %.0f"
                      % (round_, name, ticks * 1000.0 / n, (time.time() - started) * 1e6 / n))
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
