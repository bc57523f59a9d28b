"""libvirt as the real client of QEMU binaries: Debian 12's libvirtd probes them as in production.

``probe.py`` has the helpers (a private libvirtd, probes, normalisation, flag tables),
``fixtures.py`` the session fixtures (import them into a conftest.py to use them elsewhere),
``qmp_filter.py`` the planted fault (a QEMU whose QMP interface lacks some commands).
"""
