# Sourced by scripts/demo.sh: the demo's phase2 and promote use real RPMs, so as root with
# apt-get (a fresh machine) it installs the RPM tools from Debian's packages; otherwise
# the demo stops after phase1 and says what is missing.
rpm_need=()
command -v rpmbuild >/dev/null 2>&1 || rpm_need+=(rpm)
command -v createrepo_c >/dev/null 2>&1 || rpm_need+=(createrepo-c)
command -v dnf >/dev/null 2>&1 || rpm_need+=(dnf)
command -v rsync >/dev/null 2>&1 || rpm_need+=(rsync)
if [ ${#rpm_need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "sluice: installing from Debian's packages for the demo (first run only, a minute or two): ${rpm_need[*]}" >&2
  apt-get update -qq
  # One line per package set up, so that a long install shows it is moving.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${rpm_need[@]}" \
    | { grep --line-buffered '^Setting up ' || true; } | sed -u 's/^/  /' >&2
fi
