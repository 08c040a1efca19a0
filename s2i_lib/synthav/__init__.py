"""SynthAV: the course's own audio-visual corpus, generated, with ground truth.

No data set can be downloaded while the course runs, so SynthAV makes one: real video
files (frames plus an audio track) whose content is synthesised from a seed.  Because
it is generated, every clip comes with the truth about itself, and steps that the
papers could only eyeball (loudness filtering, frame selection, cleaning by classifier
agreement) can be scored exactly: notebook 01 (building pairs and truth) and notebook 02
(cleaning) do.

Two suites:

``scenes``        the nine scene classes of Wan et al. (2019): each class has a DSP sound
                  model (barks, drum hits, plucked strings, hammered strings, engine drones
                  with Doppler, water noise, crowds with kicks or bat cracks) and a scene
                  renderer (room, yard, sky, lake, cliff, pitch, diamond) with nuisance
                  variation (position, colours, lighting, clutter, camera shake).
``performances``  the thirteen Sub-URMP instruments: each has a timbre (harmonic profile,
                  attack, vibrato, breath) and a player drawn with the instrument; the
                  note played sets the player's pose (bow angle, hand or slide position),
                  a monotone function of the pitch within the instrument's range.

Shared attributes tie the modalities together: a clip's ``distance`` sets both the
loudness (gain ``1 / distance``) and the object's size on screen (``BASE_SIZE /
distance`` of the frame); pitch sets pose; a few scene clips have two sources sounding
and visible at once.  A share ``defect_rate`` of clips carries labelled defects:
``silent`` (source visible but not sounding), ``offscreen`` (source sounding, camera
elsewhere), ``wrong_class`` (the picture belongs to another class) and ``noise`` (loud
background noise at a recorded SNR).

Main entry points::

    frames, audio, meta = generate_clip("scenes", "dog", 3, size, seed=0)   # in memory, no I/O
    meta = clip_metadata("scenes", "dog", 3, size, seed=0)                  # cheap, no rendering
    masks = object_masks("scenes", "dog", 3, size, seed=0)                  # (T, H, W) source pixels
    root = generate_corpus("scenes", profile="smoke", out="data/synthav/x", seed=0)
    root = ensure_corpus("data", "scenes", "course", seed=0)                # cached by its key
    root = write_layout("ucf101", "tmp/ucf")                                # a real corpus's tree
    truth_at(meta, t); pair_truth(meta, seg_start, seg_end, frame_time)     # scoring pair selection

The metadata of a clip (``meta``, one line of ``metadata.jsonl``)::

    clip_id, video_id, suite, label, index, file, seed, generator_version,
    duration, fps, sample_rate, frame_size, num_frames, num_samples,
    distance, loudness_gain (= 1/distance), target_dbfs, object_scale, object_size_px,
    position [x, y_bottom] (fractions of the frame), environment,
    sources [labels sounding], source_details [{label, distance, loudness_gain,
    object_scale, object_size_px, position}], multi_source,
    notes [{start, end, midi, pitch_hz, pose}]        (performances; [] for scenes)
    defects [{type, start, end, + shown_label | snr_db, noise_kind}]
    timeline [{start, end, audible, source_visible, shown_label, noisy}]
        piecewise constant, half-open intervals covering [0, duration];
        shown_label is "none" while the camera looks away.

Everything is deterministic: clip ``i`` of a class depends only on (seed, suite, class,
index) and on the suite's class list (used to pick the class of a ``wrong_class``
picture or a second source), never on the corpus size or the number of workers.

**Where things are** (one concern per module)::

    constants        the version, suites, layouts, defect types, sizes and levels
    seeding          stable ints, the per-clip generators, clip ids, class lists
    canvas           the drawing canvas (shapes, textures, object mask) and colours
    dsp              filters, coloured noise, Karplus-Strong, envelopes, crowds, defect noises
    people           figures, arms, outfits
    environments     where clips take place (plans and backgrounds) and the off-screen views
    kinds            what a class is: SceneClass, InstrumentClass, Timbre, the plan dataclasses
    scenes_home      dog, drum, guitar, piano  (plan + sound + drawing of each)
    scenes_outdoors  plane, speedboat, waterfall, soccer, baseball
    instruments      the 13 instruments (timbre + look + drawing of each)
    players          what every performer shares: melody, synthesis, pose, the player
    registry         SCENE_DEFS / INSTRUMENT_DEFS: every class by name, checked against the profiles
    defects          defect plans and the truth timeline
    plans            a clip's plan and metadata
    truth            truth_at, note_at, pair_truth, load_metadata
    render           a clip's audio and frames: generate_clip, clip_metadata, object_masks
    layouts          where files go in each corpus layout, the layouts' index files
    corpus           writing corpora: generate_corpus, write_layout, ensure_corpus (keyed)

**Adding a class.**  A scene class is one :class:`~s2i_lib.synthav.kinds.SceneClass`
(its plan dataclass and planner, its sound, its drawing, its environments and version)
appended to ``CLASSES`` of ``scenes_home`` or ``scenes_outdoors``; an instrument is one
row of ``CLASSES`` in ``instruments`` (its timbre, colour and drawing).  Then add its name
to ``SCENE_CLASSES`` or ``INSTRUMENTS`` in :mod:`s2i_lib.course.profiles` (the registry
refuses to import while the two disagree) and, for the real-layout trees, to
``VGGSOUND_LABELS`` and ``UCF_NAMES`` in ``layouts``.  Changing a class later: bump its
``version``, and corpora holding it are regenerated; changing shared code: bump
``GENERATOR_VERSION``.
"""

