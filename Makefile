# Two commands on a fresh clone: `make demo` (offline demo crawl) and `make test`.
# Everything else (uv, the virtualenv, the dependencies from uv.lock) installs itself.
# Bytecode is compiled at install: these machines set PYTHONDONTWRITEBYTECODE=1, so a .venv without .pyc files
# would compile hundreds of modules again on every `hromada` start (seconds instead of a fraction of one).
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.PHONY: demo test setup eval bench

demo: setup
	$(UV) run hromada demo

test: setup
	$(UV) run pytest

eval: setup
	$(UV) run hromada eval ../shared/eval/wcxb-articles-dev --compare trafilatura

# The project's own modules too (they change, so on every make; compileall skips what is up to date).
setup: .venv/.synced
	.venv/bin/python -m compileall -q crawler pipelines spiders

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	touch $@

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv
