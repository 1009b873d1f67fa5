#include "lun_probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct lun_params lun_params_of(const struct pvscsid_config *cfg)
{
    return (struct lun_params){
        .block_size = cfg->block_size,
        .sysfs_root = cfg->sysfs_root,
        .cmd_timeout_ms = cfg->cmd_timeout_s * 1000u,
    };
}

int lun_probe(const struct pvscsid_config *cfg, const char *pdev, char *err, size_t err_len)
{
    const struct lun_ops *ops = lun_ops_for_pdev(pdev);
    if (!ops) {
        snprintf(err, err_len, "no handler for p-dev \"%s\"", pdev);
        return -ENODEV;
    }
    const struct lun_params params = lun_params_of(cfg);
    struct lun *lun = NULL;
    err[0] = '\0';
    int r = ops->open(pdev, &params, &lun, err, err_len);
    if (r < 0) {
        if (!err[0])
            snprintf(err, err_len, "%s: %s", pdev, strerror(-r));
        return r;
    }
    ops->close(lun);
    return 0;
}
