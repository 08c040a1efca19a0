# s2i: set-up, reproduction and tests.  Two commands do everything on a fresh machine:
#   make reproduce [PROFILE=course|smoke|paper]   execute every notebook headless
#   make test                                     unit tests + notebooks (smoke) + nbval
# The virtual environment lives outside the checkout (VENV) so that a fresh clone, a
# rerun or CI reuses the several GB of torch instead of installing them again; it is
# (re)installed whenever pyproject.toml's pins change.
SHELL := /bin/bash
PROFILE ?= course
SEED ?= 0
PYTHON ?= python3.11
VENV ?= $(HOME)/.cache/s2i/venv
PY := $(VENV)/bin/python
DEPS_HASH := $(shell sha256sum pyproject.toml | cut -c1-16)
STAMP := $(VENV)/.s2i-deps-$(DEPS_HASH)
MATHJAX_DIR := $(VENV)/share/s2i/mathjax
export S2I_HEADLESS := 1
export PATH := $(VENV)/bin:$(PATH)
DATA_DIR ?= data
# smoke and course are sized for 2 cores and their references were made with 2 threads;
# the paper profile uses every core (runs.start sets torch's threads per profile;
# OMP_NUM_THREADS or S2I_THREADS that you set win)
ifneq ($(PROFILE),paper)
export OMP_NUM_THREADS ?= 2
endif

.PHONY: setup reproduce test unit bench lab student site browser clean-results help

help:
	@echo "make reproduce [PROFILE=course|smoke|paper]  -- set up, then execute every notebook into results/<PROFILE>/"
	@echo "make reproduce PROFILE=paper DRY_RUN=1       -- the paper's networks with 1% of its steps, into results/paper-dry/"
	@echo "make reproduce PROFILE=paper PRECISION=bf16  -- every training in bfloat16 mixed precision (default fp32)"
	@echo "make test                                    -- set up, then unit tests + every notebook (smoke) + nbval"
	@echo "make lab                                     -- JupyterLab on notebooks/"
	@echo "make student                                 -- student (no solutions) and instructor versions under results/"
	@echo "make site [PROFILE=...]                      -- the executed notebooks as a static site in results/<PROFILE>/site/"
	@echo "make bench                                   -- time the data path, notebook 02's models and the GAN steps against the budgets"

$(STAMP): pyproject.toml Makefile
	@echo ">> setting up the environment in $(VENV)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip 'setuptools>=77' wheel
	# torch and torchvision first, then torchaudio for the same torch (see README)
	$(PY) -m pip install -q torch==2.9.1 torchvision==0.24.1
	$(PY) -m pip install -q torch==2.9.1 torchaudio==2.9.1
	$(PY) -m pip install -q --no-build-isolation -e . > $(VENV)/.s2i-install.log 2>&1 \
		|| { cat $(VENV)/.s2i-install.log; exit 1; }
	# test-only peers of the evaluation module and of the contrastive losses (their own requirements are pinned above)
	$(PY) -m pip install -q --no-deps torchmetrics==1.9.0 torch-fidelity==0.4.0 lightning-utilities==0.15.3 pytorch-metric-learning==2.9.0
	# test only: Selenium drives Debian's chromium for the site test (make browser)
	$(PY) -m pip install -q selenium==4.51.0
	# MathJax for the course site's pages: one file from npm, copied into each site (never fetched by a page)
	@command -v npm > /dev/null || { echo ">> npm is missing: the course site needs MathJax from npm (apt-get install npm)"; exit 1; }
	rm -rf $(MATHJAX_DIR) && mkdir -p $(MATHJAX_DIR) && cd $(MATHJAX_DIR) && npm pack -q mathjax@3.2.2 > /dev/null \
		&& tar -xzf mathjax-3.2.2.tgz package/es5/tex-svg-full.js && mv package/es5/tex-svg-full.js . && rm -rf package mathjax-3.2.2.tgz
	rm -f $(VENV)/.s2i-deps-*
	touch $(STAMP)

setup: $(STAMP)
	@# point the editable install at this checkout (cheap; matters for fresh clones)
	@$(PY) -m pip install -q --no-deps --no-build-isolation -e . > $(VENV)/.s2i-editable.log 2>&1 \
		|| { cat $(VENV)/.s2i-editable.log; exit 1; }
	@$(PY) -c "import torch, torchaudio, torchvision, av, librosa, s2i_lib; print('>> environment ok: torch', torch.__version__, '| s2i_lib at', s2i_lib.__file__)"

# DRY_RUN=1: the profile's networks at their real size, 1% of its steps and epochs, a small
# corpus, into results/<PROFILE>-dry/ (s2i_lib/course/dryrun.py)
reproduce: setup
	$(PY) -m s2i_lib.cli reproduce --profile $(PROFILE) --seed $(SEED) --data-dir $(DATA_DIR)$(if $(filter 1 yes true,$(DRY_RUN)), --dry-run)$(if $(PRECISION), --precision $(PRECISION))

test: setup browser
	$(PY) -m pytest tests

# Chromium and its driver from Debian's packages, for the course site's browser test
browser:
	@command -v chromium > /dev/null && command -v chromedriver > /dev/null || { \
		echo ">> installing chromium and chromium-driver (Debian packages) for the site test"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver > /dev/null \
		|| { apt-get update -q > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver > /dev/null; } \
		|| echo ">> could not install chromium: tests/test_site.py will skip its browser test"; }

# the executed notebooks of results/$(PROFILE)/ as a static site in results/$(PROFILE)/site/ (make reproduce ends with it)
site: setup
	$(PY) -m s2i_lib.cli site --profile $(PROFILE)

unit: setup
	$(PY) -m pytest tests --ignore=tests/test_notebooks.py

bench: setup
	$(PY) tests/benchmarks/bench_data.py
	$(PY) tests/benchmarks/bench_audio.py
	$(PY) tests/benchmarks/bench_gan.py
	$(PY) tests/benchmarks/bench_sound2scene.py

student: setup
	$(PY) -m s2i_lib.cli versions

lab: setup
	env -u S2I_HEADLESS $(VENV)/bin/jupyter lab notebooks/

clean-results:
	rm -rf results/smoke results/course results/paper results/test results/student results/instructor
