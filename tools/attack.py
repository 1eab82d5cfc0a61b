#!/usr/bin/env python3
"""A bounded, loopback-only hostile-client harness for TCPChat: what do attacks cost?

Usage (from the repository root, after `bazel build -c opt //chat:server`):

    tools/attack.py                                  # every scenario, about 2.5 minutes
    tools/attack.py replay_amplification silent_slots --seconds=5
    tools/attack.py all --server_flag=--max_clients=20 --server_flag=--login_timeout=5s
    tools/attack.py --one_server                     # all on one server: cumulative RSS
    tools/attack.py --list

For each scenario the harness starts a fresh server itself (`--server`, default
bazel-bin/chat/server) on a free loopback port (`--port=0`, the port is read from
`Listening on the port :N`) with /metrics on another free loopback port, runs the attack
for at most `--seconds` (every loop is bounded in count and in time), closes every attack
socket, waits 2 s, and stops the server by its PID (SIGTERM, SIGKILL after 5 s), always
(with --one_server, one server serves every scenario in turn, so their effects add up).
It reads the server's VmRSS/VmHWM/Threads from /proc/PID/status before, during (peak,
sampled every 50 ms) and after, and the /metrics counters of interest, and prints one
JSON line per scenario followed by a `# scenario: ...` summary line. It is a measuring
tool, not a test: nothing passes or fails on timing; the exit status is 0 unless the
harness itself could not run (a server that crashes under attack is reported, not fatal).

Only loopback addresses are accepted. The attacker's connections come from
`--attacker_ip` (default 127.0.0.2) and legitimate clients' from `--client_ip` (default
127.0.0.1), so per-address limits see two different addresses (on Linux all of
127.0.0.0/8 is loopback). Python 3 standard library only.
"""

import argparse
import ipaddress
import json
import os
import re
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

NAME_PROMPT = b"[ENTER YOUR NAME]: "
GOODBYE = b"Server is shutting down. Goodbye!"
TCP_STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
              6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN",
              11: "CLOSING"}
SETTLE_SECONDS = 2.0
LONG_LINE = 4000  # bytes of ASCII text in a "long" chat line, under the 4096 limit
LINES_PER_CONNECTION = 47  # plus the name and /quit: 49 lines, inside the burst of 50


def prompt_re(name):
    return re.compile(rb"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]\[" + re.escape(name) + rb"\]:")


# ---------------------------------------------------------------------------------------
# Addresses


def check_loopback(text, what):
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        sys.exit("attack.py: %s %r is not a numeric IP address" % (what, text))
    if not address.is_loopback:
        sys.exit("attack.py: %s %s is not a loopback address; this tool only attacks "
                 "loopback" % (what, text))
    return address


