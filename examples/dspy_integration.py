"""A DSPy RAG pipeline, with retrieval through the sandboxed Qdrant component.

It indexes the Python documentation topics that ship with CPython (``pydoc_data.topics``),
embedded offline with all-MiniLM-L6-v2, into the Qdrant at ``QDRANT_URL``, or into the
embedded engine when ``QDRANT_URL`` is unset. It then answers a few questions:
``dspy.Retrieve`` fetches passages through ``QdrantRM``, and ``dspy.ChainOfThought``
generates an answer when a language model is configured.

Configure an LM with ``DSPY_LM`` (any LiteLLM model id, e.g. ``openai/gpt-4o-mini``) plus
that provider's usual key variable (e.g. ``OPENAI_API_KEY``). Without one, the pipeline
stops after retrieval and says so.
"""

from __future__ import annotations

import os
import pydoc_data.topics
import sys
import time
from contextlib import ExitStack

import dspy

from qdrant_integration import EmbeddedQdrant, MiniLMEmbedder, QdrantClient, QdrantRM

QUESTIONS = [
    "How do I give a function parameter a default value?",
    "What does the with statement do with a context manager?",
    "How do I catch an exception and run cleanup code?",
]
MAX_PASSAGE_CHARS = 800


def python_doc_passages() -> tuple[list[str], list[dict[str, str]]]:
    """Splits each documentation topic into passages of whole paragraphs."""
    texts: list[str] = []
    metadata: list[dict[str, str]] = []
    for topic, body in sorted(pydoc_data.topics.topics.items()):
        current = ""
        for paragraph in (p.strip() for p in body.split("\n\n")):
            if not paragraph:
                continue
            if current and len(current) + len(paragraph) > MAX_PASSAGE_CHARS:
                texts.append(current)
                metadata.append({"topic": topic})
                current = ""
            current = f"{current}\n\n{paragraph}" if current else paragraph
        if len(current) > 40:
            texts.append(current)
            metadata.append({"topic": topic})
    return texts, metadata


class RAG(dspy.Module):
    """The pipeline: retrieve passages, then generate an answer from them."""

    def __init__(self, num_passages: int = 3) -> None:
        super().__init__()
        self.retrieve = dspy.Retrieve(k=num_passages)
        self.generate = dspy.ChainOfThought("context, question -> answer")

    def forward(self, question: str) -> dspy.Prediction:
        context = self.retrieve(question).passages
        return self.generate(context=context, question=question)


def main() -> int:
    with ExitStack() as stack:
        url = os.environ.get("QDRANT_URL")
        if url:
            print(f"Qdrant at {url}")
        else:
            url = stack.enter_context(EmbeddedQdrant())
            print(f"QDRANT_URL is unset: started the embedded engine at {url}")

        client = QdrantClient(url, os.environ.get("QDRANT_API_KEY"))
        if not client.health_check():
            print(f"Qdrant at {url} is not reachable", file=sys.stderr)
            return 1
        rm = QdrantRM(
            collection_name=os.environ.get("COLLECTION_NAME", "python_docs"),
            embedding_model="sentence-transformers/all-MiniLM-L6-v2",
            client=client,
            vectorizer=MiniLMEmbedder(),
            k=3,
        )

        texts, metadata = python_doc_passages()
        started = time.perf_counter()
        indexed = rm.index_documents(texts, metadata=metadata, batch_size=64)
        seconds = time.perf_counter() - started
        print(
            f"indexed {indexed} passages of the Python docs in {seconds:.1f} s "
            f"into `{rm.collection_name}`\n"
        )

        lm_name = os.environ.get("DSPY_LM")
        dspy.configure(rm=rm, lm=dspy.LM(lm_name) if lm_name else None)
        rag = RAG(num_passages=3)
        for question in QUESTIONS:
            print(f"Q: {question}")
            for passage in rm(question):
                first_line = passage.long_text.splitlines()[0][:90]
                print(f"   {passage.score:.4f}  [{passage.payload['topic']}] {first_line}")
            # The same passages through DSPy's own Retrieve, as the RAG module sees them.
            assert rag.retrieve(question).passages == [p.long_text for p in rm(question)]
            if lm_name:
                print(f"A: {rag(question=question).answer}\n")
            else:
                print("A: (no LM configured: set DSPY_LM to generate answers; retrieval only)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
