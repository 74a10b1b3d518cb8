"""The voices staff choose from: every voice of the station's engines, by region and gender.

Built from the station's renderer, so the list is what the station can really speak with:
the cloud services it subscribes to (each voice with its region and gender), gTTS's one
voice, espeak-ng's three regional ones and the piper voices it installed. The empty code is
the station's default voice (`LOA_DEFAULT_VOICE`, or each engine's own).
"""

from __future__ import annotations

from dataclasses import dataclass

from audio.speech import SpeechRenderer, engine_voices

REGIONS = ("Bắc", "Trung", "Nam")
# Who each engine is, for staff.
ENGINE_LABELS = {"gtts": "Google", "fpt": "FPT.AI", "viettel": "Viettel AI",
                 "espeak-ng": "máy đọc ngoại tuyến", "piper": "ngoại tuyến"}  # fmt: skip
# Voices of engines that carry no catalogue of their own: region and gender.
KNOWN = {
    ("gtts", "vi"): ("Bắc", "nữ"),
    ("espeak-ng", "vi"): ("Bắc", ""),
    ("espeak-ng", "vi-vn-x-central"): ("Trung", ""),
    ("espeak-ng", "vi-vn-x-south"): ("Nam", ""),
}
# A sentence to hear a voice by, on the form ("Nghe thử").
SAMPLE_TEXT = "Xin chào bà con. Đây là đài truyền thanh phường, xin thông báo lịch tiếp công dân."


@dataclass(frozen=True)
class VoiceChoice:
    """One voice as the form offers it."""

    code: str
    label: str
    region: str  # Bắc, Trung, Nam, or "" when the voice does not say
    gender: str  # nam, nữ, or ""
    engine: str


DEFAULT = VoiceChoice("", "Mặc định của đài", "", "", "")


def catalogue(renderer: SpeechRenderer) -> list[VoiceChoice]:
    """Every voice the renderer's engines speak with, the station's default first; a voice
    two engines share (gTTS's and espeak-ng's northern "vi") is listed once, for the first."""
    choices, seen = [DEFAULT], {""}
    for engine in renderer.engines:
        described = {v.id: v for v in getattr(engine, "catalogue", ())}
        brand = ENGINE_LABELS.get(engine.name, engine.name)
        for code in engine_voices(engine):
            if code in seen:
                continue
            seen.add(code)
            if code in described:
                voice = described[code]
                name, region, gender = voice.name, voice.region, voice.gender
            else:
                region, gender = KNOWN.get((engine.name, code), ("", ""))
                name = code if engine.name == "piper" else ""
            said = " ".join(w for w in (gender, f"miền {region}" if region else "") if w)
            if name and said:
                text = f"{name} — {said}"
            else:
                text = name or (f"Giọng {said}" if said else code)
            choices.append(VoiceChoice(code, f"{text} ({brand})", region, gender, engine.name))
    return choices


def by_region(choices: list[VoiceChoice]) -> list[tuple[str, list[VoiceChoice]]]:
    """The choices grouped for the form: miền Bắc, Trung, Nam, then the others."""
    groups = [(f"Miền {r}", [c for c in choices if c.region == r]) for r in REGIONS]
    others = [c for c in choices if c.region not in REGIONS]
    return [(name, group) for name, group in [("", others), *groups] if group]
