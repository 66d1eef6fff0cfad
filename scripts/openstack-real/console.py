"""Runs an OpenStack command by its console-script name, from the python3 packages alone.

Debian installs the commands themselves (nova-api, glance-manage, ...) with the service
packages, whose maintainer scripts configure databases and system services; the real
cloud of scripts/openstack-real.sh installs only the python3 packages, whose entry points
name the same functions. Usage: console.py NAME ARGS...
"""
import importlib.abc
import importlib.util
import os
import sys
from importlib.metadata import entry_points


class _Alias(importlib.abc.MetaPathFinder):
    """Serves a module file under another name: Nova loads its compute driver only from nova.virt."""

    def __init__(self, name, path):
        self.name, self.path = name, path

    def find_spec(self, fullname, path=None, target=None):
        return importlib.util.spec_from_file_location(fullname, self.path) if fullname == self.name else None


def main():
    name = sys.argv[1]
    # SLUICE_MODULE_ALIAS=module.name=/path/to/file.py
    alias = os.environ.get('SLUICE_MODULE_ALIAS')
    if alias:
        sys.meta_path.insert(0, _Alias(*alias.split('=', 1)))
    found = [e for e in entry_points(group='console_scripts') if e.name == name]
    if not found:
        raise SystemExit(f'no console script {name!r} in the installed python3 packages')
    sys.argv = [name] + sys.argv[2:]
    sys.exit(found[0].load()())


if __name__ == '__main__':
    main()
