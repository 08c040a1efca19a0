"""Every work the course cites, once: authors, title, venue and year.

The five papers the course reproduces are entered exactly as
``../shared/papers/CITATIONS.md`` gives them (authors as on each paper's first page);
the other works are the ones the notebooks and docstrings lean on.  Notebooks and
docstrings cite author-year ("Wan et al. 2019", "Kang & Kymn 2017", "Miyato & Koyama
(2018)"); :func:`cite` writes that form from the table and :func:`reference` the full
entry.  :func:`check_citations` finds the author-year citations in a text and reports
each one that names an unknown work or the wrong authors; ``tests/test_references.py``
runs it over every notebook and every docstring of ``s2i_lib``.

What the checker reads as a citation:

- ``X et al.`` with an optional year (``2019``, ``(2019)``, ``, 2019``): a work
  of three or more authors whose first author is X (and of that year);
- ``A & B``, ``A, B & C`` (with or without a year), and ``A, B and C`` or ``A and B``
  followed by a year: the surnames must be *all* the authors of one work, in order;
- any of these followed by ``, *Title*``: the title must begin like the work's title
  (letter case and punctuation aside) or be one of its known short names.

Prose such as "MS and STFT" is not a citation (no year), and a surname cited without
either form ("Goodfellow's tutorial") is not checked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

__all__ = ["Reference", "REFERENCES", "cite", "reference", "Citation", "find_citations", "check_citations"]


@dataclass(frozen=True)
class Reference:
    """One cited work.  ``surnames`` is how the text names the authors (by default the last
    word of each name); ``aliases`` are short names a text may use for the title."""
    key: str
    authors: Tuple[str, ...]
    title: str
    venue: str
    year: int
    note: str = ""
    surnames: Tuple[str, ...] = ()
    aliases: Tuple[str, ...] = field(default=())

    def __post_init__(self):
        if not self.surnames:
            object.__setattr__(self, "surnames", tuple(a.split()[-1] for a in self.authors))
        if len(self.surnames) != len(self.authors):
            raise ValueError(f"{self.key}: one surname per author")


_WORKS = (
    # --- the five papers the course reproduces (../shared/papers/CITATIONS.md)
    Reference("wan2019", ("Chia-Hung Wan", "Shun-Po Chuang", "Hung-Yi Lee"),
              "Towards Audio to Scene Image Synthesis using Generative Adversarial Network",
              "IEEE ICASSP", 2019, "notebooks 01, 02, 04"),
    Reference("chen2017", ("Lele Chen", "Sudhanshu Srivastava", "Zhiyao Duan", "Chenliang Xu"),
              "Deep Cross-Modal Audio-Visual Generation",
              "Proceedings of the Thematic Workshops of ACM Multimedia 2017 (pp. 349-357)", 2017,
              "notebooks 01, 02, 03"),
    Reference("kang2017", ("Daniel Kang", "Chris Kymn"),
              "Hearing is Seeing: Learning Visual Representations with Audio and GANs",
              "course project final report (17S CS89), June 2017", 2017, "notebooks 01, 02, 03"),
    Reference("anonymous2019", ("anonymous authors (paper under double-blind review)",),
              "Generating Images from Sounds Using Multi-Modal Features and GANs",
              "submission to ICLR 2019 (OpenReview)", 2019, "notebooks 02, 05; cite as \"anonymous (2019)\"",
              surnames=("anonymous",), aliases=("Generating images from sounds using multimodal features and GANs",)),
    Reference("sungbin2023", ("Kim Sung-Bin", "Arda Senocak", "Hyunwoo Ha", "Andrew Owens", "Tae-Hyun Oh"),
              "Sound to Visual Scene Generation by Audio-to-Visual Latent Alignment", "IEEE/CVF CVPR", 2023,
              "notebooks 01, 06", surnames=("Sung-Bin", "Senocak", "Ha", "Owens", "Oh"), aliases=("Sound2Scene",)),
    # --- works the course leans on, as the papers cite them (CITATIONS.md)
    Reference("reed2016", ("Scott Reed", "Zeynep Akata", "Xinchen Yan", "Lajanugen Logeswaran", "Bernt Schiele",
                           "Honglak Lee"), "Generative Adversarial Text to Image Synthesis", "ICML", 2016, "GAN-CLS"),
    Reference("miyato2018sn", ("Takeru Miyato", "Toshiki Kataoka", "Masanori Koyama", "Yuichi Yoshida"),
              "Spectral Normalization for Generative Adversarial Networks", "ICLR", 2018),
    Reference("miyato2018projection", ("Takeru Miyato", "Masanori Koyama"), "cGANs with Projection Discriminator",
              "ICLR", 2018),
    Reference("pedersoli2022", ("Fabrizio Pedersoli", "Dryden Wiebe", "Amin Banitalebi", "Yong Zhang", "Kwang Moo Yi"),
              "Estimating Visual Information from Audio through Manifold Learning", "arXiv 2208.02337", 2022,
              "a baseline of Sound2Scene's comparison table (notebook 06)"),
    Reference("casanova2021", ("Arantxa Casanova", "Marlène Careil", "Jakob Verbeek", "Michal Drozdzal",
                               "Adriana Romero-Soriano"), "Instance-Conditioned GAN", "NeurIPS", 2021),
    Reference("aytar2016", ("Yusuf Aytar", "Carl Vondrick", "Antonio Torralba"),
              "SoundNet: Learning Sound Representations from Unlabeled Video", "NeurIPS", 2016),
    Reference("isola2017", ("Phillip Isola", "Jun-Yan Zhu", "Tinghui Zhou", "Alexei A. Efros"),
              "Image-to-Image Translation with Conditional Adversarial Networks", "CVPR", 2017, "pix2pix"),
    Reference("oord2018", ("Aaron van den Oord", "Yazhe Li", "Oriol Vinyals"),
              "Representation Learning with Contrastive Predictive Coding", "arXiv 1807.03748", 2018, "InfoNCE",
              surnames=("van den Oord", "Li", "Vinyals")),
    Reference("chen2020", ("Ting Chen", "Simon Kornblith", "Mohammad Norouzi", "Geoffrey Hinton"),
              "A Simple Framework for Contrastive Learning of Visual Representations", "ICML", 2020, "SimCLR"),
    Reference("zhao2020", ("Shengyu Zhao", "Zhijian Liu", "Ji Lin", "Jun-Yan Zhu", "Song Han"),
              "Differentiable Augmentation for Data-Efficient GAN Training", "NeurIPS", 2020, "DiffAugment"),
    Reference("gulrajani2017", ("Ishaan Gulrajani", "Faruk Ahmed", "Martin Arjovsky", "Vincent Dumoulin",
                                "Aaron Courville"), "Improved Training of Wasserstein GANs", "NeurIPS", 2017, "WGAN-GP"),
    # --- further works cited in the course's text (not in CITATIONS.md)
    Reference("arjovsky2017", ("Martin Arjovsky", "Soumith Chintala", "Léon Bottou"),
              "Wasserstein Generative Adversarial Networks", "ICML", 2017, "WGAN, weight clipping"),
    Reference("goodfellow2016", ("Ian Goodfellow",), "NIPS 2016 Tutorial: Generative Adversarial Networks",
              "arXiv 1701.00160", 2016, "the Helvetica scenario"),
    Reference("lim2017", ("Jae Hyun Lim", "Jong Chul Ye"), "Geometric GAN", "arXiv 1705.02894", 2017, "hinge loss"),
    Reference("odena2017", ("Augustus Odena", "Christopher Olah", "Jonathon Shlens"),
              "Conditional Image Synthesis with Auxiliary Classifier GANs", "ICML", 2017, "AC-GAN"),
    Reference("salimans2016", ("Tim Salimans", "Ian Goodfellow", "Wojciech Zaremba", "Vicki Cheung", "Alec Radford",
                               "Xi Chen"), "Improved Techniques for Training GANs", "NeurIPS", 2016, "Inception Score"),
    Reference("heusel2017", ("Martin Heusel", "Hubert Ramsauer", "Thomas Unterthiner", "Bernhard Nessler",
                             "Sepp Hochreiter"),
              "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium", "NeurIPS", 2017,
              "Fréchet Inception Distance"),
    Reference("binkowski2018", ("Mikołaj Bińkowski", "Danica J. Sutherland", "Michael Arbel", "Arthur Gretton"),
              "Demystifying MMD GANs", "ICLR", 2018, "kernel inception distance"),
    Reference("szegedy2016", ("Christian Szegedy", "Vincent Vanhoucke", "Sergey Ioffe", "Jonathon Shlens",
                              "Zbigniew Wojna"), "Rethinking the Inception Architecture for Computer Vision", "CVPR",
              2016, "Inception-v3"),
    Reference("radford2016", ("Alec Radford", "Luke Metz", "Soumith Chintala"),
              "Unsupervised Representation Learning with Deep Convolutional Generative Adversarial Networks", "ICLR",
              2016, "DCGAN"),
    Reference("griffin1984", ("Daniel W. Griffin", "Jae S. Lim"),
              "Signal Estimation from Modified Short-Time Fourier Transform",
              "IEEE Transactions on Acoustics, Speech, and Signal Processing", 1984, "Griffin-Lim phase recovery"),
)

REFERENCES: Dict[str, Reference] = {r.key: r for r in _WORKS}
"""Every cited work by key."""


def cite(key: str) -> str:
    """The author-year citation of ``key``: "Wan et al. 2019", "Kang & Kymn 2017",
    "Goodfellow 2016", "anonymous (2019)"."""
    r = REFERENCES[key]
    if r.surnames == ("anonymous",):
        return f"anonymous ({r.year})"
    names = r.surnames
    who = names[0] if len(names) == 1 else " & ".join(names) if len(names) == 2 else f"{names[0]} et al."
    return f"{who} {r.year}"


def reference(key: str) -> str:
    """The full entry: authors, title, venue, year."""
    r = REFERENCES[key]
    return f"{', '.join(r.authors)}. {r.title}. {r.venue}, {r.year}."


# ----------------------------------------------------------------------------------------
# Finding and checking citations in text
# ----------------------------------------------------------------------------------------

_NAME = r"[A-Z][a-z\u00C0-\u017F][A-Za-z\u00C0-\u017F-]*"
_YEAR = r"(?:,?\s*\(?((?:19|20)\d\d)\)?)"
_TITLE = r"(?:,\s*\*([^*]{1,200})\*)?"
_ET_AL = re.compile(rf"\b({_NAME})\s+et\s+al\.?(?:['’]s)?{_YEAR}?{_TITLE}")
_AMP = re.compile(rf"\b((?:{_NAME},\s+)*{_NAME})\s+&\s+({_NAME})(?:['’]s)?{_YEAR}?{_TITLE}")
_AND = re.compile(rf"\b((?:{_NAME},\s+)*{_NAME}),?\s+and\s+({_NAME})(?:['’]s)?{_YEAR}{_TITLE}")


@dataclass
class Citation:
    """An author-year citation found in a text: ``surnames`` as written (one for "et al."),
    ``et_al``, ``year`` (or ``None``), ``title`` (an italic title that followed, or ``None``)."""
    text: str
    surnames: Tuple[str, ...]
    et_al: bool
    year: Optional[int]
    title: Optional[str]
    start: int


def find_citations(text: str) -> List[Citation]:
    """The author-year citations in ``text``, in order (see the module docstring)."""
    found, taken = [], []
    for pattern, et_al in ((_ET_AL, True), (_AMP, False), (_AND, False)):
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            if et_al:
                names = (m.group(1),)
                year, title = m.group(2), m.group(3)
            else:
                names = tuple(re.split(r",\s+", m.group(1))) + (m.group(2),)
                year, title = m.group(3), m.group(4)
            found.append(Citation(m.group(0), names, et_al, int(year) if year else None, title, m.start()))
            taken.append((m.start(), m.end()))
    return sorted(found, key=lambda c: c.start)


def _last(name: str) -> str:
    return name.split()[-1]


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def _title_ok(ref: Reference, title: str) -> bool:
    t = _norm(title)
    return bool(t) and (_norm(ref.title).startswith(t) or any(_norm(a).startswith(t) for a in ref.aliases))


def _candidates(c: Citation) -> List[Reference]:
    if c.et_al:
        return [r for r in _WORKS if len(r.authors) >= 3 and _last(r.surnames[0]) == c.surnames[0]]
    return [r for r in _WORKS if tuple(_last(s) for s in r.surnames) == c.surnames]


def check_citations(text: str, where: str = "") -> List[str]:
    """One message per citation in ``text`` that does not match the table: an unknown
    work, wrong or missing authors, a year no such work has, or a title that is not the
    work's.  ``where`` prefixes each message (e.g. the notebook and cell)."""
    problems = []
    for c in find_citations(text):
        refs = _candidates(c)
        if not refs:
            known = [r for r in _WORKS if _last(r.surnames[0]) == c.surnames[0]]
            hint = (" (the table has " + "; ".join(f"{' & '.join(r.surnames) if len(r.surnames) < 3 else r.surnames[0] + ' et al.'}"
                                                  f" {r.year}" for r in known) + ")") if known else ""
            problems.append(f"{where}{c.text!r}: no cited work has these authors{hint}")
            continue
        if c.year is not None:
            refs = [r for r in refs if r.year == c.year]
            if not refs:
                problems.append(f"{where}{c.text!r}: no work by these authors from {c.year}")
                continue
        if c.title is not None and not any(_title_ok(r, c.title) for r in refs):
            problems.append(f"{where}{c.text!r}: the title is not {' or '.join(repr(r.title) for r in refs)}")
    return problems
