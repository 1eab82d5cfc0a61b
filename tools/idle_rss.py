#!/usr/bin/env python3
"""Resident memory of a TCPChat server with N logged-in, idle clients (loopback only).

    tools/idle_rss.py bazel-bin/chat/server 1000 [server flags...]

Starts the server on a free port with the per-address limits off (all clients come from
127.0.0.1), logs in N clients, drains what they were sent, prints VmRSS/VmHWM/threads,
closes them, prints again, and stops the server by its PID. Bounded: N connections, a few
seconds of waiting.
"""
import re, socket, subprocess, sys, time
server = sys.argv[1]; n = int(sys.argv[2]); extra = sys.argv[3:]
p = subprocess.Popen([server, "--port=0", "--max_clients=%d" % (n + 10), "--max_msgs_per_sec=0",
                      "--max_pending_per_ip=0", "--logins_per_minute_per_ip=0",
                      "--ip_lines_per_sec=0", "--ip_bytes_per_sec=0"] + extra,
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
port = int(p.stdout.readline().rsplit(":", 1)[1])
def rss():
    s = open("/proc/%d/status" % p.pid).read()
    return {k: int(re.search(k + r":\s+(\d+)", s).group(1)) for k in ("VmRSS", "VmHWM", "Threads")}
print("start", rss())
socks = []
deadline = time.time() + 60
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"i%d\n" % i); socks.append(s)
for s in socks:  # drain whatever is there (banner, prompt, join notices)
    s.setblocking(False)
time.sleep(3)
for _ in range(3):
    for s in socks:
        try:
            while s.recv(1 << 16): pass
        except BlockingIOError: pass
    time.sleep(1)
print("idle", n, rss())
for s in socks: s.close()
time.sleep(2)
print("after", rss())
p.terminate(); p.wait(timeout=10)
