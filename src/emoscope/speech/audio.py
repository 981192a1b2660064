"""Audio input for the speech models: a file, an upload's bytes or an array as float32 mono 16 kHz,
whole (:func:`read_audio`) or in blocks (:func:`stream_audio`), cut into speech (:func:`speech_spans`).

Decoding goes through ``soundfile`` (libsndfile: WAV, FLAC, Ogg Vorbis and Opus, AIFF, and MP3
with libsndfile 1.1 or later), anything else through ``ffmpeg`` when it is on the PATH.  A file
that breaks off part-way (a truncated FLAC) is an :class:`InputDecodeError`, not a shorter
recording: libsndfile cannot resynchronise after a damaged frame, so the rest would be silently
missing.  ffmpeg does resynchronise: it skips damaged frames with an :class:`AudioDecodeWarning`.
"""

from __future__ import annotations

import io
import itertools
import math
import os
import re
import shutil
import subprocess
import tempfile
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator, Optional, Union

import numpy as np

from ..errors import (InputDecodeError, InputNotFoundError, MissingExtraError, UnsupportedFormatError,
                      UsageError)

SAMPLE_RATE = 16_000
MIN_SAMPLE_RATE = 1_000  # below it a "recording" is no audio (and under 5 Hz the resampler has no ratio)
AudioSource = Union[str, os.PathLike, bytes, tuple[np.ndarray, int]]

FFMPEG_HINT = "decoding it needs ffmpeg (e.g. apt install ffmpeg, or brew install ffmpeg)"
_SOUNDFILE_ERRORS = (RuntimeError, ValueError, TypeError, OSError, EOFError)  # LibsndfileError is a RuntimeError
_ALIASES = {"WAVE": "WAV", "OGA": "OGG", "OPUS": "OGG", "AIF": "AIFF", "SND": "AU"}
_MAGIC = (b"RIFF", b"RF64", b"fLaC", b"OggS", b"FORM", b"ID3", b".snd", b"caff")


class AudioTooLongError(UsageError):
    """The recording is longer than ``max_seconds`` (for the HTTP server: a 413)."""

    def __init__(self, label: str, max_seconds: float, seconds: Optional[float] = None):
        length = f" ({seconds:.1f} s)" if seconds is not None else ""
        super().__init__(f"{label}: the recording is longer than {max_seconds:g} s{length}")
        self.max_seconds = max_seconds


class AudioDecodeWarning(UserWarning):
    """ffmpeg skipped damaged data and decoded the rest."""


@dataclass(frozen=True)
class SpeechSpan:
    """One stretch of speech: ``[start, end)`` in seconds from the start of the recording."""

    start: float
    end: float
    samples: np.ndarray = field(repr=False, compare=False)  # float32 mono 16 kHz

    @property
    def duration(self) -> float:
        return self.end - self.start


def read_audio(source: AudioSource, *, max_seconds: Optional[float] = None,
               name: Optional[str] = None) -> np.ndarray:
    """The whole recording as float32 mono at 16 kHz in [-1, 1] (an empty array for a file of no
    samples).  ``max_seconds``: an :class:`AudioTooLongError` for a longer one, raised before
    decoding when the length is known from the header; ``name``: what messages call the source
    (an upload's file name; by default the path)."""
    label = _label(source, name)
    if max_seconds is not None:
        if max_seconds <= 0:
            raise UsageError(f"max_seconds must be positive, not {max_seconds}")
        seconds = audio_duration(source, name=name)
        if seconds is not None and seconds > max_seconds + 0.5 / SAMPLE_RATE:
            raise AudioTooLongError(label, max_seconds, seconds)
    blocks = list(_stream(source, label, 30 * SAMPLE_RATE, max_seconds))
    return np.concatenate(blocks) if blocks else np.zeros(0, np.float32)


def stream_audio(source: AudioSource, *, block_seconds: float = 30.0,
                 name: Optional[str] = None) -> Iterator[np.ndarray]:
    """The recording in consecutive blocks of float32 mono 16 kHz, each of ``block_seconds`` but
    the last, so memory stays bounded for a file of hours; the blocks join into exactly what
    :func:`read_audio` returns.  Errors are raised when iteration reaches them (a missing file at
    the first block, damaged data at the block it is in)."""
    if not block_seconds > 0:
        raise UsageError(f"block_seconds must be positive, not {block_seconds}")
    return _stream(source, _label(source, name), max(1, round(block_seconds * SAMPLE_RATE)), None)


