"""progress.tqdm: one line per finished bar headless, nothing for inner bars, tqdm's own
bar interactively."""
import pytest

from s2i_lib.course import progress


@pytest.fixture
def headless(monkeypatch):
    monkeypatch.setenv("S2I_HEADLESS", "1")
    monkeypatch.delenv("S2I_PROGRESS", raising=False)
    monkeypatch.setattr(progress, "_terminal", lambda: False)


def lines(text):
    return [l for l in text.splitlines() if l.strip()]


def test_a_headless_bar_prints_one_line_on_stdout_when_it_finishes(headless, capsys):
    total = 0
    for i in progress.tqdm(range(400), desc="GAN rung c seed 1"):
        total += i
        if i == 200:
            assert capsys.readouterr().out == ""          # nothing while it runs
    cap = capsys.readouterr()
    assert total == sum(range(400))
    assert cap.err == ""
    assert len(lines(cap.out)) == 1
    assert cap.out.startswith("GAN rung c seed 1: 400/400 in ") and cap.out.rstrip().endswith(" s")
    assert progress.is_progress_line(cap.out.strip())


def test_manual_bar_with_unit_resume_and_early_stop(headless, capsys):
    bar = progress.tqdm(total=12, desc="building scenes", unit="video", initial=4)
    bar.update(3)
    bar.set_postfix(loss=0.5)
    bar.close()
    bar.close()                                          # a second close prints nothing more
    out = capsys.readouterr().out
    assert lines(out) == [lines(out)[0]]
    assert out.startswith("building scenes: 7/12 videos (from 4) (stopped) in ")
    for i in progress.tqdm(range(10), desc="loop"):
        if i == 3:
            break
    assert capsys.readouterr().out.startswith("loop: 3/10 (stopped) in ")


def test_inner_bars_are_silent_headless(headless, capsys):
    for epoch in progress.tqdm(range(3), desc="training", unit="epoch"):
        for _ in progress.tqdm(range(5), desc=f"epoch {epoch}"):           # nested: inner
            pass
        for _ in progress.tqdm(range(5), desc="batches", leave=False):     # leave=False: inner
            pass
    for _ in progress.tqdm(range(5), desc="alone, leave=False", leave=False):
        pass
    for _ in progress.tqdm(range(5), desc="alone, inner=True", inner=True):
        pass
    cap = capsys.readouterr()
    assert cap.err == ""
    assert len(lines(cap.out)) == 1 and cap.out.startswith("training: 3/3 epochs in ")


def test_inner_false_and_level_all_show_nested_bars(headless, monkeypatch, capsys):
    for _ in progress.tqdm(range(2), desc="outer"):
        for _ in progress.tqdm(range(2), desc="forced", inner=False):
            pass
    assert [l.split(":")[0] for l in lines(capsys.readouterr().out)] == ["forced", "forced", "outer"]
    monkeypatch.setenv("S2I_PROGRESS", "all")
    for _ in progress.tqdm(range(2), desc="outer"):
        for _ in progress.tqdm(range(2), desc="batches", leave=False):
            pass
    assert [l.split(":")[0] for l in lines(capsys.readouterr().out)] == ["batches", "batches", "outer"]
    monkeypatch.setenv("S2I_PROGRESS", "none")
    for _ in progress.tqdm(range(2), desc="outer"):
        pass
    assert capsys.readouterr().out == ""
    monkeypatch.setenv("S2I_PROGRESS", "loud")
    with pytest.raises(ValueError, match="S2I_PROGRESS"):
        progress.tqdm(range(2))


def test_disabled_bars_print_nothing_and_do_not_nest(headless, capsys):
    for _ in progress.tqdm(range(3), desc="off", disable=True):
        assert not progress.running()
        for _ in progress.tqdm(range(2), desc="shown"):
            pass
    out = lines(capsys.readouterr().out)
    assert len(out) == 3 and all(l.startswith("shown: 2/2 in ") for l in out)


def test_headless_terminal_gets_a_live_text_bar(headless, monkeypatch):
    monkeypatch.setattr(progress, "_terminal", lambda: True)
    from tqdm.std import tqdm as text_tqdm
    bar = progress.tqdm(range(3), desc="x")
    assert type(bar) is text_tqdm
    bar.close()


def test_interactive_is_tqdm_auto(monkeypatch):
    monkeypatch.delenv("S2I_HEADLESS", raising=False)
    from tqdm.auto import tqdm as auto_tqdm
    outer = progress.tqdm(range(3), desc="outer")
    assert isinstance(outer, auto_tqdm) and not isinstance(outer, progress.LineBar)
    inner = progress.tqdm(range(3), desc="inner")          # nested: vanishes when done
    assert inner.leave is False
    inner.close()
    outer.close()
    assert progress.tqdm(range(3)).leave is True


@pytest.mark.parametrize("line, expected", [
    ("GAN rung c seed 1: 400/400 in 31 s", True),
    ("SynthAV scenes: 36/36 clips in 6.4 s", True),
    ("training: 7/10 epochs (from 4) (stopped) in 12.5 min", True),
    ("\rSynthAV scenes:  64%|######3   | 23/36 [00:05<00:02,  4.55clip/s]", True),
    ("MS 3-conv 1/2:   0%|          | 0/5 [00:00<?, ?it/s]", True),
    ("scoring pairs: 100%|██████████| 36/36 [00:04<00:00,  8.74video/s]", True),
    ("chance: scenes 0.111, performances 0.333; 96 training pairs per run", False),
    ("SynthAV scenes/smoke: 36 clips in /work/data/synthav/scenes-smoke-seed0 (36 written, 0 reused, 6.4 s)", False),
    ("   scenes: 120 pairs (96 train, 24 test), 9 classes", False),
])
def test_progress_lines_are_recognised(line, expected):
    assert progress.is_progress_line(line) is expected


@pytest.mark.parametrize("secs, text", [(0.42, "0.4 s"), (31.2, "31 s"), (750, "12.5 min")])
def test_format_seconds(secs, text):
    assert progress.format_seconds(secs) == text
