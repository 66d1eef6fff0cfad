# Sourced by scripts/test.sh: installs from Debian's packages what the tests need, when
# running as root with apt-get (CI, a fresh machine). Without root, tests that need a
# missing tool are skipped with a message saying what to install (and fail under CI=true).
need=()
have_pg() { command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }
have_pg || need+=(postgresql)
command -v git >/dev/null 2>&1 || need+=(git)
# Build sources, repositories and installability checks use real RPM tools.
command -v rpmbuild >/dev/null 2>&1 || need+=(rpm)
command -v createrepo_c >/dev/null 2>&1 || need+=(createrepo-c)
command -v dnf >/dev/null 2>&1 || need+=(dnf)
# Promotion copies stage trees into production with rsync (hard links to unchanged files).
command -v rsync >/dev/null 2>&1 || need+=(rsync)
# The Gerrit stream-events tests talk to a real OpenSSH server on a loopback port.
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
# Remote mirrors are published with the system ssh client (rsync's transport).
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
# Local jobs run in bwrap sandboxes; the node-root tests build an OS tree from static busybox.
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap); dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q ' installed$' || need+=(busybox-static)
# Subunit v2 parsing is tested against streams python-subunit writes and reads. Any python3
# on PATH will do (the first may be a pyenv or venv one without Debian's packages).
have_subunit() { local py; for py in $(type -ap python3); do "$py" -c 'import subunit.v2' 2>/dev/null && return 0; done; return 1; }
have_subunit || need+=(python3-subunit)
# The dashboard's browser tests and the README screenshot drive Debian's chromium
# (playwright-core, which downloads no browser of its own); fonts so text renders.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing from Debian's packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "not installed (tests needing them will be skipped): ${need[*]}"
  fi
fi
