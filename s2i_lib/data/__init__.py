"""Paired audio-visual data: media I/O, corpus layouts, the builder, datasets, cleaning."""

from . import media
from .media import (VIDEO_EXTENSIONS, AUDIO_EXTENSIONS, IMAGE_EXTENSIONS, MediaError, Clip, to_mono, resample,
    probe, read_video, write_video, read_audio, write_audio, read_image, resize_square,
    write_image)
from . import layouts
from .layouts import (LAYOUTS, SourceItem, read_synthav, read_vegas, read_vggsound, read_ucf101, SUBURMP_ALIASES,
    suburmp_label, read_suburmp, read_folder, READERS, read_layout)
from . import building
from .building import (FRAME_STRATEGIES, MANIFEST_COLUMNS, SEGMENT_COLUMNS, BUILDER_VERSION, dbfs, BuildConfig,
    segment_bounds, frame_index_at, first_frame, middle_frame, energy_typicality_score,
    topk_moments, Candidate, candidates_for_clip, process_item, assign_splits, balance_rows,
    check_no_leakage, BuildResult, BuildSettingsError, build, merge, load_manifest,
    score_candidates)
from . import datasets
from .datasets import (PairDataset, PairArrays, load_arrays)
from . import cleaning
from .cleaning import (CLEANING_VERSION, TRUTH_COLUMNS, topk_labels, parse_rule, agreement, corpus_dir_of,
    pair_truth_table, score, write_cleaned, load_cleaning)
