"""What the course runs: profiles, runs, execution, plots, progress, studies, recipes."""

from . import profiles
from .profiles import (SCENE_CLASSES, INSTRUMENTS, SynthAVSize, BuildSize, EncoderSize, GANSize, Profile,
    PROFILE_NAMES, get_profile, override)
from . import runs
from .runs import (repo_root, resolve, seed_everything, package_versions, git_commit, pick_device, Run, start)
from . import progress
from .progress import (headless, tqdm)

# Heavier modules load on first use, so that low-level packages can import the profiles
# without pulling in the recipes (which import them back).
_LAZY = {
    'use_course_style': 'plots',
    'audio_player': 'plots',
    'audio_table': 'plots',
    'image_grid': 'plots',
    'clip_timeline': 'plots',
    'explore': 'plots',
    'show_source': 'plots',
    'plots': 'plots',
    'NOTEBOOK_NAME': 'execution',
    'list_notebooks': 'execution',
    'execute': 'execution',
    'to_html': 'execution',
    'reproduce': 'execution',
    'execution': 'execution',
    'RATING_ANSWERS': 'study',
    'CHOICE_ANSWERS': 'study',
    'CSV_COLUMNS': 'study',
    'RatingTrial': 'study',
    'ChoiceTrial': 'study',
    'make_rating_trials': 'study',
    'make_choice_trials': 'study',
    'Study': 'study',
    'rating_from_probability': 'study',
    'scripted_rater': 'study',
    'run_widget': 'study',
    'study': 'study',
    'IMAGE_ENCODER_NOTE': 'recipes',
    'course_pairs': 'recipes',
    'data_key': 'recipes',
    'represent': 'recipes',
    'stratified_subset': 'recipes',
    'audio_classifier': 'recipes',
    'audio_autoencoder': 'recipes',
    'image_classifier': 'recipes',
    'pose_probe': 'recipes',
    'true_sizes': 'recipes',
    'size_probe': 'recipes',
    'read_probe': 'recipes',
    'soundnet': 'recipes',
    'downsample': 'recipes',
    'FRAMINGS': 'recipes',
    'player_boxes': 'recipes',
    'crop_images': 'recipes',
    'framed_images': 'recipes',
    'audio_embedding': 'recipes',
    'soundnet_features': 'recipes',
    'out_of_fold_probs': 'recipes',
    'cleaned_pairs': 'recipes',
    'recipes': 'recipes',
}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
        return module if name == _LAZY[name] else getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
