"""Audio representations, operations on waveforms, and inversion."""

from . import representations
from .representations import (KINDS, BACKENDS, C2_HZ, AudioRep, PRESETS, representation, resample, db_to_amplitude,
    amplitude_to_db, gain, gain_db, mix, time_shift, logmel_to_waveform)
