"""The shipped speech model on real clips of held-out speakers: accuracy well above chance, a
timeline that follows a recording made of several clips, the same scores from a file, its
bytes and its samples at another rate, and the format's round trip."""

import io

import numpy as np
import pytest

from emoscope import EmotionModel, SpeechEmotionModel, SpeechResult
from emoscope.data.speech import CORPUS_LABELS, SPEECH_LABELS, read_speech_corpus
from emoscope.errors import ModelLoadError
from emoscope.evaluate.speech import classification_payload, restricted_predictions
from emoscope.speech.audio import SAMPLE_RATE, read_audio
from tests.helpers import DATASETS, needs

sf = pytest.importorskip("soundfile")
SPEECH = DATASETS / "speech"


@pytest.fixture(scope="module")
def model():
    return SpeechEmotionModel.load()


@pytest.fixture(scope="module")
def held_out():
    """Strong-intensity clips of the held-out RAVDESS actors, one statement and repetition each
    (6 actors x 7 emotions + neutral)."""
    clips = read_speech_corpus(needs(SPEECH), "ravdess", "test")
    return [c for c in clips if c.path.stem.split("-")[4] == "01" and c.path.stem.split("-")[5] == "01"
            and (c.path.stem.split("-")[3] == "02" or c.label == "neutral")]


def test_the_shipped_model_loads_with_the_speech_labels(model):
    assert model.name == "speech-whisper-tiny"
    assert model.labels == list(SPEECH_LABELS)
    assert (model.directory / "model_card.json").is_file()


def test_held_out_actors_are_recognised_well_above_chance(model, held_out):
    assert len(held_out) == 48
    results = [model.predict(c.path) for c in held_out]
    probabilities = np.array([[r.scores[label] for label in model.labels] for r in results])
    predicted = restricted_predictions(probabilities, model.labels, CORPUS_LABELS["ravdess"])
    payload = classification_payload([c.label for c in held_out], predicted, CORPUS_LABELS["ravdess"])
    assert payload["uar"] >= 0.5, payload  # chance is 0.125


def test_a_result_is_one_recording_with_its_segments(model, held_out):
    clip = held_out[0]
    result = model.predict(clip.path)
    assert isinstance(result, SpeechResult) and not result.empty
    duration = sf.info(str(clip.path)).duration
    assert result.duration == pytest.approx(duration, abs=0.01)
    assert len(result.segments) == 1
    segment = result.segments[0]
    assert 0 <= segment.start < segment.end <= duration
    assert result.labels == (max(result.scores, key=result.scores.get),)
    assert sum(result.scores.values()) == pytest.approx(1.0, abs=1e-4)
    record = result.to_dict()
    assert list(record)[:6] == ["source", "duration", "labels", "top_label", "top_score", "empty"]
    assert record["source"] == str(clip.path) and list(record)[-1] == "scores"


def test_the_timeline_follows_the_clips_of_a_recording(model, held_out):
    chosen = [c for c in held_out if c.speaker == "20"][:4]
    silence = np.zeros(SAMPLE_RATE, dtype=np.float32)
    parts, bounds, at = [], [], 0.0
    for clip in chosen:
        samples = read_audio(clip.path)
        parts += [samples, silence]
        bounds.append((at, at + len(samples) / SAMPLE_RATE))
        at += (len(samples) + len(silence)) / SAMPLE_RATE
    recording = model.predict((np.concatenate(parts), SAMPLE_RATE))
    assert len(recording.segments) == len(chosen)
    confident = 0
    for segment, (start, end), clip in zip(recording.segments, bounds, chosen):
        assert start - 0.05 <= segment.start and segment.end <= end + 0.05
        alone = model.predict(clip.path)
        # a segment cut from the recording is not exactly the clip's segment alone: where the
        # model is sure of the clip, the timeline says the same
        if alone.top(1)[0][1] >= 0.8:
            confident += 1
            assert segment.labels == alone.labels
    assert confident >= 2


def test_path_bytes_and_resampled_stereo_samples_agree(model, held_out):
    clip = held_out[1]
    from_path = model.predict(clip.path)
    from_bytes = model.predict(clip.path.read_bytes())
    assert from_bytes.scores == pytest.approx(from_path.scores, abs=1e-6)
    samples = read_audio(clip.path)
    # 44.1 kHz stereo made with soundfile's own writer and read back as an array
    buffer = io.BytesIO()
    upsampled = np.interp(np.arange(0, len(samples), SAMPLE_RATE / 44_100), np.arange(len(samples)), samples)
    sf.write(buffer, np.stack([upsampled, upsampled], axis=1), 44_100, format="WAV")
    stereo, rate = sf.read(io.BytesIO(buffer.getvalue()), dtype="float32")
    from_stereo = model.predict((stereo, rate))
    assert from_stereo.labels == from_path.labels
    assert max(abs(from_stereo.scores[k] - from_path.scores[k]) for k in model.labels) < 0.1


def test_segments_are_scored_independently(model, held_out):
    a, b = read_audio(held_out[2].path), read_audio(held_out[3].path)
    together = model.predict_proba([a, b])
    np.testing.assert_allclose(together[0], model.predict_proba([a])[0], atol=1e-6)
    np.testing.assert_allclose(together[1], model.predict_proba([b])[0], atol=1e-6)


def test_silence_is_an_empty_neutral_result(model):
    result = model.predict((np.zeros(0, dtype=np.float32), SAMPLE_RATE))
    assert result.empty and result.labels == ("neutral",) and result.segments == ()
    quiet = model.predict((np.zeros(3 * SAMPLE_RATE, dtype=np.float32), SAMPLE_RATE))
    assert quiet.empty and quiet.duration == pytest.approx(3.0)


def test_save_and_load_round_trip(model, held_out, tmp_path):
    saved = model.save_pretrained(tmp_path / "copy")
    again = SpeechEmotionModel.load(saved)
    clip = held_out[4].path
    assert again.predict(clip).scores == pytest.approx(model.predict(clip).scores, abs=1e-7)


def test_model_kinds_refuse_each_others_directories(model):
    with pytest.raises(ModelLoadError, match="not a speech model"):
        SpeechEmotionModel.load("multidomain-minilm")
    with pytest.raises(ModelLoadError, match="SpeechEmotionModel"):
        EmotionModel.load(model.directory)
