# `make run` starts the clinic; `make test` runs every check. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format benchmark messages stop clean backup restore

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version 2>&1))."; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@touch $@

$(VENV)/.runtime: requirements.txt $(VENV)/.python-ok
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.python-ok
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	@$(BIN)/python scripts/run.py

test: $(VENV)/.dev
	@$(BIN)/python scripts/test.py $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

benchmark: $(VENV)/.dev
	$(BIN)/python benchmarks/run_all.py

# Patient-page translations: refresh every locale/<code>/LC_MESSAGES/django.po from the code
# (makemessages needs GNU gettext: apt-get install gettext), then compile the committed .mo files
# with polib (pure Python; `python scripts/compile_messages.py` alone needs no gettext).
messages: $(VENV)/.dev
	$(BIN)/python manage.py makemessages --all --ignore=.venv --ignore=tests --ignore=benchmarks --no-location
	$(BIN)/python scripts/compile_messages.py

# Custom-format pg_dump of the clinic's database into backups/ (README, "Backup and restore").
backup: $(VENV)/.runtime
	@$(BIN)/python scripts/backup.py

# make restore FILE=backups/clinic-<stamp>.dump [CONFIRM=yes]
restore: $(VENV)/.runtime
	@$(BIN)/python scripts/restore.py "$(FILE)" $(if $(filter yes,$(CONFIRM)),--confirm)

stop:
	@$(BIN)/python -c 'from config import embedded; embedded.stop_postgres(); embedded.stop_redis()'

clean: stop
	rm -rf $(VENV) .local staticfiles
