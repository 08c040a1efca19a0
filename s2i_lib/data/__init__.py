"""Paired audio-visual data: media I/O, corpus layouts, segments and frame choice, the
builder and its shards, datasets, cleaning.

``data.fingerprint(pairs_dir)`` identifies a pair set (manifest plus build settings):
use it as the data key of anything trained or cached from the pairs.

The torch datasets and the cleaning tools are imported on first use, so that a build
worker (``import s2i_lib.data.building``) does not load torch.
"""
import importlib

from . import media
from .media import (VIDEO_EXTENSIONS, AUDIO_EXTENSIONS, IMAGE_EXTENSIONS, MediaError, Timeline, Clip, to_mono,
    resample, shrink, probe, open_video, read_video, write_video, read_audio, write_audio, read_image, resize_square,
    write_image)
from . import layouts
from .layouts import (LAYOUTS, LayoutError, SourceItem, read_synthav, read_vegas, read_vggsound, read_ucf101,
    SUBURMP_ALIASES, suburmp_label, read_suburmp, read_folder, READERS, read_layout)
from . import segments
from .segments import (FRAME_STRATEGIES, SCORE_SIZE, dbfs, segment_bounds, frame_index_at, first_frame, middle_frame,
    energy_typicality_score, topk_moments, Candidate, candidates_for_clip, score_candidates)
from . import shards
from .shards import (MANIFEST_COLUMNS, SEGMENT_COLUMNS, BuildResult, BuildSettingsError, BuildError, assign_splits,
    balance_rows, check_no_leakage, merge, load_manifest, fingerprint, resplit_by_video)
from . import building
from .building import BUILDER_VERSION, BuildConfig, process_item, build, score_name

_LAZY = {"datasets": ("PairDataset", "PairArrays", "load_arrays", "arrays_description"),
         "cleaning": ("CLEANING_VERSION", "TRUTH_COLUMNS", "topk_labels", "parse_rule", "agreement", "corpus_dir_of",
                      "pair_truth_table", "score", "write_cleaned", "load_cleaning"),
         "framing": ("FRAMINGS", "downsample", "player_boxes", "crop_images", "framed_images")}
_LAZY_NAMES = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY_NAMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_NAMES))
