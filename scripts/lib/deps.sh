# shellcheck shell=bash
# Installs the Debian packages listed in scripts/lib/packages.txt that are not installed yet.
# Sourced by scripts/run and scripts/test after they set HB_ROOT (the repository root).
#
# Checking costs one dpkg-query call; apt-get (and `apt-get update`) runs only when something
# is missing, so a second run on a ready machine does not touch the network.

hb_log() {
  printf '[hisbridge] %s\n' "$*"
}

hb_err() {
  printf '[hisbridge] error: %s\n' "$*" >&2
}

# Prints the package names, one a line, without comments and blank lines.
hb_packages() {
  sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$HB_ROOT/scripts/lib/packages.txt"
}

# Prints the packages from the list that dpkg does not report as installed ("ii").
hb_missing_packages() {
  local -a wanted
  mapfile -t wanted < <(hb_packages)
  local -A installed=()
  local name status
  # dpkg-query exits 1 when it does not know a package; the missing ones simply do not appear.
  while read -r name status; do
    if [[ $status == ii ]]; then
      installed[$name]=1
    fi
  done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${wanted[@]}" 2>/dev/null || true)
  # What an installed package provides counts as installed: NodeSource's nodejs provides npm
  # and conflicts with Debian's npm package, which apt-get could then not install.
  local provides word
  while IFS='|' read -r status provides; do
    if [[ $status == ii* ]]; then
      for word in ${provides//,/ }; do
        installed[$word]=1
      done
    fi
  done < <(dpkg-query -W -f='${db:Status-Abbrev}|${Provides}\n' 2>/dev/null || true)
  local package
  for package in "${wanted[@]}"; do
    if [[ -z ${installed[$package]:-} ]]; then
      printf '%s\n' "$package"
    fi
  done
}

# Installs whatever is missing, non-interactively. Needs root (or sudo) only when it installs.
hb_ensure_deps() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    hb_err "dpkg-query not found: these scripts expect Debian 12 (bookworm)"
    return 1
  fi
  local -a missing
  mapfile -t missing < <(hb_missing_packages)
  if ((${#missing[@]} == 0)); then
    hb_log "packages: all $(hb_packages | wc -l) present"
    return 0
  fi
  hb_log "packages: installing ${missing[*]}"
  local -a as_root=()
  if ((EUID != 0)); then
    if ! command -v sudo >/dev/null 2>&1; then
      hb_err "root is needed to install: ${missing[*]}"
      return 1
    fi
    as_root=(sudo)
  fi
  # Wait for another apt/dpkg run (e.g. unattended-upgrades on a fresh machine) instead of
  # failing on its lock; keep existing config files instead of asking about them.
  local -a apt_options=(-o DPkg::Lock::Timeout=600
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" update
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" install -y \
    --no-install-recommends "${missing[@]}"
  mapfile -t missing < <(hb_missing_packages)
  if ((${#missing[@]} != 0)); then
    hb_err "still not installed after apt-get: ${missing[*]}"
    return 1
  fi
  hb_log "packages: installed"
}
