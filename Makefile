# Two commands on a fresh clone: `make demo` (offline demo crawl) and `make test`.
# Everything else (uv, the virtualenv, the dependencies from uv.lock) installs itself.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.PHONY: demo test setup eval bench

demo: setup
	$(UV) run hromada demo

test: setup
	$(UV) run pytest

eval: setup
	$(UV) run hromada eval ../shared/eval/wcxb-articles-dev --compare trafilatura

setup: .venv/.synced

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv
