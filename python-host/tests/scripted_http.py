"""A scripted HTTP server for the tests (the ``scripted_server`` fixture of conftest.py)."""

from __future__ import annotations


class ScriptedServer:
    """A raw-socket HTTP server that answers each request with the next canned answer.

    An answer is the bytes to send, or a callable ``answer(conn, server)`` that writes to
    the connection itself (for bodies that never end, or stall). After each answer the
    connection is closed. Once the script is spent, every request gets ``default`` (a
    Qdrant ``{"exists": true}``). ``requests`` holds each request's raw bytes (head and
    body) and ``connections`` counts accepted connections, so a test can tell that nothing
    at all reached this server.
    """

    EXISTS = b'{"result":{"exists":true},"status":"ok","time":0}'

    def __init__(self, host: str = "127.0.0.1") -> None:
        import socket
        import threading

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, 0))
        self._socket.listen(32)
        self._socket.settimeout(0.05)
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        self.url = f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"
        self.default = self.reply(200, self.EXISTS)
        self.requests: list[bytes] = []
        self.connections = 0
        self.stopped = threading.Event()
        self._answers: list[object] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @staticmethod
    def reply(
        status: int,
        body: bytes | str = b"",
        content_type: str = "application/json",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> bytes:
        """One complete HTTP/1.1 answer, with a content-length and ``connection: close``."""
        from http import HTTPStatus

        data = body.encode() if isinstance(body, str) else body
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Status"
        head = [f"HTTP/1.1 {status} {reason}", f"content-type: {content_type}"]
        head += [f"content-length: {len(data)}", "connection: close"]
        head += [f"{name}: {value}" for name, value in headers]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + data

    def script(self, *answers: object) -> None:
        """The answers to the next requests, in order (replacing what was left), and a
        fresh record of requests and connections."""
        with self._lock:
            self._answers = list(answers)
            self.requests.clear()
            self.connections = 0

    def _accept(self) -> None:
        import threading

        while not self.stopped.is_set():
            try:
                conn, _ = self._socket.accept()
            except OSError:
                continue
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: object) -> None:
        import socket

        assert isinstance(conn, socket.socket)
        with conn:
            conn.settimeout(10)
            try:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(body) < length:
                    chunk = conn.recv(1 << 20)
                    if not chunk:
                        break
                    body += chunk
                with self._lock:
                    self.requests.append(head + b"\r\n\r\n" + body)
                    answer = self._answers.pop(0) if self._answers else self.default
                if callable(answer):
                    answer(conn, self)
                else:
                    assert isinstance(answer, bytes)
                    conn.sendall(answer)
            except OSError:
                pass

    def close(self) -> None:
        self.stopped.set()
        self._thread.join()
        self._socket.close()


class ScriptedServers:
    """Makes :class:`ScriptedServer` instances (``make()``, or ``make("::1")``) and closes
    them all at the end."""

    def __init__(self) -> None:
        self.made: list[ScriptedServer] = []

    def __call__(self, host: str = "127.0.0.1") -> ScriptedServer:
        server = ScriptedServer(host)
        self.made.append(server)
        return server

    def close(self) -> None:
        for server in self.made:
            server.close()
