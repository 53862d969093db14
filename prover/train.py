"""Fine-tune a causal language model on traced proof steps (state -> tactic), with transformers.

Each step record of `prover trace` becomes one example: the prompt is the state before the step
rendered in a registered prompt format (the one the model will be prompted with at search time),
the target is the tactic followed by the end-of-sequence token; the loss is taken on the target
only, as in ReProver/LeanDojo's and InternLM-StepProver's supervised fine-tuning. The checkpoint
(model, tokenizer, and the format name in `prover_train.json`) loads with `--model PATH`.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lean_env.base import ProofState, Theorem
from prover.prompts import PROMPTS, TRAINED_FORMAT_FILE

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TrainConfig:
    prompt_format: str = "reprover"  # a name in prover.prompts.PROMPTS
    steps: int = 1000
    batch_size: int = 8
    learning_rate: float = 1e-4
    max_length: int = 1024  # tokens per example; the prompt is cut from the left to fit
    seed: int = 0
    device: str = "cpu"
    log_every: int = 10


@dataclass
class TrainReport:
    examples: int
    steps: int
    losses: list[float] = field(default_factory=list)  # mean loss per logged window
    seconds: float = 0.0


def examples_from_records(records: Iterable[dict[str, Any]], prompt_format: str) -> list[tuple[str, str]]:
    """(prompt, tactic) pairs; steps whose state has no goal are skipped."""
    fmt = PROMPTS.get(prompt_format)
    out = []
    for rec in records:
        before = rec["state_before"]
        if not before.get("goals") or not rec.get("tactic"):
            continue
        theorem = Theorem(rec.get("theorem", "t"), "", "", backend="coq")
        state = ProofState(theorem.name, (), (), before["pretty"])
        out.append((fmt.render(theorem, state), rec["tactic"].strip()))
    return out


def _encode(tokenizer: Any, prompt: str, target: str, max_length: int) -> tuple[list[int], list[int]]:
    """Token ids and labels (-100 on the prompt): target tokens + EOS, prompt cut from the left."""
    p_ids = tokenizer(prompt, add_special_tokens=False).input_ids
    t_ids = tokenizer(target, add_special_tokens=False).input_ids + [tokenizer.eos_token_id]
    t_ids = t_ids[:max_length]
    p_ids = p_ids[max(0, len(p_ids) - (max_length - len(t_ids))):]
    bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None and len(p_ids) + len(t_ids) < max_length else []
    ids = bos + p_ids + t_ids
    return ids, [-100] * (len(bos) + len(p_ids)) + t_ids


def train(model_name: str, examples: list[tuple[str, str]], out: Path, config: TrainConfig = TrainConfig()) -> TrainReport:
    """Fine-tune `model_name` (hub id or folder; `tiny:SHAPE` starts from a random tiny Llama) on
    `examples`; save to `out`. Raises ValueError for no examples or an unknown prompt format."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not examples:
        raise ValueError("no training examples")
    PROMPTS.get(config.prompt_format)
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    if model_name.startswith("tiny:"):  # a random Llama of a prover.engines.tiny shape, nothing downloaded
        from prover.engines.tiny import tiny_llama

        model, tokenizer = tiny_llama(model_name.split(":", 1)[1], seed=config.seed, device=config.device)
    else:
        tokenizer = AutoTokenizer.from_pretrained(model_name)
        model = AutoModelForCausalLM.from_pretrained(model_name, dtype=torch.float32).to(config.device)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.train()
    encoded = [_encode(tokenizer, p, t, config.max_length) for p, t in examples]
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.0)
    report = TrainReport(len(examples), config.steps)
    start, window = time.monotonic(), []
    order: list[int] = []
    for step in range(config.steps):
        if len(order) < config.batch_size:
            order += random.sample(range(len(encoded)), len(encoded))
        batch = [encoded[order.pop()] for _ in range(min(config.batch_size, len(encoded)))]
        width = max(len(ids) for ids, _ in batch)
        ids = torch.full((len(batch), width), tokenizer.pad_token_id, dtype=torch.long)
        labels = torch.full((len(batch), width), -100, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for i, (x, y) in enumerate(batch):  # right padding: training needs no left alignment
            ids[i, : len(x)] = torch.tensor(x)
            labels[i, : len(y)] = torch.tensor(y)
            mask[i, : len(x)] = 1
        loss = model(input_ids=ids.to(config.device), attention_mask=mask.to(config.device),
                     labels=labels.to(config.device)).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        window.append(float(loss.detach()))
        if len(window) == config.log_every or step == config.steps - 1:
            report.losses.append(sum(window) / len(window))
            log.info("step %d: loss %.4f", step + 1, report.losses[-1])
            window = []
    report.seconds = time.monotonic() - start
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / TRAINED_FORMAT_FILE).write_text(json.dumps({
        "prompt_format": config.prompt_format, "base_model": model_name, "config": asdict(config),
        "examples": report.examples, "losses": report.losses,
    }, indent=1))
    return report
