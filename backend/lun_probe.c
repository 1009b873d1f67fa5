#include "lun_probe.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "policy_rules.h"
#include "policy_spec.h"

struct lun_params lun_params_of(const struct pvscsid_config *cfg)
{
    return (struct lun_params){
        .block_size = cfg->block_size,
        .sysfs_root = cfg->sysfs_root,
        .cmd_timeout_ms = cfg->cmd_timeout_s * 1000u,
    };
}

extern const struct lun_ops lun_sg_ops;

int lun_open_pdev(const struct pvscsid_config *cfg, const char *pdev,
                  const struct lun_params *base, const char *name, struct lun **out, char *err,
                  size_t err_len)
{
    char handler_pdev[PATH_MAX + 64];
    struct policy_spec spec, scratch;
    policy_spec_init(&spec);
    policy_spec_init(&scratch);
    err[0] = '\0';
    int r = policy_split_pdev(pdev, handler_pdev, sizeof(handler_pdev), &scratch, err, err_len);
    if (r < 0)
        return r;
    /* The configuration's rule first, the p-dev's own options after it. */
    const char *rule = lun_policy_rule_find(cfg->lun_policies, handler_pdev);
    if (rule && (r = policy_spec_apply(&spec, rule, err, err_len)) < 0)
        return r;
    r = policy_split_pdev(pdev, handler_pdev, sizeof(handler_pdev), &spec, err, err_len);
    if (r < 0)
        return r;
    const struct lun_ops *ops = lun_ops_for_pdev(handler_pdev);
    if (!ops) {
        snprintf(err, err_len, "no handler for p-dev \"%s\"", handler_pdev);
        return -ENODEV;
    }
    struct lun_params params = *base;
    params.read_only = spec.read_only == 1;
    r = ops->open(handler_pdev, &params, out, err, err_len);
    if (r < 0) {
        if (!err[0])
            snprintf(err, err_len, "%s: %s", handler_pdev, strerror(-r));
        return r;
    }
    lun_policy_build(&(*out)->policy, &spec, ops == &lun_sg_ops, (*out)->peripheral_type,
                     name ? name : pdev);
    return 0;
}

int lun_probe(const struct pvscsid_config *cfg, const char *pdev, char *err, size_t err_len)
{
    const struct lun_params params = lun_params_of(cfg);
    struct lun *lun = NULL;
    int r = lun_open_pdev(cfg, pdev, &params, NULL, &lun, err, err_len);
    if (r < 0)
        return r;
    lun->ops->close(lun);
    return 0;
}
