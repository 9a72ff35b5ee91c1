#!/usr/bin/env bash
# One-time set-up shared by `make pdf` and `make test`: the virtual environment
# with the pinned packages, then TeX Live from Debian's packages if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# pdfLaTeX (texlive-latex-base: /usr/bin/pdflatex, fontenc, utf8.def and the .dfu files; lmodern:
# the Type 1 Latin Modern) for documents in the Latin letters of T1, and LuaLaTeX
# (texlive-luatex) with the OpenType Latin Modern (lmodern too) for the body and fallback fonts
# for names in any script: fonts-cmu (Greek, Cyrillic in Computer Modern's design),
# fonts-noto-core (Arabic, Hebrew, Indic, ...), fonts-noto-cjk.
# texlive-science brings siunitx. Keep in step with TEX_PACKAGES in report/compile.py.
# About 100 MB to download (210 MB installed) on top of TeX Live's base; fonts-noto-cjk alone
# is 57 MB. The lot installed in about 40 s on a Debian 12 machine.
TEX_PACKAGES="latexmk texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended texlive-luatex texlive-science lmodern fonts-cmu fonts-noto-core fonts-noto-cjk poppler-utils"
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

# 2. TeX Live (and pdftotext for the tests), from Debian's packages: installed when a package
#    is missing, so a machine set up before the switch to LuaLaTeX gets the new ones too.
# shellcheck disable=SC2086
missing=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $TEX_PACKAGES 2>/dev/null \
    | awk '$1 == "ii" { print $2 }' | sort | comm -13 - <(printf '%s\n' $TEX_PACKAGES | sort) || true)
if [ -n "$missing" ] || ! command -v lualatex >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "setup: installing TeX Live and fonts from Debian's packages (a minute or two)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $TEX_PACKAGES >/dev/null
    else
        echo "setup: TeX Live or its fonts are missing; install them with: sudo $APT_CMD" >&2
        exit 1
    fi
fi

# 3. LuaLaTeX's font cache: built here once, so the first build neither waits for it nor
#    depends on which fonts happen to be found later.
if ! luaotfload-tool --find="Latin Modern Roman" >/dev/null 2>&1; then
    echo "setup: building LuaLaTeX's font name cache"
    luaotfload-tool --update >/dev/null
fi
