# every offered feature accepted: FEATURES_OK must stick
ctl name=features-all-offered.m modes=transitional,modern spec=accept
requires dev.features.2
INIT value=ALL expect=eq ms=1000 req=dev.features.2
