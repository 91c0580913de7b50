# Sourced by the install scripts: a private apt configuration for Debian's non-free component,
# without touching /etc/apt. Lists and cache live under $NC_APT_DIR (default /tmp/apt-nonfree);
# the archive is this machine's own (deb822 debian.sources, else a one-line sources.list): the
# first Debian source and its first suite, with non-free added. Sets NONFREE_APT (apt-get options)
# and SUDO, and runs `apt-get update` on the private list once per call of nonfree_apt_setup.
nonfree_apt_setup() {
  local who=$1 D=${NC_APT_DIR:-/tmp/apt-nonfree} src=/etc/apt/sources.list.d/debian.sources uri suite
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  mkdir -p "$D/lists/partial" "$D/cache/archives/partial"
  if [ -f "$src" ]; then
    uri=$(awk '/^URIs:/{print $2; exit}' "$src"); suite=$(awk '/^Suites:/{print $2; exit}' "$src")
  else
    read -r uri suite < <(awk '$1 == "deb" && $2 !~ /security/ {print $2, $3; exit}' /etc/apt/sources.list 2>/dev/null)
  fi
  if [ -z "${uri:-}" ] || [ -z "${suite:-}" ]; then
    echo "$who: no Debian source found in $src or /etc/apt/sources.list; install the package from Debian non-free by hand" >&2
    return 1
  fi
  echo "deb $uri $suite main contrib non-free" > "$D/sources.list"
  NONFREE_APT=(-o "Dir::Etc::SourceList=$D/sources.list" -o "Dir::Etc::SourceParts=/dev/null" -o "Dir::State::Lists=$D/lists" -o "Dir::Cache=$D/cache")
  $SUDO apt-get "${NONFREE_APT[@]}" update -qq
}
