# Payout Desk: every target installs what is missing first (scripts/bootstrap.sh).
.PHONY: setup run test bench package screenshots team clean

setup:
	bash scripts/bootstrap.sh

run:
	bash scripts/run.sh $(ARGS)

test:
	bash scripts/test.sh

team:
	bash scripts/bootstrap.sh --with-postgres && .venv/bin/python scripts/team.py $(ARGS)

bench:
	bash scripts/bootstrap.sh && .venv/bin/python -m benchmarks

package:
	bash scripts/bootstrap.sh --group package && bash packaging/build.sh

screenshots:
	bash scripts/bootstrap.sh && QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py docs/screenshots && QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_reach.py docs/screenshots

clean:
	rm -rf .venv .tools build dist .mypy_cache .ruff_cache
