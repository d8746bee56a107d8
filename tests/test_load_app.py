"""A bounded load test: 30 concurrent users asking evaluation questions for 60 s against `python app.py`.
Zero failed requests, latency reported, memory flat. (Speed is measured in `make bench`, not asserted.)"""

from __future__ import annotations

import pytest

from bench.load import run_load, start_app

pytestmark = [pytest.mark.server, pytest.mark.model]


def test_thirty_users_for_a_minute(real_settings, real_index):
    # Gradio keeps a small state per session (each API call is one); app.max_sessions bounds them. A low
    # bound here lets the minute show the plateau that a deployment reaches after max_sessions requests.
    env = {"RATHAUS_DATA_DIR": str(real_settings.data_dir), "HF_HUB_OFFLINE": "1", "RATHAUS_APP__MAX_SESSIONS": "200"}
    process, url, first_answer = start_app(env)
    try:
        result = run_load(url, users=30, seconds=60, pid=process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(f"\nload: {result['requests']} requests, {result['failed']} failed, {result['busy']} busy, "
          f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, first answer after {first_answer:.1f} s, "
          f"RSS {result['rss_mb'][1:2]} → {result['rss_mb'][-1:]} MB")
    assert result["failed"] == 0, result["failures"]
    assert result["answered"] >= 30  # every user got answers
    samples = [mb for _, mb in result["rss_mb"]]
    settled = samples[len(samples) // 3:]  # after warm-up (the first 200 sessions)
    assert max(settled) - min(settled) < 0.08 * min(settled), result["rss_mb"]  # flat, not growing with requests
