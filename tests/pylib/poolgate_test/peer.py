"""A TCP peer that records where each connection came from.

Runs in its own thread inside a namespace; every accepted connection is read to
EOF and recorded as (local_port, remote_address, bytes_received).
"""
import socket
import threading
import time


class RecordingServer:
    def __init__(self, netns, address, port):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with netns.entered():
            self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, port))
        self.sock.listen(128)
        self.sock.settimeout(0.2)
        self.port = port
        self.connections = []  # (local_port, remote_address, bytes)
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop:
            try:
                conn, remote = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._drain, args=(conn, remote[0]), daemon=True).start()

    def _drain(self, conn, remote):
        total = 0
        conn.settimeout(10)
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                total += len(chunk)
        except OSError:
            pass
        conn.close()
        with self._lock:
            self.connections.append((self.port, remote, total))

    def seen(self):
        with self._lock:
            return list(self.connections)

    def wait_for(self, count, timeout=5.0):
        deadline = time.time() + timeout
        while time.time() < deadline and len(self.seen()) < count:
            time.sleep(0.02)
        return self.seen()

    def close(self):
        self._stop = True
        self._thread.join(timeout=2)
        self.sock.close()


def connect_and_send(netns, address, port, payload=b"", mark=None, timeout=2.0):
    """Connects from inside `netns` (with SO_MARK before connect when given), sends
    the payload, closes. Returns None on success or the error text."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with netns.entered():
        sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if mark is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)
        sock.settimeout(timeout)
        sock.connect((address, port))
        if payload:
            sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        sock.recv(1)  # wait for the peer to finish reading
        return None
    except OSError as e:
        return f"{type(e).__name__}: {e}"
    finally:
        sock.close()
