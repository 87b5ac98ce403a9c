"""A TCP relay on loopback that can go silent: existing connections stop carrying
anything, without closing (as when a NAT or firewall drops them), while new
connections work. For testing how the worker notices a connection cut silently."""

from __future__ import annotations

import socket
import threading

from demo.smtp import free_port


class SilentCut:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.generation = 0
        self.server = socket.create_server(("127.0.0.1", self.port))
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        """From now on, what is open carries nothing more (and is not closed)."""
        self.generation += 1

    def close(self) -> None:
        self.server.close()
        for sock in self.sockets:
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.sockets += [client, upstream]
            born = self.generation
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b, born), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, born: int) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            if self.generation != born:
                continue  # swallowed: the connection is silently dead
            try:
                sink.sendall(data)
            except OSError:
                return
