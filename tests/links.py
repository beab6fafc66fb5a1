"""A TCP relay between a client and a server whose cable can be pulled and put back: a real network
failure for the tests (the apps' link to the stack, or the browser's link to the app server)."""

from __future__ import annotations

import contextlib
import socket
import threading


class CuttableLink:
    """A TCP relay between the app and the stack whose cable can be pulled: a real network failure."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open_sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # the listener was closed: cut
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            self.open_sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.listener.close()  # new connections are refused
        for s in self.open_sockets:  # and the open ones drop
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


class Link(CuttableLink):
    """A relay that can also be put back on the same port (the same address for the browser)."""

    def cut(self) -> None:
        # close() alone does not wake a thread blocked in accept(): it would take the next connection.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        super().cut()

    def restore(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.open_sockets = []
        threading.Thread(target=self._accept, daemon=True).start()