def audio_duration(source: AudioSource, name: Optional[str] = None) -> Optional[float]:
    """Seconds, when known cheaply (soundfile's header, or ffprobe when present), for a progress
    bar; None otherwise.  Never raises (reading the source reports its problems), so ``name``,
    taken for symmetry with the readers, is not used."""
    if isinstance(source, tuple):
        try:
            samples, rate = _check_array(source, "<audio array>")
        except UsageError:
            return None
        return len(samples) / rate
    if isinstance(source, (bytes, bytearray, memoryview)):
        target = io.BytesIO(bytes(source))
    elif not isinstance(source, (str, os.PathLike)) or not os.path.isfile(target := os.fspath(source)):
        return None
    try:
        info = _soundfile().info(target)
        if info.samplerate > 0 and 0 <= info.frames < 2 ** 62:  # libsndfile's "unknown" is 2 ** 63 - 1
            return info.frames / info.samplerate
    except (MissingExtraError, *_SOUNDFILE_ERRORS):
        pass
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None or isinstance(target, io.BytesIO):
        return None
    try:
        result = subprocess.run([ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                 "file:" + os.path.abspath(target)], capture_output=True, text=True, timeout=30)
        seconds = float(result.stdout.strip())
        return seconds if result.returncode == 0 and math.isfinite(seconds) and seconds >= 0 else None
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def _label(source, name: Optional[str]) -> str:
    if name:
        return str(name)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<audio bytes>"
    return os.fspath(source) if isinstance(source, (str, os.PathLike)) else "<audio array>"


def _soundfile():
    try:
        import soundfile
    except (ImportError, OSError) as exc:  # OSError: the package is there, libsndfile is not
        raise MissingExtraError("reading audio", "audio", exc) from None
    return soundfile


def _stream(source, label: str, block: int, max_seconds: Optional[float]) -> Iterator[np.ndarray]:
    """Decode, mix to mono, resample to 16 kHz, clip and cut into blocks of ``block`` samples."""
    rate, pieces = _decode(source, label, block)
    if rate != SAMPLE_RATE:
        pieces = _resampled(pieces, _Resampler(rate))
    limit = None if max_seconds is None else math.floor(max_seconds * SAMPLE_RATE + 0.5)
    total = 0
    for out in _rechunk(pieces, block):
        total += len(out)
        if limit is not None and total > limit:
            raise AudioTooLongError(label, max_seconds)
        yield np.clip(out, -1.0, 1.0, out=out)


def _decode(source, label: str, block: int):
    """``(sample rate, iterator of float32 mono arrays at that rate)``."""
    if isinstance(source, tuple):
        samples, rate = _check_array(source, label)
        return rate, (_mono(samples[i:i + block]) for i in range(0, len(samples), block))
    if isinstance(source, (bytes, bytearray, memoryview)):
        path, data = None, bytes(source)
        head = data[:1024]
    elif isinstance(source, (str, os.PathLike)):
        path, data = Path(source), None
        if not path.exists():
            raise InputNotFoundError(f"{label}: no such file")
        if path.is_dir():
            raise InputNotFoundError(f"{label}: is a folder, not a file")
        try:
            with open(path, "rb") as handle:
                head = handle.read(1024)
        except OSError as exc:
            raise InputNotFoundError(f"{label}: cannot be opened ({exc.strerror or exc})") from None
    else:
        raise UsageError(f"{label}: expected a path, bytes or (samples, sample_rate), not {type(source).__name__}")
    if not head:
        raise InputDecodeError(f"{label}: empty file")
    soundfile = _soundfile()
    try:
        handle = soundfile.SoundFile(io.BytesIO(data) if data is not None else str(path))
    except _SOUNDFILE_ERRORS as exc:
        return _fallback(soundfile, _reason(exc), head, path, data, label, block)
    if handle.samplerate < MIN_SAMPLE_RATE:
        handle.close()
        raise InputDecodeError(f"{label}: a sample rate of {handle.samplerate} Hz is not audio's "
                               f"(at least {MIN_SAMPLE_RATE} Hz)")
    return handle.samplerate, _soundfile_blocks(handle, label, block)