from . import corpus
from .constants import (GENERATOR_VERSION, SUITES, LAYOUTS, DEFECT_TYPES, BASE_SIZE, DISTANCE_RANGE, MULTI_DISTANCE,
                        REF_LEVEL, ROOM_TONE, MULTI_SOURCE_RATE, NOTE_SECONDS, NONE_LABEL)
from .seeding import clip_id, suite_classes
from .people import SKIN, CLOTHES, HAIR
from .environments import OFFSCREEN_VIEW, WALLS, FLOORS, SKIES, CROWD
from .registry import SCENE_DEFS, INSTRUMENT_DEFS, SCENE_SOUNDS, ENV_OF, MULTI_PARTNERS, INSTRUMENT_SPECS
from .players import pose_of_pitch
from .defects import NOISE_KINDS
from .truth import truth_at, note_at, pair_truth, load_metadata
from .render import generate_clip, clip_metadata, object_masks
from .layouts import VGGSOUND_LABELS, UCF_NAMES
from .corpus import (CorpusMismatchError, corpus_description, generate_corpus, write_layout, corpus_dir,
                     ensure_corpus)

__all__ = ["corpus", "GENERATOR_VERSION", "SUITES", "LAYOUTS", "DEFECT_TYPES", "BASE_SIZE", "DISTANCE_RANGE",
           "MULTI_DISTANCE", "REF_LEVEL", "ROOM_TONE", "MULTI_SOURCE_RATE", "NOTE_SECONDS", "NONE_LABEL", "clip_id",
           "suite_classes", "SKIN", "CLOTHES", "HAIR", "OFFSCREEN_VIEW", "WALLS", "FLOORS", "SKIES", "CROWD",
           "SCENE_DEFS", "INSTRUMENT_DEFS", "SCENE_SOUNDS", "ENV_OF", "MULTI_PARTNERS", "INSTRUMENT_SPECS",
           "pose_of_pitch", "NOISE_KINDS", "truth_at", "note_at", "pair_truth", "load_metadata", "generate_clip",
           "clip_metadata", "object_masks", "VGGSOUND_LABELS", "UCF_NAMES", "CorpusMismatchError",
           "corpus_description", "generate_corpus", "write_layout", "corpus_dir", "ensure_corpus"]
