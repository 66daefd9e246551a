# The two commands of the README are `make run` and `make test`; the rest are steps.
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 3
export RASA_TELEMETRY_ENABLED := false
LANGS := $(notdir $(patsubst %/,%,$(wildcard locales/*/)))
# The staff pages speak English (their message ids) and the languages with a portal
# catalog: STAFF_LANGUAGES of bot/languages.py (tests/test_catalogs.py checks both).
STAFF_LANGS := $(patsubst locales/%/LC_MESSAGES/portal.po,%,$(wildcard locales/*/LC_MESSAGES/portal.po))
CATALOGS := $(foreach l,$(LANGS),locales/$(l)/LC_MESSAGES/messages.mo) \
  $(foreach l,$(STAFF_LANGS),locales/$(l)/LC_MESSAGES/portal.mo)

.PHONY: install run shell test lint unit e2e browser validate model stories eval eval-nlu figures run-cluster cluster-test profile bench export-reviewed learn extract clean

install: $(VENV)/.installed $(CATALOGS)

$(VENV)/.installed: requirements.txt scripts/setup_venv.sh bot/web/package-lock.json
	bash scripts/setup_venv.sh
	touch $@

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(VENV)/bin/pybabel compile --statistics -d locales -D messages -l $* >/dev/null

locales/%/LC_MESSAGES/portal.mo: locales/%/LC_MESSAGES/portal.po | $(VENV)/.installed
	$(VENV)/bin/pybabel compile --statistics -d locales -D portal -l $* >/dev/null

run: install
	$(PY) -m bot.run

# A chat in the terminal (rasa shell), with the action server and web app started.
shell: install
	$(PY) -m bot.run --shell

# The conversation set's floor is an e2e test (tests/test_conversation_set.py): make test
# scores only the NLU here; make eval prints both.
test: install lint unit validate model e2e stories eval-nlu cluster-test

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

unit: install
	$(PY) -m pytest -q -m "not e2e and not cluster"

e2e: model browser
	$(PY) -m pytest -q -m e2e

# Debian's chromium for the widget's browser tests (Playwright drives it; no download).
browser:
	bash scripts/setup_browser.sh

validate: install
	$(PY) -m bot.nlu.check >/dev/null || $(PY) -m bot.nlu.check
	$(PY) -m rasa data validate --domain domain.yml --data data/nlu data/rules.yml

model: install
	$(PY) -m bot.nlu.model

stories: model
	$(PY) -m rasa test core --model $$($(PY) -m bot.nlu.model) --stories tests/stories \
	  --fail-on-prediction-errors --out var/results/core

eval-nlu: model
	$(PY) scripts/evaluate_nlu.py --floor 0.90

eval: eval-nlu
	$(PY) scripts/evaluate_conversations.py

# The README's NLU figures: the test held-out set, never read while improving.
figures: model
	$(PY) scripts/evaluate_nlu.py --set test

# Where a message's CPU time goes, per process (py-spy under the benchmark's load).
profile: model
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(PY) scripts/profile.py

# The replicated topology (PostgreSQL, Redis, HAProxy, REPLICAS of each process).
run-cluster: install model
	bash scripts/setup_cluster.sh
	$(PY) -m bot.cluster

# Its load and fault test: 50 conversations, a Rasa replica and an action server killed.
cluster-test: install model
	bash scripts/setup_cluster.sh
	$(PY) -m pytest -q -s -m cluster

bench: model browser
	bash scripts/setup_cluster.sh
	$(PY) scripts/bench_nlu.py
	$(PY) scripts/bench_memory.py
	$(PY) scripts/bench.py
	$(PY) scripts/bench_starter.py
	$(PY) scripts/bench_widget.py
	$(PY) scripts/bench_portal.py
	$(PY) scripts/fuzz.py

# Reviewers' labels (the portal's review page) to NLU data: data/nlu/<lang>/reviewed.yml
# and, kept aside, tests/nlu/reviewed/<lang>.yml. Read the files before committing.
export-reviewed: install
	$(PY) scripts/export_reviewed.py

# The loop: export the labels, retrain, and print the kept-aside accuracy before/after.
learn: install
	$(PY) scripts/learn.py

# Translators: extract new message ids, merge them into every catalog, then translate.
extract: install
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --sort-output \
	  -o locales/messages.pot .
	for l in $(LANGS); do $(VENV)/bin/pybabel update -i locales/messages.pot \
	  -d locales -D messages -l $$l --no-fuzzy-matching; done
	$(VENV)/bin/pybabel extract -F babel-portal.cfg --no-default-keywords -k S_ -k _ \
	  -k gettext -k ngettext:1,2 --no-location --sort-output -o locales/portal.pot .
	for l in $(STAFF_LANGS); do $(VENV)/bin/pybabel update -i locales/portal.pot \
	  -d locales -D portal -l $$l --no-fuzzy-matching; done

clean:
	rm -rf models var/results
