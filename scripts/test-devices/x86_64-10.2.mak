# QEMU 10.2 only: the board selects ACPI_CXL, whose hw/acpi/cxl.c calls cxl_fmws_get_all_sorted(),
# which hw/cxl/cxl-host-stubs.c lacks; CXL is on by default only through "default y if
# PCI_EXPRESS", which --without-default-devices ignores, so without this the link fails. CXL
# depends on PXB, also on only by a default ("default y if Q35 || ARM_VIRT").
CONFIG_PXB=y
CONFIG_CXL=y
