"""Language-model engines behind the `TacticGenerator` seam: transformers, vLLM, served endpoints.

Importing this package imports no model stack; each engine imports torch/vllm/httpx when built.
"""
