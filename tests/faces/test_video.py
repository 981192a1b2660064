"""A video built here from real FER+ test crops and RAVDESS clips of held-out actors: the
timeline's face rows follow the crops shown and its voice row the clip spoken, through the API
and ``emoscope video``; and videos without sound, without faces, or that are not videos."""

import json

import numpy as np
import pytest

from emoscope import FaceEmotionModel
from emoscope.data.speech import read_speech_corpus
from tests.faces.media import findable_faces, paste, write_video
from tests.helpers import DATASETS, assert_clean_error, needs

pytest.importorskip("cv2")
pytest.importorskip("soundfile")
SCENE = 4.0  # seconds each scene lasts
FACES = ("happiness", "surprise")
VOICES = ("angry", "sad")


@pytest.fixture(scope="module")
def models():
    from emoscope import SpeechEmotionModel

    return FaceEmotionModel.load(), SpeechEmotionModel.load()


@pytest.fixture(scope="module")
def video(tmp_path_factory, models):
    """Two scenes: a face showing FACES[i] while a held-out actor's voice says VOICES[i]. The crops
    and clips are ones each model reads right alone, so what is tested is that the video's
    pipeline (frames, detection, tracking, sound track, segments) carries them through."""
    from emoscope.speech.audio import read_audio

    faces, speech = models
    found = findable_faces(faces, labels=FACES)
    crops = [found[label][0] for label in FACES]
    clips = read_speech_corpus(needs(DATASETS / "speech"), "ravdess", "test")
    audio = []
    for label in VOICES:
        clip = next(c for c in clips if c.label == label and c.path.stem.split("-")[3] == "02"
                    and speech.predict(c.path).labels[0] == label)
        samples = read_audio(clip.path)[: int(SCENE * 16000)]
        audio.append(np.pad(samples, (0, int(SCENE * 16000) - len(samples))))
    scenes = [(SCENE, paste([crop], size=(1280, 720))[0]) for crop in crops]
    path = tmp_path_factory.mktemp("video") / "two scenes.mp4"
    return write_video(path, scenes, np.concatenate(audio))


def test_the_timeline_follows_the_faces_and_the_voices(models, video):
    from emoscope.faces.video import analyze_video

    faces, speech = models
    timeline = analyze_video(video, faces, speech_model=speech, fps=2)
    assert timeline.width == 1280 and timeline.height == 720 and timeline.duration == pytest.approx(2 * SCENE, abs=0.2)
    assert timeline.tracks == ("face 1",)  # one face in one place: one track across both scenes
    for i, label in enumerate(FACES):
        seen = [o.result.labels[0] for o in timeline.faces if i * SCENE + 0.5 <= o.time < (i + 1) * SCENE - 0.5]
        assert len(seen) >= 5 and seen.count(label) / len(seen) >= 0.8, (label, seen)
    for i, label in enumerate(VOICES):
        inside = [s for s in timeline.voice.segments if i * SCENE <= (s.start + s.end) / 2 < (i + 1) * SCENE]
        assert inside and all(s.labels[0] == label for s in inside), (label, [s.to_dict() for s in inside])


def test_emoscope_video_writes_the_timeline_table_plot_and_json(cli, video, tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("plotly")
    table, plot = tmp_path / "timeline.parquet", tmp_path / "timeline.html"
    result = cli("video", video, "--fps", "2", "--output", table, "--plot", plot)
    assert result.returncode == 0, result.stderr
    rows = pd.read_parquet(table)
    assert set(rows["track"]) == {"face 1", "voice"}
    assert set(rows[rows.track == "voice"]["top_label"]) <= set(VOICES)
    assert {"start", "end", "top_label", "top_score", "x", "y", "width", "height", "score_happiness"} <= set(rows)
    html = plot.read_text()
    assert "face 1" in html and "voice" in html and "<script src=\"http" not in html  # plotly.js inside: offline
    printed = json.loads(cli("video", video, "--json", "--no-voice").stdout)
    assert printed["voice"] is None and printed["tracks"] == ["face 1"] and len(printed["faces"]) >= 12


def test_a_video_without_sound_or_faces_gives_an_empty_row_not_an_error(cli, tmp_path):
    silent = write_video(tmp_path / "silent.mp4", [(2.0, np.full((360, 640), 90, np.uint8))])
    printed = json.loads(cli("video", silent, "--json").stdout)
    assert printed["faces"] == [] and printed["tracks"] == [] and printed["voice"] is None


def test_bad_video_input_is_one_line_with_its_exit_code(cli, tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all\n")
    assert_clean_error(cli("video", text), 6, "notes.mp4", "not a readable video")
    assert_clean_error(cli("video", tmp_path / "missing.mp4"), 3, "missing.mp4")
    assert_clean_error(cli("video", text, "--fps", "0"), 2, "--fps")
    assert_clean_error(cli("video", text, "--output", tmp_path / "out.txt"), 4, "out.txt")
    assert_clean_error(cli("video", text, "--plot", tmp_path / "plot.png"), 4, ".html")
