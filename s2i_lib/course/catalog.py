"""The map of the course: every notebook, the papers it teaches, what it needs from the
earlier ones and how long it runs.  Notebook 00 (orientation) and the reproduction report
read it; ``tests/test_catalog.py`` checks it against the notebooks folder, the reference
table and the README.

Run times are wall seconds measured on 2 CPU cores (``make reproduce``), for the smoke
profile and for the course profile from an empty model store for that notebook (with the
earlier notebooks' models in place), and once everything is cached.  No time has been
measured on a GPU yet: :attr:`Entry.gpu_seconds` stays ``None`` until one is, and
:func:`paper_estimates` gives the estimates of ``tests/benchmarks/estimate_paper_profile.py``
(step times measured on the CPU, FLOPs counted, an assumed GPU throughput) instead.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

__all__ = ["Entry", "CATALOG", "entry", "requirements", "paper_keys", "paper_estimates", "ESTIMATES"]

ESTIMATES = Path(__file__).resolve().parents[2] / "results" / "reference" / "paper_estimates.json"
"""The paper profile's estimated times, written by ``tests/benchmarks/estimate_paper_profile.py``."""


@dataclass(frozen=True)
class Entry:
    """One notebook: ``number`` (its two digits), ``stem`` (file name without ``.ipynb``),
    ``title``, ``papers`` (keys of :mod:`s2i_lib.course.references`), ``needs`` (numbers of
    the notebooks whose data or models it uses; each makes them if they are missing),
    ``uses`` (what it takes from them, in words), ``smoke_seconds``, ``course_seconds``
    (from an empty model store for it), ``cached_seconds`` (course, models in the store) and
    ``gpu_seconds`` (paper profile on one GPU; ``None``: not measured)."""
    number: str
    stem: str
    title: str
    papers: Tuple[str, ...]
    needs: Tuple[str, ...]
    uses: str
    smoke_seconds: float
    course_seconds: Optional[float]
    cached_seconds: Optional[float]
    gpu_seconds: Optional[float] = None

    @property
    def filename(self) -> str:
        return f"{self.stem}.ipynb"


CATALOG: Tuple[Entry, ...] = (
    Entry("00", "00_orientation", "Orientation: the course, its papers and how to run it", (), (),
          "nothing", 6, 6, 6),
    Entry("01", "01_building_paired_data", "Building a paired audio-visual dataset",
          ("chen2017", "kang2017", "wan2019", "sungbin2023"), (),
          "nothing: it makes the SynthAV corpora and the paired data", 25, 270, 39),
    Entry("02", "02_audio_representations", "How should a machine hear?",
          ("chen2017", "kang2017", "wan2019", "anonymous2019"), ("01",),
          "the pairs of both suites", 40, 420, 85),
    Entry("03", "03_gan_cls_from_sound", "Drawing what you hear: GAN-CLS from sound",
          ("chen2017", "kang2017"), ("01", "02"),
          "the performances pairs, the sound encoders and the image classifier (the judge)", 70, 552, 43),
    Entry("04", "04_what_makes_a_cgan_work", "What makes a conditional GAN work?", ("wan2019",), ("01", "02"),
          "the scenes pairs cleaned by classifier agreement, SoundNet and the judge", 60, 546, 59),
    Entry("05", "05_multimodal_stacked_gans", "Multimodal layers and stacked GANs", ("anonymous2019",), ("01", "02"),
          "the scenes pairs cleaned by top-3 agreement, the image classifier's features and SoundNet", 20, 467, 46),
    Entry("06", "06_sound2scene", "Sound2Scene: audio aligned to a visual space, an instance-conditioned GAN",
          ("sungbin2023",), ("01", "02", "04", "05"),
          "the pairs of both suites, the judge, SoundNet, notebook 04's size probe and notebook 05's stack", 26, 681, 145),
    Entry("07", "07_reproduction_report", "The reproduction report", (), ("01", "02", "03", "04", "05", "06"),
          "every notebook's metrics and claims of the same run", 6, 6, 6),
)


def entry(number: str) -> Entry:
    """The catalog entry of notebook ``number`` ("06" or "06_sound2scene")."""
    for e in CATALOG:
        if number in (e.number, e.stem, e.filename):
            return e
    raise KeyError(f"no notebook {number!r} in the catalog; it has {', '.join(e.number for e in CATALOG)}")


def requirements(number: str) -> List[str]:
    """Every notebook that notebook ``number`` needs, directly or through another, in
    course order."""
    seen: Dict[str, None] = {}

    def visit(n):
        for m in entry(n).needs:
            if m not in seen:
                visit(m)
                seen[m] = None
    visit(number)
    return sorted(seen)


def paper_keys() -> List[str]:
    """The reference keys of the papers the course reproduces, in the order the notebooks
    first teach them."""
    out: Dict[str, None] = {}
    for e in CATALOG:
        for k in e.papers:
            out.setdefault(k, None)
    return list(out)


def paper_estimates(path: Optional[Path] = None) -> Dict[str, Dict[str, float]]:
    """The paper profile's *estimated* hours per notebook number (``"02"`` ... ``"06"``, the
    notebooks that train): ``cpu_hours`` (2 cores), ``gpu_hours_1``, ``gpu_hours_4`` and
    ``gpu_hours_8`` (DDP), from :data:`ESTIMATES`; ``{}`` when the file is missing."""
    p = Path(path) if path is not None else ESTIMATES
    if not p.exists():
        return {}
    keys = ("cpu_hours", "gpu_hours_1", "gpu_hours_4", "gpu_hours_8")
    return {nb: {k: float(v[k]) for k in keys} for nb, v in json.loads(p.read_text())["notebooks"].items()}
