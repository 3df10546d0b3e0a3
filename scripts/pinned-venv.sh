# Sourced by the scripts that need Python packages from PyPI (Tests/Conformance, Tests/Interop,
# Tests/Faults). Needs `die` and `ROOT` from the caller.
#
#   ensure_pinned_venv VENV REQUIREMENTS MODULE MIN_MINOR
#
# Makes VENV with the packages of REQUIREMENTS (pinned by hash: --require-hashes, wheels only),
# installing python3 and python3-venv with apt-get when missing, and checks that python3 is at
# least 3.MIN_MINOR. The venv is reused while the requirements and the interpreter stay the same
# and MODULE imports.

ensure_pinned_venv() {
	local venv=$1 requirements=$2 module=$3 min_minor=$4 sudo= stamp
	[ "$(id -u)" = 0 ] || sudo=sudo
	_pinned_venv_apt() {
		command -v apt-get >/dev/null 2>&1 || die "python3 with venv support is needed (install it, then rerun)"
		echo "== installing $* with apt-get"
		$sudo apt-get update -qq
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
	}
	command -v python3 >/dev/null 2>&1 || _pinned_venv_apt python3 python3-venv
	python3 -c "import sys; sys.exit(sys.version_info < (3, $min_minor))" ||
		die "$module needs Python >= 3.$min_minor; python3 is $(python3 -V 2>&1)"
	stamp="$(sha256sum "$requirements" | cut -d' ' -f1) $(python3 -c 'import sys; print(sys.version.split()[0], sys.executable)')"
	if [ "$(cat "$venv/.stamp" 2>/dev/null)" = "$stamp" ] && "$venv/bin/python" -c "import $module" 2>/dev/null; then
		return 0
	fi
	echo "== installing $module into ${venv#"$ROOT"/} (${requirements#"$ROOT"/}, --require-hashes)"
	rm -rf "$venv"
	if ! python3 -m venv "$venv" 2>/dev/null; then
		rm -rf "$venv"
		_pinned_venv_apt python3-venv # Debian splits ensurepip out of python3
		python3 -m venv "$venv" || die "python3 -m venv failed"
	fi
	timeout 600 "$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q \
		--require-hashes --only-binary=:all: -r "$requirements" ||
		die "pip install -r ${requirements#"$ROOT"/} failed"
	echo "$stamp" >"$venv/.stamp"
}
