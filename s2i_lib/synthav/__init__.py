"""SynthAV, the course's generated audio-visual corpus."""

from . import corpus
from .corpus import (GENERATOR_VERSION, SUITES, LAYOUTS, DEFECT_TYPES, BASE_SIZE, DISTANCE_RANGE, MULTI_DISTANCE,
    REF_LEVEL, ROOM_TONE, MULTI_SOURCE_RATE, NOTE_SECONDS, NONE_LABEL, clip_id, suite_classes,
    SKIN, CLOTHES, HAIR, SCENE_SOUNDS, ENV_OF, OFFSCREEN_VIEW, WALLS, FLOORS, SKIES, CROWD,
    INSTRUMENT_SPECS, pose_of_pitch, MULTI_PARTNERS, NOISE_KINDS, truth_at, note_at, pair_truth,
    generate_clip, clip_metadata, object_masks, VGGSOUND_LABELS, UCF_NAMES, generate_corpus,
    write_layout, load_metadata, corpus_dir, ensure_corpus)
