"""The REPL's own input loop (`getLines` + `loop` in REPL/Main.lean), shared by the fakes."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator


def queries(stream=None) -> Iterator[str]:
    """Yield each query as the REPL sees it: trimmed lines concatenated up to a blank line.

    EOF ends the loop; `#`/`--` queries are comments without an answer. A lone blank line is
    a query of "\\n" that the REPL cannot parse, exactly like upstream.
    """
    stream = stream or sys.stdin
    while True:
        parts: list[str] = []
        while True:
            line = stream.readline()
            if line.strip() == "":
                query = "".join(parts) if parts else line
                break
            parts.append(line.rstrip())
        if query == "":
            return
        if query.startswith(("#", "--")):
            continue
        yield query


def parse_or_die(query: str) -> dict:
    """Parse like the REPL: anything else is an uncaught exception that ends the process."""
    try:
        obj = json.loads(query)
    except json.JSONDecodeError as e:
        sys.stderr.write('uncaught exception: {"message": "Could not parse JSON:\\n%s"}\n' % e)
        sys.stderr.flush()
        sys.exit(1)
    if not isinstance(obj, dict):
        sys.stderr.write("uncaught exception: not a JSON command\n")
        sys.exit(1)
    return obj


def respond(obj_or_text) -> None:
    text = obj_or_text if isinstance(obj_or_text, str) else json.dumps(obj_or_text, ensure_ascii=False, indent=1)
    sys.stdout.write(text + "\n\n")
    sys.stdout.flush()


def transcript_requests(text: str) -> list[str]:
    """The queries of a `.in` transcript, in order, as the REPL would read them."""
    import io

    return list(queries(io.StringIO(text)))


def transcript_responses(text: str) -> list[str]:
    """The responses of an `.expected.out` transcript (blank-line separated), verbatim."""
    return [block for block in text.split("\n\n") if block.strip()]
