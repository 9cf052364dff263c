"""Holds N provider-stream WebSockets on one channel of a running server, sends one inbound message,
and checks that every socket receives it; prints the server's RSS per socket.
usage: python3 bench/hold_sockets.py URL ORG TOKEN CHANNEL PID [N]   (needs: pip install websockets)"""
import asyncio, json, sys, time, urllib.request
import websockets

url, org, token, channel, pid = sys.argv[1:6]
n = int(sys.argv[6]) if len(sys.argv) > 6 else 10_000
ws_url = url.replace("http://", "ws://") + f"/v1/orgs/{org}/channels/{channel}/stream"
headers = {"Authorization": f"Bearer {token}"}

def rss_kib():
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))

async def main():
    before = rss_kib()
    t0 = time.time()
    sockets = []
    for batch in range(0, n, 500):
        sockets += await asyncio.gather(*[
            websockets.connect(ws_url, additional_headers=headers, max_queue=None)
            for _ in range(batch, min(n, batch + 500))])
    opened = time.time() - t0
    held = rss_kib()
    body = json.dumps({"address": "fanout", "provider_message_id": f"fan-{time.time()}",
                       "content": {"type": "text", "text": "to every provider socket"}}).encode()
    req = urllib.request.Request(f"{url}/v1/orgs/{org}/channels/{channel}/inbound", body,
                                 {**headers, "content-type": "application/json"})
    t1 = time.time()
    urllib.request.urlopen(req).read()

    async def first_message(ws):
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if frame["type"] == "message":
                return frame["message"]["channel_seq"]
    seqs = await asyncio.gather(*[first_message(ws) for ws in sockets], return_exceptions=True)
    fanout = time.time() - t1
    got = sum(1 for s in seqs if isinstance(s, int))
    print(f"sockets open: {len(sockets)} in {opened:.1f}s; message received by {got}/{n} in {fanout:.2f}s")
    print(f"server RSS: {before} KiB -> {held} KiB with the sockets held; "
          f"{(held - before) * 1024 / n:.0f} bytes per socket")
    await asyncio.gather(*[ws.close() for ws in sockets])

asyncio.run(main())
