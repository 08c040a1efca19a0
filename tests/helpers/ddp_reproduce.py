"""Run by tests/test_distributed.py under ``torchrun --nproc_per_node=2``: ``reproduce`` of
the one-notebook folder ``ddp_notebooks/`` (a small GAN through the model store), as
``torchrun ... -m s2i_lib.cli reproduce`` runs the course's notebooks on several GPUs.

    python -m torch.distributed.run --standalone --nproc_per_node=2 ddp_reproduce.py RESULTS DATA
"""
import sys
from pathlib import Path

from s2i_lib.course.execution import reproduce

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    reproduce("smoke", 0, sys.argv[1], data_dir=sys.argv[2], notebooks_dir=HERE / "ddp_notebooks", prepare_data=False)
