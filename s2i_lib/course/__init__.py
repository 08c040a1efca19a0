"""What the course runs: profiles (and their dry runs), runs, progress, plots, execution, studies, the recipes
of the course's trained models and probes, Wan et al.'s ladder, references.

The profiles, runs and progress load at once; the heavier modules load on first use, so
that low-level packages can import the profiles without pulling in the recipes (which
import them back)."""

from . import profiles
from .profiles import (SynthAVSize, BuildSize, EncoderSize, GANSize, StackedSize, Sound2SceneSize, Profile, PROFILE_NAMES, get_profile, override)
from . import runs
from .runs import (repo_root, resolve, CUBLAS_WORKSPACE, PROFILE_THREADS, seed_everything, configure_threads,
    package_versions, git_commit, pick_device, Run, same_value, start)
from . import progress
from .progress import (LEVELS, PROGRESS_LINE, headless, level, is_progress_line, running, tqdm, format_seconds,
    LineBar)

_LAZY = {
    'plots': 'plots',
    'use_course_style': 'plots',
    'audio_player': 'plots',
    'audio_table': 'plots',
    'image_grid': 'plots',
    'clip_timeline': 'plots',
    'explore': 'plots',
    'show_source': 'plots',
    'execution': 'execution',
    'NOTEBOOK_NAME': 'execution',
    'KERNEL_ENV': 'execution',
    'list_notebooks': 'execution',
    'execute': 'execution',
    'NotebookResult': 'execution',
    'ReproduceResult': 'execution',
    'ReproduceError': 'execution',
    'select_notebooks': 'execution',
    'reproduce': 'execution',
    'write_summary': 'execution',
    'study': 'study',
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
    'recipes': 'recipes',
    'RECIPE_VERSIONS': 'recipes',
    'IMAGE_ENCODER_NOTE': 'recipes',
    'course_pairs': 'recipes',
    'data_key': 'recipes',
    'represent': 'recipes',
    'stratified_subset': 'recipes',
    'audio_classifier': 'recipes',
    'audio_autoencoder': 'recipes',
    'reconstruction_mse': 'recipes',
    'image_classifier': 'recipes',
    'soundnet': 'recipes',
    'audio_embedding': 'recipes',
    'soundnet_features': 'recipes',
    'out_of_fold_probs': 'recipes',
    'video_folds': 'recipes',
    'cleaned_pairs': 'recipes',
    'probes': 'probes',
    'pose_probe': 'probes',
    'true_sizes': 'probes',
    'size_probe': 'probes',
    'true_sources': 'probes',
    'presence_probe': 'probes',
    'ladder': 'ladder',
    'LADDER': 'ladder',
    'ladder_rung': 'ladder',
    'LADDER_CHANGES': 'ladder',
    'WGAN_GP_RECIPE': 'ladder',
    'stacked': 'stacked',
    'image_features': 'stacked',
    'Standardizer': 'stacked',
    'StackedGANs': 'stacked',
    'stacked_scores': 'stacked',
    'sound2scene': 'sound2scene',
    'simclr_encoder': 'sound2scene',
    'unit_features': 'sound2scene',
    'audio_encoder': 'sound2scene',
    'ic_gan': 'sound2scene',
    'steering': 'steering',
    'slerp': 'steering',
    'feature_path': 'steering',
    'mix_waves': 'steering',
    'invert_generator': 'steering',
    'dryrun': 'dryrun',
    'dry_profile': 'dryrun',
    'references': 'references',
    'Reference': 'references',
    'cite': 'references',
    'reference': 'references',
    'Citation': 'references',
    'find_citations': 'references',
    'check_citations': 'references',
    'report': 'report',
    'write_report': 'report',
    'site': 'site',
    'build_site': 'site',
    'catalog': 'catalog',
    'versions': 'versions',
}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
        return module if name == _LAZY[name] else getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
