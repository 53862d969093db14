"""Is the model the user named usable, checked before any work starts?

A served endpoint that nobody answers, or a Hugging Face id that is neither cached nor
downloadable, must stop a run with one line before its first theorem: found later, inside a
search, it would turn every theorem into a silent "not proved". These checks are cheap (one HTTP
request, a look at the disk or the hub cache) and load no weights.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

from prover.model_spec import DEFAULT_ENDPOINT


class ModelUnavailable(RuntimeError):
    """The model cannot be reached or loaded (an infrastructure problem, not bad input)."""


class ModelNotFound(ValueError):
    """The model names something that does not exist (bad input): a missing local folder."""


def check_model(model: str | None, engine: str, endpoint: str | None, api_key: str | None = None,
                timeout_s: float = 5.0) -> None:
    """Raise ModelNotFound or ModelUnavailable (one line) when `model` cannot be used by `engine`."""
    if model is None or engine == "tiny":  # tiny: random weights built in memory
        return
    if engine == "openai":
        check_endpoint(endpoint or DEFAULT_ENDPOINT, api_key, timeout_s)
    elif engine in ("hf", "vllm"):
        check_local_or_hub(model)


def check_endpoint(base_url: str, api_key: str | None, timeout_s: float) -> None:
    """GET {base_url}/models: any HTTP answer but 401/403 means a server is there."""
    url = base_url.rstrip("/") + "/models"
    headers = {}
    key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
    if key:
        headers["Authorization"] = f"Bearer {key}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout_s) as reply:
            reply.read(1 << 16)
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise ModelUnavailable(f"endpoint {base_url} refused the API key (HTTP {exc.code}): give --api-key") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelUnavailable(f"cannot reach the endpoint {base_url}: {reason}") from None


def _looks_like_path(model: str) -> bool:
    return model.startswith((".", "/", "~")) or model.count("/") > 1 or os.sep == "\\" and "\\" in model


def check_local_or_hub(model: str) -> None:
    """A local folder with a config.json, or a hub id that is cached or (online) downloadable."""
    path = Path(model).expanduser()
    if path.exists() or _looks_like_path(model):
        if not path.exists():
            raise ModelNotFound(f"--model {model}: no such directory")
        if not path.is_dir():
            raise ModelNotFound(f"--model {model}: not a directory (give the folder holding config.json)")
        if not (path / "config.json").is_file():
            raise ModelNotFound(f"--model {model}: no config.json in this directory: not a model folder")
        return
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        raise ModelUnavailable("huggingface_hub is not installed: pip install -e '.[hf]'") from None
    try:
        cached = try_to_load_from_cache(model, "config.json")
    except ValueError as exc:  # not a valid repo id
        raise ModelNotFound(f"--model {model}: not a local directory nor a hub id ({exc})") from None
    if isinstance(cached, str):
        return
    if os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0") or os.environ.get("TRANSFORMERS_OFFLINE", "") not in ("", "0"):
        raise ModelUnavailable(f"model {model} is not in the local Hugging Face cache and HF_HUB_OFFLINE is set")
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    headers = {}
    if os.environ.get("HF_TOKEN"):
        headers["Authorization"] = f"Bearer {os.environ['HF_TOKEN']}"
    try:
        request = urllib.request.Request(f"{endpoint}/{model}/resolve/main/config.json", headers=headers, method="HEAD")
        with urllib.request.urlopen(request, timeout=10) as reply:
            reply.read(0)
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403, 404):
            raise ModelUnavailable(f"model {model}: not on the hub or not accessible (HTTP {exc.code})") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ModelUnavailable(f"model {model} is not cached and the hub cannot be reached: "
                               f"{getattr(exc, 'reason', exc)}") from None


__all__ = ["ModelNotFound", "ModelUnavailable", "check_model"]
