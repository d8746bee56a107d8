"""A real `chroma run` on 127.0.0.1 for the server-mode test and `make bench-scale`."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.load import free_port

CHROMA = Path(sys.executable).parent / "chroma"


class ChromaServer:
    """`chroma run --path <path>` on a free port; `start` waits until it answers."""

    def __init__(self, path: Path) -> None:
        self.path, self.port, self.process = path, free_port(), None

    def start(self) -> None:
        import chromadb

        self.process = subprocess.Popen([str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1",
                                         "--port", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                chromadb.HttpClient(host="127.0.0.1", port=self.port).heartbeat()
                return
            except Exception:  # not up yet
                time.sleep(0.3)
        raise RuntimeError("chroma run did not start within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
