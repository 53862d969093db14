"""Randomly initialised Llama models and in-memory tokenizers, for tests and speed measurements.

Nothing is downloaded: the tokenizer is character-level (every character one token, plus optional
whole-word tokens and filler tokens up to a vocabulary size), and weights are random. Random
weights are fine for speed: the cost of a forward pass depends on the shapes, not the values.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SPECIALS = ("<pad>", "<s>", "</s>", "<unk>")
EXTRA_CHARS = "⊢ℕℝℤ→←↔∀∃¬∧∨≤≥≠∣αβγ·⁻¹"


@dataclass(frozen=True, slots=True)
class LlamaShape:
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    max_positions: int = 4096


# Real configurations (random weights) and tiny ones for CPU; vocab 0 = just the characters.
SHAPES: dict[str, LlamaShape] = {
    "tiny": LlamaShape(hidden=32, layers=2, heads=4, kv_heads=2, intermediate=64, vocab=0),
    "small": LlamaShape(hidden=256, layers=4, heads=8, kv_heads=4, intermediate=688, vocab=0),
    "llama-1b": LlamaShape(
        hidden=2048, layers=16, heads=32, kv_heads=8, intermediate=8192, vocab=32000
    ),
    "llama-7b": LlamaShape(
        hidden=4096, layers=32, heads=32, kv_heads=32, intermediate=11008, vocab=32000
    ),
}


def char_tokenizer(words: Sequence[str] = (), vocab_size: int | None = None) -> Any:
    """A character-level `PreTrainedTokenizerFast`; `words` become single tokens when seen whole.

    Filler tokens `<w123>` pad the vocabulary to `vocab_size` so it matches a real model's.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab: dict[str, int] = {}
    for tok in (*SPECIALS, *string.printable, *EXTRA_CHARS):
        vocab.setdefault(tok, len(vocab))
    pattern = "|".join(_regex_escape(w) for w in sorted(words, key=len, reverse=True))
    for word in words:
        vocab.setdefault(word, len(vocab))
    if vocab_size is not None:
        if vocab_size < len(vocab):
            raise ValueError(f"vocab_size {vocab_size} < {len(vocab)} base tokens")
        while len(vocab) < vocab_size:
            vocab[f"<w{len(vocab)}>"] = len(vocab)
    model = models.WordLevel(vocab=vocab, unk_token="<unk>")
    tokenizer = Tokenizer(model)
    split = f"{pattern}|[\\s\\S]" if pattern else "[\\s\\S]"
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(split), behavior="isolated")
    tokenizer.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
    )


def _regex_escape(text: str) -> str:
    return "".join("\\" + c if not c.isalnum() else c for c in text)


def llama_config(s: LlamaShape, tokenizer: Any) -> Any:
    """A `LlamaConfig` of shape `s` whose vocabulary and special tokens are `tokenizer`'s."""
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=s.hidden,
        num_hidden_layers=s.layers,
        num_attention_heads=s.heads,
        num_key_value_heads=s.kv_heads,
        intermediate_size=s.intermediate,
        max_position_embeddings=s.max_positions,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=False,
    )


def tiny_llama(
    shape: str | LlamaShape = "tiny",
    *,
    seed: int = 0,
    words: Sequence[str] = (),
    dtype: str = "float32",
    device: str = "cpu",
) -> tuple[Any, Any]:
    """A random Llama model and a matching character tokenizer (vocab = the model's)."""
    import torch
    from transformers import LlamaForCausalLM

    s = SHAPES[shape] if isinstance(shape, str) else shape
    tokenizer = char_tokenizer(words, vocab_size=s.vocab or None)  # 0: the tokenizer's own size
    config = llama_config(s, tokenizer)
    torch.manual_seed(seed)
    with torch.device(device):
        model = LlamaForCausalLM(config).to(getattr(torch, dtype))
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model.eval(), tokenizer


@dataclass(frozen=True, slots=True)
class TinyConfig:
    """A random model to test or time the machinery without downloading anything."""

    shape: str = "tiny"  # a key of SHAPES
    seed: int = 0
    dtype: str = "float32"
    device: str = "cpu"
    max_input_tokens: int = 4096


def load_engine(config: TinyConfig) -> Any:
    """Registry entry point (`prover.model_registry.ENGINES["tiny"]`)."""
    from prover.engines.hf import HFEngine

    model, tokenizer = tiny_llama(
        config.shape, seed=config.seed, dtype=config.dtype, device=config.device
    )
    return HFEngine(model, tokenizer, max_input_tokens=config.max_input_tokens)
