"""Replays one recorded REPL transcript: checks each request, answers with the recorded text.

Usage: replay_repl.py TRANSCRIPT.in TRANSCRIPT.expected.out. A request that differs from the
recorded one (as JSON) ends the process with exit code 3 and a note on stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from framing import parse_or_die, queries, respond, transcript_requests, transcript_responses


def main() -> None:
    requests = transcript_requests(Path(sys.argv[1]).read_text(encoding="utf-8"))
    responses = transcript_responses(Path(sys.argv[2]).read_text(encoding="utf-8"))
    for i, query in enumerate(queries()):
        got = parse_or_die(query)
        if i >= len(requests) or got != json.loads(requests[i]):
            sys.stderr.write(f"replay: request {i} differs from the transcript: {query[:200]}\n")
            sys.exit(3)
        respond(responses[i])


if __name__ == "__main__":
    main()