def _soundfile_blocks(handle, label: str, block: int) -> Iterator[np.ndarray]:
    frames = 0
    with handle:
        try:
            for data in handle.blocks(block, dtype="float32", always_2d=True):
                frames += len(data)
                yield _mono(data)
        except _SOUNDFILE_ERRORS as exc:
            at = f" after {frames / handle.samplerate:.2f} s" if frames else ""
            raise InputDecodeError(f"{label}: damaged or truncated audio{at} ({_reason(exc)})") from None


def _reason(exc: BaseException) -> str:
    """libsndfile's message without its decorations ("Error : ", the path, the final full stop)."""
    text = (getattr(exc, "error_string", None) or str(exc)).strip()
    return re.sub(r"^(Error opening .*?: )?(Error\s*:\s*)?", "", text).rstrip(".") or "unreadable"


def _fallback(soundfile, reason: str, head: bytes, path: Optional[Path], data: Optional[bytes], label, block):
    """soundfile cannot open it: text is an error, the rest goes to ffmpeg, or needs it."""
    if _looks_like_text(head):
        raise InputDecodeError(f"{label}: not audio (the file holds text)")
    suffix = Path(label if data is not None else str(path)).suffix
    ext = suffix.lstrip(".").upper()
    known = _ALIASES.get(ext, ext) in soundfile.available_formats() or head.startswith(_MAGIC)
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg:
        return SAMPLE_RATE, _ffmpeg_blocks(ffmpeg, path, data, suffix, label, block, reason if known else None)
    if known:
        raise InputDecodeError(f"{label}: damaged or not audio ({reason})")
    kind = f"{suffix} files" if suffix else "this format"
    raise UnsupportedFormatError(f"{label}: soundfile cannot read {kind} ({reason}); {FFMPEG_HINT}")


