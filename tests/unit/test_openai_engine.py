"""OpenAIEngine against a tiny completions server on 127.0.0.1 started in the test."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from prover.engines.base import GenRequest, SamplingSettings
from prover.engines.openai_api import EndpointError, OpenAIConfig, OpenAIEngine


class FakeServer:
    """Answers /v1/completions: choice j of prompt p is "<p>/<j>" with token log-probs [-1, -0.5]."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.headers: list[dict] = []
        self.fail_next = 0  # answer this many calls with 503 first
        test = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                test.bodies.append(body)
                test.headers.append(dict(self.headers))
                if self.path != "/v1/completions":
                    return self._send(404, {"error": "not found"})
                if test.fail_next > 0:
                    test.fail_next -= 1
                    return self._send(503, {"error": "busy"})
                if any("BAD" in p for p in body["prompt"]):
                    return self._send(400, {"error": "prompt too long"})
                if any("SLOW" in p for p in body["prompt"]):
                    time.sleep(0.6)
                choices = []
                for p, prompt in enumerate(body["prompt"]):
                    for j in range(body["n"]):
                        choices.append(
                            {
                                "index": p * body["n"] + j,
                                "text": f"{prompt}/{j}",
                                "logprobs": {
                                    "tokens": ["a", "b"],
                                    "token_logprobs": [-1.0, -0.5 * (j + 1)],
                                },
                                "finish_reason": "stop",
                            }
                        )
                choices.reverse()  # order must come from "index", not position
                self._send(200, {"choices": choices})

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # the timeout test hangs up on a slow answer: a broken pipe is expected

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    s = FakeServer()
    yield s
    s.close()


@pytest.fixture(params=["httpx", "urllib"])
def make_engine(request: pytest.FixtureRequest, server: FakeServer):
    if request.param == "httpx":
        pytest.importorskip("httpx")

    def make(**kwargs: object) -> OpenAIEngine:
        cfg = OpenAIConfig(base_url=server.url, model="m", api_key="k", backoff_s=0.01, **kwargs)
        engine = OpenAIEngine(cfg)
        if request.param == "urllib":
            engine._client = None
        return engine

    return make


def test_batches_prompts_with_equal_settings_and_maps_choices_back(
    server: FakeServer, make_engine
) -> None:
    engine = make_engine()
    sample = SamplingSettings(n=2, temperature=0.7, max_new_tokens=9, stop=("---",))
    results = engine.generate_batch(
        [
            GenRequest("p0", sample),
            GenRequest("p1", sample),
            GenRequest("p2", SamplingSettings(n=1, beam=True)),
        ]
    )
    assert [[c.text for c in r] for r in results] == [["p0/1", "p0/0"], ["p1/1", "p1/0"], ["p2/0"]]
    assert results[0][1].logprob == pytest.approx(-1.5) and results[0][0].num_tokens == 2
    first, beam = server.bodies
    assert first["prompt"] == ["p0", "p1"] and first["n"] == 2 and first["stop"] == ["---"]
    assert first["max_tokens"] == 9 and first["temperature"] == 0.7 and first["logprobs"] == 1
    assert beam["use_beam_search"] is True and beam["temperature"] == 0.0
    assert server.headers[0]["Authorization"] == "Bearer k"


def test_retries_transient_errors_then_succeeds(server: FakeServer, make_engine) -> None:
    server.fail_next = 2
    (result,) = make_engine(retries=2).generate_batch([GenRequest("x")])
    assert [c.text for c in result] == ["x/0"]
    assert len(server.bodies) == 3


def test_gives_up_after_the_retries(server: FakeServer, make_engine) -> None:
    server.fail_next = 10
    with pytest.raises(EndpointError, match="gave up after 2 attempts.*503"):
        make_engine(retries=1).generate_batch([GenRequest("x")])
    assert len(server.bodies) == 2


def test_client_errors_are_not_retried(server: FakeServer, make_engine) -> None:
    with pytest.raises(EndpointError, match="HTTP 400"):
        make_engine(retries=3).generate_batch([GenRequest("BAD")])
    assert len(server.bodies) == 1


def test_timeout_is_a_failure_after_retries(server: FakeServer, make_engine) -> None:
    start = time.monotonic()
    with pytest.raises(EndpointError, match="gave up"):
        make_engine(timeout_s=0.15, retries=1).generate_batch([GenRequest("SLOW")])
    assert time.monotonic() - start < 3


def test_a_bad_prompt_fails_alone_behind_the_batcher(server: FakeServer, make_engine) -> None:
    from prover.batching import BatchConfig, Batcher

    with Batcher(make_engine(), BatchConfig(max_batch_size=8, max_wait_s=0.05)) as batcher:
        results = batcher.generate_batch([GenRequest("a"), GenRequest("BAD"), GenRequest("c")])
    assert [c.text for c in results[0]] == ["a/0"] and [c.text for c in results[2]] == ["c/0"]
    assert isinstance(results[1], EndpointError)
