/* What the device-type driver-rule checks (refdev/drvrules.h) remember
 * between chains: kept inside vc_dev, cleared by a device reset. */
#ifndef REFDEV_DRVSTATE_H
#define REFDEV_DRVSTATE_H

#include <stdbool.h>
#include <stdint.h>

#define VC_DRV_SCSI_LUNS 8 /* LUNs whose linked-command runs are followed */
#define VC_DRV_NET_PAIRS 8 /* queue pairs whose receive buffers are followed */

typedef struct vc_drvstate {
    /* scsi: consecutive linked commands per LUN (drv.scsi_cfg.2) */
    struct {
        uint8_t lun[8];
        uint32_t run;
    } scsi_link[VC_DRV_SCSI_LUNS];
    unsigned scsi_nlinks;
    bool scsi_unstocked; /* drv.scsi_event.1 already reported */
    /* net: receive buffers the device holds that fit an mtu-sized packet,
     * per queue pair (drv.net_cfg.7) */
    uint32_t net_rx_fit[VC_DRV_NET_PAIRS];
} vc_drvstate;

#endif
