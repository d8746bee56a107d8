"""A bounded load test of the web app: N concurrent users asking evaluation questions for S seconds.

`python -m bench.load --users 30 --seconds 60` starts `python app.py` on a free local port (with the
index from the settings), waits for it, runs the users (asyncio over Gradio's HTTP API for `/ask`; the
same endpoint `gradio_client` uses), samples the server's memory, and prints requests, failures,
busy answers, p50/p95 latency and RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process in MB (`VmHWM` = its peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def start_app(env: dict | None = None, port: int | None = None) -> tuple[subprocess.Popen, str, float]:
    """`python app.py` on a free port; returns the process, its URL and seconds until the first answer."""
    port = port or free_port()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port)],
                               cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    from gradio_client import Client

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited: {process.stderr.read()[-2000:]}")
        try:
            text, _ = Client(url, verbose=False).predict("Wo wurde Kalouti geboren?", api_name="/ask")
            if text:
                return process, url, time.perf_counter() - started
        except Exception:  # not listening yet
            time.sleep(0.25)
    process.kill()
    raise RuntimeError("app.py gave no answer within 300 s")


def questions() -> list[str]:
    from eval.dataset import load_items

    return [item.question for item in load_items() if not item.history]


async def _ask(client, url: str, question: str) -> tuple[str, str]:
    """One question over Gradio's plain HTTP API: ("answer", text) | ("busy", message) | ("failed", why)."""
    response = await client.post(url + "gradio_api/call/ask", json={"data": [question, []]})
    if response.status_code != 200:
        return ("busy", response.text) if "später erneut versuchen" in response.text else ("failed", response.text[:200])
    event_id = response.json()["event_id"]
    stream = await client.get(url + f"gradio_api/call/ask/{event_id}")
    event = next((line.split(":", 1)[1].strip() for line in stream.text.splitlines() if line.startswith("event:")), "")
    data = next((line.split(":", 1)[1].strip() for line in stream.text.splitlines() if line.startswith("data:")), "")
    if event != "complete":
        return "failed", f"{event}: {data[:200]}"
    text, payload = json.loads(data)
    if not text or "interner Fehler" in text:
        return "failed", text[:200]
    return ("busy", text) if payload["mode"] == "message" and "später erneut" in text else ("answer", text)


def run_load(url: str, users: int, seconds: float, pid: int | None = None, seed: int = 1) -> dict:
    """`users` concurrent users (asyncio, plain HTTP: the load generator stays light on a 2-core machine),
    each asking the next question as soon as the last one is answered, for `seconds`."""
    import asyncio

    import httpx

    latencies: list[float] = []
    failures: list[str] = []
    busy = 0
    pool = questions()
    memory: list[tuple[float, float]] = []

    async def user(number: int, client, stop_at: float) -> None:
        nonlocal busy
        rng = random.Random(seed + number)
        while time.monotonic() < stop_at:
            question = rng.choice(pool)
            started = time.perf_counter()
            try:
                outcome, detail = await _ask(client, url, question)
            except httpx.HTTPError as exc:
                outcome, detail = "failed", f"{type(exc).__name__}: {exc}"
            if outcome == "answer":
                latencies.append((time.perf_counter() - started) * 1000)
            elif outcome == "busy":
                busy += 1
            else:
                failures.append(f"{question}: {detail}")

    async def sample(stop_at: float) -> None:
        begin = time.monotonic()
        while time.monotonic() < stop_at + 1:
            if pid:
                memory.append((round(time.monotonic() - begin, 1), round(rss_mb(pid), 1)))
            await asyncio.sleep(2)

    async def main() -> None:
        stop_at = time.monotonic() + seconds
        limits = httpx.Limits(max_connections=users * 2, max_keepalive_connections=users * 2)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            await asyncio.gather(sample(stop_at), *(user(i, client, stop_at) for i in range(users)))

    asyncio.run(main())
    ordered = sorted(latencies)
    pick = lambda q: round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 1) if ordered else 0.0  # noqa: E731
    return {
        "users": users, "seconds": seconds, "requests": len(latencies) + busy + len(failures), "answered": len(latencies),
        "failed": len(failures), "failures": failures[:10], "busy": busy,
        "p50_ms": pick(0.5), "p95_ms": pick(0.95), "mean_ms": round(statistics.fmean(ordered), 1) if ordered else 0.0,
        "throughput_per_s": round(len(latencies) / seconds, 1), "rss_mb": memory,
        "rss_peak_mb": round(rss_mb(pid, "VmHWM"), 1) if pid else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    process, url, ready = start_app()
    try:
        result = run_load(url, args.users, args.seconds, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    result["first_answer_s"] = round(ready, 1)
    print(json.dumps({k: v for k, v in result.items() if k != "rss_mb"}, ensure_ascii=False, indent=2))
    print("RSS over time (s, MB):", result["rss_mb"])


if __name__ == "__main__":
    main()