def alias(base, index):
    """A distinct loopback source address derived from `base` (IPv4 only; ::1 is alone)."""
    address = ipaddress.ip_address(base)
    if address.version == 6:
        return base
    return "127.0.%d.%d" % (1 + index // 250, 1 + index % 250)


# ---------------------------------------------------------------------------------------
# Server process


def read_proc_status(pid):
    fields = {}
    try:
        with open("/proc/%d/status" % pid) as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    fields[key] = int(value.split()[0])
                elif key == "Threads":
                    fields[key] = int(value)
    except (OSError, ValueError):
        return None
    return fields


def free_port(host):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class ServerProcess:
    """The server under attack: started with --port=0, stopped by its PID, always."""

    def __init__(self, binary, target, flags):
        self.binary = binary
        self.target = target
        self.flags = list(flags)
        self.proc = None
        self.port = None
        self.metrics_port = None
        self.log = None
        self.exit_status = None

    def start(self):
        self.metrics_port = free_port(self.target)
        self.log = tempfile.NamedTemporaryFile(prefix="attack-server-", suffix=".log",
                                               delete=False)
        command = [self.binary, "--port=0", "--address=" + self.target,
                   "--metrics_port=%d" % self.metrics_port,
                   "--metrics_address=" + self.target] + self.flags
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        found = []

        def read_stdout():
            for raw in self.proc.stdout:  # drains stdout for the server's lifetime
                match = re.search(rb"Listening on the port :(\d+)", raw)
                if match and not found:
                    found.append(int(match.group(1)))

        threading.Thread(target=read_stdout, daemon=True).start()
        deadline = time.monotonic() + 15
        while not found and time.monotonic() < deadline and self.proc.poll() is None:
            time.sleep(0.02)
        if not found:
            self.stop()
            raise RuntimeError("server did not print its port; log tail:\n" + self.log_tail())
        self.port = found[0]

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def status(self):
        return read_proc_status(self.pid) if self.alive() else None

    def signal(self, signum):
        if self.alive():
            os.kill(self.pid, signum)

    def wait(self, timeout):
        try:
            self.exit_status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.exit_status

    def stop(self):
        if self.proc is None:
            return self.exit_status
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.exit_status = self.proc.returncode
        return self.exit_status

    def log_tail(self, lines=15):
        try:
            with open(self.log.name, "rb") as log:
                return b"".join(log.readlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def verdict(self, conn):
        """Why the server says it disconnected `conn` (from its log), or None."""
        try:
            host, port = conn.sock.getsockname()[:2]
        except OSError:
            host, port = conn.local
        line = self.log_line(("disconnect %s:%d: " % (host, port)).encode())
        return line[1] if line else None

    def log_line(self, needle):
        """(wall-clock time of the glog line, text after `needle`) of the last line with
        `needle`, or None. glog's prefix is `L[yyyy]mmdd hh:mm:ss.uuuuuu`, local time."""
        found = None
        try:
            with open(self.log.name, "rb") as log:
                for line in log:
                    at = line.find(needle)
                    if at >= 0:
                        found = line, line[at + len(needle):].strip().decode("utf-8", "replace")
        except OSError:
            return None
        if found is None:
            return None
        stamp = re.match(rb"[IWEF](?:\d{4})?(\d\d)(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{6})", found[0])
        when = None
        if stamp:
            month, day, hour, minute, second, micros = (int(x) for x in stamp.groups())
            now = time.localtime()
            when = time.mktime((now.tm_year, month, day, hour, minute, second, 0, 0, -1)) \
                + micros / 1e6
        return when, found[1]

    def cleanup(self):
        if self.log is not None:
            self.log.close()
            try:
                os.unlink(self.log.name)
            except OSError:
                pass


def http_get(host, port, path, timeout=2.0):
    """(status, body) of GET path, or (None, error text)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect((host, port))
            conn.sendall(("GET %s HTTP/1.1\r\nHost: tcpchat\r\nConnection: close\r\n\r\n"
                          % path).encode())
            data = bytearray()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and len(data) < 4 << 20:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
    except (OSError, socket.timeout) as error:
        return None, type(error).__name__
    match = re.match(rb"HTTP/1\.[01] (\d{3})", bytes(data))
    if not match:
        return None, "malformed"
    return int(match.group(1)), bytes(data).partition(b"\r\n\r\n")[2].decode("utf-8", "replace")


def scrape(server):
    status, body = http_get(server.target, server.metrics_port, "/metrics")
    if status != 200:
        return None
    values = {}
    for line in body.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, _, value = line.rpartition(" ")
        try:
            values[key] = float(value)
        except ValueError:
            pass
    return values


def metric_deltas(before, after):
    """Counters of interest that moved, and gauges as they are after."""
    if not after:
        return None
    before = before or {}
    out = {}
    for key, value in sorted(after.items()):
        if key.startswith(("tcpchat_disconnects_total", "tcpchat_rejected_lines_total",
                           "tcpchat_connections_accepted_total",
                           "tcpchat_messages_received_total",
                           "tcpchat_sent_bytes_total", "tcpchat_received_bytes_total",
                           "tcpchat_slow_client_disconnects_total")):
            delta = value - before.get(key, 0.0)
            if delta:
                short = key.replace("tcpchat_", "").replace("_total", "")
                out[short] = int(delta)
        elif key in ("tcpchat_connected_clients", "tcpchat_logged_in_clients",
                     "tcpchat_process_threads"):
            out[key.replace("tcpchat_", "")] = int(value)
    return out


class Sampler:
    """Peak VmRSS and threads of the server, sampled every 50 ms."""

    def __init__(self, server):
        self.server = server
        self.peak_rss = 0
        self.peak_threads = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *unused):
        self._stop.set()
        self._thread.join(2)
        self._sample()

    def _sample(self):
        status = self.server.status()
        if status:
            self.peak_rss = max(self.peak_rss, status.get("VmRSS", 0))
            self.peak_threads = max(self.peak_threads, status.get("Threads", 0))

    def _run(self):
        while not self._stop.wait(0.05):
            self._sample()


# ---------------------------------------------------------------------------------------
# Clients


class Conn:
    """One client socket from a chosen loopback source address. Never blocks for long."""

    def __init__(self, ctx, source, timeout=3.0):
        self.ctx = ctx
        family = socket.AF_INET6 if ":" in ctx.target else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        ctx.track(self)
        self.sock.bind((source, 0))
        self.sock.settimeout(timeout)
        self.sock.connect((ctx.target, ctx.port))
        self.local = self.sock.getsockname()[:2]
        self.buf = bytearray()
        self.eof = False
        self.error = None
        self.received = 0

    def send(self, data):
        try:
            self.sock.sendall(data)
            return True
        except (OSError, socket.timeout) as error:
            self.error = type(error).__name__
            return False

    def _recv(self, wait, keep):
        if self.eof:
            return False
        try:
            self.sock.settimeout(max(wait, 0.001))
            chunk = self.sock.recv(262144)
        except socket.timeout:
            return True
        except OSError as error:
            self.error = type(error).__name__
            self.eof = True
            return False
        if not chunk:
            self.eof = True
            return False
        self.received += len(chunk)
        if keep:
            self.buf += chunk
        return True

    def read_until(self, pattern, deadline, start=0):
        """Reads until `pattern` (bytes or compiled regex) is in the buffer after `start`."""
        while True:
            if isinstance(pattern, bytes):
                if self.buf.find(pattern, start) >= 0:
                    return True
            elif pattern.search(self.buf, start):
                return True
            left = deadline - time.monotonic()
            if left <= 0 or not self._recv(min(left, 0.2), True):
                return False

    def read_to_eof(self, deadline, keep=False, cap=64 << 20):
        """Reads (and by default discards) until end of stream, deadline or `cap` bytes."""
        start = self.received
        while time.monotonic() < deadline and self.received - start < cap:
            if not self._recv(min(deadline - time.monotonic(), 0.2), keep):
                break
        return self.eof

    def login(self, name, deadline):
        """Sends `name` after the banner; True once its input prompt arrives."""
        if not self.read_until(NAME_PROMPT, deadline):
            return False
        mark = len(self.buf)
        if not self.send(name + b"\n"):
            return False
        regex = prompt_re(name)
        while True:
            if regex.search(self.buf, mark):
                return True
            if self.buf.find(NAME_PROMPT, mark) >= 0:
                return False  # refused: the name prompt came again
            left = deadline - time.monotonic()
            if left <= 0 or not self._recv(min(left, 0.2), True):
                return False

    def tcp_state(self):
        try:
            info = self.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
            return TCP_STATES.get(info[0], str(info[0]))
        except OSError:
            return "closed"

    def unread_bytes(self):
        try:
            import fcntl
            import termios
            data = fcntl.ioctl(self.sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
            return struct.unpack("i", data)[0]
        except (OSError, ImportError):
            return None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Observer:
    """A logged-in client that reads everything and counts lines by pattern."""

    def __init__(self, ctx, name, patterns, source=None, read_rate=None):
        self.conn = Conn(ctx, source or ctx.client_ip)
        self.name = name
        self.patterns = patterns  # label -> bytes that a counted line contains
        self.counts = {label: 0 for label in patterns}
        self.lines = 0
        self.bytes = 0
        self.read_rate = read_rate  # bytes per second, or None for as fast as possible
        self.eof_at = None
        self.started_at = None
        self.ok = self.conn.login(name, time.monotonic() + 5)
        self.conn.buf = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.started_at = time.monotonic()
        self.started_wall = time.time()
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(3)
        self.conn.close()

    def _run(self):
        tail = b""
        sock = self.conn.sock
        sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                chunk = sock.recv(16384 if self.read_rate else 1 << 20)
            except socket.timeout:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                self.eof_at = time.monotonic()
                return
            self.bytes += len(chunk)
            self.lines += chunk.count(b"\n")
            # Counted in C (bytes.count), so the observer keeps up with a flood; a needle
            # wholly inside the kept tail was counted with the previous chunk.
            window = tail + chunk
            for label, needle in self.patterns.items():
                self.counts[label] += window.count(needle) - tail.count(needle)
            tail = window[-64:]
            if self.read_rate:
                time.sleep(len(chunk) / float(self.read_rate))

    def disconnected_after(self):
        if self.eof_at is None:
            return None
        return round(self.eof_at - self.started_at, 2)


class Context:
    def __init__(self, args, server):
        self.args = args
        self.server = server
        self.target = args.target
        self.port = server.port
        self.client_ip = args.client_ip
        self.attacker_ip = args.attacker_ip
        self.seconds = args.seconds
        self._conns = []
        self._lock = threading.Lock()
        self.stop = threading.Event()

    def track(self, conn):
        with self._lock:
            self._conns.append(conn)

    def close_all(self):
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            conn.close()

    def connect(self, source, timeout=3.0):
        """A Conn, or None if connecting failed (reported by the caller as an error)."""
        try:
            return Conn(self, source, timeout)
        except (OSError, socket.timeout):
            return None


def run_threads(count, body, budget):
    """Runs body(index) in `count` threads; waits at most `budget` + 10 s for them."""
    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + budget + 10
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return sum(thread.is_alive() for thread in threads)


def long_line(tag, size=LONG_LINE):
    head = tag.encode()
    return head + b"x" * max(0, size - len(head))


def burst_client(ctx, source, name, lines, deadline, keep=False):
    """connect, name, lines, /quit in one write, then read to end of stream.
    Returns the Conn (closed) or None if the connection could not be made."""
    conn = ctx.connect(source)
    if conn is None:
        return None
    payload = name + b"\n" + b"".join(line + b"\n" for line in lines) + b"/quit\n"
    conn.send(payload)
    conn.read_to_eof(min(deadline, time.monotonic() + 5), keep=keep)
    conn.close()
    return conn


# ---------------------------------------------------------------------------------------
# Scenarios. Each takes a Context, attacks for at most ctx.seconds, and returns
# (outcome dict, summary text). The harness measures memory and metrics around it.


def join_crash(ctx):
    budget_end = time.monotonic() + ctx.seconds
    stats = {"cycles": 0, "connect_failures": 0, "moved_back": 0}
    lock = threading.Lock()

    def body(i):
        name = b"eve" if i == 0 else b"eve%d" % i
        for _ in range(1000):
            if time.monotonic() >= budget_end or not ctx.server.alive():
                return
            conn = ctx.connect(ctx.attacker_ip)
            if conn is None:
                with lock:
                    stats["connect_failures"] += 1
                time.sleep(0.05)
                continue
            conn.send(name + b"\n/join dev\n/join general\n")
            moved = conn.read_until(b"You are now in general.", min(budget_end + 1,
                                                                   time.monotonic() + 2))
            conn.close()
            with lock:
                stats["cycles"] += 1
                stats["moved_back"] += int(moved)

    stuck = run_threads(20, body, ctx.seconds)
    alive = ctx.server.alive()
    chat_ok = False
    if alive:
        first = ctx.connect(ctx.client_ip)
        second = ctx.connect(ctx.client_ip)
        if first and second:
            deadline = time.monotonic() + 10
            if first.login(b"fresh1", deadline) and second.login(b"fresh2", deadline):
                mark = len(second.buf)
                first.send(b"still here?\n")
                chat_ok = second.read_until(b"[fresh1]:still here?", deadline, mark)
    outcome = dict(stats, threads_stuck=stuck, server_alive=alive,
                   fresh_client_can_chat=chat_ok)
    summary = "%d join/leave cycles from 20 clients; server %s; a fresh client %s chat" % (
        stats["cycles"], "alive" if alive else "DEAD", "can" if chat_ok else "can NOT")
    return outcome, summary


def invalid_utf8_history(ctx):
    budget_end = time.monotonic() + ctx.seconds
    rooms = 90
    per_conn = 23  # 23 x (/join + line) + name + /quit = 48 lines <= burst 50
    stats = {"connections": 0, "lines_sent": 0, "lines_4096": 0, "lines_1365": 0,
             "too_long_replies": 0, "joined": 0, "room_refusals": 0}
    lock = threading.Lock()

    def body(i):
        for cycle in range(5000):
            if time.monotonic() >= budget_end:
                return
            conn = ctx.connect(ctx.attacker_ip)
            if conn is None:
                time.sleep(0.05)
                continue
            name = b"u%d_%d" % (i, cycle)
            payload = [name + b"\n"]
            sizes = []
            for j in range(per_conn):
                room = (i * 11 + cycle * per_conn + j) % rooms
                # 4096 bytes of 0x80 grow to 12288 once each becomes U+FFFD; 1365 bytes
                # grow to 4095 and fit the line limit after replacement.
                size = 4096 if j % 2 == 0 else 1365
                sizes.append(size)
                payload.append(b"/join r%d\n" % room + b"\x80" * size + b"\n")
            payload.append(b"/quit\n")
            conn.send(b"".join(payload))
            # Keep only replies, not replayed history: count markers while draining.
            deadline = min(budget_end + 2, time.monotonic() + 5)
            tail = b""
            too_long = joined = refused = 0

            def markers(text):
                return (text.count(b"was longer than"), text.count(b"You are now in r"),
                        text.count(b"rooms that still exist") + text.count(b"Too many rooms"))

            while time.monotonic() < deadline and not conn.eof:
                conn._recv(0.2, True)
                if not conn.buf:
                    continue
                window = tail + bytes(conn.buf)
                conn.buf = bytearray()
                # Markers wholly inside the kept tail were counted with the previous chunk.
                now, old = markers(window), markers(tail)
                too_long += now[0] - old[0]
                joined += now[1] - old[1]
                refused += now[2] - old[2]
                tail = window[-64:]
            conn.close()
            with lock:
                stats["connections"] += 1
                stats["lines_sent"] += len(sizes)
                stats["lines_4096"] += sizes.count(4096)
                stats["lines_1365"] += sizes.count(1365)
                stats["too_long_replies"] += too_long
                stats["joined"] += joined
                stats["room_refusals"] += refused

    stuck = run_threads(8, body, ctx.seconds)
    rooms_status, rooms_body = (None, "")
    probe = ctx.connect(ctx.client_ip)
    if probe and probe.login(b"probe", time.monotonic() + 5):
        mark = len(probe.buf)
        probe.send(b"/rooms\n")
        probe.read_until(re.compile(rb"Rooms: [^\n]*\n"), time.monotonic() + 3, mark)
        match = re.search(rb"Rooms: ([^\n]*)\n", probe.buf[mark:])
        rooms_body = match.group(1).decode("utf-8", "replace") if match else ""
        rooms_status = len(rooms_body.split(", ")) if rooms_body else None
    probe and probe.close()
    outcome = dict(stats, threads_stuck=stuck, rooms_existing=rooms_status)
    summary = ("%d lines of 0x80 into %d rooms over %d connections; %d refused as too long "
               "(of %d 4096-byte and %d 1365-byte lines); %s rooms exist after" % (
                   stats["lines_sent"], rooms, stats["connections"],
                   stats["too_long_replies"], stats["lines_4096"], stats["lines_1365"],
                   rooms_status))
    return outcome, summary


def fill_room(ctx, room, lines_wanted, source, tag):
    """Fills `room`'s history with long lines from reconnecting helpers. Returns lines sent."""
    sent = 0
    deadline = time.monotonic() + 20
    for k in range(50):
        if sent >= lines_wanted or time.monotonic() >= deadline:
            break
        count = min(46, lines_wanted - sent)
        lines = [b"/join " + room] + [long_line("%s%d_%d " % (tag, k, n)) for n in range(count)]
        conn = burst_client(ctx, source, b"%s%d" % (tag.encode(), k), lines, deadline)
        if conn is not None:
            sent += count
    return sent


def replay_amplification(ctx):
    filled = fill_room(ctx, b"big", 300, ctx.client_ip, "filler")  # 1.2 MB sent; 1 MiB kept
    small = burst_client(ctx, ctx.client_ip, b"smallfiller", [b"/join small", b"tiny"],
                         time.monotonic() + 5)
    budget_end = time.monotonic() + ctx.seconds
    attackers = 8
    stats = {"history_lines_sent_to_big": filled, "small_ok": small is not None,
             "joins_sent": 0, "disconnects_seen": 0, "reconnects": 0, "send_errors": {}}
    lock = threading.Lock()
    final = [None] * attackers

    def body(i):
        conn = None
        for attempt in range(20):
            if time.monotonic() >= budget_end:
                break
            conn = ctx.connect(ctx.attacker_ip)
            if conn is None:
                time.sleep(0.1)
                continue
            if attempt:
                with lock:
                    stats["reconnects"] += 1
            conn.send(b"amp%d_%d\n" % (i, attempt))
            lost = False
            for n in range(1000):  # 10 /join a second, half the rate limit; never reads
                if time.monotonic() >= budget_end:
                    break
                ok = conn.send(b"/join big\n" if n % 2 == 0 else b"/join small\n")
                state = conn.tcp_state()
                if not ok or state not in ("ESTABLISHED",):
                    with lock:
                        stats["disconnects_seen"] += 1
                        key = conn.error or state
                        stats["send_errors"][key] = stats["send_errors"].get(key, 0) + 1
                    lost = True
                    break
                with lock:
                    stats["joins_sent"] += 1
                time.sleep(0.1)
            if not lost:
                break
            conn.close()
            conn = None
        final[i] = conn

    stuck = run_threads(attackers, body, ctx.seconds)
    states = {}
    unread = []
    for conn in final:
        if conn is None:
            continue
        state = conn.tcp_state()
        states[state] = states.get(state, 0) + 1
        unread.append(conn.unread_bytes() or 0)
    # Reading what is queued tells whether the server has already given up on us (EOF).
    eof_after_drain = 0
    drained = 0
    for conn in final:
        if conn is not None:
            before = conn.received
            if conn.read_to_eof(time.monotonic() + 0.5, cap=32 << 20):
                eof_after_drain += 1
            drained += conn.received - before
    outcome = dict(stats, threads_stuck=stuck, attacker_socket_states_at_end=states,
                   attacker_unread_kib=[u // 1024 for u in unread],
                   attacker_eof_within_0_5s_drain=eof_after_drain,
                   drained_kib=drained // 1024)
    summary = ("%d never-reading clients sent %d /join big|small; %d disconnects seen by "
               "send/state, %d reconnects; sockets at end %s" % (
                   attackers, stats["joins_sent"], stats["disconnects_seen"],
                   stats["reconnects"], states))
    return outcome, summary


def reconnect_flood(ctx):
    observer = Observer(ctx, b"observer", {"flood_lines": b"][flood"})
    if not observer.ok:
        return {"observer_login": False}, "observer could not log in"
    observer.start()
    budget_end = time.monotonic() + ctx.seconds
    stats = {"connections": 0, "lines_sent": 0, "connect_failures": 0}
    lock = threading.Lock()
    threads = 4

    def body(i):
        for n in range(2000):
            if time.monotonic() >= budget_end:
                return
            lines = [long_line("flood%d_%d_%d " % (i, n, k)) for k in range(LINES_PER_CONNECTION)]
            conn = burst_client(ctx, ctx.attacker_ip, b"flood%d_%d" % (i, n), lines, budget_end)
            with lock:
                if conn is None:
                    stats["connect_failures"] += 1
                else:
                    stats["connections"] += 1
                    stats["lines_sent"] += len(lines)

    started = time.monotonic()
    stuck = run_threads(threads, body, ctx.seconds)
    elapsed = time.monotonic() - started
    time.sleep(0.5)  # let the observer read what is in flight
    observer.stop()
    time.sleep(0.3)
    server_says = ctx.server.verdict(observer.conn)
    got = observer.counts["flood_lines"]
    # Rates over the time the observer was connected (a flood may get it dropped).
    watched = min(elapsed, (observer.eof_at or time.monotonic()) - observer.started_at)
    watched = max(watched, 0.001)
    outcome = dict(stats, threads_stuck=stuck, attacker_threads=threads,
                   seconds=round(elapsed, 2), observer_connected_s=round(watched, 2),
                   observer_lines=got, observer_lines_per_sec=round(got / watched, 1),
                   observer_bytes_per_sec=int(observer.bytes / watched),
                   observer_disconnected_after_s=observer.disconnected_after(),
                   server_log_on_observer=server_says,
                   connections_per_sec=round(stats["connections"] / elapsed, 1))
    summary = ("one address, %.0f conn/s x 47 lines: observer got %.0f lines/s, %.2f MB/s "
               "(%d of %d lines sent)%s" % (
                   outcome["connections_per_sec"], outcome["observer_lines_per_sec"],
                   outcome["observer_bytes_per_sec"] / 1e6, got, stats["lines_sent"],
                   "; the observer was DISCONNECTED after %.1f s" % watched
                   if observer.eof_at is not None else ""))
    return outcome, summary


def silent_slots(ctx):
    count = ctx.args.silent_sockets
    budget_end = time.monotonic() + ctx.seconds
    selector = selectors.DefaultSelector()
    stats = {"silent_sockets": count, "connects": 0, "closed_by_server": 0,
             "got_banner_ever": 0}
    sockets = {}

    def open_one():
        conn = ctx.connect(ctx.attacker_ip)
        if conn is None:
            return
        stats["connects"] += 1
        conn.sock.setblocking(False)
        conn.banner = False
        sockets[conn.sock.fileno()] = conn
        selector.register(conn.sock, selectors.EVENT_READ, conn)

    for _ in range(count):
        open_one()
    legit = {"login_ok": False, "seconds_to_banner": None, "seconds_to_login": None}

    def legitimate():
        time.sleep(1.0)
        started = time.monotonic()
        conn = ctx.connect(ctx.client_ip)
        if conn is None:
            return
        deadline = started + 5
        if conn.read_until(NAME_PROMPT, deadline):
            legit["seconds_to_banner"] = round(time.monotonic() - started, 3)
            legit["login_ok"] = _login_after_banner(conn, deadline)
            if legit["login_ok"]:
                legit["seconds_to_login"] = round(time.monotonic() - started, 3)

    helper = threading.Thread(target=legitimate, daemon=True)
    helper.start()
    while time.monotonic() < budget_end and stats["connects"] < 1000:
        for key, _ in selector.select(timeout=0.1):
            conn = key.data
            try:
                chunk = conn.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if chunk:
                if not conn.banner:
                    conn.banner = True
                    stats["got_banner_ever"] += 1
                continue
            selector.unregister(conn.sock)
            del sockets[conn.sock.fileno()]
            conn.close()
            stats["closed_by_server"] += 1
            open_one()
    helper.join(6)
    with_banner_now = sum(1 for conn in sockets.values() if conn.banner)
    selector.close()
    outcome = dict(stats, attacker_sockets_with_banner_at_end=with_banner_now,
                   legit_from=ctx.client_ip, attacker_from=ctx.attacker_ip, **legit)
    summary = ("%d silent sockets from %s (%d got the banner); legitimate client from %s "
               "%s" % (count, ctx.attacker_ip, stats["got_banner_ever"], ctx.client_ip,
                       "logged in after %ss" % legit["seconds_to_login"] if legit["login_ok"]
                       else "could NOT log in within 5 s (%s)" % (
                           "banner after %ss" % legit["seconds_to_banner"]
                           if legit["seconds_to_banner"] is not None else "no banner")))
    return outcome, summary


def _login_after_banner(conn, deadline, name=b"legit"):
    mark = len(conn.buf)
    if not conn.send(name + b"\n"):
        return False
    return conn.read_until(prompt_re(name), deadline, mark)


def slow_reader_victim(ctx):
    rate = ctx.args.victim_rate
    victim = Observer(ctx, b"victim", {"attack_lines": b"][slow"}, read_rate=rate)
    if not victim.ok:
        return {"victim_login": False}, "victim could not log in"
    victim.start()
    budget_end = time.monotonic() + ctx.seconds
    stats = {"connections": 0, "lines_sent": 0}
    lock = threading.Lock()

    def body(i):
        for n in range(2000):
            if time.monotonic() >= budget_end or victim.eof_at is not None:
                return
            lines = [long_line("slow%d_%d_%d " % (i, n, k)) for k in range(LINES_PER_CONNECTION)]
            conn = burst_client(ctx, ctx.attacker_ip, b"slow%d_%d" % (i, n), lines, budget_end)
            if conn is not None:
                with lock:
                    stats["connections"] += 1
                    stats["lines_sent"] += len(lines)

    stuck = run_threads(3, body, ctx.seconds)
    time.sleep(0.3)
    victim.stop()
    disconnected = victim.eof_at is not None
    time.sleep(0.5)  # the server logs the disconnect once it sees our close
    server_says = ctx.server.verdict(victim.conn)
    host, port = victim.conn.local
    logged = ctx.server.log_line(("disconnect %s:%d: " % (host, port)).encode())
    dropped_after = round(logged[0] - victim.started_wall, 1) if logged and logged[0] else None
    outcome = dict(stats, threads_stuck=stuck, victim_read_rate_bytes_per_sec=rate,
                   victim_saw_eof=disconnected, server_log_on_victim=server_says,
                   victim_dropped_by_server="too slow" in (server_says or ""),
                   victim_dropped_after_s=dropped_after,
                   victim_disconnected_after_s=victim.disconnected_after(),
                   victim_lines=victim.lines, victim_attack_lines=victim.counts["attack_lines"],
                   victim_bytes=victim.bytes)
    summary = ("victim reading %d KB/s %s%s; it received %d attack lines (%d sent)" % (
        rate // 1000, "was DROPPED as too slow after %s s" % dropped_after
        if outcome["victim_dropped_by_server"]
        else "was not dropped", " (saw end of stream after %.1f s)"
        % outcome["victim_disconnected_after_s"] if disconnected else "",
        victim.counts["attack_lines"], stats["lines_sent"]))
    return outcome, summary


def join_churn(ctx):
    observer = Observer(ctx, b"observer", {"joined": b" has joined our chat...",
                                          "left": b" has left our chat..."})
    if not observer.ok:
        return {"observer_login": False}, "observer could not log in"
    observer.start()
    budget_end = time.monotonic() + ctx.seconds
    stats = {"connections": 0}
    lock = threading.Lock()

    def body(i):
        for n in range(5000):
            if time.monotonic() >= budget_end:
                return
            conn = burst_client(ctx, ctx.attacker_ip, b"churn%d_%d" % (i, n), [], budget_end)
            if conn is not None:
                with lock:
                    stats["connections"] += 1

    started = time.monotonic()
    stuck = run_threads(4, body, ctx.seconds)
    elapsed = time.monotonic() - started
    time.sleep(0.3)
    observer.stop()
    notices = observer.counts["joined"] + observer.counts["left"]
    outcome = dict(stats, threads_stuck=stuck, seconds=round(elapsed, 2),
                   observer_joined=observer.counts["joined"],
                   observer_left=observer.counts["left"],
                   observer_notices_per_sec=round(notices / elapsed, 1),
                   observer_bytes=observer.bytes)
    summary = "%d logins/quits from one address: observer got %.0f join/leave notices/s" % (
        stats["connections"], outcome["observer_notices_per_sec"])
    return outcome, summary


def room_exhaustion(ctx):
    total = 120
    # An attacker reconnects every few rooms: limits kept per connection do not add up.
    per_conn = ctx.args.rooms_per_connection
    budget_end = time.monotonic() + ctx.seconds
    stats = {"rooms_tried": 0, "rooms_created": 0, "too_many_rooms": 0,
             "too_many_of_yours": 0, "connections": 0}
    room = 0
    while room < total and time.monotonic() < budget_end:
        batch = list(range(room, min(total, room + per_conn)))
        room += len(batch)
        lines = []
        for number in batch:
            lines += [b"/join r%03d" % number, b"hello from r%03d" % number]
        conn = burst_client(ctx, ctx.attacker_ip, b"roomer%d" % stats["connections"], lines,
                            budget_end, keep=True)
        if conn is None:
            continue
        stats["connections"] += 1
        stats["rooms_tried"] += len(batch)
        stats["rooms_created"] += len(re.findall(rb"You are now in r\d{3}\.", conn.buf))
        stats["too_many_rooms"] += conn.buf.count(b"Too many rooms")
        stats["too_many_of_yours"] += conn.buf.count(b"rooms that still exist")
    legit = ctx.connect(ctx.client_ip)
    reply = None
    if legit and legit.login(b"legit", time.monotonic() + 5):
        mark = len(legit.buf)
        legit.send(b"/join legit_room\n")
        legit.read_until(re.compile(rb"(You are now in legit_room\.|Too many rooms|"
                                    rb"rooms that still exist)"), time.monotonic() + 3, mark)
        text = bytes(legit.buf[mark:])
        if b"You are now in legit_room." in text:
            reply = "joined"
        else:
            match = re.search(rb"[^\n]*(Too many rooms|still exist)[^\n]*", text)
            reply = (match.group(0).decode() if match
                     else text[:200].decode("utf-8", "replace")).rstrip(".")
    outcome = dict(stats, legit_join_reply=reply)
    summary = ("attacker created %d of %d rooms (%d 'Too many rooms', %d per-address "
               "refusals); legitimate /join of a new room: %s" % (
                   stats["rooms_created"], stats["rooms_tried"], stats["too_many_rooms"],
                   stats["too_many_of_yours"], reply))
    return outcome, summary


def healthz_flood(ctx):
    budget_end = time.monotonic() + ctx.seconds
    host, port = ctx.target, ctx.server.metrics_port
    idle = []
    results = {}
    latencies = []

    def open_idle():
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        for _ in range(400):
            if time.monotonic() >= budget_end:
                return
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(1)
                sock.bind((ctx.attacker_ip, 0))
                sock.connect((host, port))
                idle.append(sock)
            except OSError:
                sock.close()
            time.sleep(0.05)

    opener = threading.Thread(target=open_idle, daemon=True)
    opener.start()
    for _ in range(200):
        if time.monotonic() >= budget_end:
            break
        started = time.monotonic()
        status, _ = http_get(host, port, "/healthz", timeout=2)
        latencies.append(time.monotonic() - started)
        key = str(status) if status else "error"
        results[key] = results.get(key, 0) + 1
        time.sleep(max(0.0, 0.1 - (time.monotonic() - started)))
    opener.join(3)
    answered = {}
    for sock in idle:
        try:
            sock.settimeout(0)
            data = sock.recv(256)
            key = data[9:12].decode() if data.startswith(b"HTTP/") else ("eof" if not data else "?")
        except (BlockingIOError, socket.timeout):
            key = "open, nothing"
        except OSError as error:
            key = type(error).__name__
        answered[key] = answered.get(key, 0) + 1
        sock.close()
    latencies.sort()
    outcome = {"idle_connections": len(idle), "healthz": results,
               "healthz_p50_ms": round(latencies[len(latencies) // 2] * 1000, 1)
               if latencies else None,
               "healthz_max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
               "idle_connections_at_end": answered}
    summary = "%d idle metrics connections; /healthz: %s; idle sockets at end: %s" % (
        len(idle), results, answered)
    return outcome, summary


def shutdown_goodbye(ctx):
    count = 9
    send_seconds = min(ctx.seconds / 2.0, 4.0)
    late = ctx.args.late_read_delay
    clients = []
    for i in range(count):
        source = alias(ctx.client_ip, i) if ctx.args.spread_ips else ctx.client_ip
        conn = ctx.connect(source)
        if conn is not None and conn.login(b"steady%d" % i, time.monotonic() + 5):
            clients.append(conn)
    stop_sending = threading.Event()
    sent = [0] * len(clients)

    def sender(i):
        conn = clients[i]
        for n in range(1000):  # 10 lines a second of 2000 bytes, reading nothing
            if stop_sending.is_set():
                return
            if not conn.send(long_line("steady%d_%d " % (i, n), 2000) + b"\n"):
                return
            sent[i] += 1
            stop_sending.wait(0.1)

    threads = [threading.Thread(target=sender, args=(i,), daemon=True)
               for i in range(len(clients))]
    for thread in threads:
        thread.start()
    time.sleep(send_seconds)
    unread = [conn.unread_bytes() or 0 for conn in clients]
    ctx.metrics_before_signal = scrape(ctx.server)
    signalled = time.monotonic()
    exited = []

    def watch_exit():
        if ctx.server.wait(15) is not None:
            exited.append(time.monotonic())

    watcher = threading.Thread(target=watch_exit, daemon=True)
    ctx.server.signal(signal.SIGTERM)
    watcher.start()
    stop_sending.set()
    for thread in threads:
        thread.join(2)
    time.sleep(late)
    goodbyes = 0
    ends = {}
    for conn in clients:
        conn.buf = bytearray()
        tail = bytearray()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not conn.eof:
            conn._recv(0.2, True)
            tail = (tail + conn.buf)[-200:]
            conn.buf = bytearray()
        if GOODBYE in tail:
            goodbyes += 1
        end = "eof" if conn.eof and conn.error is None else (conn.error or "still open")
        ends[end] = ends.get(end, 0) + 1
        conn.close()  # as nc does at end of stream, so the server need not wait for us
    watcher.join(15)
    status = ctx.server.exit_status if exited else None
    exited_after = round(exited[0] - signalled, 2) if exited else None
    cut = ctx.server.log_line(b"cutting off ")
    stragglers = int(cut[1].split()[0]) if cut else 0
    outcome = {"clients": len(clients), "lines_sent": sum(sent),
               "unread_kib_at_signal": [u // 1024 for u in unread],
               "read_delay_after_sigterm_s": late, "got_goodbye": goodbyes,
               "stream_ends": ends, "server_exit_status": status,
               "server_exited_within_s": exited_after,
               "clients_cut_off_after_grace": stragglers}
    summary = "%d of %d clients got the goodbye (reading %.1f s after SIGTERM); server " \
              "exited with %s after %ss, cutting off %d client(s) after the grace" % (
                  goodbyes, len(clients), late, status, exited_after, stragglers)
    return outcome, summary


def lookalike_names(ctx):
    deadline = time.monotonic() + 10
    admin = ctx.connect(ctx.client_ip)
    alice = ctx.connect(ctx.client_ip)
    if not (admin and admin.login(b"admin", deadline) and alice and
            alice.login(b"alice", deadline)):
        return {"setup": False}, "could not log in admin and alice"
    candidates = ["\u0430dmin", "Alice", "admin\u200b", "\uff41\uff44\uff4d\uff49\uff4e",
                  "admin -> you", "ADMIN", "admin\u00a0", "\u202eadmin"]
    results = {}
    spoof_seen = None
    for candidate in candidates:
        name = candidate.encode("utf-8")
        conn = ctx.connect(ctx.attacker_ip)
        if conn is None:
            results[candidate] = "connect failed"
            continue
        if not conn.read_until(NAME_PROMPT, time.monotonic() + 5):
            results[candidate] = "no banner"
            conn.close()
            continue
        mark = len(conn.buf)
        conn.send(name + b"\n")
        conn.read_until(re.compile(re.escape(NAME_PROMPT) + b"|" + prompt_re(name).pattern),
                        time.monotonic() + 3, mark)
        reply = bytes(conn.buf[mark:])
        if prompt_re(name).search(reply):
            results[candidate] = "accepted"
            if candidate == "admin -> you":
                mark_alice = len(alice.buf)
                conn.send(b"please send me your password\n")
                if alice.read_until(b"please send me your password", time.monotonic() + 3,
                                    mark_alice):
                    line = re.search(rb"\[[^\n]*please send me your password",
                                     alice.buf[mark_alice:])
                    spoof_seen = line.group(0).decode("utf-8", "replace") if line else None
        else:
            results[candidate] = "refused: " + reply.split(b"\n")[0].decode("utf-8", "replace")
        conn.close()
    accepted = [name for name, result in results.items() if result == "accepted"]
    outcome = {"results": results, "accepted": accepted,
               "alice_saw_from_admin_arrow_you": spoof_seen}
    summary = "accepted %d of %d lookalikes: %s" % (
        len(accepted), len(candidates), ", ".join(ascii(name) for name in accepted))
    return outcome, summary


def telnet_timing_mark(ctx):
    deadline = time.monotonic() + 10
    user = ctx.connect(ctx.client_ip)
    watcher = ctx.connect(ctx.client_ip)
    if not (user and user.login(b"telnetuser", deadline) and watcher and
            watcher.login(b"watcher", deadline)):
        return {"setup": False}, "could not log in"
    mark = len(user.buf)
    user.send(b"\xff\xf4\xff\xfd\x06")
    user.read_until(b"\xff\xfb\x06", time.monotonic() + 1.5, mark)
    reply = bytes(user.buf[mark:])
    will_tm = b"\xff\xfb\x06" in reply
    wont_tm = b"\xff\xfc\x06" in reply
    mark_watcher = len(watcher.buf)
    user.send(b"after the timing mark\n")
    line_ok = watcher.read_until(b"[telnetuser]:after the timing mark", time.monotonic() + 3,
                                 mark_watcher)
    mark = len(user.buf)
    user.send(b"/ping\n")
    ping_ok = user.read_until(b"pong ", time.monotonic() + 3, mark)
    iacs = re.findall(rb"\xff[\xf0-\xff].?", reply)
    outcome = {"iac_sequences_in_reply": [iac.hex() for iac in iacs], "answered_will_tm": will_tm,
               "answered_wont_tm": wont_tm, "following_line_delivered": line_ok,
               "ping_after_ok": ping_ok}
    summary = "IAC IP IAC DO TIMING-MARK: %s; the next line %s" % (
        "answered WILL TM" if will_tm else "answered WONT TM" if wont_tm
        else "NO answer (a telnet client that flushes output until it sees one waits forever)",
        "was delivered" if line_ok else "was NOT delivered")
    return outcome, summary


SCENARIOS = [
    ("join_crash", join_crash),
    ("invalid_utf8_history", invalid_utf8_history),
    ("replay_amplification", replay_amplification),
    ("reconnect_flood", reconnect_flood),
    ("silent_slots", silent_slots),
    ("slow_reader_victim", slow_reader_victim),
    ("join_churn", join_churn),
    ("room_exhaustion", room_exhaustion),
    ("healthz_flood", healthz_flood),
    ("lookalike_names", lookalike_names),
    ("telnet_timing_mark", telnet_timing_mark),
    ("shutdown_goodbye", shutdown_goodbye),  # last: it stops its server
]


# ---------------------------------------------------------------------------------------
# Harness


def run_scenario(args, name, function, shared=None):
    """Runs one scenario on `shared` (a running server) or on a fresh server of its own."""
    server = shared or ServerProcess(args.server, args.target, args.server_flag)
    result = {"scenario": name}
    summary = ""
    try:
        if shared is None:
            server.start()
        result["server_pid"] = server.pid
        ctx = Context(args, server)
        ctx.metrics_before_signal = None
        time.sleep(0.2)
        before = server.status() or {}
        metrics_before = scrape(server)
        started = time.monotonic()
        with Sampler(server) as sampler:
            try:
                outcome, summary = function(ctx)
            except Exception as error:  # report, keep going with the next scenario
                outcome, summary = {"harness_error": repr(error)}, "harness error: %r" % error
            finally:
                ctx.close_all()
            attack_seconds = time.monotonic() - started
            if server.alive():
                time.sleep(SETTLE_SECONDS)
        after = server.status()
        metrics_after = scrape(server) if server.alive() else ctx.metrics_before_signal
        result.update(outcome)
        result.update({
            "attack_seconds": round(attack_seconds, 2),
            "rss_before_kib": before.get("VmRSS"),
            "rss_peak_kib": sampler.peak_rss or None,
            "rss_after_kib": after.get("VmRSS") if after else None,
            "hwm_kib": (after or {}).get("VmHWM"),
            "threads_before": before.get("Threads"),
            "threads_peak": sampler.peak_threads or None,
            "threads_after": after.get("Threads") if after else None,
            "server_alive_at_end": server.alive(),
            "metrics": metric_deltas(metrics_before, metrics_after),
        })
        moved = result["metrics"] or {}
        if moved.get("received_bytes"):
            result["bytes_out_per_byte_in"] = round(
                moved.get("sent_bytes", 0) / float(moved["received_bytes"]), 2)
        if not server.alive() and name != "shutdown_goodbye":
            result["server_exit_status"] = server.proc.returncode
            result["server_log_tail"] = server.log_tail()
    except RuntimeError as error:
        result["harness_error"] = str(error)
        summary = "harness error: %s" % error
    finally:
        if shared is None:
            status = server.stop()
            if server.proc is not None and status not in (0, None) \
                    and name != "shutdown_goodbye":
                result["server_stop_status"] = status
            server.cleanup()
    return result, summary


def print_result(name, result, summary):
    print(json.dumps(result, ensure_ascii=True), flush=True)
    print("# %s: %s; RSS %s -> peak %s -> after %s KiB" % (
        name, summary, result.get("rss_before_kib"), result.get("rss_peak_kib"),
        "n/a" if result.get("rss_after_kib") is None else result["rss_after_kib"]),
        flush=True)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", default=["all"],
                        help="scenario names, or all (default)")
    parser.add_argument("--server", default="bazel-bin/chat/server",
                        help="the server binary (default: %(default)s)")
    parser.add_argument("--server_flag", action="append", default=[],
                        help="extra server flag, e.g. --server_flag=--max_clients=20; repeat")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="attack budget of each scenario (default: %(default)s)")
    parser.add_argument("--target", default="127.0.0.1",
                        help="loopback address the server listens on (default: %(default)s)")
    parser.add_argument("--attacker_ip", default="127.0.0.2",
                        help="attacker source address (default: %(default)s)")
    parser.add_argument("--client_ip", default="127.0.0.1",
                        help="legitimate clients' source address (default: %(default)s)")
    parser.add_argument("--silent_sockets", type=int, default=12,
                        help="silent_slots: attacker sockets (default: %(default)s)")
    parser.add_argument("--victim_rate", type=int, default=256 * 1024,
                        help="slow_reader_victim: victim's read rate in bytes/s")
    parser.add_argument("--late_read_delay", type=float, default=0.5,
                        help="shutdown_goodbye: seconds after SIGTERM before clients read")
    parser.add_argument("--no_spread_ips", dest="spread_ips", action="store_false",
                        help="shutdown_goodbye: all 9 clients from --client_ip instead of "
                             "one 127.0.x.y address each")
    parser.add_argument("--rooms_per_connection", type=int, default=4,
                        help="room_exhaustion: rooms the attacker creates per connection "
                             "before reconnecting (default: %(default)s; at most 23)")
    parser.add_argument("--one_server", action="store_true",
                        help="run the scenarios one after another on one server (effects "
                             "add up; restarted only if it dies) instead of a fresh one each")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args()
    if args.list:
        for name, function in SCENARIOS:
            print(name)
        return 0
    target = check_loopback(args.target, "--target")
    if str(target) not in ("127.0.0.1", "::1"):
        sys.exit("attack.py: --target must be 127.0.0.1 or ::1")
    for what, value in (("--attacker_ip", args.attacker_ip), ("--client_ip", args.client_ip)):
        if check_loopback(value, what).version != target.version:
            sys.exit("attack.py: %s %s and --target %s must be the same IP version"
                     % (what, value, args.target))
    if args.seconds <= 0 or args.seconds > 600:
        sys.exit("attack.py: --seconds must be in (0, 600]")
    if not 1 <= args.rooms_per_connection <= 23:
        sys.exit("attack.py: --rooms_per_connection must be in 1..23")
    if not 1 <= args.silent_sockets <= 500:
        sys.exit("attack.py: --silent_sockets must be in 1..500")
    if not os.path.isfile(args.server):
        here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", args.server)
        if os.path.isfile(here):
            args.server = here
        else:
            sys.exit("attack.py: no server binary at %s (bazel build -c opt //chat:server)"
                     % args.server)
    known = dict(SCENARIOS)
    wanted = []
    for name in args.scenarios:
        if name == "all":
            wanted += [n for n, _ in SCENARIOS if n not in wanted]
        elif name in known:
            if name not in wanted:
                wanted.append(name)
        else:
            sys.exit("attack.py: unknown scenario %r (try --list)" % name)
    if "shutdown_goodbye" in wanted:  # it stops its server: keep it last
        wanted.remove("shutdown_goodbye")
        wanted.append("shutdown_goodbye")
    started = time.monotonic()
    if not args.one_server:
        for name in wanted:
            result, summary = run_scenario(args, name, known[name])
            print_result(name, result, summary)
    else:
        server = None
        first_rss = None
        try:
            for name in wanted:
                if server is None or not server.alive():
                    if server is not None:
                        print("# server %d exited with %s; starting another"
                              % (server.pid, server.proc.returncode), flush=True)
                        server.stop()
                        server.cleanup()
                    server = ServerProcess(args.server, args.target, args.server_flag)
                    server.start()
                    time.sleep(0.2)
                    first_rss = first_rss or (server.status() or {}).get("VmRSS")
                result, summary = run_scenario(args, name, known[name], server)
                print_result(name, result, summary)
                if server.alive():
                    last = server.status() or {}
                    print("# one server: RSS at start %s KiB, now %s KiB (VmHWM %s KiB)" % (
                        first_rss, last.get("VmRSS"), last.get("VmHWM")), flush=True)
        finally:
            if server is not None:
                server.stop()
                server.cleanup()
    print("# total %.1f s" % (time.monotonic() - started), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
