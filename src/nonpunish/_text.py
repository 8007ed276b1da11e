"""Text in the two languages nonpunish speaks."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Language = Literal["en", "nl"]
LANGUAGES: tuple[Language, ...] = ("en", "nl")


class Text(BaseModel):
    """The same text in English and Dutch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: str
    nl: str

    def __call__(self, lang: Language) -> str:
        return self.nl if lang == "nl" else self.en
