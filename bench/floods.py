#!/usr/bin/env python3
"""Hostile floods against a running server, from outside, with the figures that matter.

  replay:    CLIENTS stream clients replay a channel of MESSAGES 4 KB messages (after=0) and never
             read; the server's RSS (peak while they hang, and after they close) and another
             org's request latency meanwhile.
  slowloris: CONNS connections each send half a request header and stall; how many the server
             still holds after WAIT seconds, and whether /healthz answers meanwhile.

usage: bench/floods.py URL ADMIN_TOKEN SERVER_PID [replay|slowloris|both]
       (env: CLIENTS=50 MESSAGES=10000 CONNS=500 WAIT=15)
"""
import json, os, socket, sys, time, urllib.request

url, admin, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
which = sys.argv[4] if len(sys.argv) > 4 else "both"
host, port = url.split("//")[1].split(":")
port = int(port)

def call(method, path, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method)
    req.add_header("authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")

def rss_mb():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

def org(name):
    o = call("POST", "/v1/orgs", admin, {"name": name})
    return o["org"], o["token"]

def latency_ms(o, token, n=20):
    times = []
    for _ in range(n):
        t = time.monotonic()
        try:
            call("GET", f"/v1/orgs/{o}/queues", token)
            times.append((time.monotonic() - t) * 1000)
        except Exception:
            times.append(float("inf"))
    times.sort()
    return times[len(times) // 2], times[-1]

def replay():
    clients, messages = int(os.environ.get("CLIENTS", 50)), int(os.environ.get("MESSAGES", 10000))
    o, token = org("flood")
    q = call("POST", f"/v1/orgs/{o}/queues", token, {"name": "q"})["id"]
    ch = call("POST", f"/v1/orgs/{o}/channels", token,
              {"name": "w", "kind": "web", "platform": "standard", "entry": {"queue": q}})["id"]
    text = "x" * 4000
    for i in range(messages):
        call("POST", f"/v1/orgs/{o}/channels/{ch}/inbound", token,
             {"address": f"+{i % 500}", "provider_message_id": f"m{i}",
              "content": {"type": "text", "text": text}})
    other, other_token = org("bystander")
    before = rss_mb()
    socks = []
    for _ in range(clients):
        s = socket.create_connection((host, port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall((f"GET /v1/orgs/{o}/channels/{ch}/stream?after=0 HTTP/1.1\r\nHost: {host}\r\n"
                   f"Authorization: Bearer {token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                   "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").encode())
        socks.append(s)  # never read
    peak, t0 = before, time.monotonic()
    during = latency_ms(other, other_token)
    while time.monotonic() - t0 < 15:
        peak = max(peak, rss_mb())
        time.sleep(0.5)
    for s in socks:
        s.close()
    time.sleep(2)
    print(f"replay flood: {clients} clients x {messages} messages of 4 KB, never reading")
    print(f"  RSS {before:.0f} MB before, peak {peak:.0f} MB while they hang, {rss_mb():.0f} MB after they close")
    print(f"  another org's GET during the flood: p50 {during[0]:.1f} ms, max {during[1]:.1f} ms")

def slowloris():
    conns, wait = int(os.environ.get("CONNS", 500)), float(os.environ.get("WAIT", 15))
    socks = []
    for _ in range(conns):
        try:
            s = socket.create_connection((host, port))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            socks.append(s)
        except OSError:
            break
    time.sleep(wait)
    open_ = 0
    for s in socks:
        s.setblocking(False)
        try:
            open_ += 1 if s.recv(1) else 0
        except BlockingIOError:
            open_ += 1
        except OSError:
            pass
    t = time.monotonic()
    try:
        urllib.request.urlopen(url + "/healthz", timeout=5).read()
        health = f"{(time.monotonic() - t) * 1000:.1f} ms"
    except Exception as e:
        health = f"no answer ({e})"
    for s in socks:
        s.close()
    print(f"slowloris: {len(socks)} connections with half a header; after {wait:.0f} s the server holds {open_}; /healthz: {health}")

if which in ("replay", "both"):
    replay()
if which in ("slowloris", "both"):
    slowloris()
