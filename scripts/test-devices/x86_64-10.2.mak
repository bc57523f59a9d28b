# QEMU 10.2 only: the board selects ACPI_CXL, whose hw/acpi/cxl.c calls cxl_fmws_get_all_sorted(),
# which hw/cxl/cxl-host-stubs.c lacks; CXL is on by default only through "default y if
# PCI_EXPRESS", which --without-default-devices ignores, so without this the link fails.
CONFIG_CXL=y
