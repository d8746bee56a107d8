"""A small fake OpenAI-compatible chat server on 127.0.0.1 for tests (real HTTP, streaming or not).

The model name chooses the behaviour: `good` answers with valid citations, `bad` cites a source
that does not exist and leaves a sentence uncited, `slow` answers after 3 s (for timeouts). Judge prompts (they ask for `URTEIL:`) get `URTEIL: JA` from
`good`, `URTEIL: NEIN` from `judge-nein` and an unparseable reply from `judge-garbage`.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLIES = {
    "good": "Alexander Kalouti wurde 1968 in Beirut geboren [1]. Er studierte Schauspiel in Stuttgart und London [1].",
    "bad": "Kalouti wurde in Paris geboren [7]. Das weiß man aus dem Internet.",
    "slow": "Alexander Kalouti wurde 1968 in Beirut geboren [1].",
}
JUDGE_REPLIES = {"judge-nein": "URTEIL: NEIN", "judge-garbage": "Ich würde sagen: eher ja, weitgehend belegt."}


class FakeLLM:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                try:
                    self._answer()
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

            def _answer(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                model = body.get("model", "good")
                if model == "slow":
                    time.sleep(3)
                reply = REPLIES.get(model, REPLIES["good"])
                if "URTEIL: JA" in body["messages"][-1]["content"]:
                    reply = JUDGE_REPLIES.get(model, "URTEIL: JA")
                elif "Formuliere die letzte Frage" in body["messages"][-1]["content"]:
                    reply = "Wo wurde Alexander Kalouti geboren?"  # the condense-question prompt
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for word in reply.split(" "):
                        chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": model,
                                 "choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}]}
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    done = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": model,
                            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                    self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
                    return
                payload = json.dumps({
                    "id": "c", "object": "chat.completion", "created": 0, "model": model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
