"""What a lesson's first cell says in the JupyterLite site about what the browser skips (web/site.py), natively."""

from __future__ import annotations

from web import site


def code(source: str) -> dict[str, object]:
    return {"cell_type": "code", "source": source}


def markdown(source: str) -> dict[str, object]:
    return {"cell_type": "markdown", "source": source}


HELPER = "def show_images(images):\n    fig, ax = plt.subplots()\n    plt.show()\n"


def test_the_note_names_the_sections_whose_figures_are_skipped() -> None:
    cells = [
        markdown("# 4 · A lesson"), code("import matplotlib.pyplot as plt\n" + HELPER),  # defines, shows nothing
        markdown("## Plots\ntext"), code("ax.plot([1, 2])\nplt.show()"),
        markdown("## Images"), code("x = 1"), code("show_images([x])"),
        markdown("## No figure"), code("print('plt.show() in a string is not a call')"),
    ]
    assert site.skipped_figures(cells) == ["Plots", "Images"]
    note = site.browser_note(cells)
    assert note is not None and note.startswith("the matplotlib figures under “Plots”, “Images” are skipped")
    assert "training page" not in note


def test_a_recorded_run_is_named_and_a_lesson_without_figures_gets_no_note() -> None:
    cells = [markdown("## Curves"), code("plt.show()"), markdown("## Fit"), code("rec = Recorder(X, y)\nrec")]
    note = site.browser_note(cells)
    assert note is not None and note.startswith("the matplotlib figure under “Curves” is skipped, with a one-line")
    assert note.endswith("the training page under “Fit” (`nn.Recorder`) shows as it does locally.")
    assert site.browser_note([markdown("# 1"), code("print(1)")]) is None
    assert "PyTorch" in (site.browser_note([code("import torch\nplt.show()")]) or "")
