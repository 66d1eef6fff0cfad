"""Nova's fake.FakeDriver, with a snapshot that uploads a disk image to Glance.

FakeDriver boots servers without a hypervisor, but its snapshot only moves the task
state: the image stays `queued` in Glance for ever. Like the libvirt driver, this one
uploads the disk (a few bytes) through Nova's image API, slowly enough that Glance shows
the snapshot `saving` for a while: SLUICE_FAKE_UPLOAD_FILE names a file holding the
upload's duration in seconds (1 when absent), which a test may change between snapshots.
"""
import os
import time

from nova.image import glance
from nova.virt import fake

_PARTS = 4


class _SlowDisk:
    """A file-like disk image handed over in parts, with a pause before each."""

    def __init__(self, seconds):
        self._parts = [b'sluice fake disk\n'] * _PARTS
        self._pause = max(0.0, seconds) / _PARTS

    def read(self, size=-1):
        if not self._parts:
            return b''
        time.sleep(self._pause)
        return self._parts.pop()

    def __iter__(self):
        while True:
            part = self.read()
            if not part:
                return
            yield part


def _upload_seconds():
    path = os.environ.get('SLUICE_FAKE_UPLOAD_FILE')
    try:
        with open(path, encoding='ascii') as f:
            return float(f.read().strip())
    except (TypeError, OSError, ValueError):
        return 1.0


class UploadingFakeDriver(fake.FakeDriver):
    def snapshot(self, context, instance, image_id, update_task_state):
        super().snapshot(context, instance, image_id, update_task_state)
        meta = {'disk_format': 'raw', 'container_format': 'bare'}
        glance.API().update(context, image_id, meta, data=_SlowDisk(_upload_seconds()), purge_props=False)
