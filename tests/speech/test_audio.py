"""Audio input on real clips of the shared datasets: formats, rates and channels, damaged input, and
cutting speech, with the bad files built here from real ones."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from emoscope.errors import (InputDecodeError, InputNotFoundError, MissingExtraError, UnsupportedFormatError,
                             UsageError, exit_code)
from emoscope.speech import audio
from emoscope.speech.audio import (SAMPLE_RATE, AudioDecodeWarning, AudioTooLongError, SpeechSpan, audio_duration,
                                   read_audio, speech_spans, stream_audio)
from tests.helpers import DATASETS, needs

sf = pytest.importorskip("soundfile")

SPEECH = DATASETS / "speech"
needs_ffmpeg = pytest.mark.skipif(not shutil.which("ffmpeg"), reason="needs ffmpeg (apt install ffmpeg)")


@pytest.fixture(scope="module")
def ravdess():
    return sorted(needs(SPEECH / "ravdess").glob("Actor_*/*.ogg"))


@pytest.fixture(scope="module")
def emodb():
    return sorted(needs(SPEECH / "emodb").glob("*.flac"))


@pytest.fixture(scope="module")
def clip(ravdess):
    return ravdess[0]


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *map(str, args)], check=True, timeout=60)


def fft_resample(x, n):
    """Band-limited resampling through the FFT: a reference independent of the module's."""
    spectrum = np.fft.rfft(x.astype(np.float64))
    out = np.zeros(n // 2 + 1, complex)
    k = min(len(spectrum), len(out))
    out[:k] = spectrum[:k]
    return (np.fft.irfft(out, n) * n / len(x)).astype(np.float32)


def correlation(a, b, max_lag=0):
    """Best Pearson correlation of a and b shifted by at most max_lag samples."""
    best = -1.0
    for lag in range(-max_lag, max_lag + 1):
        x, y = (a[lag:], b) if lag >= 0 else (a, b[-lag:])
        n = min(len(x), len(y))
        best = max(best, float(np.corrcoef(x[:n], y[:n])[0, 1]))
    return best


def speech_bounds(x, below_peak_db=35):
    """Where a clip's speech is: its first and last 20-ms frame within 35 dB of its loudest."""
    n = len(x) // 320
    db = 10 * np.log10(np.square(x[:n * 320].reshape(n, 320), dtype=np.float64).mean(axis=1) + 1e-10)
    loud = np.nonzero(db >= db.max() - below_peak_db)[0]
    return loud[0] * 0.02, (loud[-1] + 1) * 0.02


def assert_one_line(error, code, *fragments):
    message = str(error.value)
    assert exit_code(error.value) == code, message
    assert "\n" not in message and "Traceback" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


# ---------------------------------------------------------------------------------------------
# Formats, rates, channels


def test_the_datasets_formats_read_as_float32_mono_16k(ravdess, emodb):
    tess = sorted(needs(SPEECH / "tess").glob("*.ogg"))
    for path in (ravdess[0], emodb[0], tess[0]):  # Ogg Opus, FLAC, Ogg Opus
        samples = read_audio(path)
        expected, rate = sf.read(path, dtype="float32")
        assert rate == SAMPLE_RATE and samples.dtype == np.float32 and samples.ndim == 1
        np.testing.assert_array_equal(samples, np.clip(expected, -1, 1))
        assert audio_duration(path) == pytest.approx(len(samples) / SAMPLE_RATE)


def test_8khz_telephone_audio_comes_back_at_16khz(clip, tmp_path):
    original = read_audio(clip)
    phone = tmp_path / "phone.wav"
    sf.write(phone, fft_resample(original, len(original) // 2), 8000, subtype="PCM_16")
    samples = read_audio(phone)
    assert len(samples) / SAMPLE_RATE == pytest.approx(len(original) / SAMPLE_RATE, rel=0.01)
    assert correlation(samples, original) > 0.9
    # what survives a telephone band (below 4 kHz) is kept almost exactly
    band_limited = fft_resample(fft_resample(original, len(original) // 2), len(original))
    assert correlation(samples, band_limited) > 0.99


def test_stereo_44k_is_averaged_and_resampled(clip, tmp_path):
    original = read_audio(clip)
    left = fft_resample(original, round(len(original) * 44100 / SAMPLE_RATE))
    path = tmp_path / "stereo.flac"
    sf.write(path, np.stack([left, 0.5 * left], axis=1), 44100)  # mono = 0.75 x
    samples = read_audio(path)
    assert len(samples) / SAMPLE_RATE == pytest.approx(len(original) / SAMPLE_RATE, rel=0.01)
    assert correlation(samples, original) > 0.9
    assert np.std(samples) / np.std(original) == pytest.approx(0.75, rel=0.02)
    # the same through an array (frames, channels) and (channels, frames), and as int16
    stereo = np.stack([left, 0.5 * left], axis=1)
    np.testing.assert_allclose(read_audio((stereo, 44100)), samples, atol=1e-4)
    np.testing.assert_allclose(read_audio((stereo.T, 44100)), samples, atol=1e-4)
    as_int16 = np.round(stereo * 32767).astype(np.int16)
    np.testing.assert_allclose(read_audio((as_int16, 44100)), samples, atol=1e-3)


def test_stream_blocks_join_into_exactly_what_read_audio_returns(clip, tmp_path):
    path = tmp_path / "stereo.wav"
    original = read_audio(clip)
    sf.write(path, np.stack([fft_resample(original, len(original) * 3)] * 2, axis=1), 48000 + 100)  # 481/160
    for source in (clip, path):
        whole = read_audio(source)
        blocks = list(stream_audio(source, block_seconds=0.7))
        assert {len(b) for b in blocks[:-1]} == {round(0.7 * SAMPLE_RATE)} and 0 < len(blocks[-1]) <= 11200
        assert all(b.dtype == np.float32 for b in blocks)
        np.testing.assert_array_equal(np.concatenate(blocks), whole)


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 44100, 48000, 96000])
def test_resampling_is_band_limited_and_keeps_the_length(rate):
    seconds = np.arange(rate) / rate
    for hz, gain_db in ((1000, 0.0), (6000, 0.0), (9000, None), (12000, None)):
        if hz >= rate / 2:
            continue
        out = read_audio((0.5 * np.sin(2 * np.pi * hz * seconds), rate))
        assert len(out) == SAMPLE_RATE
        level = 20 * np.log10(np.sqrt(2) * np.std(out[1000:-1000]) / 0.5)
        if gain_db is None:  # above 8 kHz: would alias, must be gone
            assert level < -60, (hz, level)
        else:
            assert abs(level - gain_db) < 0.2, (hz, level)
    odd = np.random.default_rng(rate).normal(0, 0.1, 12_345).astype(np.float32)
    whole = read_audio((odd, rate))
    assert len(whole) == -(-12_345 * SAMPLE_RATE // rate)
    np.testing.assert_array_equal(np.concatenate(list(stream_audio((odd, rate), block_seconds=0.013))), whole)


@needs_ffmpeg
def test_mp3_from_ffmpeg(clip, tmp_path):
    original = read_audio(clip)
    mp3 = tmp_path / "clip.mp3"
    ffmpeg("-i", clip, "-ac", "2", "-ar", "44100", mp3)
    samples = read_audio(mp3)
    assert len(samples) / SAMPLE_RATE == pytest.approx(len(original) / SAMPLE_RATE, rel=0.01)
    assert correlation(samples, original, max_lag=1200) > 0.9


@needs_ffmpeg
def test_formats_soundfile_cannot_read_go_through_ffmpeg(clip, tmp_path, monkeypatch):
    original = read_audio(clip)
    m4a = tmp_path / "clip.m4a"
    ffmpeg("-i", clip, "-ac", "2", "-ar", "48000", "-c:a", "aac", m4a)
    samples = read_audio(m4a)
    assert len(samples) / SAMPLE_RATE == pytest.approx(len(original) / SAMPLE_RATE, rel=0.01)
    assert correlation(samples, original, max_lag=1200) > 0.9
    np.testing.assert_array_equal(read_audio(m4a.read_bytes(), name="upload.m4a"), samples)
    np.testing.assert_array_equal(np.concatenate(list(stream_audio(m4a, block_seconds=0.5))), samples)
    assert audio_duration(m4a) == pytest.approx(len(original) / SAMPLE_RATE, rel=0.02)  # ffprobe
    # without ffmpeg: an unsupported format, exit 4, saying what it takes
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    with pytest.raises(UnsupportedFormatError) as error:
        read_audio(m4a)
    assert_one_line(error, 4, str(m4a), ".m4a", "needs ffmpeg", "apt install ffmpeg")
    with pytest.raises(UnsupportedFormatError) as error:
        read_audio(m4a.read_bytes(), name="talk.m4a")
    assert_one_line(error, 4, "talk.m4a", "needs ffmpeg")


@needs_ffmpeg
def test_ffmpeg_skips_damaged_frames_with_a_warning(clip, tmp_path):
    aac = tmp_path / "clip.aac"
    ffmpeg("-i", clip, "-c:a", "aac", aac)
    data = bytearray(aac.read_bytes())
    data[len(data) // 2:len(data) // 2 + 400] = bytes(range(256)) + bytes(144)
    aac.write_bytes(data)
    with pytest.warns(AudioDecodeWarning, match="clip.aac: skipped damaged audio data"):
        samples = read_audio(aac)
    assert len(samples) > 0.8 * len(read_audio(clip))


# ---------------------------------------------------------------------------------------------
# Bad input: typed errors, one line naming the file


def text_as_wav(tmp_path, emodb):
    path = tmp_path / "notes.wav"
    path.write_text("These are meeting notes, not a recording.\n" * 20, encoding="utf-8")
    return path


def empty(tmp_path, emodb):
    path = tmp_path / "empty.flac"
    path.write_bytes(b"")
    return path


def truncated_flac(tmp_path, emodb):
    data = emodb[0].read_bytes()
    path = tmp_path / "cut.flac"
    path.write_bytes(data[:len(data) // 2])
    return path


def flac_header_only(tmp_path, emodb):
    path = tmp_path / "header.flac"
    path.write_bytes(emodb[0].read_bytes()[:100])
    return path


def garbage(tmp_path, emodb):
    path = tmp_path / "noise.xyz"
    path.write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8)))
    return path


BAD = [(text_as_wav, "not audio (the file holds text)"), (empty, "empty file"),
       (truncated_flac, "damaged or truncated audio"), (flac_header_only, "flac decoder")]


@pytest.mark.parametrize("ffmpeg_on_path", [True, False], ids=["ffmpeg", "no-ffmpeg"])
@pytest.mark.parametrize("make, fragment", BAD, ids=[m.__name__ for m, _ in BAD])
def test_bad_files_are_one_line_decode_errors(make, fragment, ffmpeg_on_path, emodb, tmp_path, monkeypatch):
    if ffmpeg_on_path and not shutil.which("ffmpeg"):
        pytest.skip("needs ffmpeg")
    if not ffmpeg_on_path:
        monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    path = make(tmp_path, emodb)
    for source, name in ((path, str(path)), (path.read_bytes(), "upload" + path.suffix)):
        with pytest.raises(InputDecodeError) as error:
            read_audio(source, name=None if name == str(path) else name)
        assert_one_line(error, 6, name, fragment)


def test_a_truncated_flac_streams_what_it_can_then_fails(emodb, tmp_path):
    path = truncated_flac(tmp_path, emodb)
    blocks = stream_audio(path, block_seconds=0.1)
    first = next(blocks)
    np.testing.assert_array_equal(first, read_audio(emodb[0])[:1600])
    with pytest.raises(InputDecodeError) as error:
        list(blocks)
    assert_one_line(error, 6, str(path), "damaged or truncated audio after", "flac decoder lost sync")


def test_garbage_is_a_decode_error_with_ffmpeg_and_unsupported_without(tmp_path, emodb, monkeypatch):
    path = garbage(tmp_path, emodb)
    if shutil.which("ffmpeg"):
        with pytest.raises(InputDecodeError) as error:
            read_audio(path)
        assert_one_line(error, 6, str(path), "cannot decode audio")
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    with pytest.raises(UnsupportedFormatError) as error:
        read_audio(path)
    assert_one_line(error, 4, str(path), "soundfile cannot read .xyz files", "needs ffmpeg")


def test_missing_files_and_folders(tmp_path):
    for path, fragment in ((tmp_path / "gone.wav", "no such file"), (tmp_path, "is a folder")):
        with pytest.raises(InputNotFoundError) as error:
            read_audio(path)
        assert_one_line(error, 3, str(path), fragment)
        assert audio_duration(path) is None


def test_a_wav_of_no_samples_is_an_empty_recording(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(0, np.float32), 44100)
    samples = read_audio(path)
    assert samples.dtype == np.float32 and samples.shape == (0,)
    assert list(stream_audio(path)) == []
    assert list(speech_spans(stream_audio(path))) == []
    assert audio_duration(path) == 0.0


def test_max_seconds_refuses_longer_recordings(clip, tmp_path):
    seconds = audio_duration(clip)
    assert len(read_audio(clip, max_seconds=seconds + 0.01)) > 0
    for source, name in ((clip, str(clip)), (clip.read_bytes(), "talk.ogg")):
        with pytest.raises(AudioTooLongError) as error:
            read_audio(source, max_seconds=1.5, name=None if source == clip else name)
        assert isinstance(error.value, UsageError) and error.value.max_seconds == 1.5
        assert_one_line(error, 2, name, "longer than 1.5 s")
    with pytest.raises(AudioTooLongError):  # no header to read first: stops while decoding
        read_audio((np.zeros(SAMPLE_RATE * 3, np.float32), SAMPLE_RATE), max_seconds=2)


def test_array_sources_are_checked():
    for rate in (0, 3, 999):  # under 5 Hz the resampler had no ratio (ZeroDivisionError)
        with pytest.raises(UsageError, match="sample rate"):
            read_audio((np.zeros(10), rate))
    with pytest.raises(UsageError, match="shape"):
        read_audio((np.zeros((2, 2, 2)), SAMPLE_RATE))
    with pytest.raises(UsageError, match="expected a path"):
        read_audio(12)
    assert audio_duration((np.zeros(8000), 16000)) == 0.5


def test_without_soundfile_reading_needs_the_audio_extra(clip, monkeypatch):
    monkeypatch.setitem(sys.modules, "soundfile", None)
    with pytest.raises(MissingExtraError) as error:
        read_audio(clip)
    assert_one_line(error, 9, "reading audio needs the audio extra")
    assert audio_duration(clip) is None or shutil.which("ffprobe")
    assert len(read_audio((np.zeros(8000, np.float32), 8000))) == SAMPLE_RATE  # arrays need only numpy


# ---------------------------------------------------------------------------------------------
# Speech spans


def test_one_clip_is_one_span_covering_its_speech(ravdess, emodb):
    for path in (ravdess[0], ravdess[200], emodb[3]):
        samples = read_audio(path)
        start, end = speech_bounds(samples)
        spans = list(speech_spans(stream_audio(path)))
        assert len(spans) == 1, (path, spans)
        assert spans[0].start <= start + 0.05 and spans[0].end >= end - 0.05
        assert spans[0].start >= start - 0.3 and spans[0].end <= end + 0.3


def test_clips_apart_are_a_span_each_whatever_the_block_size(ravdess):
    rng = np.random.default_rng(0)
    parts, truth, t = [], [], 0.0
    for path in ravdess[::97][:6]:
        samples = read_audio(path)
        start, end = speech_bounds(samples)
        truth.append((t + start, t + end))
        parts += [samples, np.zeros(SAMPLE_RATE, np.float32)]
        t += len(samples) / SAMPLE_RATE + 1
    recording = np.concatenate(parts)
    recording += rng.normal(0, 10 ** (-70 / 20), len(recording)).astype(np.float32)  # a noise floor
    spans = list(speech_spans(iter([recording])))
    assert len(spans) == len(truth), spans
    for span, (start, end) in zip(spans, truth):
        assert abs(span.start - start) <= 0.3 and abs(span.end - end) <= 0.3, (span, start, end)
        np.testing.assert_array_equal(span.samples, recording[round(span.start * SAMPLE_RATE):
                                                              round(span.end * SAMPLE_RATE)])
    small = [recording[i:i + 5000] for i in range(0, len(recording), 5000)]  # spans cross these
    assert [(s.start, s.end) for s in speech_spans(small)] == [(s.start, s.end) for s in spans]


def test_continuous_speech_is_cut_into_spans_of_at_most_max_seconds(emodb):
    pieces = []
    for path in emodb[:30:2]:
        samples = read_audio(path)
        start, end = speech_bounds(samples)
        pieces.append(samples[round(start * SAMPLE_RATE):round(end * SAMPLE_RATE)])
    speech = np.concatenate(pieces)[:25 * SAMPLE_RATE]
    assert len(speech) == 25 * SAMPLE_RATE
    spans = list(speech_spans([speech]))
    assert len(spans) >= 3 and all(0.5 <= s.duration <= 10.0 for s in spans), spans
    assert sum(s.duration for s in spans) >= 0.9 * 25
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))
    assert all(isinstance(s, SpeechSpan) and len(s.samples) == round(s.duration * SAMPLE_RATE) for s in spans)
    spans = list(speech_spans([speech], max_seconds=4.0, min_seconds=1.0))
    assert len(spans) >= 7 and all(1.0 <= s.duration <= 4.0 for s in spans), spans


def test_speech_spans_checks_its_arguments():
    with pytest.raises(UsageError, match="min_seconds"):
        list(speech_spans([np.zeros(100, np.float32)], max_seconds=1.0, min_seconds=0.6))
    with pytest.raises(UsageError, match="mono"):
        list(speech_spans([np.zeros((100, 2), np.float32)]))
    assert list(speech_spans([np.zeros(SAMPLE_RATE * 5, np.float32)])) == []  # digital silence
    noise = np.random.default_rng(0).normal(0, 0.01, SAMPLE_RATE * 5).astype(np.float32)
    assert list(speech_spans([noise])) == []  # steady noise is the floor, not speech


HOUR_SCRIPT = """
import resource, sys
from emoscope.speech.audio import speech_spans, stream_audio
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
ends = [span.end for span in speech_spans(stream_audio(sys.argv[1], block_seconds=30))]
growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(len(ends), ends[-1], growth * (1 if sys.platform == "darwin" else 1024))
"""


def test_an_hour_streams_in_bounded_memory(clip, tmp_path):
    """A real clip tiled to an hour (230 MB as float32): stream_audio reads the file and
    speech_spans cuts it holding a few blocks.  Measured in a fresh process by its peak resident
    memory, which counts libsndfile's buffers too."""
    samples = read_audio(clip)
    tile = np.tile(samples, 40)
    hour = tmp_path / "hour.wav"
    with sf.SoundFile(hour, "w", SAMPLE_RATE, 1, "PCM_16") as handle:
        for _ in range(-(-3600 * SAMPLE_RATE // len(tile))):
            handle.write(tile)
    source = str(Path(audio.__file__).parents[2])  # this emoscope, whatever is installed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-c", HOUR_SCRIPT, str(hour)], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    count, last, growth = result.stdout.split()
    clips = audio_duration(hour) / (len(samples) / SAMPLE_RATE)
    assert abs(int(count) - clips) <= 2 and float(last) > 3590
    assert int(growth) < 100e6, growth


@pytest.mark.parametrize("rate", [1, 3, 999])
def test_a_file_whose_sample_rate_is_no_audio_rate_is_a_decode_error(tmp_path, rate):
    """A WAV header can claim any rate (an upload to the server, say); one under 1 kHz is refused
    rather than resampled (under 5 Hz that was a ZeroDivisionError, an HTTP 500)."""
    path = tmp_path / "odd.wav"
    sf.write(path, np.zeros(100, np.int16), 8000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    data[24:28], data[28:32] = rate.to_bytes(4, "little"), (2 * rate).to_bytes(4, "little")  # fmt rate, byte rate
    path.write_bytes(bytes(data))
    with pytest.raises(InputDecodeError, match=f"{rate} Hz"):
        read_audio(path)
    with pytest.raises(InputDecodeError, match=f"{rate} Hz"):
        read_audio(bytes(data), name="odd.wav")
