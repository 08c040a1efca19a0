"""Audio for the course: representations (notebook 02), operations on waveforms
(notebook 02) and inversion of a log-mel spectrogram to sound (notebook 03).

``representations`` holds :class:`AudioRep` and its torch and librosa backends,
``ops`` the waveform operations, ``inversion`` Griffin-Lim.  Notebooks use the short
names re-exported here (``audio.representation``, ``audio.gain_db``, ...).
"""

from . import inversion, ops, representations
from .inversion import logmel_to_waveform
from .ops import amplitude_to_db, db_to_amplitude, gain, gain_db, mix, resample, time_shift
from .representations import BACKENDS, C2_HZ, KINDS, PRESETS, AudioRep, representation

__all__ = ["AudioRep", "BACKENDS", "C2_HZ", "KINDS", "PRESETS", "amplitude_to_db", "db_to_amplitude", "gain",
           "gain_db", "inversion", "logmel_to_waveform", "mix", "ops", "representation", "representations",
           "resample", "time_shift"]
