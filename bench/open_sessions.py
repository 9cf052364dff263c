"""Opens N sessions (N distinct users, one inbound each) on a running server and prints the server's
RSS growth per session. usage: python3 bench/open_sessions.py URL ORG TOKEN CHANNEL PID [N]"""
import http.client, json, sys, threading, urllib.parse

url, org, token, channel, pid = sys.argv[1:6]
n = int(sys.argv[6]) if len(sys.argv) > 6 else 100_000
host = urllib.parse.urlparse(url).netloc
path = f"/v1/orgs/{org}/channels/{channel}/inbound"
headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}

def rss_kib():
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))

def worker(start, stop, failures):
    conn = http.client.HTTPConnection(host)
    for i in range(start, stop):
        body = json.dumps({"address": f"user-{i}", "provider_message_id": f"open-{i}",
                           "content": {"type": "text", "text": "Hello, I need help with my order"}})
        conn.request("POST", path, body, headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            failures.append(resp.status)

before = rss_kib()
threads, failures, per = [], [], n // 4
for t in range(4):
    th = threading.Thread(target=worker, args=(t * per, (t + 1) * per, failures))
    th.start()
    threads.append(th)
for th in threads:
    th.join()
after = rss_kib()
print(f"sessions opened: {n - len(failures)} (failures: {len(failures)})")
print(f"server RSS: {before} KiB -> {after} KiB; {(after - before) * 1024 / n:.0f} bytes per open session")
