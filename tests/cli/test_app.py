"""The shared command-line app: one-line errors with documented exit codes, usage, version, and
the labels command."""

import json


def test_labels_command(cli):
    result = cli("labels", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert len(payload["labels"]) == 28 and payload["labels"][-1] == "neutral"
    assert "gratitude" in payload["rollups"]["ekman"]["joy"]
    table = cli("labels")
    assert table.returncode == 0 and "nervousness" in table.stdout and "fear" in table.stdout


def test_version_and_usage(cli):
    assert cli("--version").stdout.startswith("emoscope ")
    assert cli("analyze").returncode == 2
    assert cli("analyze", "--input", "x.csv", "some text").returncode == 2