def _ffmpeg_blocks(ffmpeg: str, path: Optional[Path], data: Optional[bytes], suffix: str, label: str,
                   block: int, reason: Optional[str]) -> Iterator[np.ndarray]:
    """ffmpeg decodes to float32 mono 16 kHz on a pipe, read a block at a time (rematrix_maxval 1
    makes its downmix the channels' average, not (L + R) / sqrt 2).  Bytes go through a temporary
    file (MP4 needs to seek); "file:" keeps a name like "concat:x" from meaning an ffmpeg protocol."""
    temp = None
    if data is not None:
        with tempfile.NamedTemporaryFile(suffix=re.sub(r"[^.\w]", "", suffix), delete=False) as temp:
            temp.write(data)
        path = Path(temp.name)
    command = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", "file:" + os.path.abspath(path),
               "-vn", "-sn", "-dn", "-rematrix_maxval", "1", "-ac", "1", "-ar", str(SAMPLE_RATE),
               "-f", "f32le", "pipe:1"]
    decoded, process = 0, None
    try:
        with tempfile.TemporaryFile() as errors:
            try:
                process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors)
            except OSError as exc:
                raise UnsupportedFormatError(f"{label}: cannot run ffmpeg ({exc}); {FFMPEG_HINT}") from None
            while chunk := process.stdout.read(4 * block):
                decoded += len(chunk) // 4
                yield np.frombuffer(chunk[:len(chunk) // 4 * 4], "<f4").astype(np.float32)
            code = process.wait()
            errors.seek(0)
            lines = [_ffmpeg_line(line, path) for line in errors.read().decode("utf-8", "replace").splitlines()]
            lines = [line for line in lines if line]
        if code != 0 or (lines and decoded == 0):
            detail = reason or (lines[-1] if lines else f"ffmpeg exited with status {code}")
            detail = "no audio stream" if "does not contain any stream" in detail else detail
            raise InputDecodeError(f"{label}: cannot decode audio ({detail})")
        if lines:
            warnings.warn(f"{label}: skipped damaged audio data ({lines[-1]})", AudioDecodeWarning, stacklevel=3)
    finally:
        if process is not None:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
        if temp is not None:
            os.unlink(temp.name)


def _ffmpeg_line(line: str, path: Path) -> str:
    """An ffmpeg message without the path it names and the ``[flac @ 0x55...]`` context."""
    for prefix in ("file:" + os.path.abspath(path), os.path.abspath(path), str(path)):
        line = line.replace(prefix + ": ", "").replace(prefix, "")
    return re.sub(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", line.strip())


def _looks_like_text(head: bytes) -> bool:
    text = head.decode("utf-8", "ignore")
    return (b"\x00" not in head and len(text) >= len(head) // 2
            and all(c.isprintable() or c in "\t\r\n\f" for c in text))


def _check_array(value: tuple, label: str) -> tuple[np.ndarray, int]:
    """``(samples, rate)``, samples (frames,) or (frames, channels) as soundfile gives; a (channels,
    frames) array, as torchaudio gives, is recognised by having at most 8 rows and more columns."""
    if len(value) != 2:
        raise UsageError(f"{label}: expected (samples, sample_rate)")
    samples, rate = np.asarray(value[0]), value[1]
    if samples.ndim not in (1, 2) or not (np.issubdtype(samples.dtype, np.floating)
                                          or np.issubdtype(samples.dtype, np.integer)):
        raise UsageError(f"{label}: expected samples of shape (frames,) or (frames, channels), "
                         f"got {samples.dtype} of shape {samples.shape}")
    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or rate < MIN_SAMPLE_RATE:
        raise UsageError(f"{label}: the sample rate must be a whole number of at least {MIN_SAMPLE_RATE} Hz, "
                         f"not {rate!r}")
    if samples.ndim == 2 and samples.shape[0] <= 8 < samples.shape[1]:
        samples = samples.T
    return samples, int(rate)


def _mono(samples: np.ndarray) -> np.ndarray:
    """float32 in [-1, 1] (integers scaled by their range), channels averaged."""
    if np.issubdtype(samples.dtype, np.integer):
        info = np.iinfo(samples.dtype)
        half = (int(info.max) - int(info.min) + 1) / 2
        samples = (samples.astype(np.float64) - (int(info.min) + half)) / half
    if samples.ndim == 2:
        samples = samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0]
    return np.ascontiguousarray(samples, dtype=np.float32)


def _rechunk(pieces: Iterable[np.ndarray], size: int) -> Iterator[np.ndarray]:
    parts, have = [], 0
    for piece in pieces:
        while len(piece):
            take = min(size - have, len(piece))
            parts.append(piece[:take])
            have, piece = have + take, piece[take:]
            if have == size:
                yield np.concatenate(parts).astype(np.float32, copy=False)
                parts, have = [], 0
    if have:
        yield np.concatenate(parts).astype(np.float32, copy=False)



def _resampled(pieces: Iterable[np.ndarray], resampler: "_Resampler") -> Iterator[np.ndarray]:
    for piece in pieces:
        yield resampler.process(piece)
    yield resampler.process(np.zeros(0), final=True)


class _Resampler:
    """Band-limited resampling to 16 kHz with a Kaiser-windowed sinc, polyphase, block by block.

    Why not a package: these 30 lines of numpy need no compiled dependency beyond libsndfile and
    no second licence (python-soxr 1.1, the usual choice, is LGPL-2.1-or-later with libsoxr built
    in), and stream with no seam: each output sample is the same dot product whatever the block bounds, so
    stream_audio's blocks join into exactly read_audio's array.  24 zero crossings a side, cutoff
    at 93 % of the lower Nyquist, Kaiser beta 8: from 44.1 kHz, flat to 6.8 kHz, -70 dB at 8.2 kHz,
    under -95 dB from 9 kHz; 0.1 s of CPU a minute.  Output n sits at input time n * rate / 16000
    (no delay); N inputs give ceil(N * 16000 / rate) outputs.  Usual rates convert exactly; an odd
    rate needing over 2000 phases (15996 Hz) takes the nearest ratio with fewer: off by <0.03 %."""

    ZEROS, ROLLOFF, BETA, MAX_PHASES = 24, 0.93, 8.0, 2000

    def __init__(self, rate_in: int, rate_out: int = SAMPLE_RATE):
        ratio = Fraction(rate_in, rate_out).limit_denominator(self.MAX_PHASES)
        self.down, self.up = ratio.numerator, ratio.denominator  # output n <- input n * down / up
        cutoff = 0.5 * min(1.0, self.up / self.down) * self.ROLLOFF  # cycles per input sample
        self.half = math.ceil(self.ZEROS / (2 * cutoff))  # taps on each side of the output time
        self.taps = 2 * self.half
        # table[p, m]: weight of input i0 - half + 1 + m for an output at input time i0 + p / up
        tau = (np.arange(self.up) / self.up)[:, None] + (self.half - 1 - np.arange(self.taps))[None, :]
        window = np.i0(self.BETA * np.sqrt(np.clip(1 - (tau / self.half) ** 2, 0, None))) / np.i0(self.BETA)
        self.table = 2 * cutoff * np.sinc(2 * cutoff * tau) * window
        self.buffer = np.zeros(self.half - 1)  # inputs before the first are zeros
        self.start = -(self.half - 1)  # input index of buffer[0]
        self.seen = self.next = 0  # inputs received; next output to compute

    def process(self, samples: np.ndarray, final: bool = False) -> np.ndarray:
        self.buffer = np.concatenate([self.buffer, np.asarray(samples, np.float64)])
        self.seen += len(samples)
        if final:
            end = -(-self.seen * self.up // self.down)
            self.buffer = np.concatenate([self.buffer, np.zeros(self.half + 1)])
        else:  # the outputs whose last input (i0 + half) has arrived
            end = max(self.next, -(-(self.seen - self.half) * self.up // self.down))
        count, first_out = end - self.next, self.next
        out = np.empty(count)
        windows = np.lib.stride_tricks.sliding_window_view(self.buffer, self.taps) if count else None
        for r in range(min(self.up, count)):  # outputs r, r + up, ... share a phase and step down inputs
            i0, phase = divmod((first_out + r) * self.down, self.up)
            first = i0 - self.half + 1 - self.start
            rows = (count - r - 1) // self.up + 1
            out[r::self.up] = windows[first:first + (rows - 1) * self.down + 1:self.down] @ self.table[phase]
        self.next = end
        keep = (end * self.down) // self.up - self.half + 1 - self.start
        self.buffer, self.start = self.buffer[keep:], self.start + keep
        return out.astype(np.float32)


FRAME = SAMPLE_RATE // 50  # 20 ms
GROUP = 25  # frames decided together; each group waits for the next to be in the estimates


def speech_spans(blocks: Iterable[np.ndarray], *, max_seconds: float = 10.0, min_seconds: float = 0.5,
                 pause_seconds: float = 0.6, padding_seconds: float = 0.1, snr_db: float = 12.0,
                 range_db: float = 40.0) -> Iterator[SpeechSpan]:
    """Cut a stream of float32 mono 16 kHz blocks (:func:`stream_audio`'s, any sizes) into spans
    of speech, block by block in bounded memory; spans may cross block boundaries.

    An energy detector: a 20-ms frame is speech when its level (RMS, dB) is ``snr_db`` above the
    noise floor, within ``range_db`` of the speech level and above -70 dBFS; floor and level are
    the 10th and 98th percentiles of the recent frames (half-life 20 s, looking 0.5 s ahead: sound
    from the first frame, and the same whatever the block sizes).  Pauses shorter than
    ``pause_seconds`` do not end a stretch; a stretch gets ``padding_seconds`` of context each
    side.  One longer than ``max_seconds`` is cut at its quietest frame in the second half of each
    ``max_seconds``, no piece under ``min_seconds``; one shorter than ``min_seconds`` (a click, a
    cough) is dropped.  Loud non-speech (music, traffic) counts as speech: this is no classifier."""
    if not 0 < 2 * min_seconds <= max_seconds or pause_seconds <= 0 or padding_seconds < 0:
        raise UsageError("speech_spans needs 0 < 2 * min_seconds <= max_seconds, pause_seconds > 0 "
                         "and padding_seconds >= 0")
    longest, shortest, pause = (max(1, round(s * 50)) for s in (max_seconds, min_seconds, pause_seconds))
    cutter = _Cutter(longest, min(shortest, longest // 2), pause, round(padding_seconds * 50))
    counts = np.zeros(101)  # frames' levels, -100 to 0 dB, counts decaying
    audio, db, added = np.zeros(0, np.float32), np.zeros(0), 0
    for block in itertools.chain([blocks] if isinstance(blocks, np.ndarray) else blocks, [None]):
        if block is not None and np.ndim(block) != 1:
            raise UsageError(f"speech_spans takes blocks of mono samples, not of shape {np.shape(block)}")
        if block is not None:
            audio = np.concatenate([audio, np.asarray(block, np.float32)])
        whole = len(audio) // FRAME if block is not None else -(-len(audio) // FRAME)
        new = audio[len(db) * FRAME:whole * FRAME]
        if len(new):  # energies of the new frames (the last one may be short)
            squares = np.square(new, dtype=np.float64)
            sums = np.add.reduceat(squares, np.arange(0, len(new), FRAME))
            sizes = np.diff(np.append(np.arange(0, len(new), FRAME), len(new)))
            db = np.concatenate([db, 10 * np.log10(sums / sizes + 1e-10)])
        while True:
            if added >= 2 * GROUP or (block is None and len(db) and added == len(db)):
                n = min(GROUP, len(db))
                floor, level = np.searchsorted(np.cumsum(counts) / counts.sum(), [0.1, 0.98]) - 100
                speech = db[:n] >= max(floor + snr_db, level - range_db, -70)
                yield from cutter.feed(audio[:n * FRAME], db[:n], speech)
                audio, db, added = audio[n * FRAME:], db[n:], added - n
            elif len(db) - added >= GROUP or (block is None and added < len(db)):
                group = db[added:added + GROUP]
                counts *= 0.5 ** (len(group) / 50 / 20)  # a half-life of 20 s
                counts += np.bincount(np.clip(np.round(group) + 100, 0, 100).astype(int), minlength=101)
                added += len(group)
            else:
                break
    yield from cutter.finish()


class _Cutter:
    """Frames, each speech or not, in; spans out (see :func:`speech_spans`).  Keeps the audio of
    the open stretch and of the piece before its last cut: at most max + min + pause seconds."""

    def __init__(self, max_frames: int, min_frames: int, pause: int, pad: int):
        self.max, self.min, self.pause, self.pad = max_frames, min_frames, pause, pad
        self.chunks: list = []  # (first frame, audio, db) from the oldest frame still needed
        self.frame = self.floor = 0  # next frame; end of the last span
        self.start, self.last, self.held = None, -1, None  # open stretch; its last speech frame; cut piece

    def feed(self, audio: np.ndarray, db: np.ndarray, speech: np.ndarray) -> Iterator[SpeechSpan]:
        self.chunks.append((self.frame, audio, db))
        for f, is_speech in enumerate(speech.tolist(), self.frame):
            if is_speech:
                self.start = max(f - self.pad, self.floor) if self.start is None else self.start
                self.last = f
            if self.start is None:
                continue
            if f - self.last >= self.pause:
                yield from self._close(min(self.last + 1 + self.pad, f + 1))
            elif f + 1 - self.start >= self.max:
                cut = self._quietest(self.start + self.max // 2, f + 1)
                if self.held:
                    yield self._span(*self.held)
                self.held, self.start = (self.start, cut), cut
            elif self.held and f + 1 - self.start >= self.min:
                yield self._span(*self.held)
                self.held = None
        self.frame += len(speech)
        keep = min(x for x in (self.held and self.held[0], self.start, self.frame - self.pad) if x is not None)
        while self.chunks and self.chunks[0][0] + len(self.chunks[0][2]) <= keep:
            self.chunks.pop(0)

    def finish(self) -> Iterator[SpeechSpan]:
        if self.start is not None:
            yield from self._close(min(self.last + 1 + self.pad, self.frame))

    def _close(self, end: int) -> Iterator[SpeechSpan]:
        start, held, self.start, self.held, self.floor = self.start, self.held, None, None, end
        if held and end - start < self.min:  # too short a tail: back onto the piece before it
            start, length = held[0], end - held[0]
            if length > self.max:  # cut again, both pieces between min and max
                lo, hi = start + max(self.min, length - self.max), start + min(self.max, length - self.min)
                yield self._span(start, cut := self._quietest(lo, hi + 1))
                start = cut
        elif held:
            yield self._span(*held)
        if end - start >= self.min:
            yield self._span(start, end)

    def _quietest(self, lo: int, hi: int) -> int:
        return lo + int(np.argmin(self._take(lo, hi, 2)))

    def _take(self, lo: int, hi: int, what: int) -> np.ndarray:
        """Frames [lo, hi): their audio (what=1) or their energies (what=2)."""
        unit = FRAME if what == 1 else 1
        return np.concatenate([c[what][max(0, lo - c[0]) * unit:max(0, hi - c[0]) * unit] for c in self.chunks])

    def _span(self, lo: int, hi: int) -> SpeechSpan:
        samples = self._take(lo, hi, 1)
        return SpeechSpan(lo * FRAME / SAMPLE_RATE, (lo * FRAME + len(samples)) / SAMPLE_RATE, samples)
