"""An ML2 mechanism driver that binds every port, so Nova can boot without network agents.

Neutron's own drivers (openvswitch, linuxbridge, OVN) bind a port only on a host where
their agent or controller runs; with none, Nova's fake driver would fail every boot with
PortBindingFailed. This one binds any segment (vif_type `other`) and leaves the port's
status to Neutron: it stays DOWN, as no agent ever reports it plugged.
"""
from neutron_lib.plugins.ml2 import api


class LoopbackMechanismDriver(api.MechanismDriver):
    def initialize(self):
        pass

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], 'other', {})
            return
