"""The dialogue turn network's context graph (:mod:`emoscope.train.dialogue`) and its windows."""

import numpy as np
import pytest


def test_the_context_graph_reads_every_window_as_the_trained_gru_does(tmp_path):
    """The ONNX GRU (gates reordered, PyTorch's reset formula, a length per zero-padded window)
    gives the PyTorch network's logits for each turn of each window, both directions included."""
    pytest.importorskip("torch")
    import onnxruntime as ort
    import torch

    from emoscope.text.context import speaker_features, turn_windows
    from emoscope.train.dialogue import _network_class, export_context_graph
    from emoscope.train.trainer import default_base_model

    torch.manual_seed(0)
    network = _network_class()(default_base_model(), 7, 16).eval()
    for parameter in (*network.gru.parameters(), *network.context_head.parameters()):
        parameter.data.normal_(0.0, 0.3)  # gates far from their initial values, so an order mix-up shows
    session = ort.InferenceSession(str(export_context_graph(network, tmp_path / "context.onnx")))
    vectors = np.random.default_rng(0).normal(size=(7, 384)).astype(np.float32)
    speakers = ["Ann", "Bob", "Ann", "Cy", "Cy", "Bob", "Ann"]
    for k in (1, 2, 6):
        x, who, lengths, (window, position) = turn_windows(speakers, vectors, k)
        assert x.shape[1] == (1 if k == 6 else 7)  # a window as long as the dialogue is read once
        graph = session.run(["logits"], {"vectors": x, "speakers": who, "lengths": lengths})[0][position, window]
        expected = []
        with torch.no_grad():
            for t in range(7):
                a, b = max(0, t - k), min(7, t + k + 1)
                out = network.contextual(torch.from_numpy(vectors[a:b])[:, None],
                                         torch.from_numpy(speaker_features(speakers[a:b]))[:, None], [b - a])
                expected.append(out[t - a, 0].numpy())
        np.testing.assert_allclose(graph, np.stack(expected), rtol=1e-5, atol=1e-5)


def test_speaker_features_tell_speakers_apart_by_order_not_name():
    from emoscope.text.context import speaker_features

    features = speaker_features(["Ross", "Rachel", "Ross", "Ross", "Joey", "Monica", "Phoebe"])
    assert features.argmax(1)[:4].tolist() == [0, 1, 0, 0]
    assert features[4:, :4].argmax(1).tolist() == [2, 3, 3]  # the fifth speaker shares the fourth's column
    assert features[:, 4].tolist() == [0, 0, 0, 1, 0, 0, 0]  # the same speaker as the turn before
    assert (speaker_features(["x", "y"]) == speaker_features(["Ross", "Rachel"])).all()


def test_training_windows_frame_the_turns_as_the_runtime_reads_them():
    """``train meld --train-context-turns k`` trains the GRU on the windows the runtime reads
    (:func:`emoscope.text.context.turn_windows`); without it, on each dialogue whole."""
    pytest.importorskip("torch")
    import torch

    from emoscope.text.context import speaker_features, turn_windows
    from emoscope.train.dialogue import _windows, training_windows

    dialogues = [["Ann", "Bob", "Ann", "Cy", "Cy", "Bob", "Ann"], ["Joey", "Ross", "Joey"]]
    vectors = np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32)
    bounds = np.array([0, 7, 10])
    features = [speaker_features(s) for s in dialogues]
    spans, who, (window, position) = training_windows(bounds, dialogues, features, None)
    assert spans == [(0, 7), (7, 10)] and window.tolist() == [0] * 7 + [1] * 3
    assert position.tolist() == list(range(7)) + list(range(3))
    spans, who, (window, position) = training_windows(bounds, dialogues, features, 1)
    x, speakers = _windows(torch.from_numpy(vectors), spans, who)
    assert len(spans) == 10 and window.tolist() == list(range(10)) and position.tolist() == [0] + [1] * 5 + [1, 0, 1, 1]
    # with 2 turns on each side, the 3-turn dialogue is read whole, as turn_windows does when k covers it
    wide, _, (wide_window, wide_position) = training_windows(bounds, dialogues, features, 2)
    assert len(wide) == 7 + 1 and wide_window[7:].tolist() == [7, 7, 7] and wide_position[7:].tolist() == [0, 1, 2]
    expected_x, expected_who, lengths, (w, p) = turn_windows(dialogues[0], vectors[:7], 1)
    np.testing.assert_array_equal(x[:, :7].numpy(), expected_x)
    np.testing.assert_array_equal(speakers[:, :7].numpy(), expected_who)
    assert [b - a for a, b in spans[:7]] == lengths.tolist()
    assert window[:7].tolist() == w.tolist() and position[:7].tolist() == p.tolist()
