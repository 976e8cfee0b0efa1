# Two set-up commands (README): `make demo` and `make test`. Each creates or reuses .venv.
PY := .venv/bin/python
.PHONY: demo test test-slow test-all benchmark env env-core
env-core:
	bash tools/setup_env.sh --core
env:
	bash tools/setup_env.sh
demo: env-core
	$(PY) tools/demo.py --out demo_out
test: env
	$(PY) -m pytest -q
test-slow: env
	$(PY) -m pytest -q -m slow
test-all: env
	$(PY) -m pytest -q -m "slow or not slow"
benchmark: env
	$(PY) tools/benchmark.py --matrix configs/benchmarks/camvid.py
