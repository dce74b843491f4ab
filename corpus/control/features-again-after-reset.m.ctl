# the same feature set accepted twice across a reset
ctl name=features-again-after-reset.m modes=transitional,modern spec=accept
requires dev.features.2,dev.features.4
INIT value=ALL expect=eq ms=1000 req=dev.features.2
INIT value=ALL expect=eq ms=1000 req=dev.features.4
INIT value=VERSION_1 expect=eq ms=1000 req=dev.features.4
