#!/usr/bin/env bash
# One-time set-up shared by `make pdf` and `make test`: the virtual environment
# with the pinned packages, then TeX Live from Debian's packages if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

TEX_PACKAGES="latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended texlive-science lmodern poppler-utils"
APT_CMD="apt-get install -y --no-install-recommends $TEX_PACKAGES"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else return 1; fi
}

# 1. Python virtual environment, reinstalled only when the pins change.
stamp=.venv/.installed
if [ ! -x .venv/bin/python ]; then
    if ! python3 -m venv .venv 2>/dev/null; then
        rm -rf .venv
        echo "setup: python3 cannot create a virtual environment; installing python3-venv" >&2
        as_root bash -c "apt-get update -qq && apt-get install -y -qq python3-venv" \
            || { echo "setup: run: sudo apt-get install -y python3-venv" >&2; exit 1; }
        python3 -m venv .venv
    fi
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
    echo "setup: installing pinned Python packages into .venv/"
    .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
    touch "$stamp"
fi

# 2. TeX Live (and pdftotext for the tests), from Debian's packages.
if ! command -v latexmk >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "setup: installing TeX Live from Debian's packages (about a minute)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $TEX_PACKAGES >/dev/null
    else
        echo "setup: TeX Live is missing; install it with: sudo $APT_CMD" >&2
        exit 1
    fi
fi
